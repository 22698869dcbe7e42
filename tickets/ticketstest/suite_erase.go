package ticketstest

import (
	"errors"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// eraseTests check Store.Erase and Profiles.ForgetCustomer, directly and
// through Service.Forget.
var eraseTests = []subtest{
	{"KeepsOnlyWhatIsNotPersonal", func(t *testing.T, f *fixture) {
		a := f.open(t, tickets.NatureAccess, tickets.UrgencyHigh)
		cust := tickets.CustomerActor(a.Customer)
		if _, err := f.svc.Claim(f.ctx, tickets.AgentActor(ana), a.Number, false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.AddMessage(f.ctx, cust, a.Number, tickets.MessageInput{Text: "mi clave es secreta",
			Attachments: []tickets.Attachment{{Kind: "photo", FileID: "AgADsecret"}}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.AddMessage(f.ctx, tickets.AgentActor(ana), a.Number, tickets.MessageInput{Kind: tickets.MessageNote, Text: "nota"}); err != nil {
			t.Fatal(err)
		}
		other := f.open(t, tickets.NatureQuestion, tickets.UrgencyLow)
		svc := tickets.NewService(f.Store, f.Queue, f.Profiles, tickets.Config{Clock: f.clock, TermsVersion: "v1", PrivacyVersion: "p1"})
		if _, err := svc.AcceptTerms(f.ctx, a.Customer, svc.Consent()); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AcceptTerms(f.ctx, other.Customer, svc.Consent()); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		got, err := svc.Forget(f.ctx, cust, a.Customer.Key())
		if err != nil {
			t.Fatalf("Forget: %v", err)
		}
		diff(t, "forgotten", tickets.Forgotten{Closed: []int64{a.Number}, Erased: []int64{a.Number}}, got)
		now := f.clock.Now()
		want := tickets.Ticket{Number: a.Number, Version: 6, Customer: tickets.Customer{Platform: "telegram"},
			Intake: a.Intake, Nature: a.Nature, Urgency: a.Urgency, Priority: a.Priority, Status: tickets.StatusClosed,
			CreatedAt: a.CreatedAt, UpdatedAt: now, Messages: 2, Erased: now}
		diff(t, "erased ticket", want, f.get(t, a.Number))
		if ms, err := f.Store.Messages(f.ctx, a.Number, 0, 10); err != nil || len(ms) != 0 {
			t.Errorf("conversation after erase = %+v, %v", ms, err)
		}
		if ts, err := f.Queue.ByCustomer(f.ctx, a.Customer.Key(), 0, 10); err != nil || len(ts) != 0 {
			t.Errorf("customer index after erase = %v, %v", numbers(ts), err)
		}
		if got := f.byAgent(t, ana.ID); len(got) != 0 {
			t.Errorf("agent index after erase = %v", got)
		}
		if p, err := f.Profiles.Profile(f.ctx, a.Customer.Key()); err != nil || p != (tickets.Profile{CustomerKey: a.Customer.Key()}) {
			t.Errorf("profile after forget = %+v, %v", p, err)
		}
		if p, _ := f.Profiles.Profile(f.ctx, other.Customer.Key()); p.PrivacyVersion != "p1" {
			t.Errorf("the other customer's profile = %+v", p)
		}
		if got := f.queue(t); len(got) != 1 || got[0] != other.Number {
			t.Errorf("queue = %v; want only the other customer's #%d", got, other.Number)
		}
		var kinds []tickets.EventKind
		for _, e := range f.events(t) {
			if e.Actor.ID == cust.ID {
				t.Errorf("an event of the forgotten customer is left: %+v", e)
			}
			if e.Number == a.Number {
				kinds = append(kinds, e.Kind)
			}
		}
		diff(t, "events left of the erased ticket", []tickets.EventKind{tickets.EventClaimed, tickets.EventNote, tickets.EventClosed, tickets.EventErased}, kinds)
		// An erased ticket never changes again.
		_, err = f.svc.Reopen(f.ctx, tickets.AgentActor(ana), a.Number)
		wantErr(t, "Reopen of an erased ticket", err, tickets.ErrErased)
		_, _, err = f.svc.AddMessage(f.ctx, tickets.AgentActor(ana), a.Number, tickets.MessageInput{Kind: tickets.MessageNote, Text: "x"})
		wantErr(t, "a note on an erased ticket", err, tickets.ErrErased)
		// Forget again: harmless.
		if got, err := svc.Forget(f.ctx, tickets.SystemActor, a.Customer.Key()); err != nil || len(got.Erased) != 0 {
			t.Errorf("Forget again = %+v, %v", got, err)
		}
	}},
	{"DirectlyIdempotentAndConditional", func(t *testing.T, f *fixture) {
		a := f.open(t, tickets.NatureAccess, tickets.UrgencyHigh)
		kept := tickets.Ticket{Number: a.Number, Version: a.Version, Customer: tickets.Customer{Platform: "telegram"},
			Intake: a.Intake, Nature: a.Nature, Urgency: a.Urgency, Priority: a.Priority, Status: a.Status,
			CreatedAt: a.CreatedAt, UpdatedAt: start, Erased: start}
		e := tickets.Erasure{Ticket: kept,
			CustomerKey: a.Customer.Key(), Event: tickets.Event{Number: a.Number, Kind: tickets.EventErased, Actor: tickets.SystemActor, At: start}}
		if _, err := f.Store.Erase(f.ctx, e); !errors.Is(err, tickets.ErrVersionConflict) {
			t.Errorf("Erase at the stored version: %v; want ErrVersionConflict", err)
		}
		n := len(f.events(t))
		e.Ticket.Version = a.Version + 1
		got, err := f.Store.Erase(f.ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		e.Ticket.Version = a.Version + 7
		again, err := f.Store.Erase(f.ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "erased", got, f.get(t, a.Number))
		diff(t, "erased again", got, again)
		if evs := f.eventsSince(t, n); len(evs) != 1 {
			t.Errorf("events appended = %+v; want one", evs)
		}
		missing := e
		missing.Ticket.Number = 999
		if _, err := f.Store.Erase(f.ctx, missing); !errors.Is(err, tickets.ErrNotFound) {
			t.Errorf("Erase of a missing ticket: %v", err)
		}
	}},
	{"OnlyTheCustomerOrAnOperator", func(t *testing.T, f *fixture) {
		a := f.open(t, tickets.NatureAccess, tickets.UrgencyHigh)
		b := f.customer()
		for _, actor := range []tickets.Actor{tickets.CustomerActor(b), tickets.AgentActor(ana)} {
			if _, err := f.svc.Forget(f.ctx, actor, a.Customer.Key()); tickets.ErrorCode(err) != tickets.EFORBIDDEN {
				t.Errorf("Forget by %v: %v; want EFORBIDDEN", actor, err)
			}
			if _, err := f.svc.CustomerData(f.ctx, actor, a.Customer.Key()); tickets.ErrorCode(err) != tickets.EFORBIDDEN {
				t.Errorf("CustomerData by %v: %v; want EFORBIDDEN", actor, err)
			}
		}
		if !f.get(t, a.Number).Erased.IsZero() {
			t.Error("a refused Forget erased the ticket")
		}
	}},
}
