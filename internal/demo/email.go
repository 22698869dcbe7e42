package demo

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/internal/demo/mailhost"
)

// maxSubject caps a subject the mail pane sends, in runes.
const maxSubject = 200

// mailItem is one mail of the mail pane.
type mailItem struct {
	UID        uint32    `json:"uid"`
	From       mailAddr  `json:"from"`
	To         []string  `json:"to"`
	Subject    string    `json:"subject"`
	Date       time.Time `json:"date"`
	Seen       bool      `json:"seen"`
	Ticket     int64     `json:"ticket,omitempty"` // the "[#n]" tag of the subject
	Text       string    `json:"text"`
	MessageID  string    `json:"messageId"`
	InReplyTo  []string  `json:"inReplyTo,omitempty"`
	References []string  `json:"references,omitempty"`
	Files      []string  `json:"files,omitempty"`
	Automatic  string    `json:"automatic,omitempty"` // Auto-Submitted, when not "no"
}

type mailAddr struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// mailSnapshot is a folder of the customer's mailbox.
type mailSnapshot struct {
	Enabled  bool       `json:"enabled"`
	Folder   string     `json:"folder"`
	Me       mailAddr   `json:"me"`
	Support  string     `json:"support"`
	Unread   int        `json:"unread"` // in the INBOX
	Messages []mailItem `json:"messages"`
}

// mailInfo is what the page's config says of the mail pane; nil without it.
func (s *Server) mailInfo() map[string]any {
	if s.mail == nil {
		return nil
	}
	return map[string]any{"me": mailAddr(s.mail.Customer), "support": s.mail.Support}
}

// folderParam reads ?folder= (inbox or sent).
func folderParam(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "", "inbox":
		return mailhost.Inbox, true
	case "sent":
		return mailhost.Sent, true
	}
	return "", false
}

// handleEmail answers a folder of the customer's mailbox, newest first.
func (s *Server) handleEmail(w http.ResponseWriter, r *http.Request) {
	if s.mail == nil {
		writeJSON(w, http.StatusOK, mailSnapshot{Messages: []mailItem{}})
		return
	}
	folder, ok := folderParam(r.URL.Query().Get("folder"))
	if !ok {
		writeError(w, http.StatusBadRequest, "folder is inbox or sent")
		return
	}
	me := s.mail.Customer.Address
	ms, err := s.mail.Host.Messages(me, folder)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	snap := mailSnapshot{Enabled: true, Folder: strings.ToLower(folder), Me: mailAddr(s.mail.Customer),
		Support: s.mail.Support, Messages: make([]mailItem, 0, len(ms))}
	for _, m := range slices.Backward(ms) {
		snap.Messages = append(snap.Messages, s.mailItem(m))
	}
	if folder != mailhost.Inbox {
		ms, _ = s.mail.Host.Messages(me, mailhost.Inbox)
	}
	for _, m := range ms {
		if !m.Seen() {
			snap.Unread++
		}
	}
	writeJSON(w, http.StatusOK, snap)
}

// mailItem reads a stored mail with the adapter's own parser.
func (s *Server) mailItem(m mailhost.Message) mailItem {
	it := mailItem{UID: m.UID, Date: m.Date, Seen: m.Seen(), To: []string{}}
	p, err := email.Parse(bytes.NewReader(m.Raw))
	if err != nil {
		it.Subject, it.Text = "(unreadable mail)", err.Error()
		return it
	}
	it.From = mailAddr(p.From)
	for _, a := range append(p.To, p.Cc...) {
		it.To = append(it.To, a.Address)
	}
	it.Subject, it.Text, it.MessageID = p.Subject, p.Text, p.MessageID
	it.InReplyTo, it.References = p.InReplyTo, p.References
	if n, ok := email.SubjectTicket(p.Subject); ok {
		it.Ticket = n
	}
	if v := strings.ToLower(p.Get("Auto-Submitted")); v != "" && v != "no" {
		it.Automatic = v
	}
	if !p.Date.IsZero() {
		it.Date = p.Date
	}
	for _, a := range p.Attachments {
		it.Files = append(it.Files, a.Name)
	}
	return it
}

// mailSend is the body of POST /demo/api/email/send: a new mail to the
// support address, or (ReplyTo, a UID of the INBOX) a reply to a mail.
type mailSend struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	ReplyTo uint32 `json:"replyTo"`
}

// handleEmailSend sends the customer's mail as their mail client would:
// over SMTP submission, logged in as the customer, then a copy in Sent
// (IMAP APPEND's way). A reply is threaded (In-Reply-To, References),
// titled "Re: …" and quotes the original below an attribution line in the
// customer's language, as Gmail does, so the adapter's quote stripping
// has something to strip.
func (s *Server) handleEmailSend(w http.ResponseWriter, r *http.Request) {
	if s.mail == nil {
		writeError(w, http.StatusNotFound, "the demo runs without e-mail")
		return
	}
	var in mailSend
	if !readJSON(w, r, &in) {
		return
	}
	text := strings.TrimSpace(strings.ReplaceAll(in.Text, "\r\n", "\n"))
	subject := strings.TrimSpace(in.Subject)
	switch {
	case text == "" || utf8.RuneCountInString(text) > maxText || !utf8.ValidString(text):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("a mail's text has 1 to %d characters", maxText))
		return
	case utf8.RuneCountInString(subject) > maxSubject || !utf8.ValidString(subject) ||
		strings.ContainsFunc(subject, unicode.IsControl):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("a subject is one line of up to %d characters", maxSubject))
		return
	case subject == "" && in.ReplyTo == 0:
		writeError(w, http.StatusBadRequest, "a new mail needs a subject")
		return
	}
	out := &email.Outgoing{
		From: s.mail.Customer, To: []email.Address{{Name: "Soporte", Address: s.mail.Support}},
		Subject: subject, MessageID: randomHex(12) + "@" + domainOf(s.mail.Customer.Address),
		Language: s.customerInfo().Language, Text: text,
	}
	if in.ReplyTo != 0 {
		orig, ok := s.inboxMail(in.ReplyTo)
		if !ok {
			writeError(w, http.StatusNotFound, "no such mail in the inbox")
			return
		}
		out.InReplyTo, out.References = orig.Thread()
		if out.Subject == "" {
			out.Subject = replySubject(orig.Subject)
		}
		out.Text = text + "\n\n" + quote(orig, out.Language)
	}
	raw, err := out.Bytes()
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), appTimeout)
	defer cancel()
	if err := s.mailer.Send(ctx, s.mail.Customer.Address, []string{s.mail.Support}, bytes.NewReader(raw)); err != nil {
		s.log.Warn().Err(err).Msg("the demo's mail server refused the customer's mail")
		writeError(w, http.StatusBadGateway, "the mail server refused the mail: "+err.Error())
		return
	}
	if _, err := s.mail.Host.Append(s.mail.Customer.Address, mailhost.Sent, raw, []string{`\Seen`}, time.Time{}); err != nil {
		s.log.Warn().Err(err).Msg("keeping the customer's mail in Sent failed")
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "messageId": out.MessageID, "subject": out.Subject})
}

// inboxMail parses a mail of the customer's INBOX.
func (s *Server) inboxMail(uid uint32) (*email.Mail, bool) {
	ms, err := s.mail.Host.Messages(s.mail.Customer.Address, mailhost.Inbox)
	if err != nil {
		return nil, false
	}
	i := slices.IndexFunc(ms, func(m mailhost.Message) bool { return m.UID == uid })
	if i < 0 {
		return nil, false
	}
	p, err := email.Parse(bytes.NewReader(ms[i].Raw))
	return p, err == nil
}

// replySubject prefixes "Re: " once.
func replySubject(s string) string {
	if len(s) >= 3 && strings.EqualFold(s[:3], "re:") {
		return s
	}
	return "Re: " + s
}

// quote is the original below the attribution line a Spanish or English
// Gmail writes, every line prefixed with "> ".
func quote(orig *email.Mail, lang string) string {
	from := orig.From.Address
	if orig.From.Name != "" {
		from = orig.From.Name + " <" + orig.From.Address + ">"
	}
	d := orig.Date
	if d.IsZero() {
		d = time.Now()
	}
	var b strings.Builder
	if strings.HasPrefix(lang, "en") {
		fmt.Fprintf(&b, "On %s, %s wrote:\n", d.Format("Mon, Jan 2, 2006 at 3:04 PM"), from)
	} else {
		fmt.Fprintf(&b, "El %d/%d/%d a las %s, %s escribió:\n", d.Day(), int(d.Month()), d.Year(), d.Format("15:04"), from)
	}
	for _, line := range strings.Split(strings.TrimRight(orig.Text, "\n"), "\n") {
		b.WriteString(strings.TrimRight("> "+line, " ") + "\n")
	}
	return b.String()
}

func domainOf(addr string) string {
	if _, d, ok := strings.Cut(addr, "@"); ok {
		return d
	}
	return "localhost"
}

// mailRead is the body of POST /demo/api/email/read.
type mailRead struct {
	UID  uint32 `json:"uid"`
	Seen *bool  `json:"seen"`
}

// handleEmailRead marks a mail of the INBOX read (or unread: seen false).
func (s *Server) handleEmailRead(w http.ResponseWriter, r *http.Request) {
	if s.mail == nil {
		writeError(w, http.StatusNotFound, "the demo runs without e-mail")
		return
	}
	var in mailRead
	if !readJSON(w, r, &in) {
		return
	}
	seen := in.Seen == nil || *in.Seen
	if err := s.mail.Host.SetSeen(s.mail.Customer.Address, mailhost.Inbox, in.UID, seen); err != nil {
		writeError(w, http.StatusNotFound, "no such mail in the inbox")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
