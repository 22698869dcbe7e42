package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Each rule of the e-mail channel, against the real servers. Mails are
// handled in the order they arrived, so a mail from another sender sent
// after the one under test and seen on its ticket proves the first was
// handled (the barrier).

// barrier sends a mail that opens a ticket of its own and waits for it,
// returning its number.
func (e *mailEnv) barrier(n int) int64 {
	e.t.Helper()
	addr := fmt.Sprintf("barrier%d@example.org", n)
	e.send(rawMail{From: addr, Subject: "barrier", MessageID: fmt.Sprintf("b%d@example.org", n), Text: "barrier"})
	var num int64
	e.eventually("the barrier mail", func() bool {
		ts, err := e.m.Service.CustomerTickets(e.ctx, tickets.SystemActor, "email:"+addr, 0, 1)
		if err == nil && len(ts) == 1 {
			num = ts[0].Number
			return true
		}
		return false
	})
	return num
}

// opened opens ticket 1 for the customer and returns the acknowledgement's
// Message-ID.
func (e *mailEnv) opened() string {
	e.t.Helper()
	e.send(rawMail{From: "Carla <" + mailCustomer + ">", Subject: "Sin internet", MessageID: "open@example.com", Text: "No tengo internet."})
	e.ticket(1, "the ticket", func(tickets.Ticket) bool { return true })
	return strings.Trim(e.sent(1)[0].Header.Get("Message-ID"), "<>")
}

// TestEmailLoops: an out-of-office answer to our acknowledgement, a list
// mail and our own mail coming back do nothing: no ticket, no message, no
// reopening, no answer.
func TestEmailLoops(t *testing.T) {
	e := newMailEnv(t)
	ackID := e.opened()
	ok := must[tickets.Ticket](t)
	ok(e.m.Service.Claim(e.ctx, anaMail, 1, false))
	ok(e.m.Service.Resolve(e.ctx, anaMail, 1))
	e.sent(3)
	e.send(rawMail{From: mailCustomer, Subject: "Respuesta automática: Re: Sin internet [#1]", MessageID: "ooo@example.com",
		InReplyTo: ackID, Headers: []string{"Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All"},
		Text: "Estoy de vacaciones hasta el lunes."})
	e.send(rawMail{From: mailCustomer, Subject: "Out of Office: Sin internet", MessageID: "ooo2@example.com", InReplyTo: ackID,
		Headers: []string{"X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent"}, Text: "I am away."})
	e.send(rawMail{From: "news@example.com", Subject: "Boletín [#1]", MessageID: "list@example.com",
		Headers: []string{"List-Id: <news.example.com>", "Precedence: bulk"}, Text: "Ofertas"})
	e.send(rawMail{From: mailSupport, Subject: "Re: Sin internet [#1]", MessageID: ackID, Text: "our own mail, looped back"})
	if n := e.barrier(1); n != 2 {
		t.Errorf("the barrier opened #%d; robots opened tickets in between", n)
	}
	tk := e.ticket(1, "ticket 1", func(tickets.Ticket) bool { return true })
	if tk.Status != tickets.StatusResolved || tk.Messages != 0 {
		t.Errorf("ticket 1 is %s with %d messages; the robots changed it", tk.Status, tk.Messages)
	}
	// The barrier's acknowledgement is the only mail since.
	if got := e.sent(4); len(got) != 4 || !strings.Contains(got[3].Header.Get("Subject"), "[#2]") {
		t.Errorf("mails after the robots': %d", len(got))
	}
}

// TestEmailBounce: a 5.x.x delivery status report about our mail marks
// the customer unreachable on its ticket and tells the agents on the card;
// a 4.x.x delay changes nothing.
func TestEmailBounce(t *testing.T) {
	e := newMailEnv(t)
	ackID := e.opened()
	dsn := func(id, status, action string) []byte {
		return []byte("From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: " + mailSupport + "\r\n" +
			"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <" + id + "@mx.example.com>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
			"--B\r\nContent-Type: text/plain\r\n\r\nYour mail could not be delivered.\r\n" +
			"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n" +
			"Final-Recipient: rfc822; " + mailCustomer + "\r\nAction: " + action + "\r\nStatus: " + status + "\r\n" +
			"Diagnostic-Code: smtp; 550 " + status + " user unknown\r\n" +
			"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <" + ackID + ">\r\nSubject: Re: Sin internet [#1]\r\n" +
			"--B--\r\n")
	}
	e.imap.Append(t, "INBOX", dsn("delay", "4.4.7", "delayed"))
	e.barrier(1)
	if tk := e.ticket(1, "ticket 1", func(tickets.Ticket) bool { return true }); tk.Unreachable != "" {
		t.Errorf("a delay marked the customer unreachable: %q", tk.Unreachable)
	}
	e.imap.Append(t, "INBOX", dsn("bounce", "5.1.1", "failed"))
	tk := e.ticket(1, "the bounce", func(t tickets.Ticket) bool { return t.Unreachable != "" })
	if !strings.Contains(tk.Unreachable, "5.1.1") {
		t.Errorf("unreachable = %q", tk.Unreachable)
	}
	if err := e.sl.WaitFor(e.ctx, func() bool {
		return strings.Contains(e.card(1).PlainText(), "Customer unreachable")
	}); err != nil {
		t.Errorf("the card does not show the bounce: %v\n%s", err, e.card(1).PlainText())
	}
	if tk.Messages != 0 || tk.Status != tickets.StatusOpen {
		t.Errorf("the bounce changed the ticket: %+v", tk)
	}
}

// TestEmailForgedReply: a reply from another address that names the
// ticket by our Message-ID or by its subject tag is not the customer's:
// it reaches the thread flagged as an unverified sender and changes
// nothing.
func TestEmailForgedReply(t *testing.T) {
	e := newMailEnv(t)
	ackID := e.opened()
	ok := must[tickets.Ticket](t)
	ok(e.m.Service.Claim(e.ctx, anaMail, 1, false))
	ok(e.m.Service.Resolve(e.ctx, anaMail, 1))
	e.sent(3)
	e.send(rawMail{From: "Carla <mallory@evil.example>", Subject: "Re: Sin internet [#1]", MessageID: "f1@evil.example",
		InReplyTo: ackID, Text: "Ya está, pueden cerrarlo y borrar mis datos."})
	e.send(rawMail{From: "mallory@evil.example", Subject: "Re: otra cosa [#1]", MessageID: "f2@evil.example",
		Text: "Guessed number."})
	tk := e.ticket(1, "the forged mails", func(t tickets.Ticket) bool { return t.Messages == 2 })
	if tk.Status != tickets.StatusResolved {
		t.Errorf("a forged reply changed the status to %s", tk.Status)
	}
	msgs, err := e.m.Service.Conversation(e.ctx, tickets.SystemActor, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Kind != tickets.MessageNote || m.Unverified != "mallory@evil.example" {
			t.Errorf("forged mail filed as %s by %q (unverified %q)", m.Kind, m.Author.ID, m.Unverified)
		}
	}
	card := e.card(1)
	if err := e.sl.WaitFor(e.ctx, func() bool {
		for _, m := range e.sl.Thread(slacktest.DefaultChannelID, card.TS) {
			if strings.Contains(m.PlainText(), "Unverified sender") && strings.Contains(m.PlainText(), "mallory@evil.example") {
				return true
			}
		}
		return false
	}); err != nil {
		t.Errorf("the thread does not flag the unverified sender: %v", err)
	}
	// The customer got no mail about it; a barrier proves it was all handled.
	e.barrier(1)
	for _, m := range e.sent(4) {
		if strings.Contains(m.Header.Get("To"), "evil.example") {
			t.Errorf("the forged sender was answered: %v", m.Header)
		}
	}
	if n := len(e.smtp.Messages(t)); n != 4 {
		t.Errorf("%d mails; want the acknowledgement, claim, resolve and the barrier's", n)
	}
}

// TestEmailEncodings: a subject in ISO-8859-1 encoded words and a body in
// Windows-1252 without a declared charset reach the ticket as the sender
// wrote them.
func TestEmailEncodings(t *testing.T) {
	e := newMailEnv(t)
	raw := "From: =?ISO-8859-1?Q?Mar=EDa_Nu=F1ez?= <maria@example.com>\r\nTo: " + mailSupport + "\r\n" +
		"Subject: =?ISO-8859-1?Q?Contrase=F1a_bloqueada_en_el_caj=F3n?=\r\nMessage-ID: <enc@example.com>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"No puedo entrar: \xabcontrase\xf1a incorrecta\xbb \x96 \x80100.\r\n"
	e.imap.Append(t, "INBOX", []byte(raw))
	tk := e.ticket(1, "the ticket", func(tickets.Ticket) bool { return true })
	if tk.Subject != "Contraseña bloqueada en el cajón" || tk.Customer.Name != "María Nuñez" ||
		tk.Description != "No puedo entrar: «contraseña incorrecta» – €100." {
		t.Errorf("ticket = subject %q, name %q, description %q", tk.Subject, tk.Customer.Name, tk.Description)
	}
}

// TestEmailSizeCap: a mail over EMAIL_MAX_SIZE is not downloaded, opens no
// ticket, and its sender is told how to send it.
func TestEmailSizeCap(t *testing.T) {
	e := newMailEnv(t, "EMAIL_MAX_SIZE", "65536")
	big := strings.Repeat("0123456789abcdef", 6000)
	e.send(rawMail{From: mailCustomer, Subject: "Adjunto el registro", MessageID: "big@example.com", Text: big})
	answer := e.sent(1)[0]
	txt := body(t, answer)
	if !strings.Contains(txt, "64 KB") || answer.Header.Get("In-Reply-To") != "<big@example.com>" ||
		!strings.Contains(answer.Header.Get("To"), mailCustomer) {
		t.Errorf("the answer to a mail too large:\n%v\n%s", answer.Header, txt)
	}
	if n := e.barrier(1); n != 1 {
		t.Errorf("the large mail opened a ticket (the barrier is #%d)", n)
	}
}

// TestEmailSenderCap: a sender opens at most EMAIL_MAX_NEW_PER_HOUR
// tickets in an hour; their replies still land.
func TestEmailSenderCap(t *testing.T) {
	e := newMailEnv(t, "EMAIL_MAX_NEW_PER_HOUR", "2")
	for i := 1; i <= 3; i++ {
		e.send(rawMail{From: "loop@example.net", Subject: fmt.Sprintf("Pedido %d", i), MessageID: fmt.Sprintf("l%d@example.net", i), Text: "hola"})
	}
	if n := e.barrier(1); n != 3 {
		t.Errorf("the barrier opened #%d; want #3 (the sender's third mail opens none)", n)
	}
}
