package ticketstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Stores is one implementation of the core's storage interfaces, as Run
// tests it.
type Stores struct {
	Store    tickets.Store
	Queue    tickets.Queue
	Profiles tickets.Profiles
	// Events reads the desk's whole event log, oldest first, so the suite
	// can check that every change appended exactly its event.
	Events func(ctx context.Context) ([]tickets.Event, error)
}

// Stores returns s as Stores, for Run.
func (s *MemStore) Stores() Stores {
	return Stores{Store: s, Queue: s, Profiles: s, Events: func(context.Context) ([]tickets.Event, error) { return s.Events(), nil }}
}

// Run checks that an implementation of tickets.Store, tickets.Queue and
// tickets.Profiles keeps every contract their documentation states, both
// through a tickets.Service and by calling them directly, including two
// parallel races (many agents claiming one ticket, many workers claiming
// the next). newStores returns a new, empty implementation; it is called
// once per subtest.
func Run(t *testing.T, newStores func(t *testing.T) Stores) {
	groups := []struct {
		name  string
		tests []subtest
	}{
		{"Create", createTests},
		{"Get", getTests},
		{"Apply", applyTests},
		{"Queue", queueTests},
		{"Position", positionTests},
		{"Indexes", indexTests},
		{"ClaimNext", claimNextTests},
		{"Messages", messageTests},
		{"Profiles", profileTests},
		{"Erase", eraseTests},
		{"Race", raceTests},
		{"Retention", retentionTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, st := range g.tests {
				t.Run(st.name, func(t *testing.T) {
					st.run(t, newFixture(t, newStores(t)))
				})
			}
		})
	}
}

// subtest is one check of the suite, run on a fresh store.
type subtest struct {
	name string
	run  func(t *testing.T, f *fixture)
}

// start is the suite's first clock reading: whole milliseconds in UTC, as
// every store keeps times.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fixture is one store under test, with a Service over it and a clock that
// moves only when the test says so.
type fixture struct {
	Stores
	ctx   context.Context
	svc   *tickets.Service
	clock *Clock
	seq   int // customers and request IDs made so far
}

func newFixture(t *testing.T, s Stores) *fixture {
	t.Helper()
	if s.Store == nil || s.Queue == nil || s.Profiles == nil || s.Events == nil {
		t.Fatal("ticketstest: Stores has a nil field")
	}
	f := &fixture{Stores: s, ctx: context.Background(), clock: NewClock(start)}
	f.svc = tickets.NewService(s.Store, s.Queue, s.Profiles, tickets.Config{Clock: f.clock})
	return f
}

// Clock is a tickets.Clock that moves only when told (safe for
// concurrent use).
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock that reads at.
func NewClock(at time.Time) *Clock { return &Clock{now: at} }

// Now implements tickets.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var (
	ana  = tickets.Agent{ID: "U0ANA", Name: "Ana"}
	beto = tickets.Agent{ID: "U0BETO", Name: "Beto"}
)

// Comparison options: a store returns no empty slices it was not given and
// sets event IDs of its own.
var (
	equateEmpty    = cmpopts.EquateEmpty()
	ignoreEventID  = cmpopts.IgnoreFields(tickets.Event{}, "ID")
	ignoreOpenedBy = cmpopts.IgnoreFields(tickets.Ticket{}, "OpenRequest") // checked by Create/OpenRequestKept alone
)

// customer returns a new chat customer.
func (f *fixture) customer() tickets.Customer {
	f.seq++
	id := fmt.Sprint(7000 + f.seq)
	return tickets.Customer{Platform: "telegram", UserID: id, ChatID: id, Name: "Cliente " + id, Language: "es"}
}

// rid returns a new request ID.
func (f *fixture) rid(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s-%d", prefix, f.seq)
}

// ticket returns a new ticket as Service.Open makes it, of priority p and
// intake in, arriving now; Create numbers it.
func (f *fixture) ticket(c tickets.Customer, p tickets.Priority, in tickets.Intake) tickets.Ticket {
	now := f.clock.Now()
	return tickets.Ticket{
		Customer: c, Intake: in, Nature: tickets.NatureMalfunction, Urgency: tickets.UrgencyNormal, Priority: p,
		Subject: tickets.DerivedSubject("la impresora no imprime"), Description: "la impresora no imprime",
		Status: tickets.StatusOpen, CreatedAt: now, UpdatedAt: now,
	}
}

// create stores t through Store.Create with request ID rid, with the event
// Service.Open writes.
func (f *fixture) create(t *testing.T, tk tickets.Ticket, rid string) tickets.Ticket {
	t.Helper()
	tk.OpenRequest = rid
	ev := tickets.Event{Kind: tickets.EventOpened, To: tickets.StatusOpen, Actor: tickets.CustomerActor(tk.Customer), At: tk.CreatedAt, Priority: tk.Priority}
	got, err := f.Store.Create(f.ctx, tk, ev, rid)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return got
}

// open opens a ticket of a new customer through the Service and moves the
// clock on by a millisecond, so arrivals are distinct.
func (f *fixture) open(t *testing.T, n tickets.Nature, u tickets.Urgency) tickets.Ticket {
	t.Helper()
	tk, err := f.svc.Open(f.ctx, tickets.OpenRequest{Customer: f.customer(), Nature: n, Urgency: u, Description: "no funciona"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	f.clock.Advance(time.Millisecond)
	return tk
}

func (f *fixture) get(t *testing.T, number int64) tickets.Ticket {
	t.Helper()
	tk, err := f.Store.Get(f.ctx, number)
	if err != nil {
		t.Fatalf("Get(%d): %v", number, err)
	}
	return tk
}

func (f *fixture) events(t *testing.T) []tickets.Event {
	t.Helper()
	evs, err := f.Events(f.ctx)
	if err != nil {
		t.Fatalf("read events: %v", err)
	}
	return evs
}

// eventsSince returns the events appended after the first n.
func (f *fixture) eventsSince(t *testing.T, n int) []tickets.Event {
	t.Helper()
	evs := f.events(t)
	if len(evs) < n {
		t.Fatalf("the event log shrank from %d to %d", n, len(evs))
	}
	return evs[n:]
}

// queue returns the numbers of the queued tickets in queue order, checking
// that Page's total is the queue's length.
func (f *fixture) queue(t *testing.T) []int64 {
	t.Helper()
	ts, total, err := f.Queue.Page(f.ctx, 0, tickets.MaxPageSize)
	if err != nil {
		t.Fatalf("Page: %v", err)
	}
	if total != int64(len(ts)) {
		t.Errorf("Page total = %d; listed %d", total, len(ts))
	}
	return numbers(ts)
}

func (f *fixture) byAgent(t *testing.T, id string) []int64 {
	t.Helper()
	ts, err := f.Queue.ByAgent(f.ctx, id, 0, tickets.MaxPageSize)
	if err != nil {
		t.Fatalf("ByAgent(%s): %v", id, err)
	}
	return numbers(ts)
}

func numbers(ts []tickets.Ticket) []int64 {
	out := []int64{}
	for _, tk := range ts {
		out = append(out, tk.Number)
	}
	return out
}

// change returns the Change that claims cur for agent a now, as
// Service.Claim makes it.
func (f *fixture) change(cur tickets.Ticket, a tickets.Agent, rid string) tickets.Change {
	now := f.clock.Now()
	next := cur
	next.Version++
	next.Status, next.Assignee, next.UpdatedAt = tickets.StatusClaimed, a, now
	return tickets.Change{
		RequestID: rid, Ticket: next, PreviousAssignee: cur.Assignee.ID, Queue: tickets.QueueRemove, CountsAsClaim: true,
		Event: tickets.Event{Number: cur.Number, Kind: tickets.EventClaimed, From: cur.Status, To: tickets.StatusClaimed,
			Actor: tickets.AgentActor(a), At: now, Priority: cur.Priority},
	}
}

// nextClaim returns the NextClaim Service.ClaimNext hands the store for
// agent a now.
func (f *fixture) nextClaim(a tickets.Agent, rid string) tickets.NextClaim {
	now := f.clock.Now()
	return tickets.NextClaim{
		RequestID: rid, From: tickets.StatusOpen, To: tickets.StatusClaimed, Agent: a, At: now,
		Event: tickets.Event{Kind: tickets.EventClaimed, From: tickets.StatusOpen, To: tickets.StatusClaimed, Actor: tickets.AgentActor(a), At: now},
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: %v; want %v", what, err, target)
	}
}

func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	opts = append(opts, equateEmpty, ignoreEventID)
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}
