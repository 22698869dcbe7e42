package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestSentinelFailoverKeepsTheStoreWorking runs the store on Sentinel
// through the client cmd/ticketbot builds (NewUniversalClient with the
// sentinel addresses and MasterName), forces a failover, and checks that
// the same client follows the new master: what was written and replicated
// before is there, and new opens and claims succeed within a bounded wait
// and land on the new master.
func TestSentinelFailoverKeepsTheStoreWorking(t *testing.T) {
	s := redistest.StartSentinel(t)
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: s.Addrs(), MasterName: s.MasterName})
	t.Cleanup(func() { rdb.Close() })
	e := newEnvOn(rdb, store.Options{Prefix: redistest.Prefix(t)})
	ctx := context.Background()

	runDeskFlow(t, e, 0)
	ob := store.NewDelivery(e.store)
	if err := ob.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ob.Join(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err := ob.ReadEvents(ctx, "w1", 100, 10*time.Millisecond)
	if err != nil || len(evs) != 10 {
		t.Fatalf("the group read %d events, %v; want 10", len(evs), err)
	}
	last := evs[len(evs)-1].ID
	if _, err := ob.Enqueue(ctx, last, []delivery.Message{msg(last+"/r", "R", "")}, t0); err != nil {
		t.Fatal(err)
	}
	// The replica has acknowledged everything written so far.
	if n, err := rdb.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %d, %v; want the replica's acknowledgement", n, err)
	}

	sentinel := redis.NewSentinelClient(&redis.Options{Addr: s.Addrs()[0]})
	t.Cleanup(func() { sentinel.Close() })
	start := time.Now()
	if err := sentinel.Failover(ctx, s.MasterName).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	eventually(t, 20*time.Second, "every sentinel names the replica as master", func() error {
		for _, a := range s.Addrs() {
			sc := redis.NewSentinelClient(&redis.Options{Addr: a})
			got, err := sc.GetMasterAddrByName(ctx, s.MasterName).Result()
			sc.Close()
			if err != nil {
				return err
			}
			if len(got) != 2 || got[0]+":"+got[1] != s.Replica.Addr() {
				return fmt.Errorf("sentinel %s names %v", a, got)
			}
		}
		return nil
	})
	promoted := redis.NewClient(&redis.Options{Addr: s.Replica.Addr()})
	t.Cleanup(func() { promoted.Close() })
	if role, err := promoted.Do(ctx, "ROLE").Slice(); err != nil || role[0] != "master" {
		t.Fatalf("ROLE of the promoted replica = %v, %v", role, err)
	}
	t.Logf("failover to %s took %s", s.Replica.Addr(), time.Since(start).Round(time.Millisecond))

	// A new ticket opens through the same client and is on the new master
	// (not on the old one, which stays a master until the sentinels turn
	// it into a replica). The request id makes the retries one ticket.
	var opened tickets.Ticket
	rctx := tickets.WithRequestID(ctx, "open-after-failover")
	eventually(t, 20*time.Second, "an open after the failover reaches the new master", func() error {
		actx, cancel := context.WithTimeout(rctx, 2*time.Second)
		defer cancel()
		tk, err := e.svc.Open(actx, tickets.OpenRequest{Customer: customer(5), Nature: tickets.NatureOutage,
			Urgency: tickets.UrgencyLow, Description: "Después del failover no hay red"})
		if err != nil {
			return err
		}
		if err := promoted.Get(ctx, e.store.Key(fmt.Sprintf("t:%d", tk.Number))).Err(); err != nil {
			return fmt.Errorf("ticket #%d not on the new master: %w", tk.Number, err)
		}
		opened = tk
		return nil
	})
	t.Logf("store writing again %s after the failover began", time.Since(start).Round(time.Millisecond))
	if opened.Number != 5 {
		t.Fatalf("ticket opened after the failover is #%d, want 5", opened.Number)
	}

	// What was written before the failover is there.
	assertDeskAfterFlow(t, e, 0)
	want := []string{"1 opened", "2 opened", "3 opened", "4 opened", "2 claimed", "3 claimed", "4 claimed", "2 reply", "2 message", "2 resolved", "5 opened"}
	if diff := cmp.Diff(want, eventNames(readEvents(t, e))); diff != "" {
		t.Fatalf("events after the failover (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{5, 1}, queueNumbers(t, e)); diff != "" {
		t.Fatalf("queue after the failover (-want +got):\n%s", diff)
	}
	if got := position(t, e, 1); got != 2 {
		t.Fatalf("#1 at position %d behind the new P1, want 2", got)
	}
	l, _ := take(t, ob, t0)
	if l.Message.ID != last+"/r" {
		t.Fatalf("took %q after the failover, want the message enqueued before it", l.Message.ID)
	}
	if err := ob.Done(ctx, l, 0, t0); err != nil {
		t.Fatal(err)
	}

	// Claims work, in queue order, and the group reads on where it was.
	for _, n := range []int64{5, 1} {
		tk, err := e.svc.ClaimNext(ctx, agentAna)
		if err != nil || tk.Number != n {
			t.Fatalf("claim next after the failover gave #%d, %v; want #%d", tk.Number, err, n)
		}
	}
	if _, err := e.svc.ClaimNext(ctx, agentAna); !errors.Is(err, tickets.ErrQueueEmpty) {
		t.Fatalf("claim next on an empty queue: %v, want ErrQueueEmpty", err)
	}
	evs, err = ob.ReadEvents(ctx, "w1", 100, 10*time.Millisecond)
	if diff := cmp.Diff([]string{"5 opened", "5 claimed", "1 claimed"}, eventNames(evs)); err != nil || diff != "" {
		t.Fatalf("the group read on after the failover, %v (-want +got):\n%s", err, diff)
	}
}

// eventually calls f until it returns nil, failing the test with f's last
// error after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}
