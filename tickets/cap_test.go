package tickets_test

import (
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestOpenCap: a customer at Config.MaxActiveTickets can neither open nor
// reopen a ticket; resolved tickets do not count, agents still reopen, a
// retried Open gets its ticket back, other customers are not held.
func TestOpenCap(t *testing.T) {
	req := func(c tickets.Customer) tickets.OpenRequest {
		return tickets.OpenRequest{Customer: c, Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "ayuda"}
	}
	// resolve has an agent claim and resolve ticket n.
	resolve := func(t *testing.T, e *env, n int64) {
		t.Helper()
		if _, err := e.svc.Claim(e.ctx, anaA, n, false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Resolve(e.ctx, anaA, n); err != nil {
			t.Fatal(err)
		}
	}
	// capped fails unless err is the cap's refusal and nothing was
	// written since m.
	capped := func(t *testing.T, e *env, m mark, err error) {
		t.Helper()
		if ce := wantCode(t, err, tickets.EINVALID); ce.Reason != tickets.ReasonActiveCap {
			t.Errorf("reason = %q; want %q", ce.Reason, tickets.ReasonActiveCap)
		}
		wantMessage(t, err, "3 active tickets")
		e.expectNoEvent(t, m)
	}
	for name, tc := range map[string]struct {
		max int
		run func(t *testing.T, e *env)
	}{
		"no cap": {0, func(t *testing.T, e *env) {
			for range 5 {
				e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			}
			if err := e.svc.CanOpen(e.ctx, alice.Key()); err != nil {
				t.Errorf("CanOpen without a cap: %v", err)
			}
		}},
		"open over the cap": {3, func(t *testing.T, e *env) {
			for range 3 {
				if err := e.svc.CanOpen(e.ctx, alice.Key()); err != nil {
					t.Fatalf("CanOpen under the cap: %v", err)
				}
				e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			}
			capped(t, e, e.mark(), e.svc.CanOpen(e.ctx, alice.Key()))
			m := e.mark()
			_, err := e.svc.Open(e.ctx, req(alice))
			capped(t, e, m, err)
			if n := e.store.Len(); n != 3 {
				t.Errorf("%d tickets stored; want 3", n)
			}
		}},
		"other customers are not held": {3, func(t *testing.T, e *env) {
			for range 3 {
				e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			}
			if _, err := e.svc.Open(e.ctx, req(bob)); err != nil {
				t.Errorf("Bob's open: %v", err)
			}
		}},
		"resolved tickets do not count": {3, func(t *testing.T, e *env) {
			first := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			resolve(t, e, first.Number)
			if _, err := e.svc.Open(e.ctx, req(alice)); err != nil {
				t.Errorf("open with 2 active of 3: %v", err)
			}
		}},
		"a retried open gets its ticket": {3, func(t *testing.T, e *env) {
			e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			ctx := tickets.WithRequestID(e.ctx, "tg:u77")
			first, err := e.svc.Open(ctx, req(alice))
			if err != nil {
				t.Fatal(err)
			}
			m := e.mark()
			again, err := e.svc.Open(ctx, req(alice)) // at the cap now
			if err != nil || again.Number != first.Number {
				t.Errorf("retried Open = #%d, %v; want #%d", again.Number, err, first.Number)
			}
			e.expectNoEvent(t, m)
			_, err = e.svc.Open(tickets.WithRequestID(e.ctx, "tg:u78"), req(alice))
			capped(t, e, m, err)
		}},
		"customer reopen over the cap": {3, func(t *testing.T, e *env) {
			old := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			resolve(t, e, old.Number)
			for range 3 {
				e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			}
			m := e.mark()
			_, err := e.svc.Reopen(e.ctx, aliceA, old.Number)
			capped(t, e, m, err)
			if got := e.get(t, old.Number).Status; got != tickets.StatusResolved {
				t.Errorf("status = %s; want resolved", got)
			}
			// An agent may still reopen it.
			if tk, err := e.svc.Reopen(e.ctx, anaA, old.Number); err != nil || tk.Status != tickets.StatusOpen {
				t.Errorf("agent Reopen = %s, %v; want open", tk.Status, err)
			}
			// A retried customer reopen that succeeded before still succeeds.
			e2 := newEnv(t, tickets.Config{MaxActiveTickets: 1})
			tk := e2.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			resolve(t, e2, tk.Number)
			ctx := tickets.WithRequestID(e2.ctx, "tg:u90")
			for i := range 2 {
				if got, err := e2.svc.Reopen(ctx, aliceA, tk.Number); err != nil || got.Status != tickets.StatusOpen {
					t.Errorf("reopen %d = %s, %v; want open", i+1, got.Status, err)
				}
			}
		}},
		"a new mail at the cap goes to the newest active ticket": {3, func(t *testing.T, e *env) {
			for range 3 {
				e.open(t, mailer, tickets.NatureQuestion, tickets.UrgencyLow)
			}
			tk, o, err := e.svc.ReceiveMail(e.ctx, tickets.Mail{Sender: mailer, Authenticated: true, Subject: "Otra", Text: "otra cosa"})
			if err != nil || o != tickets.MailCapped || tk.Number != 3 || tk.Messages != 1 {
				t.Fatalf("ReceiveMail = #%d (%d messages) %s, %v; want #3 capped with the message", tk.Number, tk.Messages, o, err)
			}
			if n := e.store.Len(); n != 3 {
				t.Errorf("%d tickets stored; want 3", n)
			}
		}},
		"customer reopen under the cap": {3, func(t *testing.T, e *env) {
			old := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			resolve(t, e, old.Number)
			e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
			if tk, err := e.svc.Reopen(e.ctx, aliceA, old.Number); err != nil || tk.Status != tickets.StatusOpen {
				t.Errorf("Reopen = %s, %v; want open (2 active of 3)", tk.Status, err)
			}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			tc.run(t, newEnv(t, tickets.Config{MaxActiveTickets: tc.max}))
		})
	}
}
