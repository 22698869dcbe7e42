package ticketstest

import (
	"errors"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// retentionTests check tickets.Retention and Service.Sweep over it: the
// finished index kept by Apply, Expire's conditions and what it leaves.
var retentionTests = []subtest{
	{"FinishedIndexFollowsStatus", func(t *testing.T, f *fixture) {
		r := f.retention(t)
		tk := f.worked(t, "hola")
		resolvedAt := f.clock.Now()
		f.clock.Advance(time.Hour)
		f.do(t, "close", func() (tickets.Ticket, error) {
			return f.svc.Close(f.ctx, tickets.CustomerActor(tk.Customer), tk.Number)
		})
		got, err := r.Finished(f.ctx, f.clock.Now(), 10)
		if err != nil {
			t.Fatal(err)
		}
		// Closing counts as finishing again: the index moves to the close.
		diff(t, "finished after close", []tickets.FinishedTicket{{Number: tk.Number, At: resolvedAt.Add(time.Hour)}}, got)
		f.do(t, "reopen", func() (tickets.Ticket, error) {
			return f.svc.Reopen(f.ctx, tickets.CustomerActor(tk.Customer), tk.Number)
		})
		got, _ = r.Finished(f.ctx, f.clock.Now(), 10)
		diff(t, "finished after reopen", []tickets.FinishedTicket(nil), got)
	}},
	{"SweepExpiresAfterRetention", func(t *testing.T, f *fixture) {
		r := f.retention(t)
		done := f.worked(t, "mi impresora HP-4411")
		// Terms accepted before the ticket finished: the profile goes with
		// the customer's last ticket.
		if err := f.Profiles.SaveProfile(f.ctx, tickets.Profile{CustomerKey: done.Customer.Key(), Language: "es", TermsVersion: "1", TermsAccepted: start}); err != nil {
			t.Fatal(err)
		}
		open := f.open(t, tickets.NatureQuestion, tickets.UrgencyLow)
		reopened := f.worked(t, "otra cosa")
		if _, err := f.svc.AcceptTerms(f.ctx, open.Customer, f.svc.Consent()); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(tickets.DefaultRetention - time.Hour)
		// Reopened before the deadline: kept whole, and finishing again
		// starts the retention again.
		f.do(t, "reopen", func() (tickets.Ticket, error) {
			return f.svc.Reopen(f.ctx, tickets.CustomerActor(reopened.Customer), reopened.Number)
		})
		res, err := f.svc.Sweep(f.ctx, 100)
		if err != nil || res != (tickets.SweepResult{}) {
			t.Fatalf("Sweep before the deadline = %+v, %v; want nothing done", res, err)
		}
		f.clock.Advance(2 * time.Hour)
		res, err = f.svc.Sweep(f.ctx, 100)
		if err != nil || res != (tickets.SweepResult{Expired: 1}) {
			t.Fatalf("Sweep after the deadline = %+v, %v; want 1 expired", res, err)
		}
		if _, err := f.Store.Get(f.ctx, done.Number); !errors.Is(err, tickets.ErrNotFound) {
			t.Errorf("Get(expired) = %v; want ErrNotFound", err)
		}
		if ms, _ := f.Store.Messages(f.ctx, done.Number, 0, 10); len(ms) != 0 {
			t.Errorf("Messages(expired) = %v; want none", ms)
		}
		if ts, _ := f.Queue.ByCustomer(f.ctx, done.Customer.Key(), 0, 10); len(ts) != 0 {
			t.Errorf("ByCustomer(expired's customer) = %v; want none", numbers(ts))
		}
		if ts := f.byAgent(t, ana.ID); len(ts) != 0 {
			t.Errorf("ByAgent = %v; want none", ts)
		}
		if p, _ := f.Profiles.Profile(f.ctx, done.Customer.Key()); p != (tickets.Profile{CustomerKey: done.Customer.Key()}) {
			t.Errorf("Profile of the expired ticket's only customer = %+v; want none", p)
		}
		for _, n := range []int64{open.Number, reopened.Number} {
			if got := f.get(t, n); got.Status.Finished() {
				t.Errorf("ticket %d is %s", n, got.Status)
			}
		}
		if ms, _ := f.Store.Messages(f.ctx, reopened.Number, 0, 10); len(ms) != 1 {
			t.Errorf("the reopened ticket lost its conversation: %v", ms)
		}
		stats, err := r.Statistics(f.ctx, start, f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		want := []tickets.MonthStats{{
			Month: tickets.MonthOf(start), Count: 1, First: done.Number, Last: done.Number,
			ByNature: map[tickets.Nature]int64{done.Nature: 1}, ByUrgency: map[tickets.Urgency]int64{done.Urgency: 1},
			ByPriority: map[tickets.Priority]int64{done.Priority: 1}, ByIntake: map[tickets.Intake]int64{tickets.IntakeChat: 1},
			ByStatus: map[tickets.Status]int64{tickets.StatusResolved: 1}, ByStars: map[int]int64{0: 1},
			OpenTime: 3 * time.Millisecond, Messages: 1,
		}}
		diff(t, "statistics", want, stats)
		res, err = f.svc.Sweep(f.ctx, 100)
		if err != nil || res != (tickets.SweepResult{}) {
			t.Fatalf("Sweep again = %+v, %v; want nothing done", res, err)
		}
	}},
	{"ProfileKeptWhenTermsAcceptedAfter", func(t *testing.T, f *fixture) {
		tk := f.worked(t, "hola")
		f.clock.Advance(time.Hour)
		if err := f.Profiles.SaveProfile(f.ctx, tickets.Profile{CustomerKey: tk.Customer.Key(), Language: "en", TermsVersion: "2", TermsAccepted: f.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(tickets.DefaultRetention)
		if res, err := f.svc.Sweep(f.ctx, 100); err != nil || res.Expired != 1 {
			t.Fatalf("Sweep = %+v, %v", res, err)
		}
		if p, _ := f.Profiles.Profile(f.ctx, tk.Customer.Key()); p.Language != "en" {
			t.Errorf("Profile = %+v; want kept (terms accepted after the ticket finished)", p)
		}
	}},
	{"ProfileKeptWhenPrivacyAcceptedAfter", func(t *testing.T, f *fixture) {
		tk := f.worked(t, "hola")
		accepted := f.clock.Now().Add(-time.Hour) // terms before the ticket finished
		f.clock.Advance(time.Hour)
		p := tickets.Profile{CustomerKey: tk.Customer.Key(), Language: "en", TermsVersion: "2", TermsAccepted: accepted,
			PrivacyVersion: "3", PrivacyAccepted: f.clock.Now()}
		if err := f.Profiles.SaveProfile(f.ctx, p); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(tickets.DefaultRetention)
		if res, err := f.svc.Sweep(f.ctx, 100); err != nil || res.Expired != 1 {
			t.Fatalf("Sweep = %+v, %v", res, err)
		}
		if p, _ := f.Profiles.Profile(f.ctx, tk.Customer.Key()); p.PrivacyVersion != "3" {
			t.Errorf("Profile = %+v; want kept (the privacy notice accepted after the ticket finished)", p)
		}
	}},
	{"ExpireChecksVersion", func(t *testing.T, f *fixture) {
		r := f.retention(t)
		tk := f.worked(t, "hola")
		cur := f.get(t, tk.Number)
		row := tickets.RowOf(cur, f.clock.Now())
		later := f.clock.Now().Add(time.Hour)
		_, err := r.Expire(f.ctx, row, cur.Version-1, later)
		wantErr(t, "Expire(old version)", err, tickets.ErrVersionConflict)
		if ok, err := r.Expire(f.ctx, row, cur.Version, f.clock.Now().Add(-time.Hour)); ok || err != nil {
			t.Errorf("Expire(before it finished) = %v, %v; want false, nil", ok, err)
		}
		if ok, err := r.Expire(f.ctx, row, cur.Version, later); !ok || err != nil {
			t.Errorf("Expire = %v, %v; want true", ok, err)
		}
		if ok, err := r.Expire(f.ctx, row, cur.Version, later); ok || err != nil {
			t.Errorf("Expire again = %v, %v; want false, nil (counted once)", ok, err)
		}
		stats, _ := r.Statistics(f.ctx, start, later)
		if len(stats) != 1 || stats[0].Count != 1 {
			t.Errorf("statistics = %+v; want one ticket counted once", stats)
		}
	}},
	{"SweepBatches", func(t *testing.T, f *fixture) {
		for range 5 {
			f.worked(t, "hola")
		}
		f.clock.Advance(tickets.DefaultRetention + time.Hour)
		var total int
		for i := 0; i < 5; i++ {
			res, err := f.svc.Sweep(f.ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			total += res.Expired
			if !res.More {
				break
			}
		}
		if total != 5 {
			t.Errorf("swept %d in batches of 2; want 5", total)
		}
	}},
}

func (f *fixture) retention(t *testing.T) tickets.Retention {
	t.Helper()
	r, ok := f.Store.(tickets.Retention)
	if !ok {
		t.Fatalf("%T does not implement tickets.Retention", f.Store)
	}
	return r
}

func (f *fixture) do(t *testing.T, what string, op func() (tickets.Ticket, error)) tickets.Ticket {
	t.Helper()
	tk, err := op()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	f.clock.Advance(time.Millisecond)
	return tk
}

// worked opens a ticket of a new customer, lets ana claim it, the
// customer write text, and ana resolve it, a millisecond apart.
func (f *fixture) worked(t *testing.T, text string) tickets.Ticket {
	t.Helper()
	tk := f.open(t, tickets.NatureMalfunction, tickets.UrgencyHigh)
	agent := tickets.AgentActor(ana)
	f.do(t, "claim", func() (tickets.Ticket, error) { return f.svc.Claim(f.ctx, agent, tk.Number, false) })
	f.do(t, "write", func() (tickets.Ticket, error) {
		tk, _, err := f.svc.AddMessage(f.ctx, tickets.CustomerActor(tk.Customer), tk.Number, tickets.MessageInput{Text: text})
		return tk, err
	})
	return f.do(t, "resolve", func() (tickets.Ticket, error) { return f.svc.Resolve(f.ctx, agent, tk.Number) })
}
