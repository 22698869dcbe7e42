package retention_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/internal/retention"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
	"github.com/colombiainformatica/ticketbot/tickets/ticketstest"
)

// setup stores n finished tickets and moves the clock past their retention.
func setup(t *testing.T, n int) (*store.Store, *tickets.Service) {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, store.Options{Prefix: prefix})
	c := ticketstest.NewClock(time.Date(2025, 1, 10, 9, 0, 0, 0, time.UTC))
	svc := tickets.NewService(st, st, st, tickets.Config{Clock: c, Retention: 30 * 24 * time.Hour})
	ctx := context.Background()
	agent := tickets.AgentActor(tickets.Agent{ID: "U0ANA", Name: "Ana"})
	for i := range n {
		id := fmt.Sprint(5000 + i)
		tk, err := svc.Open(ctx, tickets.OpenRequest{Customer: tickets.Customer{Platform: "telegram", UserID: id, ChatID: id, Name: "C" + id},
			Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "hola"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Claim(ctx, agent, tk.Number, false); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Resolve(ctx, agent, tk.Number); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(31 * 24 * time.Hour)
	return st, svc
}

func counted(t *testing.T, svc *tickets.Service) int64 {
	t.Helper()
	stats, err := svc.Statistics(context.Background(), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, m := range stats {
		n += m.Count
	}
	return n
}

// TestTwoRunnersSweepEachTicketOnce: two replicas' runners, under the
// lease, in batches of 7, expire each of 50 tickets once: the metric and
// the statistics count 50.
func TestTwoRunnersSweepEachTicketOnce(t *testing.T) {
	const n = 50
	st, svc := setup(t, n)
	ctx, cancel := context.WithCancel(context.Background())
	var total atomic.Int64
	all := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 2 {
		r := retention.New(svc, st, store.NewLeases(st), retention.Options{
			Batch: 7, Holder: fmt.Sprint("replica-", i), Interval: time.Hour,
			Expired: func(k int) {
				if total.Add(int64(k)) == n {
					close(all)
				}
			},
		})
		wg.Add(1)
		go func() { defer wg.Done(); _ = r.Run(ctx) }()
	}
	select {
	case <-all:
	case <-time.After(20 * time.Second):
		t.Fatalf("expired %d of %d", total.Load(), n)
	}
	cancel()
	wg.Wait()
	if got := total.Load(); got != n {
		t.Errorf("runners expired %d; want %d", got, n)
	}
	if got := counted(t, svc); got != n {
		t.Errorf("statistics count %d; want %d", got, n)
	}
}

// TestConcurrentRoundsCountOnce: even without the lease (two rounds at
// once, as after a lease lost mid-batch), a ticket is expired and counted
// once.
func TestConcurrentRoundsCountOnce(t *testing.T) {
	const n = 40
	st, svc := setup(t, n)
	var wg sync.WaitGroup
	var total atomic.Int64
	for range 2 {
		r := retention.New(svc, st, store.NewLeases(st), retention.Options{Batch: 5})
		wg.Add(1)
		go func() { defer wg.Done(); total.Add(int64(r.Round(context.Background()))) }()
	}
	wg.Wait()
	if got := total.Load(); got != n {
		t.Errorf("expired %d; want %d", got, n)
	}
	if got := counted(t, svc); got != n {
		t.Errorf("statistics count %d; want %d", got, n)
	}
}
