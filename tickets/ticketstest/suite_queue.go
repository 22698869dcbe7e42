package ticketstest

import (
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

var queueTests = []subtest{
	{"Order", func(t *testing.T, f *fixture) {
		// Priority band first, then arrival; e-mail behind chat of the
		// same priority, ahead of the next priority.
		mk := func(p tickets.Priority, in tickets.Intake) int64 {
			t.Helper()
			tk := f.create(t, f.ticket(f.customer(), p, in), f.rid("open"))
			f.clock.Advance(time.Second)
			return tk.Number
		}
		p4 := mk(4, tickets.IntakeChat)
		p2mail := mk(2, tickets.IntakeEmail)
		p2 := mk(2, tickets.IntakeChat)
		p1 := mk(1, tickets.IntakeChat)
		p3mail := mk(3, tickets.IntakeEmail)
		p2late := mk(2, tickets.IntakeChat)
		p1mail := mk(1, tickets.IntakeEmail)
		p4mail := mk(4, tickets.IntakeEmail)
		want := []int64{p1, p1mail, p2, p2late, p2mail, p3mail, p4, p4mail}
		diff(t, "queue order", want, f.queue(t))
		// Pages of it.
		for _, pg := range []struct{ offset, limit int }{{0, 3}, {3, 3}, {6, 3}, {7, 1}, {8, 5}, {20, 5}} {
			ts, total, err := f.Queue.Page(f.ctx, pg.offset, pg.limit)
			if err != nil {
				t.Fatal(err)
			}
			end := min(pg.offset+pg.limit, len(want))
			diff(t, "page", want[min(pg.offset, len(want)):end], numbers(ts))
			if total != int64(len(want)) {
				t.Errorf("Page(%d, %d) total = %d; want %d", pg.offset, pg.limit, total, len(want))
			}
		}
		lengths, err := f.Queue.Lengths(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for p, n := range lengths {
			if n == 0 {
				delete(lengths, p)
			}
		}
		diff(t, "Lengths", map[tickets.Priority]int64{1: 2, 2: 3, 3: 1, 4: 2}, lengths)
	}},
	{"TiesToTheLowerNumber", func(t *testing.T, f *fixture) {
		// All arrive in the same millisecond.
		var want []int64
		for range 12 {
			want = append(want, f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), f.rid("open")).Number)
		}
		diff(t, "queue order of equal scores", want, f.queue(t))
	}},
	{"Empty", func(t *testing.T, f *fixture) {
		ts, total, err := f.Queue.Page(f.ctx, 0, 10)
		if err != nil || len(ts) != 0 || total != 0 {
			t.Errorf("Page of an empty queue = %v, %d, %v", numbers(ts), total, err)
		}
	}},
}

var positionTests = []subtest{
	{"RankAndLength", func(t *testing.T, f *fixture) {
		var ts []tickets.Ticket
		for range 4 {
			ts = append(ts, f.open(t, tickets.NatureMalfunction, tickets.UrgencyNormal))
		}
		for i, tk := range ts {
			slot, err := f.Queue.Position(f.ctx, tk.Number, start)
			if err != nil {
				t.Fatal(err)
			}
			if slot.Position != int64(i+1) || slot.Length != 4 {
				t.Errorf("#%d is at %d of %d; want %d of 4", tk.Number, slot.Position, slot.Length, i+1)
			}
			diff(t, "slot's ticket", tk, slot.Ticket, ignoreOpenedBy)
		}
		if _, err := f.svc.Claim(f.ctx, tickets.AgentActor(ana), ts[1].Number, false); err != nil {
			t.Fatal(err)
		}
		if slot, err := f.Queue.Position(f.ctx, ts[1].Number, start); err != nil || slot.Position != 0 || slot.Length != 3 || slot.Ticket.Status != tickets.StatusClaimed {
			t.Errorf("claimed ticket's slot = %+v, %v; want position 0 of 3, claimed", slot, err)
		}
		if slot, err := f.Queue.Position(f.ctx, ts[3].Number, start); err != nil || slot.Position != 3 {
			t.Errorf("last ticket's slot = %+v, %v; want position 3", slot, err)
		}
		_, err := f.Queue.Position(f.ctx, 99, start)
		wantErr(t, "Position of a ticket never created", err, tickets.ErrNotFound)
	}},
	{"RecentClaims", func(t *testing.T, f *fixture) {
		for range 4 {
			f.open(t, tickets.NatureMalfunction, tickets.UrgencyNormal)
		}
		f.clock.Advance(time.Minute)
		first := f.clock.Now()
		// A claim through Apply (Claim) and one through ClaimNext count;
		// a takeover and a resume do not take a ticket off the queue.
		if _, err := f.svc.Claim(f.ctx, tickets.AgentActor(ana), 4, false); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		second := f.clock.Now()
		if _, err := f.svc.ClaimNext(f.ctx, tickets.AgentActor(beto)); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		if _, err := f.svc.Claim(f.ctx, tickets.AgentActor(beto), 4, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetWaiting(f.ctx, tickets.AgentActor(beto), 4); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Claim(f.ctx, tickets.AgentActor(beto), 4, false); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			since time.Time
			want  int64
		}{{start, 2}, {first, 2}, {first.Add(time.Millisecond), 1}, {second, 1}, {second.Add(time.Millisecond), 0}} {
			slot, err := f.Queue.Position(f.ctx, 2, c.since)
			if err != nil {
				t.Fatal(err)
			}
			if slot.RecentClaims != c.want {
				t.Errorf("claims since %v = %d; want %d", c.since.Sub(start), slot.RecentClaims, c.want)
			}
		}
	}},
}

var indexTests = []subtest{
	{"ByCustomer", func(t *testing.T, f *fixture) {
		c, other := f.customer(), f.customer()
		var want []int64
		for range 5 {
			want = append([]int64{f.create(t, f.ticket(c, 3, tickets.IntakeChat), f.rid("c")).Number}, want...)
			f.create(t, f.ticket(other, 3, tickets.IntakeChat), f.rid("o"))
			f.clock.Advance(time.Second)
		}
		ts, err := f.Queue.ByCustomer(f.ctx, c.Key(), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "ByCustomer, newest first", want, numbers(ts))
		ts, err = f.Queue.ByCustomer(f.ctx, c.Key(), 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "ByCustomer page 2 of 2", want[1:3], numbers(ts))
		// Claimed or closed, a ticket stays in its customer's index.
		if _, err := f.svc.Claim(f.ctx, tickets.AgentActor(ana), want[0], false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resolve(f.ctx, tickets.AgentActor(ana), want[0]); err != nil {
			t.Fatal(err)
		}
		ts, err = f.Queue.ByCustomer(f.ctx, c.Key(), 0, 1)
		if err != nil || len(ts) != 1 || ts[0].Number != want[0] || ts[0].Status != tickets.StatusResolved {
			t.Errorf("ByCustomer after a resolve = %+v, %v; want #%d resolved", ts, err, want[0])
		}
		if ts, err := f.Queue.ByCustomer(f.ctx, "telegram:nobody", 0, 10); err != nil || len(ts) != 0 {
			t.Errorf("ByCustomer of a customer never seen = %v, %v", numbers(ts), err)
		}
	}},
	{"ByCustomerKeepsOpenRequest", func(t *testing.T, f *fixture) {
		// The cap on active tickets (tickets/cap.go) finds the ticket a
		// retried Open made by its request ID in the customer's index.
		c := f.customer()
		tk := f.create(t, f.ticket(c, 3, tickets.IntakeChat), "tg:u5")
		ts, err := f.Queue.ByCustomer(f.ctx, c.Key(), 0, 10)
		if err != nil || len(ts) != 1 || ts[0].Number != tk.Number || ts[0].OpenRequest != "tg:u5" {
			t.Errorf("ByCustomer = %+v, %v; want #%d with OpenRequest tg:u5", ts, err, tk.Number)
		}
	}},
	{"ByAgentMoves", func(t *testing.T, f *fixture) {
		anaA, betoA := tickets.AgentActor(ana), tickets.AgentActor(beto)
		var n []int64
		for range 5 {
			n = append(n, f.open(t, tickets.NatureMalfunction, tickets.UrgencyNormal).Number)
		}
		step := func(what string, do func() (tickets.Ticket, error), wantAna, wantBeto []int64) {
			t.Helper()
			if _, err := do(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			f.clock.Advance(time.Second)
			diff(t, "Ana's tickets after "+what, wantAna, f.byAgent(t, ana.ID))
			diff(t, "Beto's tickets after "+what, wantBeto, f.byAgent(t, beto.ID))
		}
		claim := func(a tickets.Actor, i int, takeover bool) func() (tickets.Ticket, error) {
			return func() (tickets.Ticket, error) { return f.svc.Claim(f.ctx, a, n[i], takeover) }
		}
		step("claiming #3", claim(anaA, 2, false), []int64{n[2]}, nil)
		step("claiming #1", claim(anaA, 0, false), []int64{n[2], n[0]}, nil)
		step("claim-next", func() (tickets.Ticket, error) { return f.svc.ClaimNext(f.ctx, anaA) }, []int64{n[2], n[0], n[1]}, nil)
		step("a takeover of #1", claim(betoA, 0, true), []int64{n[2], n[1]}, []int64{n[0]})
		step("a release of #3", func() (tickets.Ticket, error) { return f.svc.Release(f.ctx, anaA, n[2]) }, []int64{n[1]}, []int64{n[0]})
		step("resolving #2", func() (tickets.Ticket, error) { return f.svc.Resolve(f.ctx, anaA, n[1]) }, []int64{n[1]}, []int64{n[0]})
		step("reopening #2", func() (tickets.Ticket, error) { return f.svc.Reopen(f.ctx, anaA, n[1]) }, nil, []int64{n[0]})
		step("claiming #3 again", claim(anaA, 2, false), []int64{n[2]}, []int64{n[0]})
		ts, err := f.Queue.ByAgent(f.ctx, beto.ID, 0, 10)
		if err != nil || len(ts) != 1 || ts[0].Assignee != beto {
			t.Errorf("Beto's tickets = %+v, %v; want #%d, his", ts, err, n[0])
		}
		// Paging: oldest claim first.
		step("claiming #5", claim(anaA, 4, false), []int64{n[2], n[4]}, []int64{n[0]})
		step("claiming #4", claim(anaA, 3, false), []int64{n[2], n[4], n[3]}, []int64{n[0]})
		ts, err = f.Queue.ByAgent(f.ctx, ana.ID, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "Ana's tickets, page 2 of 1", []int64{n[4]}, numbers(ts))
	}},
}

var claimNextTests = []subtest{
	{"QueueOrder", func(t *testing.T, f *fixture) {
		low := f.create(t, f.ticket(f.customer(), 4, tickets.IntakeChat), "o1")
		f.clock.Advance(time.Second)
		mail := f.create(t, f.ticket(f.customer(), 1, tickets.IntakeEmail), "o2")
		f.clock.Advance(time.Second)
		high := f.create(t, f.ticket(f.customer(), 1, tickets.IntakeChat), "o3")
		f.clock.Advance(time.Second)
		for i, want := range []tickets.Ticket{high, mail, low} {
			n := len(f.events(t))
			c := f.nextClaim(ana, f.rid("next"))
			got, err := f.Store.ClaimNext(f.ctx, c)
			if err != nil {
				t.Fatalf("ClaimNext %d: %v", i, err)
			}
			w := want
			w.Status, w.Assignee, w.Version, w.UpdatedAt = tickets.StatusClaimed, ana, 2, c.At
			diff(t, "claimed ticket", w, got, ignoreOpenedBy)
			diff(t, "stored ticket", w, f.get(t, want.Number), ignoreOpenedBy)
			ev := c.Event
			ev.Number, ev.Priority = want.Number, want.Priority
			diff(t, "appended event", []tickets.Event{ev}, f.eventsSince(t, n))
			if slot, err := f.Queue.Position(f.ctx, want.Number, start); err != nil || slot.Position != 0 || slot.RecentClaims != int64(i+1) {
				t.Errorf("slot after the claim = %+v, %v; want off the queue, %d claims counted", slot, err, i+1)
			}
			f.clock.Advance(time.Second)
		}
		diff(t, "Ana's tickets, oldest claim first", []int64{high.Number, mail.Number, low.Number}, f.byAgent(t, ana.ID))
	}},
	{"EmptyQueue", func(t *testing.T, f *fixture) {
		_, err := f.Store.ClaimNext(f.ctx, f.nextClaim(ana, "next-1"))
		wantErr(t, "ClaimNext on an empty queue", err, tickets.ErrQueueEmpty)
		tk := f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "o1")
		if _, err := f.Store.ClaimNext(f.ctx, f.nextClaim(ana, "next-2")); err != nil {
			t.Fatal(err)
		}
		_, err = f.Store.ClaimNext(f.ctx, f.nextClaim(ana, "next-3"))
		wantErr(t, "ClaimNext once the queue is emptied", err, tickets.ErrQueueEmpty)
		if n := len(f.events(t)); n != 2 {
			t.Errorf("%d events; want opened and one claim", n)
		}
		if got := f.get(t, tk.Number); got.Version != 2 {
			t.Errorf("ticket at v%d; want v2", got.Version)
		}
	}},
	{"RepeatedRequestID", func(t *testing.T, f *fixture) {
		a := f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "o1")
		f.clock.Advance(time.Second)
		b := f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "o2")
		c := f.nextClaim(ana, "slack:next:1")
		first, err := f.Store.ClaimNext(f.ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		n := len(f.events(t))
		f.clock.Advance(time.Second)
		again, err := f.Store.ClaimNext(f.ctx, c)
		if err != nil {
			t.Fatalf("repeated ClaimNext: %v", err)
		}
		if first.Number != a.Number || again.Number != a.Number {
			t.Errorf("ClaimNext took #%d, then #%d; want #%d twice", first.Number, again.Number, a.Number)
		}
		diff(t, "repeated ClaimNext", first, again, ignoreOpenedBy)
		diff(t, "queue", []int64{b.Number}, f.queue(t))
		if evs := f.eventsSince(t, n); len(evs) != 0 {
			t.Errorf("the repeated ClaimNext appended %+v", evs)
		}
		// Through the Service: reported once.
		ctx := tickets.WithRequestID(f.ctx, "slack:next:2")
		x, err := f.svc.ClaimNext(ctx, tickets.AgentActor(beto))
		if err != nil {
			t.Fatal(err)
		}
		y, err := f.svc.ClaimNext(ctx, tickets.AgentActor(beto))
		if err != nil || y.Number != x.Number || x.Number != b.Number {
			t.Errorf("Service ClaimNext twice = #%d, #%d, %v; want #%d twice", x.Number, y.Number, err, b.Number)
		}
	}},
	{"SkipsAHeadNotInFrom", func(t *testing.T, f *fixture) {
		// A queued ticket whose status is not the one a claim leads from
		// (left there by a change that kept it queued) is not claimed.
		a := f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "o1")
		f.clock.Advance(time.Second)
		b := f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "o2")
		odd := a
		odd.Version, odd.Status = 2, tickets.StatusWaiting
		if _, err := f.Store.Apply(f.ctx, tickets.Change{RequestID: "odd", Ticket: odd, Queue: tickets.QueueKeep,
			Event: tickets.Event{Number: a.Number, Kind: tickets.EventWaiting, From: tickets.StatusOpen, To: tickets.StatusWaiting}}); err != nil {
			t.Fatal(err)
		}
		diff(t, "queue", []int64{a.Number, b.Number}, f.queue(t))
		got, err := f.Store.ClaimNext(f.ctx, f.nextClaim(ana, "next-1"))
		if err != nil {
			t.Fatal(err)
		}
		if got.Number != b.Number {
			t.Errorf("ClaimNext took #%d; want #%d, skipping #%d, which is %s", got.Number, b.Number, a.Number, odd.Status)
		}
		diff(t, "skipped ticket", odd, f.get(t, a.Number), ignoreOpenedBy)
		_, err = f.Store.ClaimNext(f.ctx, f.nextClaim(ana, "next-2"))
		wantErr(t, "ClaimNext with only the skipped ticket left", err, tickets.ErrQueueEmpty)
		diff(t, "skipped ticket", odd, f.get(t, a.Number), ignoreOpenedBy)
	}},
	{"AppliesTheClaimAsGiven", func(t *testing.T, f *fixture) {
		// The store decides nothing: the status, the assignee and the event
		// are the ones in NextClaim, whatever they are.
		tk := f.create(t, f.ticket(f.customer(), 2, tickets.IntakeChat), "o1")
		f.clock.Advance(time.Second)
		c := f.nextClaim(ana, "next-1")
		c.To = tickets.StatusWaiting
		c.Event.To = tickets.StatusWaiting
		c.Event.Actor = tickets.Actor{Role: tickets.RoleAgent, ID: ana.ID, Name: "Ana (via /tickets next)"}
		got, err := f.Store.ClaimNext(f.ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		want := tk
		want.Status, want.Assignee, want.Version, want.UpdatedAt = tickets.StatusWaiting, ana, 2, c.At
		diff(t, "claimed ticket", want, got, ignoreOpenedBy)
		diff(t, "stored ticket", want, f.get(t, tk.Number), ignoreOpenedBy)
		ev := c.Event
		ev.Number, ev.Priority = tk.Number, tk.Priority
		diff(t, "appended event", []tickets.Event{ev}, f.eventsSince(t, 1))
	}},
}
