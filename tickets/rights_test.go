package tickets_test

import (
	"context"
	"errors"
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
	"github.com/colombiainformatica/ticketbot/tickets/ticketstest"
)

// TestCustomerData: the customer sees their profile, tickets and
// conversations, never the agents' internal notes nor another customer's
// tickets.
func TestCustomerData(t *testing.T) {
	e := newEnv(t, tickets.Config{TermsVersion: "v1", PrivacyVersion: "p1"})
	if _, err := e.svc.AcceptTerms(e.ctx, alice, e.svc.Consent()); err != nil {
		t.Fatal(err)
	}
	a := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	if _, err := e.svc.AcceptTerms(e.ctx, bob, e.svc.Consent()); err != nil {
		t.Fatal(err)
	}
	e.open(t, bob, tickets.NatureQuestion, tickets.UrgencyLow)
	if _, err := e.svc.Claim(e.ctx, anaA, a.Number, false); err != nil {
		t.Fatal(err)
	}
	for _, in := range []struct {
		a  tickets.Actor
		in tickets.MessageInput
	}{
		{aliceA, tickets.MessageInput{Text: "olvidé la clave"}},
		{anaA, tickets.MessageInput{Kind: tickets.MessageNote, Text: "cliente difícil"}},
		{anaA, tickets.MessageInput{Kind: tickets.MessageReply, Text: "le envío un enlace"}},
	} {
		if _, _, err := e.svc.AddMessage(e.ctx, in.a, a.Number, in.in); err != nil {
			t.Fatal(err)
		}
	}
	for _, who := range []tickets.Actor{aliceA, tickets.SystemActor} {
		d, err := e.svc.CustomerData(e.ctx, who, alice.Key())
		if err != nil {
			t.Fatal(err)
		}
		if d.Profile.PrivacyVersion != "p1" || d.Profile.TermsVersion != "v1" || d.Profile.CustomerKey != alice.Key() {
			t.Errorf("profile = %+v", d.Profile)
		}
		if len(d.Tickets) != 1 || d.Tickets[0].Ticket.Number != a.Number {
			t.Fatalf("tickets = %+v", d.Tickets)
		}
		var texts []string
		for _, m := range d.Tickets[0].Messages {
			texts = append(texts, m.Text)
		}
		if len(texts) != 2 || texts[0] != "olvidé la clave" || texts[1] != "le envío un enlace" {
			t.Errorf("conversation = %q; want without the note", texts)
		}
	}
	if _, err := e.svc.CustomerData(e.ctx, bobA, alice.Key()); tickets.ErrorCode(err) != tickets.EFORBIDDEN {
		t.Errorf("another customer's data: %v", err)
	}
}

// eraserFunc is a tickets.Eraser from a function.
type eraserFunc func(ctx context.Context, c tickets.Customer, ts []tickets.Ticket) error

func (f eraserFunc) EraseCustomer(ctx context.Context, c tickets.Customer, ts []tickets.Ticket) error {
	return f(ctx, c, ts)
}

// TestForget: active tickets are closed by the system first, every ticket
// is erased, the erasers are told with the tickets as they were, and the
// other customer is untouched.
func TestForget(t *testing.T) {
	var gotCustomer tickets.Customer
	var gotTickets []tickets.Ticket
	fail := errors.New("adapter down")
	failing := false
	er := eraserFunc(func(_ context.Context, c tickets.Customer, ts []tickets.Ticket) error {
		gotCustomer, gotTickets = c, ts
		if failing {
			return fail
		}
		return nil
	})
	e := newEnv(t, tickets.Config{Erasers: []tickets.Eraser{er}})
	open := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	done := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
	if _, err := e.svc.Claim(e.ctx, anaA, done.Number, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Resolve(e.ctx, anaA, done.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Rate(e.ctx, aliceA, done.Number, 4, "muy amable"); err != nil {
		t.Fatal(err)
	}
	other := e.open(t, bob, tickets.NatureQuestion, tickets.UrgencyLow)
	m := e.mark()
	f, err := e.svc.Forget(e.ctx, aliceA, alice.Key())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Closed) != 2 || len(f.Erased) != 2 {
		t.Errorf("forgotten = %+v", f)
	}
	if gotCustomer != alice || len(gotTickets) != 2 || gotTickets[0].Customer.Name != "Alice" {
		t.Errorf("eraser told %+v, %d tickets", gotCustomer, len(gotTickets))
	}
	for _, n := range []int64{open.Number, done.Number} {
		tk, err := e.svc.Get(e.ctx, tickets.SystemActor, n)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Erased.IsZero() || tk.Status != tickets.StatusClosed || tk.Customer.Name != "" || tk.Description != "" || tk.Rating.Comment != "" {
			t.Errorf("#%d after forget = %+v", n, tk)
		}
		if n == done.Number && tk.Rating.Stars != 4 {
			t.Errorf("rating stars lost: %+v", tk.Rating)
		}
		if _, err := e.svc.Reopen(e.ctx, anaA, n); !errors.Is(err, tickets.ErrErased) {
			t.Errorf("Reopen #%d: %v; want ErrErased", n, err)
		}
	}
	var kinds []tickets.EventKind
	for _, ev := range e.obs.emitted()[m.emitted:] {
		if ev.Actor != tickets.ErasureActor {
			t.Errorf("event by %+v", ev.Actor)
		}
		kinds = append(kinds, ev.Kind)
	}
	want := []tickets.EventKind{tickets.EventClosed, tickets.EventErased, tickets.EventClosed, tickets.EventErased}
	if len(kinds) != len(want) {
		t.Errorf("events = %v; want %v", kinds, want)
	}
	for _, ev := range e.store.Events() {
		if ev.Actor.ID == alice.Key() {
			t.Errorf("an event of the customer is left: %+v", ev)
		}
	}
	if tk, _ := e.svc.Get(e.ctx, tickets.SystemActor, other.Number); tk.Customer != bob || !tk.Erased.IsZero() {
		t.Errorf("the other customer's ticket = %+v", tk)
	}
	// An eraser that fails makes Forget fail, and Forget can be repeated.
	failing = true
	if _, err := e.svc.Forget(e.ctx, tickets.SystemActor, bob.Key()); !errors.Is(err, fail) {
		t.Errorf("Forget with a failing eraser: %v", err)
	}
	failing = false
	if _, err := e.svc.Forget(e.ctx, tickets.SystemActor, bob.Key()); err != nil {
		t.Errorf("Forget again: %v", err)
	}
}

// raceErase is a store where an agent reopens a ticket just before its
// first erasure is written, as if the reopen won a race with Forget.
type raceErase struct {
	*ticketstest.MemStore
	reopen func()
}

func (s *raceErase) Erase(ctx context.Context, e tickets.Erasure) (tickets.Ticket, error) {
	if s.reopen != nil {
		f := s.reopen
		s.reopen = nil
		f()
	}
	return s.MemStore.Erase(ctx, e)
}

// TestForgetAfterAReopenRace: a ticket an agent reopens between its
// closing for the erasure and the erasure itself is closed again, so an
// erased ticket is always closed (and the retention sweeps it).
func TestForgetAfterAReopenRace(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	st := &raceErase{MemStore: e.store}
	svc := tickets.NewService(st, st, st, tickets.Config{Clock: e.clock, Observer: e.obs})
	tk := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
	st.reopen = func() {
		if _, err := svc.Reopen(e.ctx, anaA, tk.Number); err != nil {
			t.Errorf("the agent's reopen: %v", err)
		}
	}
	if _, err := svc.Forget(e.ctx, aliceA, alice.Key()); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Get(e.ctx, tickets.SystemActor, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Erased.IsZero() || got.Status != tickets.StatusClosed {
		t.Errorf("after the race: erased %v, status %v; want erased and closed", got.Erased, got.Status)
	}
}
