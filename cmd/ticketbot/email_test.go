package main

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/internal/mailtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// The e-mail channel end to end: the product as wire.go builds it, on a
// real Redis, reading a real IMAP server (dovecot) and sending through a
// real SMTP server (mailpit), with agents in the fake Slack.

const (
	mailAgent    = "UMAILAGENT"
	mailGroup    = "SMAILAGENTS"
	mailSecret   = "mail-test-secret"
	mailSupport  = "soporte@colombiainformatica.com"
	mailCustomer = "carla@example.com"
)

type mailEnv struct {
	t    testing.TB
	ctx  context.Context
	m    *Main
	imap *mailtest.IMAP
	smtp *mailtest.SMTP
	sl   *slacktest.Server
	logs *lockedBuffer
}

func newMailEnv(t testing.TB, extra ...string) *mailEnv {
	t.Helper()
	url := redistest.URL(t)
	_, prefix := redistest.Client(t)
	imapSrv := mailtest.StartIMAP(t)
	smtpSrv := mailtest.StartSMTP(t, mailtest.SMTPPlain)
	sl := slacktest.Start(t)
	sl.AddUser(mailAgent, "Ana Pérez", "Ana")
	sl.AddUserGroup(mailGroup, mailAgent)
	env := map[string]string{
		"HTTP_ADDR": "127.0.0.1:0", "LOG_LEVEL": "debug",
		"REDIS_URL": url, "REDIS_PREFIX": prefix,
		"SLACK_BOT_TOKEN": sl.Token(), "SLACK_SIGNING_SECRET": mailSecret, "SLACK_API_URL": sl.APIURL(),
		"SLACK_QUEUE_CHANNEL": slacktest.DefaultChannelID, "SLACK_AGENTS": mailGroup,
		"EMAIL_IMAP_ADDR": imapSrv.Addr, "EMAIL_IMAP_SECURITY": "none",
		"EMAIL_IMAP_USERNAME": imapSrv.User, "EMAIL_IMAP_PASSWORD": imapSrv.Password,
		"EMAIL_SMTP_ADDR": smtpSrv.Addr, "EMAIL_SMTP_SECURITY": "none",
		"EMAIL_SMTP_USERNAME": smtpSrv.User, "EMAIL_SMTP_PASSWORD": smtpSrv.Password,
		"EMAIL_FROM": mailSupport, "EMAIL_ID_SECRET": "a test secret for message ids",
		"EMAIL_SEND_INTERVAL": "10ms", "EMAIL_CHAT_URL": "https://t.me/soporte_bot",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	m := NewMain()
	logs := &lockedBuffer{}
	m.LogOutput = logs
	cfg, err := m.ParseConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	m.Config = cfg
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	})
	base := "http://" + m.HTTPAddr()
	sl.SetApp(base+"/slack/events", base+"/slack/interactions", base+"/slack/commands", mailSecret)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	e := &mailEnv{t: t, ctx: ctx, m: m, imap: imapSrv, smtp: smtpSrv, sl: sl, logs: logs}
	e.waitIntake("INBOX")
	return e
}

// waitIntake waits until the intake of mailbox has read its folder once
// (its cursor is stored): mail appended after that is new to it.
func (e *mailEnv) waitIntake(mailbox string) {
	e.t.Helper()
	cursors := store.NewEmail(e.m.Store)
	e.eventually("the intake of "+mailbox, func() bool {
		c, err := cursors.Cursor(e.ctx, mailbox)
		return err == nil && c.UIDValidity != 0
	})
}

// eventually waits for cond, woken by Slack's and the mail server's
// activity and at the latest every 50 ms (the store has no event to wait
// on).
func (e *mailEnv) eventually(what string, cond func() bool) {
	e.t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-e.ctx.Done():
			e.t.Fatalf("waiting for %s: %v\nlogs:\n%s", what, e.ctx.Err(), e.logs)
		case <-tick.C:
		}
	}
}

// rawMail is a mail as a client writes it.
type rawMail struct {
	From, Subject, MessageID, InReplyTo, References, Language string
	Headers                                                   []string
	Text, HTML                                                string
}

func (r rawMail) bytes() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: Soporte <%s>\r\nSubject: %s\r\nDate: %s\r\n", r.From, mailSupport, r.Subject, time.Now().Format(time.RFC1123Z))
	if r.MessageID != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", r.MessageID)
	}
	if r.InReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\n", r.InReplyTo)
	}
	if r.References != "" {
		fmt.Fprintf(&b, "References: %s\r\n", r.References)
	}
	if r.Language != "" {
		fmt.Fprintf(&b, "Content-Language: %s\r\n", r.Language)
	}
	for _, h := range r.Headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	if r.HTML != "" {
		fmt.Fprintf(&b, "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n", r.HTML)
		return b.Bytes()
	}
	fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
		strings.ReplaceAll(r.Text, "\n", "\r\n"))
	return b.Bytes()
}

// send delivers r to the support mailbox.
func (e *mailEnv) send(r rawMail) {
	e.t.Helper()
	e.imap.Append(e.t, "INBOX", r.bytes())
}

// sent waits until the SMTP server holds n mails and returns them, parsed.
func (e *mailEnv) sent(n int) []*mail.Message {
	e.t.Helper()
	got := e.smtp.WaitMessages(e.t, n, 60*time.Second)
	var out []*mail.Message
	for _, r := range got {
		m, err := mail.ReadMessage(bytes.NewReader(r.Raw))
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func body(t testing.TB, m *mail.Message) string {
	t.Helper()
	raw := new(bytes.Buffer)
	for k, vs := range m.Header {
		for _, v := range vs {
			fmt.Fprintf(raw, "%s: %s\r\n", k, v)
		}
	}
	raw.WriteString("\r\n")
	_, _ = raw.ReadFrom(m.Body)
	pm, err := email.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return pm.Text
}

// ticket waits until ticket n exists and cond holds for it.
func (e *mailEnv) ticket(n int64, what string, cond func(tickets.Ticket) bool) tickets.Ticket {
	e.t.Helper()
	var t tickets.Ticket
	e.eventually(what, func() bool {
		var err error
		t, err = e.m.Service.Get(e.ctx, tickets.SystemActor, n)
		return err == nil && cond(t)
	})
	return t
}

func (e *mailEnv) lastMessage(n int64) tickets.Message {
	e.t.Helper()
	msgs, err := e.m.Service.Conversation(e.ctx, tickets.SystemActor, n, 1)
	if err != nil || len(msgs) == 0 {
		e.t.Fatalf("conversation of #%d: %v, %v", n, msgs, err)
	}
	return msgs[0]
}

func (e *mailEnv) card(n int64) slacktest.Message {
	e.t.Helper()
	var card slacktest.Message
	if err := e.sl.WaitFor(e.ctx, func() bool {
		for _, m := range e.sl.Messages(slacktest.DefaultChannelID) {
			if m.IsBot() && strings.Contains(m.Text, fmt.Sprintf("Ticket #%d", n)) {
				card = m
				return true
			}
		}
		return false
	}); err != nil {
		e.t.Fatalf("card of #%d: %v", n, err)
	}
	return card
}

var anaMail = tickets.AgentActor(tickets.Agent{ID: mailAgent, Name: "Ana"})

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestEmailEndToEnd plays the story: a mail opens a ticket (card
// in Slack, one acknowledgement), the agent's thread reply goes out
// threaded, the customer's replies from Gmail-, Outlook- and Apple-style
// clients reach the ticket stripped of their quotes, resolving sends one
// mail, a reply after resolving reopens, a mail after closing opens a new
// ticket.
func TestEmailEndToEnd(t *testing.T) {
	e := newMailEnv(t)
	svc := e.m.Service
	ok := must[tickets.Ticket](t)

	e.send(rawMail{From: "Carla Gómez <" + mailCustomer + ">", Subject: "La impresora no imprime", MessageID: "c1@example.com",
		Text: "Hola, la impresora de la oficina no imprime desde ayer.\n\nGracias,\nCarla"})
	tk := e.ticket(1, "the ticket", func(tickets.Ticket) bool { return true })
	if tk.Intake != tickets.IntakeEmail || tk.Customer.Key() != "email:"+mailCustomer || tk.TermsVersion != DefaultTermsVersion ||
		tk.Subject != "La impresora no imprime" || !strings.Contains(tk.Description, "no imprime desde ayer") {
		t.Errorf("ticket = %+v", tk)
	}
	card := e.card(1)
	if txt := card.PlainText(); !strings.Contains(txt, "e-mail: "+mailCustomer) {
		t.Errorf("the card does not name e-mail and the address:\n%s", txt)
	}
	ack := e.sent(1)[0]
	ackText := body(t, ack)
	for _, want := range []string{"#1", "sin ETA", "responda a este correo", "https://t.me/soporte_bot", "versión " + DefaultTermsVersion, DefaultTermsURL,
		"autoriza el tratamiento de sus datos personales", "aviso de privacidad"} {
		if !strings.Contains(ackText, want) {
			t.Errorf("acknowledgement lacks %q:\n%s", want, ackText)
		}
	}
	if ack.Header.Get("In-Reply-To") != "<c1@example.com>" || ack.Header.Get("Auto-Submitted") != email.AutoReplied ||
		!strings.Contains(ack.Header.Get("Subject"), "[#1]") || !strings.Contains(ack.Header.Get("To"), mailCustomer) {
		t.Errorf("acknowledgement header = %v", ack.Header)
	}

	// The agent claims (one mail) and answers in the card's thread.
	ok(svc.Claim(e.ctx, anaMail, 1, false))
	e.sent(2)
	if _, err := e.sl.PostUserMessage(e.ctx, mailAgent, slacktest.DefaultChannelID, "Reinicie la impresora, por favor.", card.TS); err != nil {
		t.Fatal(err)
	}
	mails := e.sent(3)
	reply := mails[2]
	if !strings.Contains(body(t, reply), "Reinicie la impresora, por favor.") || reply.Header.Get("Auto-Submitted") != "" {
		t.Errorf("reply = %v\n%s", reply.Header, body(t, reply))
	}
	if reply.Header.Get("In-Reply-To") != "<c1@example.com>" || !strings.Contains(reply.Header.Get("References"), "<c1@example.com>") {
		t.Errorf("reply threading: In-Reply-To %q, References %q", reply.Header.Get("In-Reply-To"), reply.Header.Get("References"))
	}
	replyID := strings.Trim(reply.Header.Get("Message-ID"), "<>")

	// Gmail (Spanish, plain text, threaded by In-Reply-To).
	e.send(rawMail{From: mailCustomer, Subject: "Re: La impresora no imprime [#1]", MessageID: "c2@example.com",
		InReplyTo: replyID, References: "<c1@example.com> <" + replyID + ">",
		Text: "Ya la reinicié y sigue igual.\n\nEl mar, 4 mar 2025 a las 10:00, Soporte <" + mailSupport + "> escribió:\n> Reinicie la impresora, por favor.\n> --\n> Soporte\n"})
	e.ticket(1, "the Gmail reply", func(t tickets.Ticket) bool { return t.Messages >= 2 })
	if m := e.lastMessage(1); m.Text != "Ya la reinicié y sigue igual." || m.Kind != tickets.MessageCustomer {
		t.Errorf("Gmail reply on the ticket = %q (%s)", m.Text, m.Kind)
	} else if len(m.Attachments) != 1 || m.Attachments[0].Name != email.OriginalName {
		t.Errorf("the original is not kept for agents: %+v", m.Attachments)
	}

	// Outlook (English, HTML, only the subject tag).
	e.send(rawMail{From: mailCustomer, Subject: "RE: La impresora no imprime [#1]", MessageID: "c3@example.com", Language: "en-US",
		HTML: `<html><body><div>It prints now, thanks.</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Soporte<br><b>Sent:</b> Tuesday<br><b>To:</b> Carla<br><b>Subject:</b> RE: La impresora</div><div>Reinicie la impresora</div></body></html>`})
	e.ticket(1, "the Outlook reply", func(t tickets.Ticket) bool { return t.Messages >= 3 })
	if m := e.lastMessage(1); m.Text != "It prints now, thanks." {
		t.Errorf("Outlook reply on the ticket = %q", m.Text)
	}

	// Apple Mail (English quote).
	e.send(rawMail{From: mailCustomer, Subject: "Re: La impresora no imprime [#1]", MessageID: "c4@example.com", InReplyTo: replyID,
		Text: "One more thing: it is the HP on floor 2.\n\nOn 4 Mar 2025, at 10:00, Soporte <" + mailSupport + "> wrote:\n\n> Reinicie la impresora, por favor.\n"})
	e.ticket(1, "the Apple reply", func(t tickets.Ticket) bool { return t.Messages >= 4 })
	if m := e.lastMessage(1); m.Text != "One more thing: it is the HP on floor 2." {
		t.Errorf("Apple reply on the ticket = %q", m.Text)
	}
	if n := len(e.smtp.Messages(t)); n != 3 {
		t.Errorf("the customer's replies sent %d mails; want none (3 in all)", n-3)
	}

	// Resolving sends one mail, in English now (the customer wrote so).
	ok(svc.Resolve(e.ctx, anaMail, 1))
	resolved := e.sent(4)[3]
	if txt := body(t, resolved); !strings.Contains(txt, "resolved") || resolved.Header.Get("Auto-Submitted") != email.AutoGenerated {
		t.Errorf("resolved mail = %v\n%s", resolved.Header, txt)
	}

	// A reply after resolving reopens the ticket.
	e.send(rawMail{From: mailCustomer, Subject: "Re: La impresora no imprime [#1]", MessageID: "c5@example.com", InReplyTo: replyID,
		Text: "It failed again."})
	e.ticket(1, "the reopening", func(t tickets.Ticket) bool { return t.Status == tickets.StatusOpen })
	if txt := body(t, e.sent(5)[4]); !strings.Contains(txt, "reopened") {
		t.Errorf("reopened mail:\n%s", txt)
	}
	if n := len(e.smtp.Messages(t)); n != 5 {
		t.Errorf("%d mails; resolving sent more than one", n)
	}

	// After closing, a mail opens a new ticket.
	ok(svc.Claim(e.ctx, anaMail, 1, false))
	ok(svc.Resolve(e.ctx, anaMail, 1))
	ok(svc.Close(e.ctx, anaMail, 1))
	e.sent(8)
	e.send(rawMail{From: mailCustomer, Subject: "Re: La impresora no imprime [#1]", MessageID: "c6@example.com", InReplyTo: replyID,
		Text: "Now the scanner fails too."})
	tk2 := e.ticket(2, "the new ticket", func(tickets.Ticket) bool { return true })
	if tk2.Description != "Now the scanner fails too." || tk2.Intake != tickets.IntakeEmail {
		t.Errorf("new ticket = %+v", tk2)
	}
	if st := e.ticket(1, "ticket 1", func(tickets.Ticket) bool { return true }).Status; st != tickets.StatusClosed {
		t.Errorf("ticket 1 is %s; want closed", st)
	}
	ack2 := e.sent(9)[8]
	if !strings.Contains(ack2.Header.Get("Subject"), "[#2]") || !strings.Contains(body(t, ack2), "no ETA") {
		t.Errorf("the new ticket's acknowledgement: %v\n%s", ack2.Header, body(t, ack2))
	}
	// Nothing was marked read or moved.
	for _, s := range e.imap.Messages(t, "INBOX") {
		if s.Seen() {
			t.Errorf("mail UID %d was marked \\Seen", s.UID)
		}
	}
}

// TestEmailFiles: a customer's attached file reaches the ticket's thread
// in Slack (fetched again from the mailbox), and a file the agent shares in
// the thread goes out attached to the reply mail.
func TestEmailFiles(t *testing.T) {
	e := newMailEnv(t)
	raw := "From: Carla <" + mailCustomer + ">\r\nTo: " + mailSupport + "\r\nSubject: Factura\r\nMessage-ID: <f1@example.com>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
		"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAdjunto la factura.\r\n" +
		"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''factura%20n%C2%BA1.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCg==\r\n--B--\r\n"
	e.imap.Append(t, "INBOX", []byte(raw))
	card := e.card(1)
	var got []slacktest.File
	if err := e.sl.WaitFor(e.ctx, func() bool {
		got = got[:0]
		for _, m := range e.sl.Thread(slacktest.DefaultChannelID, card.TS) {
			if m.IsBot() {
				got = append(got, m.Files...)
			}
		}
		return len(got) > 0
	}); err != nil {
		t.Fatalf("the customer's file never reached the thread: %v", err)
	}
	if data, _ := e.sl.FileData(got[0].ID); got[0].Name != "factura nº1.pdf" || !bytes.HasPrefix(data, []byte("%PDF-1.4")) {
		t.Errorf("file in the thread = %q (%d bytes)", got[0].Name, len(data))
	}
	e.sent(1)
	must[tickets.Ticket](t)(e.m.Service.Claim(e.ctx, anaMail, 1, false))
	e.sent(2)
	if _, _, err := e.sl.PostUserFiles(e.ctx, mailAgent, slacktest.DefaultChannelID, "Aquí la factura corregida.", card.TS,
		slacktest.UserFile{Name: "corregida.pdf", Data: []byte("%PDF-1.4 corrected")}); err != nil {
		t.Fatal(err)
	}
	reply := e.smtp.WaitMessages(t, 3, 60*time.Second)[2]
	m, err := email.Parse(bytes.NewReader(reply.Raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Name != "corregida.pdf" || string(m.Attachments[0].Content) != "%PDF-1.4 corrected" {
		t.Errorf("reply attachments = %+v\n%s", m.Attachments, m.Text)
	}
}
