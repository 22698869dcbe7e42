package tickets_test

import (
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
)

func mailFrom(c tickets.Customer, n int64, text string) tickets.Mail {
	return tickets.Mail{Sender: c, Ticket: n, Authenticated: true, Subject: "Impresora", Text: text, Ref: "m1@example.com"}
}

func TestReceiveMailOpensAnEmailTicketWithTheTerms(t *testing.T) {
	e := newEnv(t, tickets.Config{TermsVersion: "2024-01"})
	m := e.mark()
	tk, o, err := e.svc.ReceiveMail(e.ctx, mailFrom(mailer, 0, "  La impresora no imprime.  "))
	if err != nil {
		t.Fatal(err)
	}
	if o != tickets.MailOpened {
		t.Errorf("outcome = %s; want opened", o)
	}
	e.expectEvent(t, m, tk.Number, tickets.EventOpened, 0, tickets.StatusOpen)
	got := e.get(t, tk.Number)
	if got.Intake != tickets.IntakeEmail || got.TermsVersion != "2024-01" || got.Description != "La impresora no imprime." ||
		got.Subject != "Impresora" || got.Ref != "m1@example.com" || got.Nature != tickets.MailNature || got.Urgency != tickets.MailUrgency {
		t.Errorf("ticket = %+v", got)
	}
	// No terms were accepted first: sending is accepting (policy §7).
	p, _ := e.svc.Profile(e.ctx, mailer)
	if p.TermsVersion != "" {
		t.Errorf("profile terms = %q; the core records them on the ticket only", p.TermsVersion)
	}
}

func TestReceiveMailWithoutTextTakesTheSubject(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	mail := mailFrom(mailer, 0, "")
	mail.Subject = "Sin acceso al correo"
	tk, _, err := e.svc.ReceiveMail(e.ctx, mail)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Description != "Sin acceso al correo" {
		t.Errorf("description = %q", tk.Description)
	}
}

func TestReceiveMailFollowsTheCustomersTicket(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, mailer, tickets.NatureQuestion, tickets.UrgencyNormal)
	if _, err := e.svc.Claim(e.ctx, anaA, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetWaiting(e.ctx, anaA, tk.Number); err != nil {
		t.Fatal(err)
	}
	m := e.mark()
	got, o, err := e.svc.ReceiveMail(e.ctx, mailFrom(mailer, tk.Number, "Ya probé reiniciar."))
	if err != nil {
		t.Fatal(err)
	}
	if o != tickets.MailAdded {
		t.Errorf("outcome = %s; want added", o)
	}
	ev := e.expectEvent(t, m, tk.Number, tickets.EventMessage, tickets.StatusWaiting, tickets.StatusClaimed)
	msg, err := e.svc.Message(e.ctx, anaA, tk.Number, ev.MessageID)
	if err != nil || msg.Kind != tickets.MessageCustomer || msg.Text != "Ya probé reiniciar." || msg.Ref != "m1@example.com" {
		t.Errorf("message = %+v, %v", msg, err)
	}
	if got.Assignee != ana {
		t.Errorf("assignee = %+v; the agent keeps it", got.Assignee)
	}
}

func TestReceiveMailReopensAResolvedTicketInOneChange(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, mailer, tickets.NatureQuestion, tickets.UrgencyNormal)
	for _, f := range []func() (tickets.Ticket, error){
		func() (tickets.Ticket, error) { return e.svc.Claim(e.ctx, anaA, tk.Number, false) },
		func() (tickets.Ticket, error) { return e.svc.Resolve(e.ctx, anaA, tk.Number) },
	} {
		if _, err := f(); err != nil {
			t.Fatal(err)
		}
	}
	m := e.mark()
	ctx := tickets.WithRequestID(e.ctx, "mail-1")
	mail := mailFrom(mailer, tk.Number, "Volvió a fallar.")
	got, o, err := e.svc.ReceiveMail(ctx, mail)
	if err != nil {
		t.Fatal(err)
	}
	if o != tickets.MailReopened || got.Status != tickets.StatusOpen || got.Claimed() {
		t.Errorf("outcome %s, ticket %s owned by %q; want reopened, open, unowned", o, got.Status, got.Assignee.ID)
	}
	e.expectEvent(t, m, tk.Number, tickets.EventMessage, tickets.StatusResolved, tickets.StatusOpen)
	if q := e.queueNumbers(t); len(q) != 1 || q[0] != tk.Number {
		t.Errorf("queue = %v; want the reopened ticket", q)
	}
	// The same mail again (a crash before it was marked done) changes
	// nothing.
	m = e.mark()
	if _, _, err := e.svc.ReceiveMail(ctx, mail); err != nil {
		t.Fatal(err)
	}
	e.expectNoEvent(t, m)
	if n := e.get(t, tk.Number).Messages; n != 1 {
		t.Errorf("messages = %d; want 1", n)
	}
}

func TestReceiveMailAfterCloseOpensANewTicket(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, mailer, tickets.NatureQuestion, tickets.UrgencyNormal)
	for _, f := range []func() (tickets.Ticket, error){
		func() (tickets.Ticket, error) { return e.svc.Claim(e.ctx, anaA, tk.Number, false) },
		func() (tickets.Ticket, error) { return e.svc.Resolve(e.ctx, anaA, tk.Number) },
		func() (tickets.Ticket, error) { return e.svc.Close(e.ctx, anaA, tk.Number) },
	} {
		if _, err := f(); err != nil {
			t.Fatal(err)
		}
	}
	m := e.mark()
	got, o, err := e.svc.ReceiveMail(e.ctx, mailFrom(mailer, tk.Number, "Otra cosa."))
	if err != nil {
		t.Fatal(err)
	}
	if o != tickets.MailOpened || got.Number == tk.Number {
		t.Errorf("outcome %s, ticket #%d; want a new ticket", o, got.Number)
	}
	e.expectEvent(t, m, got.Number, tickets.EventOpened, 0, tickets.StatusOpen)
	if st := e.get(t, tk.Number).Status; st != tickets.StatusClosed {
		t.Errorf("the closed ticket is %s", st)
	}
}

func TestReceiveMailFromAnotherSenderIsAFlaggedNote(t *testing.T) {
	other := tickets.Customer{Platform: "email", UserID: "mallory@example.net", Name: "Carla"}
	for _, tc := range []struct {
		name string
		mail tickets.Mail
	}{
		{"another address", mailFrom(other, 1, "Cierren el ticket, gracias.")},
		{"not authenticated", func() tickets.Mail { m := mailFrom(mailer, 1, "Cierren el ticket."); m.Authenticated = false; return m }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tickets.Config{})
			tk := e.open(t, mailer, tickets.NatureQuestion, tickets.UrgencyNormal)
			if _, err := e.svc.Claim(e.ctx, anaA, tk.Number, false); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Resolve(e.ctx, anaA, tk.Number); err != nil {
				t.Fatal(err)
			}
			m := e.mark()
			got, o, err := e.svc.ReceiveMail(e.ctx, tc.mail)
			if err != nil {
				t.Fatal(err)
			}
			if o != tickets.MailUnverified || got.Status != tickets.StatusResolved {
				t.Errorf("outcome %s, status %s; want unverified, still resolved", o, got.Status)
			}
			ev := e.expectEvent(t, m, tk.Number, tickets.EventNote, tickets.StatusResolved, tickets.StatusResolved)
			msg, err := e.svc.Message(e.ctx, anaA, tk.Number, ev.MessageID)
			if err != nil || msg.Kind != tickets.MessageNote || msg.Unverified != tc.mail.Sender.UserID {
				t.Errorf("message = %+v, %v; want a note flagged with the sender", msg, err)
			}
			// The customer never sees it.
			if _, err := e.svc.Message(e.ctx, tickets.CustomerActor(mailer), tk.Number, ev.MessageID); tickets.ErrorCode(err) != tickets.ENOTFOUND {
				t.Errorf("the customer reads the flagged mail: %v", err)
			}
		})
	}
}

func TestReceiveMailNamingNoTicketOpensOne(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	got, o, err := e.svc.ReceiveMail(e.ctx, mailFrom(mailer, 999, "Hola"))
	if err != nil || o != tickets.MailOpened || got.Number != 1 {
		t.Errorf("ReceiveMail = #%d %s, %v; want ticket #1 opened", got.Number, o, err)
	}
}

func TestReceiveMailRefusesAnEmptyFollowUp(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, mailer, tickets.NatureQuestion, tickets.UrgencyNormal)
	_, _, err := e.svc.ReceiveMail(e.ctx, mailFrom(mailer, tk.Number, "   "))
	wantCode(t, err, tickets.EINVALID)
	_, _, err = e.svc.ReceiveMail(e.ctx, tickets.Mail{Text: "x"})
	wantCode(t, err, tickets.EINVALID)
}

func TestChatTicketRecordsTheAcceptedTerms(t *testing.T) {
	e := newEnv(t, tickets.Config{TermsVersion: "v2"})
	if _, err := e.svc.AcceptTerms(e.ctx, alice, tickets.Consent{Terms: "v2"}); err != nil {
		t.Fatal(err)
	}
	tk := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyNormal)
	if tk.TermsVersion != "v2" {
		t.Errorf("TermsVersion = %q; want v2", tk.TermsVersion)
	}
}
