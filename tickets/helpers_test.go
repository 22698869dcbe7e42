package tickets_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
	"github.com/colombiainformatica/ticketbot/tickets/ticketstest"
	"github.com/google/go-cmp/cmp"
)

// fixedClock is a Clock that moves only when the test says so.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recorder is an Observer that keeps every event the Service emits.
type recorder struct {
	mu     sync.Mutex
	events []tickets.Event
	ops    []string
}

func (r *recorder) Observe(op string, _ time.Duration, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, op)
}

func (r *recorder) Emitted(e tickets.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) emitted() []tickets.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

var (
	start = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

	alice  = tickets.Customer{Platform: "telegram", UserID: "100", ChatID: "100", Name: "Alice", Language: "es"}
	bob    = tickets.Customer{Platform: "telegram", UserID: "200", ChatID: "200", Name: "Bob", Language: "en"}
	mailer = tickets.Customer{Platform: "email", UserID: "carla@example.com", Name: "Carla"}

	ana  = tickets.Agent{ID: "U1", Name: "Ana"}
	beto = tickets.Agent{ID: "U2", Name: "Beto"}

	aliceA = tickets.CustomerActor(alice)
	bobA   = tickets.CustomerActor(bob)
	anaA   = tickets.AgentActor(ana)
	betoA  = tickets.AgentActor(beto)
)

// env is a Service over a ticketstest.MemStore with a fixed clock and a
// recorder.
type env struct {
	svc   *tickets.Service
	store *ticketstest.MemStore
	obs   *recorder
	clock *fixedClock
	ctx   context.Context
}

func newEnv(t testing.TB, cfg tickets.Config) *env {
	t.Helper()
	e := &env{store: ticketstest.NewMemStore(), obs: &recorder{}, clock: &fixedClock{now: start}, ctx: context.Background()}
	cfg.Clock, cfg.Observer = e.clock, e.obs
	e.svc = tickets.NewService(e.store, e.store, e.store, cfg)
	return e
}

// open opens a chat ticket for c and advances the clock by a second, so
// that tickets opened one after the other have distinct arrival times.
func (e *env) open(t testing.TB, c tickets.Customer, n tickets.Nature, u tickets.Urgency) tickets.Ticket {
	t.Helper()
	intake := tickets.IntakeChat
	if c.Platform == "email" {
		intake = tickets.IntakeEmail
	}
	tk, err := e.svc.Open(e.ctx, tickets.OpenRequest{Customer: c, Intake: intake, Nature: n, Urgency: u, Description: "printer on fire\nsecond line"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	e.clock.Advance(time.Second)
	return tk
}

// mark returns how many events were emitted and stored so far, for
// expectEvent.
type mark struct{ emitted, stored int }

func (e *env) mark() mark {
	return mark{len(e.obs.emitted()), len(e.store.Events())}
}

// expectEvent checks that since m exactly one event was emitted and exactly
// one was stored, that they are the same, and that it has kind, from, to.
func (e *env) expectEvent(t testing.TB, m mark, number int64, kind tickets.EventKind, from, to tickets.Status) tickets.Event {
	t.Helper()
	emitted, stored := e.obs.emitted()[m.emitted:], e.store.Events()[m.stored:]
	if len(emitted) != 1 || len(stored) != 1 {
		t.Fatalf("%s: %d events emitted and %d stored; want exactly one of each\nemitted: %+v\nstored: %+v", kind, len(emitted), len(stored), emitted, stored)
	}
	if diff := cmp.Diff(stored[0], emitted[0]); diff != "" {
		t.Errorf("%s: the emitted event differs from the stored one (-stored +emitted):\n%s", kind, diff)
	}
	ev := stored[0]
	if ev.Number != number || ev.Kind != kind || ev.From != from || ev.To != to {
		t.Errorf("event = #%d %s %s→%s; want #%d %s %s→%s", ev.Number, ev.Kind, ev.From, ev.To, number, kind, from, to)
	}
	if !ev.At.Equal(e.clock.Now().UTC().Truncate(time.Millisecond)) {
		t.Errorf("%s: event At = %v; want the clock's %v", kind, ev.At, e.clock.Now())
	}
	return ev
}

// expectNoEvent checks that nothing was emitted or stored since m.
func (e *env) expectNoEvent(t testing.TB, m mark) {
	t.Helper()
	if now := e.mark(); now != m {
		t.Errorf("events were written: emitted %d→%d, stored %d→%d", m.emitted, now.emitted, m.stored, now.stored)
	}
}

func (e *env) get(t testing.TB, number int64) tickets.Ticket {
	t.Helper()
	tk, err := e.store.Get(e.ctx, number)
	if err != nil {
		t.Fatalf("store.Get(%d): %v", number, err)
	}
	return tk
}

// queueNumbers returns the queued ticket numbers in queue order.
func (e *env) queueNumbers(t testing.TB) []int64 {
	t.Helper()
	entries, total, err := e.svc.QueuePage(e.ctx, anaA, 0, tickets.MaxPageSize)
	if err != nil {
		t.Fatalf("QueuePage: %v", err)
	}
	var ns []int64
	for i, en := range entries {
		if en.Position != int64(i+1) {
			t.Errorf("entry %d has position %d", i, en.Position)
		}
		ns = append(ns, en.Ticket.Number)
	}
	if total != int64(len(ns)) {
		t.Errorf("QueuePage total = %d; listed %d", total, len(ns))
	}
	return ns
}

// wantCode fails unless err is an *Error with code.
func wantCode(t testing.TB, err error, code string) *tickets.Error {
	t.Helper()
	var e *tickets.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v; want an *Error with code %q", err, code)
	}
	return e
}

// wantMessage fails unless err's user-safe message contains sub.
func wantMessage(t testing.TB, err error, sub string) {
	t.Helper()
	if msg := tickets.ErrorMessage(err); !strings.Contains(msg, sub) {
		t.Errorf("message %q does not contain %q", msg, sub)
	}
}
