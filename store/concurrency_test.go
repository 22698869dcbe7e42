package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

func TestHundredAgentsClaimingOneTicketYieldOneOwner(t *testing.T) {
	e := newEnv(t)
	tk := e.open(t, 1, tickets.NatureOutage, tickets.UrgencyCritical)
	const n = 100
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
		holders = map[string]int{}
		start   = make(chan struct{})
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			a := tickets.AgentActor(tickets.Agent{ID: fmt.Sprintf("U%03d", i), Name: fmt.Sprintf("Agent %d", i)})
			<-start
			_, err := e.svc.Claim(context.Background(), a, tk.Number, false)
			mu.Lock()
			defer mu.Unlock()
			var te *tickets.Error
			switch {
			case err == nil:
				winners = append(winners, a.ID)
			case errors.As(err, &te) && te.Code == tickets.ECONFLICT:
				holders[te.Holder]++
			default:
				t.Errorf("claim by %s: unexpected error %v", a.ID, err)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("winners = %v, want exactly one", winners)
	}
	got, err := e.svc.Get(context.Background(), agentAna, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Assignee.ID != winners[0] || got.Status != tickets.StatusClaimed {
		t.Fatalf("stored owner %q status %s, winner %q", got.Assignee.ID, got.Status, winners[0])
	}
	// Every loser was told who holds it: the winner.
	if len(holders) != 1 || holders[got.Assignee.Name] != n-1 {
		t.Fatalf("losers were told holders %v, want %d × %q", holders, n-1, got.Assignee.Name)
	}
	// Exactly one claimed event.
	evs := readEvents(t, e)
	claims := 0
	for _, ev := range evs {
		if ev.Kind == tickets.EventClaimed {
			claims++
		}
	}
	if claims != 1 {
		t.Fatalf("%d claimed events, want 1", claims)
	}
}

func TestTwentyWorkersClaimNextEachTicketOnceInQueueOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 tickets; skipped with -short")
	}
	e := newEnv(t)
	ctx := context.Background()
	const n, workers = 10000, 20
	// Load fast through the store itself (same script as Service.Open),
	// in parallel; random priorities; arrival = clock order.
	rank := make(map[int64]float64, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				u := tickets.Urgencies[i%len(tickets.Urgencies)]
				na := tickets.Natures[(i/4)%len(tickets.Natures)]
				tk, err := e.svc.Open(ctx, tickets.OpenRequest{Customer: customer(i), Nature: na, Urgency: u, Description: "carga"})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				rank[tk.Number] = tk.Score()
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
		if i%50 == 0 {
			e.clock.Advance(1)
		}
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		return
	}
	claimed := make([][]int64, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			a := tickets.AgentActor(tickets.Agent{ID: fmt.Sprintf("UW%02d", w), Name: "W"})
			for {
				tk, err := e.svc.ClaimNext(ctx, a)
				if errors.Is(err, tickets.ErrQueueEmpty) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				claimed[w] = append(claimed[w], tk.Number)
			}
		}(w)
	}
	wg.Wait()
	seen := make(map[int64]int, n)
	before := func(a, b int64) bool { // a is ahead of b in the queue
		if rank[a] != rank[b] {
			return rank[a] < rank[b]
		}
		return a < b
	}
	for w, list := range claimed {
		for i, num := range list {
			seen[num]++
			if i > 0 && !before(list[i-1], num) {
				t.Fatalf("worker %d claimed #%d after #%d, against queue order", w, num, list[i-1])
			}
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct tickets claimed, want %d", len(seen), n)
	}
	for num, c := range seen {
		if c != 1 {
			t.Fatalf("ticket #%d claimed %d times", num, c)
		}
	}
}

func readEvents(t testing.TB, e *env) []tickets.Event {
	t.Helper()
	evs, err := e.store.Events(context.Background(), "", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// recorder is a tickets.Observer that records emitted events.
type recorder struct {
	mu     sync.Mutex
	events []tickets.Event
}

func (r *recorder) Observe(string, time.Duration, error) {}
func (r *recorder) Emitted(e tickets.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func TestEveryChangeHasExactlyOneEventInOrder(t *testing.T) {
	e := newEnv(t)
	rec := &recorder{}
	e.svc = tickets.NewService(e.store, e.store, e.store, tickets.Config{Clock: e.clock, Observer: rec})
	ctx := context.Background()
	c := customer(7)
	ca := tickets.CustomerActor(c)
	tk := e.open(t, 7, tickets.NatureMalfunction, tickets.UrgencyNormal)
	steps := []func() error{
		func() error { _, err := e.svc.Claim(ctx, agentAna, tk.Number, false); return err },
		func() error {
			_, _, err := e.svc.AddMessage(ctx, agentAna, tk.Number, tickets.MessageInput{Kind: tickets.MessageReply, Text: "¿Qué modelo?"})
			return err
		},
		func() error {
			_, _, err := e.svc.AddMessage(ctx, agentAna, tk.Number, tickets.MessageInput{Kind: tickets.MessageNote, Text: "cliente VIP"})
			return err
		},
		func() error { _, err := e.svc.SetWaiting(ctx, agentAna, tk.Number); return err },
		func() error {
			_, _, err := e.svc.AddMessage(ctx, ca, tk.Number, tickets.MessageInput{Text: "HP 1020"})
			return err
		},
		func() error { _, err := e.svc.SetPriority(ctx, agentAna, tk.Number, 1); return err },
		func() error { _, err := e.svc.Claim(ctx, agentBeto, tk.Number, true); return err },
		func() error { _, err := e.svc.Resolve(ctx, agentBeto, tk.Number); return err },
		func() error { _, err := e.svc.Rate(ctx, ca, tk.Number, 5, "¡gracias!"); return err },
		func() error { _, err := e.svc.Close(ctx, ca, tk.Number); return err },
		func() error { _, err := e.svc.Reopen(ctx, ca, tk.Number); return err },
		func() error { _, err := e.svc.ClaimNext(ctx, agentAna); return err },
		func() error { _, err := e.svc.Release(ctx, agentAna, tk.Number); return err },
		func() error { _, err := e.svc.FlagUnreachable(ctx, tk.Number, "blocked"); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		e.clock.Advance(time.Millisecond)
	}
	// Refused changes and no-ops write no event.
	if _, err := e.svc.Resolve(ctx, agentAna, tk.Number); err == nil {
		t.Fatal("resolving an open ticket succeeded")
	}
	if _, err := e.svc.FlagUnreachable(ctx, tk.Number, "blocked"); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind     tickets.EventKind
		from, to tickets.Status
	}{
		{tickets.EventOpened, 0, tickets.StatusOpen},
		{tickets.EventClaimed, tickets.StatusOpen, tickets.StatusClaimed},
		{tickets.EventReply, tickets.StatusClaimed, tickets.StatusClaimed},
		{tickets.EventNote, tickets.StatusClaimed, tickets.StatusClaimed},
		{tickets.EventWaiting, tickets.StatusClaimed, tickets.StatusWaiting},
		{tickets.EventMessage, tickets.StatusWaiting, tickets.StatusClaimed},
		{tickets.EventPriority, tickets.StatusClaimed, tickets.StatusClaimed},
		{tickets.EventClaimed, tickets.StatusClaimed, tickets.StatusClaimed},
		{tickets.EventResolved, tickets.StatusClaimed, tickets.StatusResolved},
		{tickets.EventRated, tickets.StatusResolved, tickets.StatusResolved},
		{tickets.EventClosed, tickets.StatusResolved, tickets.StatusClosed},
		{tickets.EventReopened, tickets.StatusClosed, tickets.StatusOpen},
		{tickets.EventClaimed, tickets.StatusOpen, tickets.StatusClaimed},
		{tickets.EventReleased, tickets.StatusClaimed, tickets.StatusOpen},
		{tickets.EventUnreachable, tickets.StatusOpen, tickets.StatusOpen},
	}
	evs := readEvents(t, e)
	if len(evs) != len(want) {
		t.Fatalf("%d events in the stream, want %d: %+v", len(evs), len(want), evs)
	}
	for i, w := range want {
		ev := evs[i]
		if ev.Kind != w.kind || ev.From != w.from || ev.To != w.to || ev.Number != tk.Number {
			t.Errorf("event %d = %s %s→%s #%d, want %s %s→%s", i, ev.Kind, ev.From, ev.To, ev.Number, w.kind, w.from, w.to)
		}
		if i > 0 && !ev.At.After(evs[i-1].At) {
			t.Errorf("event %d at %v not after event %d at %v", i, ev.At, i-1, evs[i-1].At)
		}
	}
	if evs[2].MessageID != 1 || evs[3].MessageID != 2 || evs[5].MessageID != 3 {
		t.Errorf("message ids of reply/note/message = %d/%d/%d, want 1/2/3", evs[2].MessageID, evs[3].MessageID, evs[5].MessageID)
	}
	if !evs[7].Takeover || evs[7].Previous.ID != "U0ANA" {
		t.Errorf("takeover event = %+v", evs[7])
	}
	if evs[6].OldPriority != 3 || evs[6].Priority != 1 {
		t.Errorf("priority event = %+v", evs[6])
	}
	// What the service reported as emitted is what the stream holds.
	if len(rec.events) != len(want) {
		t.Errorf("observer saw %d events, want %d", len(rec.events), len(want))
	}
	for i, ev := range rec.events {
		if ev.Kind != evs[i].Kind || ev.Number != evs[i].Number {
			t.Errorf("observer event %d = %s #%d, stream has %s #%d", i, ev.Kind, ev.Number, evs[i].Kind, evs[i].Number)
		}
	}
	msgs, err := e.svc.Conversation(ctx, ca, tk.Number, 10)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.Kind.String()+":"+m.Text)
	}
	sort.Strings(texts)
	if fmt.Sprint(texts) != "[customer:HP 1020 reply:¿Qué modelo?]" {
		t.Errorf("customer's conversation = %v (notes must be hidden)", texts)
	}
}

func TestRetriedWritesAreIdempotent(t *testing.T) {
	e := newEnv(t)
	ctx := tickets.WithRequestID(context.Background(), "tg:update:77")
	req := tickets.OpenRequest{Customer: customer(1), Nature: tickets.NatureBilling, Urgency: tickets.UrgencyLow, Description: "factura"}
	a, err := e.svc.Open(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.Open(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if a.Number != b.Number {
		t.Fatalf("retried open created #%d after #%d", b.Number, a.Number)
	}
	// The same change applied twice (as a go-redis retry after a lost
	// reply would) writes once.
	cur, err := e.store.Get(ctx, a.Number)
	if err != nil {
		t.Fatal(err)
	}
	next := cur
	next.Version++
	next.Status, next.Assignee = tickets.StatusClaimed, tickets.Agent{ID: "U0ANA", Name: "Ana"}
	c := tickets.Change{RequestID: "slack:ev:1", Ticket: next, Queue: tickets.QueueRemove,
		Event: tickets.Event{Number: a.Number, Kind: tickets.EventClaimed, From: tickets.StatusOpen, To: tickets.StatusClaimed, Actor: agentAna, At: e.clock.Now()}}
	for i := 0; i < 2; i++ {
		got, err := e.store.Apply(ctx, c)
		if err != nil {
			t.Fatalf("apply %d: %v", i, err)
		}
		if got.Version != 2 || got.Assignee.ID != "U0ANA" {
			t.Fatalf("apply %d returned %+v", i, got)
		}
	}
	// A different request on the stale version is a conflict.
	c.RequestID = "other"
	if _, err := e.store.Apply(ctx, c); !errors.Is(err, tickets.ErrVersionConflict) {
		t.Fatalf("stale apply: %v, want ErrVersionConflict", err)
	}
	// A late retry of the open, after the ticket changed, still finds it.
	late, err := e.svc.Open(ctx, req)
	if err != nil || late.Number != a.Number {
		t.Fatalf("late retried open = #%d, %v; want #%d", late.Number, err, a.Number)
	}
	if evs := readEvents(t, e); len(evs) != 2 {
		t.Fatalf("%d events, want 2 (opened, claimed)", len(evs))
	}
	// ClaimNext retried with the same request id returns the same ticket.
	e.open(t, 2, tickets.NatureBilling, tickets.UrgencyLow)
	e.open(t, 3, tickets.NatureBilling, tickets.UrgencyLow)
	cctx := tickets.WithRequestID(context.Background(), "next-1")
	x, err := e.svc.ClaimNext(cctx, agentBeto)
	if err != nil {
		t.Fatal(err)
	}
	y, err := e.svc.ClaimNext(cctx, agentBeto)
	if err != nil {
		t.Fatal(err)
	}
	if x.Number != y.Number {
		t.Fatalf("retried claim-next took #%d after #%d", y.Number, x.Number)
	}
	if got := queueNumbers(t, e); len(got) != 1 {
		t.Fatalf("queue after one claim-next of two = %v", got)
	}
}

// TestRetriedMessageAfterOtherChangesIsStoredOnce: an adapter handles an
// update again (after a crash, an outage) once other changes landed on the
// ticket; the message must still be stored, and announced, once.
func TestRetriedMessageAfterOtherChangesIsStoredOnce(t *testing.T) {
	e := newEnv(t)
	c := customer(9)
	ca := tickets.CustomerActor(c)
	tk := e.open(t, 9, tickets.NatureMalfunction, tickets.UrgencyHigh)
	bg := context.Background()
	if _, err := e.svc.Claim(bg, agentAna, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	update := tickets.WithRequestID(bg, "tg:u555")
	if _, _, err := e.svc.AddMessage(update, ca, tk.Number, tickets.MessageInput{Text: "sigue sin funcionar"}); err != nil {
		t.Fatal(err)
	}
	// Other changes in between.
	if _, _, err := e.svc.AddMessage(bg, agentAna, tk.Number, tickets.MessageInput{Kind: tickets.MessageReply, Text: "¿Reinició?"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.MarkDelivered(bg, tk.Number, 2); err != nil {
		t.Fatal(err)
	}
	// The same update handled again.
	if _, _, err := e.svc.AddMessage(update, ca, tk.Number, tickets.MessageInput{Text: "sigue sin funcionar"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := e.svc.Conversation(bg, agentAna, tk.Number, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("conversation has %d messages, want 2 (the customer's once, the reply): %+v", len(msgs), msgs)
	}
	n := 0
	for _, ev := range readEvents(t, e) {
		if ev.Kind == tickets.EventMessage {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d message events, want 1", n)
	}
}

func TestRepeatedClaimNextIsReportedOnce(t *testing.T) {
	e := newEnv(t)
	rec := &recorder{}
	e.svc = tickets.NewService(e.store, e.store, e.store, tickets.Config{Clock: e.clock, Observer: rec})
	e.open(t, 1, tickets.NatureBilling, tickets.UrgencyLow)
	e.open(t, 2, tickets.NatureBilling, tickets.UrgencyLow)
	ctx := tickets.WithRequestID(context.Background(), "slack:cmd:next-1")
	for i := 0; i < 2; i++ {
		if _, err := e.svc.ClaimNext(ctx, agentAna); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Millisecond)
	}
	claims := 0
	for _, ev := range rec.events {
		if ev.Kind == tickets.EventClaimed {
			claims++
		}
	}
	if claims != 1 {
		t.Fatalf("observer saw %d claims for one repeated claim-next, want 1", claims)
	}
}

// TestRetriedStatusChangeSucceedsOnce: a status change whose reply was lost
// is handled again with the same request id; the ticket already has the new
// status, which the rules would refuse to set again: the retry succeeds and
// writes nothing.
func TestRetriedStatusChangeSucceedsOnce(t *testing.T) {
	e := newEnv(t)
	tk := e.open(t, 3, tickets.NatureAccess, tickets.UrgencyHigh)
	bg := context.Background()
	if _, err := e.svc.Claim(bg, agentAna, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	ctx := tickets.WithRequestID(bg, "slack:ev:Ev123")
	for i := 0; i < 2; i++ {
		got, err := e.svc.SetWaiting(ctx, agentAna, tk.Number)
		if err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		if got.Status != tickets.StatusWaiting {
			t.Fatalf("attempt %d: status %s", i+1, got.Status)
		}
	}
	// A different request for the same change is judged by the rules.
	if _, err := e.svc.SetWaiting(bg, agentAna, tk.Number); tickets.ErrorCode(err) != tickets.EINVALID {
		t.Fatalf("a new request to wait a waiting ticket: %v, want EINVALID", err)
	}
	n := 0
	for _, ev := range readEvents(t, e) {
		if ev.Kind == tickets.EventWaiting {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d waiting events, want 1", n)
	}
}
