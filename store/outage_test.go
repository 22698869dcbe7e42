package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestRedisOutageGivesErrorsAndNoHalfWrittenTickets kills Redis (SIGKILL)
// while tickets are being opened and claimed, checks that callers get
// errors (not panics), restarts it from its append-only file, and checks
// that every ticket is whole and that work resumes.
func TestRedisOutageGivesErrorsAndNoHalfWrittenTickets(t *testing.T) {
	srv := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: 1, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, MinRetryBackoff: time.Millisecond, MaxRetryBackoff: 5 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	st := store.New(rdb, store.Options{Prefix: "outage"})
	clock := &fixedClock{now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	svc := tickets.NewService(st, st, st, tickets.Config{Clock: clock})
	e := &env{rdb: rdb, store: st, svc: svc, clock: clock}

	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_, err := svc.Open(ctx, tickets.OpenRequest{Customer: customer(w*100000 + i), Nature: tickets.NatureMalfunction, Urgency: tickets.UrgencyNormal, Description: "durante la caída"})
				if err == nil && i%3 == 0 {
					_, err = svc.ClaimNext(ctx, agentAna)
				}
				cancel()
				if err != nil {
					if tickets.ErrorCode(err) != tickets.EINTERNAL {
						t.Errorf("error during outage has code %q: %v", tickets.ErrorCode(err), err)
					}
					failed.Add(1)
				} else {
					ok.Add(1)
				}
			}
		}(w)
	}
	waitFor(t, func() bool { return ok.Load() > 200 })
	srv.Stop()
	before := failed.Load()
	waitFor(t, func() bool { return failed.Load() > before+20 })
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	okAtRestart := ok.Load()
	waitFor(t, func() bool { return ok.Load() > okAtRestart+200 })
	close(stop)
	wg.Wait()
	t.Logf("%d operations succeeded, %d failed during the outage", ok.Load(), failed.Load())

	// Every numbered ticket is whole: its record, exactly one opened event,
	// its customer index entry, and it is queued iff it is open.
	ctx := context.Background()
	last, err := rdb.Get(ctx, st.Key("seq")).Int64()
	if err != nil {
		t.Fatal(err)
	}
	opened := map[int64]int{}
	for _, ev := range readEvents(t, e) {
		if ev.Kind == tickets.EventOpened {
			opened[ev.Number]++
		}
	}
	for n := int64(1); n <= last; n++ {
		tk, err := st.Get(ctx, n)
		if err != nil {
			t.Fatalf("ticket #%d of %d: %v", n, last, err)
		}
		if opened[n] != 1 {
			t.Fatalf("ticket #%d has %d opened events", n, opened[n])
		}
		slot, err := st.Position(ctx, n, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if (slot.Position > 0) != (tk.Status == tickets.StatusOpen) {
			t.Fatalf("ticket #%d is %s with queue position %d", n, tk.Status, slot.Position)
		}
		mine, err := st.ByCustomer(ctx, tk.Customer.Key(), 0, 10)
		if err != nil || len(mine) != 1 || mine[0].Number != n {
			t.Fatalf("customer index of #%d = %v, %v", n, mine, err)
		}
	}
	if len(opened) != int(last) {
		t.Fatalf("%d opened events for %d tickets", len(opened), last)
	}
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
