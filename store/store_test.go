package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// fixedClock is a clock the test moves by hand.
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
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type env struct {
	rdb   redis.UniversalClient
	store *store.Store
	svc   *tickets.Service
	clock *fixedClock
}

func newEnv(t testing.TB) *env {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	return newEnvOn(rdb, store.Options{Prefix: prefix})
}

// newEnvOn is newEnv over any client (Cluster, Sentinel) and desk.
func newEnvOn(rdb redis.UniversalClient, opts store.Options) *env {
	st := store.New(rdb, opts)
	clock := &fixedClock{now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	svc := tickets.NewService(st, st, st, tickets.Config{Clock: clock})
	return &env{rdb: rdb, store: st, svc: svc, clock: clock}
}

func customer(i int) tickets.Customer {
	id := fmt.Sprint(1000 + i)
	return tickets.Customer{Platform: "telegram", UserID: id, ChatID: id, Name: "Cliente " + id, Language: "es"}
}

var agentAna = tickets.AgentActor(tickets.Agent{ID: "U0ANA", Name: "Ana"})
var agentBeto = tickets.AgentActor(tickets.Agent{ID: "U0BETO", Name: "Beto"})

func (e *env) open(t testing.TB, i int, n tickets.Nature, u tickets.Urgency) tickets.Ticket {
	t.Helper()
	tk, err := e.svc.Open(context.Background(), tickets.OpenRequest{
		Customer: customer(i), Nature: n, Urgency: u,
		Description: fmt.Sprintf("Problema %d: la impresora no imprime", i),
	})
	if err != nil {
		t.Fatalf("open %d: %v", i, err)
	}
	e.clock.Advance(time.Millisecond)
	return tk
}

func queueNumbers(t testing.TB, e *env) []int64 {
	t.Helper()
	entries, _, err := e.svc.QueuePage(context.Background(), agentAna, 0, tickets.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, en := range entries {
		out = append(out, en.Ticket.Number)
	}
	return out
}

func TestOpenGetRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := customer(1)
	c.Name = `Zoë "<b>" O'Brien 😀`
	in := tickets.OpenRequest{
		Customer: c, Nature: tickets.NatureMalfunction, Urgency: tickets.UrgencyHigh,
		Description: "No funciona el correo\n<script>alert(1)</script> & ñandú",
		Attachments: []tickets.Attachment{{Kind: "photo", FileID: "AgAD-1", Name: "pantalla.png", Size: 1234}},
	}
	got, err := e.svc.Open(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != 1 || got.Version != 1 || got.Status != tickets.StatusOpen || got.Priority != 2 {
		t.Fatalf("opened ticket = %+v", got)
	}
	read, err := e.svc.Get(ctx, tickets.CustomerActor(c), got.Number)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, read); diff != "" {
		t.Fatalf("read back differs (-opened +read):\n%s", diff)
	}
	// A claim-next rewrites the record in Lua (cjson): nothing may change
	// but the claim itself.
	claimed, err := e.svc.ClaimNext(ctx, agentAna)
	if err != nil {
		t.Fatal(err)
	}
	want := read
	want.Status, want.Assignee, want.Version = tickets.StatusClaimed, tickets.Agent{ID: "U0ANA", Name: "Ana"}, 2
	want.UpdatedAt = claimed.UpdatedAt
	if diff := cmp.Diff(want, claimed); diff != "" {
		t.Fatalf("claimed ticket differs (-want +got):\n%s", diff)
	}
	again, err := e.svc.Get(ctx, agentAna, got.Number)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(claimed, again); diff != "" {
		t.Fatalf("re-read differs:\n%s", diff)
	}
}

func TestQueueOrderFIFOWithinPriorityAndPriorityAcross(t *testing.T) {
	e := newEnv(t)
	low1 := e.open(t, 1, tickets.NatureQuestion, tickets.UrgencyLow)      // P4
	high1 := e.open(t, 2, tickets.NatureMalfunction, tickets.UrgencyHigh) // P2
	low2 := e.open(t, 3, tickets.NatureQuestion, tickets.UrgencyLow)      // P4
	outage := e.open(t, 4, tickets.NatureOutage, tickets.UrgencyLow)      // P1
	high2 := e.open(t, 5, tickets.NatureMalfunction, tickets.UrgencyHigh) // P2
	email, err := e.svc.Open(context.Background(), tickets.OpenRequest{   // P2, e-mail: behind chat P2
		Customer: tickets.Customer{Platform: "email", UserID: "a@b.co", ChatID: "a@b.co"}, Intake: tickets.IntakeEmail,
		Nature: tickets.NatureMalfunction, Urgency: tickets.UrgencyHigh, Description: "por correo",
	})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Millisecond)
	high3 := e.open(t, 6, tickets.NatureMalfunction, tickets.UrgencyHigh) // P2, chat, later than the e-mail
	want := []int64{outage.Number, high1.Number, high2.Number, high3.Number, email.Number, low1.Number, low2.Number}
	if diff := cmp.Diff(want, queueNumbers(t, e)); diff != "" {
		t.Fatalf("queue order (-want +got):\n%s", diff)
	}
	// claim-next follows the same order
	for i, n := range want {
		tk, err := e.svc.ClaimNext(context.Background(), agentAna)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Number != n {
			t.Fatalf("claim %d got #%d, want #%d", i, tk.Number, n)
		}
	}
	if _, err := e.svc.ClaimNext(context.Background(), agentAna); !errors.Is(err, tickets.ErrQueueEmpty) {
		t.Fatalf("claim on empty queue: %v, want ErrQueueEmpty", err)
	}
}

func TestEqualScoresGoToTheEarlierTicket(t *testing.T) {
	e := newEnv(t)
	// No clock advance: all arrive in the same millisecond.
	var want []int64
	for i := 0; i < 12; i++ {
		tk, err := e.svc.Open(context.Background(), tickets.OpenRequest{Customer: customer(i), Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "x"})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, tk.Number)
	}
	if diff := cmp.Diff(want, queueNumbers(t, e)); diff != "" {
		t.Fatalf("tie order (-want +got):\n%s", diff)
	}
}

func position(t testing.TB, e *env, n int64) int64 {
	t.Helper()
	p, err := e.svc.Position(context.Background(), agentAna, n)
	if err != nil {
		t.Fatal(err)
	}
	return p.Position
}

func TestPositionAfterClaimsReleasesAndPriorityChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var ts []tickets.Ticket
	for i := 0; i < 5; i++ {
		ts = append(ts, e.open(t, i, tickets.NatureMalfunction, tickets.UrgencyNormal)) // all P3
	}
	for i, tk := range ts {
		if got := position(t, e, tk.Number); got != int64(i+1) {
			t.Fatalf("position of #%d = %d, want %d", tk.Number, got, i+1)
		}
	}
	// claim the second: it leaves the queue, those behind move up
	if _, err := e.svc.Claim(ctx, agentAna, ts[1].Number, false); err != nil {
		t.Fatal(err)
	}
	if got := position(t, e, ts[1].Number); got != 0 {
		t.Fatalf("claimed ticket position = %d, want 0", got)
	}
	if got := position(t, e, ts[4].Number); got != 4 {
		t.Fatalf("last position after a claim = %d, want 4", got)
	}
	// release: back at its original arrival position
	if _, err := e.svc.Release(ctx, agentAna, ts[1].Number); err != nil {
		t.Fatal(err)
	}
	if got := position(t, e, ts[1].Number); got != 2 {
		t.Fatalf("released ticket position = %d, want 2", got)
	}
	// raise the last to P1: first
	if _, err := e.svc.SetPriority(ctx, agentAna, ts[4].Number, 1); err != nil {
		t.Fatal(err)
	}
	if got := position(t, e, ts[4].Number); got != 1 {
		t.Fatalf("raised ticket position = %d, want 1", got)
	}
	if got := position(t, e, ts[0].Number); got != 2 {
		t.Fatalf("first ticket after a raise = %d, want 2", got)
	}
	// lower it back: back at its arrival place among P3
	if _, err := e.svc.SetPriority(ctx, agentAna, ts[4].Number, 3); err != nil {
		t.Fatal(err)
	}
	want := []int64{ts[0].Number, ts[1].Number, ts[2].Number, ts[3].Number, ts[4].Number}
	if diff := cmp.Diff(want, queueNumbers(t, e)); diff != "" {
		t.Fatalf("queue after lowering (-want +got):\n%s", diff)
	}
	p, err := e.svc.Position(ctx, agentAna, ts[2].Number)
	if err != nil {
		t.Fatal(err)
	}
	if p.Length != 5 || p.Position != 3 {
		t.Fatalf("placement = %+v, want position 3 of 5", p)
	}
	if !p.Estimate.Known || p.Estimate.Wait <= 0 {
		t.Fatalf("estimate after a claim in the window = %+v, want a known wait", p.Estimate)
	}
}

func TestCustomerSeesOnlyOwnTickets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	mine := e.open(t, 1, tickets.NatureAccess, tickets.UrgencyNormal)
	other := tickets.CustomerActor(customer(2))
	if _, err := e.svc.Get(ctx, other, mine.Number); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("another customer's Get: %v, want ErrNotFound", err)
	}
	if _, err := e.svc.Position(ctx, other, mine.Number); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("another customer's Position: %v, want ErrNotFound", err)
	}
	if _, _, err := e.svc.AddMessage(ctx, other, mine.Number, tickets.MessageInput{Text: "hola"}); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("another customer's message: %v, want ErrNotFound", err)
	}
	list, err := e.svc.CustomerTickets(ctx, tickets.CustomerActor(customer(1)), customer(1).Key(), 0, 10)
	if err != nil || len(list) != 1 || list[0].Number != mine.Number {
		t.Fatalf("own list = %v, %v", list, err)
	}
	list, err = e.svc.CustomerTickets(ctx, other, customer(2).Key(), 0, 10)
	if err != nil || len(list) != 0 {
		t.Fatalf("other's list = %v, %v; want empty", list, err)
	}
}
