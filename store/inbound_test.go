package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
)

// TestInboundMarks walks an item's mark through its states: new, busy for
// everyone else, released by a failure (counted) or a busy answer (not
// counted), done, and busy expiring after a crash.
func TestInboundMarks(t *testing.T) {
	e := newEnv(t)
	in := store.NewInbound(e.store)
	ctx := context.Background()
	begin := func(token string, busy time.Duration) (inbound.State, inbound.Mark) {
		t.Helper()
		s, m, err := in.Begin(ctx, "tg", "100", token, busy)
		if err != nil {
			t.Fatal(err)
		}
		return s, m
	}
	s, m := begin("a", time.Minute)
	if s != inbound.New || m.Failures != 0 {
		t.Fatalf("first Begin = %v %+v; want New, no failures", s, m)
	}
	if s, _ := begin("b", time.Minute); s != inbound.Busy {
		t.Fatalf("Begin while held = %v; want Busy", s)
	}
	if ok, err := in.Renew(ctx, inbound.Mark{Namespace: "tg", ID: "100", Token: "b"}, time.Minute); err != nil || ok {
		t.Fatalf("Renew by another token = %v, %v; want false", ok, err)
	}
	if ok, err := in.Renew(ctx, m, time.Minute); err != nil || !ok {
		t.Fatalf("Renew by its holder = %v, %v; want true", ok, err)
	}
	if err := in.Fail(ctx, m, "boom", time.Hour); err != nil {
		t.Fatal(err)
	}
	s, m = begin("c", time.Minute)
	if s != inbound.New || m.Failures != 1 || m.LastError != "boom" {
		t.Fatalf("Begin after a failure = %v %+v; want New, 1 failure, boom", s, m)
	}
	if err := in.Release(ctx, m, time.Hour); err != nil {
		t.Fatal(err)
	}
	s, m = begin("d", 50*time.Millisecond)
	if s != inbound.New || m.Failures != 1 {
		t.Fatalf("Begin after a release = %v %+v; want the failure count unchanged", s, m)
	}
	// The holder dies: its busy mark expires and the item is taken over.
	waitFor(t, func() bool { s, _ := begin("e", time.Minute); return s == inbound.New })
	if err := in.Done(ctx, inbound.Mark{Namespace: "tg", ID: "100", Token: "e"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if s, _ := begin("f", time.Minute); s != inbound.Done {
		t.Fatalf("Begin after Done = %v; want Done", s)
	}
	ttl, err := e.rdb.PTTL(ctx, e.store.Key("in:tg:100")).Result()
	if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("a done mark is kept %v, %v; want an hour", ttl, err)
	}
}

// TestInboundDeadLettersAreBounded: GiveUp keeps the dead letter and marks
// the item done in one step; the log keeps at most the cap, dropping the
// oldest, and drops what is older than the retention.
func TestInboundDeadLettersAreBounded(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, store.Options{Prefix: prefix, DeadLetterCap: 3, DeadLetterKeep: time.Hour})
	in := store.NewInbound(st)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		id := fmt.Sprint(i)
		_, m, err := in.Begin(ctx, "tg", id, "t", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		d := inbound.DeadLetter{Namespace: "tg", ID: id, Chat: "42", Content: "hola " + id, Error: "boom", At: at.Add(time.Duration(i) * time.Minute)}
		if err := in.GiveUp(ctx, m, d, time.Hour); err != nil {
			t.Fatal(err)
		}
		if s, _, _ := in.Begin(ctx, "tg", id, "u", time.Minute); s != inbound.Done {
			t.Fatalf("item %s given up is %v, want Done", id, s)
		}
	}
	ds, total, err := in.DeadLetters(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	if total != 3 || fmt.Sprint(ids) != "[4 3 2]" {
		t.Fatalf("dead letters %v of %d; want the 3 newest, newest first", ids, total)
	}
	// Two hours later, one more: everything older than an hour goes.
	_, m, _ := in.Begin(ctx, "tg", "9", "t", time.Minute)
	if err := in.GiveUp(ctx, m, inbound.DeadLetter{Namespace: "tg", ID: "9", At: at.Add(2 * time.Hour)}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if ds, total, _ := in.DeadLetters(ctx, 0, 10); total != 1 || ds[0].ID != "9" {
		t.Fatalf("after the retention: %d dead letters %+v; want only the new one", total, ds)
	}
	if n, _ := rdb.HLen(ctx, st.Key("in:dead")).Result(); n != 1 {
		t.Fatalf("the dead letters' hash holds %d entries, want 1", n)
	}
}

// TestLeases: one holder at a time; a release wakes a waiter at once.
func TestLeases(t *testing.T) {
	e := newEnv(t)
	l := store.NewLeases(e.store)
	ctx := context.Background()
	if ok, err := l.Acquire(ctx, "job", "a", time.Minute); err != nil || !ok {
		t.Fatalf("first Acquire = %v, %v", ok, err)
	}
	if ok, _ := l.Acquire(ctx, "job", "b", time.Minute); ok {
		t.Fatal("a second holder got a held lease")
	}
	woke := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		_ = l.Wait(ctx, "job", 10*time.Second)
		woke <- time.Since(start)
	}()
	time.Sleep(50 * time.Millisecond)                  // let the waiter block (its wake-up is what is measured)
	if err := l.Release(ctx, "job", "b"); err != nil { // not the holder: nothing happens
		t.Fatal(err)
	}
	if ok, _ := l.Acquire(ctx, "job", "b", time.Minute); ok {
		t.Fatal("a release by another holder freed the lease")
	}
	if err := l.Release(ctx, "job", "a"); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-woke:
		if d > 2*time.Second {
			t.Fatalf("the waiter woke after %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a release did not wake the waiter")
	}
	if ok, _ := l.Acquire(ctx, "job", "b", time.Minute); !ok {
		t.Fatal("the released lease was not free")
	}
}
