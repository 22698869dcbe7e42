package lease_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/internal/lease"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
)

func leases(t *testing.T) lease.Store {
	rdb, prefix := redistest.Client(t)
	return store.NewLeases(store.New(rdb, store.Options{Prefix: prefix}))
}

// running counts the holders whose job runs, and the most at once.
type running struct {
	mu       sync.Mutex
	now, max int
	started  chan string
}

func (r *running) job(id string) func(ctx context.Context) {
	return func(ctx context.Context) {
		r.mu.Lock()
		r.now++
		r.max = max(r.max, r.now)
		r.mu.Unlock()
		r.started <- id
		<-ctx.Done()
		r.mu.Lock()
		r.now--
		r.mu.Unlock()
	}
}

// TestOneHolderAndHandoverOnStop: of two holders one runs the job; when it
// stops, it releases the lease and the other takes over at once, without
// waiting for the lease to expire.
func TestOneHolderAndHandoverOnStop(t *testing.T) {
	st := leases(t)
	r := &running{started: make(chan string, 4)}
	ttl := 3 * time.Second
	run := func(id string) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		h := &lease.Holder{Store: st, Name: "job", ID: id, TTL: ttl}
		go func() { defer close(done); h.Run(ctx, r.job(id)) }()
		return func() { cancel(); <-done }
	}
	stopA := run("a")
	first := <-r.started
	stopB := run("b")
	select {
	case id := <-r.started:
		t.Fatalf("%s started while %s held the lease", id, first)
	case <-time.After(ttl + time.Second): // past a renewal and an expiry
	}
	start := time.Now()
	if first == "a" {
		stopA()
	} else {
		stopB()
	}
	select {
	case <-r.started:
		if d := time.Since(start); d > time.Second {
			t.Errorf("takeover after a stop took %v, want no lease wait", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nobody took over after the holder stopped")
	}
	stopA()
	stopB()
	if r.max != 1 {
		t.Errorf("%d jobs ran at once, want 1", r.max)
	}
}

// TestTakeoverAfterACrash: a holder that dies (its lease no longer
// renewed) is taken over within the lease's lifetime.
func TestTakeoverAfterACrash(t *testing.T) {
	st := leases(t)
	ctx := context.Background()
	ttl := 2 * time.Second
	if ok, err := st.Acquire(ctx, "job", "dead", ttl); err != nil || !ok {
		t.Fatalf("acquire = %v, %v", ok, err)
	}
	r := &running{started: make(chan string, 1)}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	go (&lease.Holder{Store: st, Name: "job", ID: "alive", TTL: ttl}).Run(rctx, r.job("alive"))
	select {
	case <-r.started:
		if d := time.Since(start); d > ttl+time.Second {
			t.Errorf("takeover after %v, want within the TTL and a poll", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the dead holder's lease was never taken over")
	}
}
