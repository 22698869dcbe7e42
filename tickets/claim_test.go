package tickets_test

import (
	"context"
	"sync"
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
	"github.com/colombiainformatica/ticketbot/tickets/ticketstest"
	"github.com/google/go-cmp/cmp"
)

// TestClaimRule is the one claim rule, as Service.Claim applies it and Can
// offers it: for every status a ticket can have and whoever claims it,
// with and without takeover, what the claim does.
func TestClaimRule(t *testing.T) {
	const noop = "no-op"
	for _, c := range []struct {
		name     string
		state    string // the ticket's status, Ana owning it once claimed
		actor    tickets.Actor
		takeover bool
		// want is the status after the claim, or the error code, or noop.
		want     tickets.Status
		code     string
		dequeued bool // the claim takes the ticket off the queue
	}{
		{name: "open", state: "open", actor: betoA, want: tickets.StatusClaimed, dequeued: true},
		{name: "open with takeover", state: "open", actor: betoA, takeover: true, want: tickets.StatusClaimed, dequeued: true},
		{name: "own claimed", state: "claimed", actor: anaA, code: noop},
		{name: "own waiting", state: "waiting", actor: anaA, want: tickets.StatusClaimed},
		{name: "another's claimed", state: "claimed", actor: betoA, code: tickets.ECONFLICT},
		{name: "another's waiting", state: "waiting", actor: betoA, code: tickets.ECONFLICT},
		{name: "takeover claimed", state: "claimed", actor: betoA, takeover: true, want: tickets.StatusClaimed},
		{name: "takeover waiting", state: "waiting", actor: betoA, takeover: true, want: tickets.StatusClaimed},
		{name: "own resolved", state: "resolved", actor: anaA, code: tickets.EINVALID},
		{name: "another's resolved with takeover", state: "resolved", actor: betoA, takeover: true, code: tickets.EINVALID},
		{name: "closed", state: "closed", actor: betoA, code: tickets.EINVALID},
		{name: "customer", state: "open", actor: aliceA, code: tickets.EFORBIDDEN},
		{name: "system", state: "open", actor: tickets.SystemActor, code: tickets.EFORBIDDEN},
		{name: "agent without an ID", state: "open", actor: tickets.Actor{Role: tickets.RoleAgent, Name: "?"}, code: tickets.EFORBIDDEN},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, tickets.Config{})
			tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
			reach := map[string][]func() (tickets.Ticket, error){
				"open":     nil,
				"claimed":  {func() (tickets.Ticket, error) { return e.svc.Claim(e.ctx, anaA, tk.Number, false) }},
				"waiting":  {func() (tickets.Ticket, error) { return e.svc.Claim(e.ctx, anaA, tk.Number, false) }, func() (tickets.Ticket, error) { return e.svc.SetWaiting(e.ctx, anaA, tk.Number) }},
				"resolved": {func() (tickets.Ticket, error) { return e.svc.Claim(e.ctx, anaA, tk.Number, false) }, func() (tickets.Ticket, error) { return e.svc.Resolve(e.ctx, anaA, tk.Number) }},
			}
			reach["closed"] = append(reach["resolved"], func() (tickets.Ticket, error) { return e.svc.Close(e.ctx, aliceA, tk.Number) })
			for _, step := range reach[c.state] {
				if _, err := step(); err != nil {
					t.Fatal(err)
				}
			}
			before := e.get(t, tk.Number)
			offered := tickets.Can(c.actor, before, tickets.ActionClaim)
			m := e.mark()
			got, err := e.svc.Claim(e.ctx, c.actor, tk.Number, c.takeover)
			switch c.code {
			case "":
				if err != nil {
					t.Fatalf("Claim: %v", err)
				}
				if got.Status != c.want || got.Assignee.ID != c.actor.ID {
					t.Errorf("claimed ticket is %s owned by %q; want %s owned by %q", got.Status, got.Assignee.ID, c.want, c.actor.ID)
				}
				ev := e.expectEvent(t, m, tk.Number, tickets.EventClaimed, before.Status, c.want)
				if takeover := before.Claimed() && before.Assignee.ID != c.actor.ID; ev.Takeover != takeover || (takeover && ev.Previous != before.Assignee) {
					t.Errorf("event takeover %v from %+v; want %v from %+v", ev.Takeover, ev.Previous, takeover, before.Assignee)
				}
				ch := e.store.Changes()
				last := ch[len(ch)-1]
				if dequeued := last.Queue == tickets.QueueRemove && last.CountsAsClaim; dequeued != c.dequeued {
					t.Errorf("change queue op %d, counts as claim %v; want dequeued %v", last.Queue, last.CountsAsClaim, c.dequeued)
				}
			case noop:
				if err != nil || got.Version != before.Version {
					t.Errorf("Claim = v%d, %v; want the ticket unchanged at v%d", got.Version, err, before.Version)
				}
				e.expectNoEvent(t, m)
			default:
				wantCode(t, err, c.code)
				e.expectNoEvent(t, m)
			}
			// Can offers exactly the claims that change something without
			// a takeover.
			if want := c.code == "" && !(c.takeover && before.Claimed()); offered != want {
				t.Errorf("Can(claim) = %v; want %v", offered, want)
			}
		})
	}
}

// nextClaims is a MemStore that records the NextClaim values it is given.
type nextClaims struct {
	*ticketstest.MemStore
	mu   sync.Mutex
	seen []tickets.NextClaim
}

func (s *nextClaims) ClaimNext(ctx context.Context, c tickets.NextClaim) (tickets.Ticket, error) {
	s.mu.Lock()
	s.seen = append(s.seen, c)
	s.mu.Unlock()
	return s.MemStore.ClaimNext(ctx, c)
}

// TestClaimNextDecidedByTheCore: the Service decides the claim of the head
// of the queue with the claim rule and hands it to the store whole; the
// store fills in only the number and the priority of the ticket it takes.
func TestClaimNextDecidedByTheCore(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	rec := &nextClaims{MemStore: e.store}
	e.svc = tickets.NewService(rec, e.store, e.store, tickets.Config{Clock: e.clock, Observer: e.obs})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	m := e.mark()
	got, err := e.svc.ClaimNext(tickets.WithRequestID(e.ctx, "slack:next:1"), anaA)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	want := tickets.NextClaim{
		RequestID: "slack:next:1", From: tickets.StatusOpen, To: tickets.StatusClaimed, Agent: ana, At: now,
		Event: tickets.Event{Kind: tickets.EventClaimed, From: tickets.StatusOpen, To: tickets.StatusClaimed, Actor: anaA, At: now},
	}
	if len(rec.seen) != 1 {
		t.Fatalf("the store was asked %d times", len(rec.seen))
	}
	if diff := cmp.Diff(want, rec.seen[0]); diff != "" {
		t.Errorf("NextClaim (-want +got):\n%s", diff)
	}
	ev := e.expectEvent(t, m, tk.Number, tickets.EventClaimed, tickets.StatusOpen, tickets.StatusClaimed)
	if ev.Priority != tk.Priority || ev.Actor != anaA {
		t.Errorf("claim-next event = %+v", ev)
	}
	if got.Status != tickets.StatusClaimed || got.Assignee != ana || got.Version != 2 || !got.UpdatedAt.Equal(now) {
		t.Errorf("claimed ticket = %+v", got)
	}
	// A customer is refused before the store is asked.
	_, err = e.svc.ClaimNext(e.ctx, aliceA)
	wantCode(t, err, tickets.EFORBIDDEN)
	if len(rec.seen) != 1 {
		t.Errorf("the store was asked for a customer's claim-next")
	}
}
