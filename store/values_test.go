package store_test

import (
	"context"
	"testing"
	"time"
)

func TestValuesAndLeases(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, ok, err := e.store.Value(ctx, "card:1"); ok || err != nil {
		t.Fatalf("missing value: ok=%v err=%v", ok, err)
	}
	if err := e.store.SetValue(ctx, "card:1", "1700000000.000100", 0); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := e.store.Value(ctx, "card:1"); !ok || err != nil || v != "1700000000.000100" {
		t.Fatalf("value = %q %v %v", v, ok, err)
	}
	if ok, err := e.store.SetValueNX(ctx, "card:1", "other", 0); ok || err != nil {
		t.Fatalf("SetValueNX over a value = %v, %v", ok, err)
	}
	if err := e.store.DeleteValue(ctx, "card:1"); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.store.SetValueNX(ctx, "card:1", "new", time.Minute); !ok || err != nil {
		t.Fatalf("SetValueNX on nothing = %v, %v", ok, err)
	}

	if ok, err := e.store.Lease(ctx, "poller", "a", time.Minute); !ok || err != nil {
		t.Fatalf("first lease = %v, %v", ok, err)
	}
	if ok, err := e.store.Lease(ctx, "poller", "b", time.Minute); ok || err != nil {
		t.Fatalf("lease held by another = %v, %v", ok, err)
	}
	if ok, err := e.store.Lease(ctx, "poller", "a", time.Minute); !ok || err != nil {
		t.Fatalf("renewal = %v, %v", ok, err)
	}
	if err := e.store.ReleaseLease(ctx, "poller", "b"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.store.Lease(ctx, "poller", "b", time.Minute); ok {
		t.Fatal("a non-holder released the lease")
	}
	if err := e.store.ReleaseLease(ctx, "poller", "a"); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.store.Lease(ctx, "poller", "b", 50*time.Millisecond); !ok || err != nil {
		t.Fatalf("lease after release = %v, %v", ok, err)
	}
	// b dies: the lease expires and a takes over.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := e.store.Lease(ctx, "poller", "a", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("expired lease never taken over")
		}
		time.Sleep(10 * time.Millisecond)
	}

	for want := int64(1); want <= 3; want++ {
		n, err := e.store.Incr(ctx, "flood:42", time.Minute)
		if err != nil || n != want {
			t.Fatalf("Incr = %d, %v; want %d", n, err, want)
		}
	}
	if ttl, err := e.rdb.PTTL(ctx, e.store.Key("kv:flood:42")).Result(); err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("counter TTL = %v, %v", ttl, err)
	}
}
