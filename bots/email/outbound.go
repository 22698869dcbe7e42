package email

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// The kinds of outbound mails (delivery.Message.Kind).
const (
	kindAck    = "ack"    // the acknowledgement of a new ticket
	kindStatus = "status" // a status change
	kindReply  = "reply"  // an agent's reply
	kindAnswer = "answer" // an answer to a mail that concerns no ticket (too large, lost)
)

// outPayload is the data of an outbound mail: for ticket mails what the
// event said (the rest is read from the ticket when it is sent, so a
// retried send writes the same mail); for answers the whole mail.
type outPayload struct {
	Event   tickets.EventKind `json:"e,omitempty"`
	Agent   string            `json:"a,omitempty"`
	Message int64             `json:"m,omitempty"`

	To         Address  `json:"to,omitempty"`
	Subject    string   `json:"s,omitempty"`
	InReplyTo  string   `json:"irt,omitempty"`
	References []string `json:"refs,omitempty"`
	Language   string   `json:"l,omitempty"`
	Text       string   `json:"t,omitempty"`
}

// Plan returns the mails event e means for an e-mail ticket's customer:
// the acknowledgement of a new ticket, one mail per status change, and the
// agents' replies; never notes, never an estimate of when. A customer's
// mails are one lane, sent in order; every mail spends the submission
// server's bucket.
func (b *Bot) Plan(ctx context.Context, e tickets.Event) ([]delivery.Message, error) {
	kind := kindStatus
	switch e.Kind {
	case tickets.EventOpened:
		kind = kindAck
	case tickets.EventReply:
		kind = kindReply
	case tickets.EventClaimed, tickets.EventReleased, tickets.EventWaiting, tickets.EventResumed,
		tickets.EventResolved, tickets.EventClosed, tickets.EventReopened:
	case tickets.EventMessage:
		// The customer's own mail changes the status only when it reopens
		// a resolved ticket: they are told it is open again.
		if e.From != tickets.StatusResolved || e.To != tickets.StatusOpen {
			return nil, nil
		}
	default:
		return nil, nil
	}
	if e.Actor == tickets.ErasureActor {
		return nil, nil // the customer asked for the deletion of their data
	}
	t, err := b.svc.Get(ctx, tickets.SystemActor, e.Number)
	if tickets.ErrorCode(err) == tickets.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if t.Customer.Platform != Platform || t.Customer.UserID == "" {
		return nil, nil
	}
	p := outPayload{Event: e.Kind, Agent: e.Actor.Name, Message: e.MessageID}
	if e.Kind == tickets.EventMessage {
		p.Event = tickets.EventReopened
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return []delivery.Message{{Lane: t.Customer.UserID, Bucket: bucketSMTP, Key: kind, Number: t.Number, Kind: kind, Payload: raw}}, nil
}

// Send writes mail m and submits it. Its Message-ID is derived from m's ID,
// so a retried send carries the same one.
func (b *Bot) Send(ctx context.Context, m delivery.Message) error {
	var p outPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return delivery.Permanent("bad_payload", err)
	}
	var o *Outgoing
	var err error
	switch m.Kind {
	case kindAnswer:
		subject := strings.TrimSpace(replyPrefixRE.ReplaceAllString(oneLine(p.Subject), ""))
		o = &Outgoing{To: []Address{p.To}, Subject: strings.TrimSpace("Re: " + subject), InReplyTo: p.InReplyTo, References: p.References,
			AutoSubmitted: AutoReplied, Language: p.Language, Text: p.Text + "\n\n-- \n" + b.signature(textsFor(p.Language)) + "\n"}
	case kindAck, kindStatus, kindReply:
		o, err = b.ticketMail(ctx, m, p)
	default:
		return delivery.Permanent("unknown_kind", fmt.Errorf("unknown mail kind %q", m.Kind))
	}
	if err != nil || o == nil {
		return err
	}
	o.From = b.cfg.From
	o.MessageID = b.ids.MessageID(m.Number, m.ID)
	return b.sender.SendMail(ctx, o)
}

// ticketMail writes the mail m means for its ticket's customer, threaded
// to their mails.
func (b *Bot) ticketMail(ctx context.Context, m delivery.Message, p outPayload) (*Outgoing, error) {
	t, err := b.svc.Get(ctx, tickets.SystemActor, m.Number)
	if err != nil {
		if tickets.ErrorCode(err) == tickets.ENOTFOUND {
			return nil, delivery.Permanent("ticket_not_found", err)
		}
		return nil, err
	}
	lang, err := b.ticketLanguage(ctx, t)
	if err != nil {
		return nil, err
	}
	tx := textsFor(lang)
	o := &Outgoing{
		To:       []Address{{Name: t.Customer.Name, Address: t.Customer.UserID}},
		Subject:  ReplySubject(t.Subject, t.Number),
		Language: lang,
	}
	if o.To[0].Name == o.To[0].Address {
		o.To[0].Name = ""
	}
	o.InReplyTo, o.References, err = b.thread(ctx, t)
	if err != nil {
		return nil, err
	}
	var body []string
	body = append(body, tx.greeting(o.To[0].Name))
	n := t.Number
	switch m.Kind {
	case kindAck:
		o.AutoSubmitted = AutoReplied
		faster := tx.Faster
		if b.cfg.ChatURL != "" {
			faster = fmt.Sprintf(tx.FasterURLF, b.cfg.ChatURL)
		}
		body = append(body, fmt.Sprintf(tx.AckF, n), tx.NoETA, fmt.Sprintf(tx.FollowF, n), faster)
		if version := t.TermsVersion; version != "" || b.cfg.TermsURL != "" {
			if version == "" {
				version = b.svc.Consent().Terms
			}
			body = append(body, fmt.Sprintf(tx.TermsF, version, b.cfg.TermsURL))
		}
		if version, url := b.privacy(); version != "" || url != "" {
			body = append(body, fmt.Sprintf(tx.PrivacyF, version, url))
		}
	case kindStatus:
		o.AutoSubmitted = AutoGenerated
		line, ok := b.statusLine(tx, p, t)
		if !ok {
			return nil, nil
		}
		body = append(body, line, fmt.Sprintf(tx.FollowAgainF, n))
	case kindReply:
		msg, err := b.svc.Message(ctx, tickets.SystemActor, n, p.Message)
		if err != nil {
			if tickets.ErrorCode(err) == tickets.ENOTFOUND {
				return nil, delivery.Permanent("message_not_found", err)
			}
			return nil, err
		}
		if msg.Kind != tickets.MessageReply {
			return nil, nil // never anything but a reply
		}
		body = append(body, fmt.Sprintf(tx.ReplyF, n, b.agentName(msg.Author.Name)), msg.Text)
		files, missing, err := b.attach(ctx, msg.Attachments)
		if err != nil {
			return nil, err
		}
		o.Attachments = files
		for _, name := range missing {
			body = append(body, fmt.Sprintf(tx.NotAttached, name))
		}
		body = append(body, fmt.Sprintf(tx.FollowAgainF, n))
	}
	o.Text = strings.Join(body, "\n\n") + "\n\n-- \n" + b.signature(tx) + "\n"
	return o, nil
}

// statusLine says what a status event did, as of ticket t.
func (b *Bot) statusLine(tx *texts, p outPayload, t tickets.Ticket) (string, bool) {
	n := t.Number
	switch p.Event {
	case tickets.EventClaimed:
		name := p.Agent
		if name == "" {
			name = t.Assignee.Name
		}
		return fmt.Sprintf(tx.ClaimedF, n, b.agentName(name)), true
	case tickets.EventReleased:
		return fmt.Sprintf(tx.ReleasedF, n), true
	case tickets.EventWaiting:
		return fmt.Sprintf(tx.WaitingF, n), true
	case tickets.EventResumed:
		return fmt.Sprintf(tx.ResumedF, n), true
	case tickets.EventResolved:
		return fmt.Sprintf(tx.ResolvedF, n), true
	case tickets.EventClosed:
		return fmt.Sprintf(tx.ClosedF, n), true
	case tickets.EventReopened:
		return fmt.Sprintf(tx.ReopenedF, n), true
	}
	return "", false
}

func (b *Bot) signature(tx *texts) string {
	if b.cfg.From.Name != "" {
		return b.cfg.From.Name
	}
	return tx.Signature
}

// agentName is how customers see an agent: the team's name with
// anonymous agents.
func (b *Bot) agentName(name string) string {
	switch {
	case b.cfg.AgentName != "":
		return b.cfg.AgentName
	case name != "":
		return name
	}
	return b.signature(textsFor(b.cfg.DefaultLanguage))
}

// ticketLanguage is the language of t's customer: what they last said
// (their profile), else what their first mail said.
func (b *Bot) ticketLanguage(ctx context.Context, t tickets.Ticket) (string, error) {
	p, err := b.svc.Profile(ctx, t.Customer)
	if err != nil {
		return "", err
	}
	for _, l := range []string{p.Language, t.Customer.Language, b.cfg.DefaultLanguage} {
		if l == "es" || l == "en" {
			return l, nil
		}
	}
	return "es", nil
}

// maxReferences is how many Message-IDs References carries: the first
// and the last ones (RFC 5322 suggests trimming long lists so).
const maxReferences = 10

// thread returns the threading of a mail on ticket t: in reply to the
// customer's latest mail, referring to the mail that opened the ticket
// and their later ones.
func (b *Bot) thread(ctx context.Context, t tickets.Ticket) (string, []string, error) {
	var refs []string
	if t.Ref != "" {
		refs = append(refs, t.Ref)
	}
	msgs, err := b.svc.Conversation(ctx, tickets.SystemActor, t.Number, tickets.MaxPageSize)
	if err != nil {
		return "", nil, err
	}
	for _, m := range msgs {
		if m.Kind == tickets.MessageCustomer && m.Ref != "" && !contains(refs, m.Ref) {
			refs = append(refs, m.Ref)
		}
	}
	if len(refs) == 0 {
		return "", nil, nil
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1], refs[len(refs)-maxReferences+1:]...)
	}
	return refs[len(refs)-1], refs, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// attach opens the files of a reply; a file that can never be read is
// named in missing instead, a transient failure is returned for delivery
// to retry.
func (b *Bot) attach(ctx context.Context, atts []tickets.Attachment) ([]File, []string, error) {
	var files []File
	var missing []string
	for _, a := range atts {
		rc, info, err := b.files.OpenFile(ctx, a)
		if err != nil {
			if _, ok := delivery.IsPermanent(err); ok {
				missing = append(missing, a.DisplayName())
				continue
			}
			return nil, nil, err
		}
		data, err := io.ReadAll(io.LimitReader(rc, DefaultMaxSize+1))
		rc.Close()
		if err != nil {
			return nil, nil, err
		}
		if len(data) > DefaultMaxSize {
			missing = append(missing, info.DisplayName())
			continue
		}
		files = append(files, File{Name: info.DisplayName(), Content: bytes.NewReader(data)})
	}
	return files, missing, nil
}

// Sent records that an agent's reply went out: the submission server
// took it.
func (b *Bot) Sent(ctx context.Context, m delivery.Message) error {
	if m.Kind != kindReply || m.Number <= 0 {
		return nil
	}
	var p outPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Message <= 0 {
		return nil
	}
	_, err := b.svc.MarkDelivered(ctx, m.Number, p.Message)
	if tickets.ErrorCode(err) == tickets.ENOTFOUND {
		return nil
	}
	return err
}

// Failed flags the ticket's customer as unreachable when the submission
// server refused their address for good (a 5xx answer to the recipient).
func (b *Bot) Failed(ctx context.Context, m delivery.Message, reason string) error {
	if m.Number <= 0 || !strings.HasPrefix(reason, "smtp_5") {
		return nil
	}
	_, err := b.svc.FlagUnreachable(ctx, m.Number, reason)
	if tickets.ErrorCode(err) == tickets.ENOTFOUND {
		return nil
	}
	if err != nil {
		return errors.Join(errors.New("flag unreachable"), err)
	}
	return nil
}
