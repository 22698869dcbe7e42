package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

func newOutbox(t *testing.T) *store.Outbox {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	ob := store.NewOutbox(store.New(rdb, store.Options{Prefix: prefix}))
	if err := ob.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ob
}

func msg(id, target, co string) delivery.Message {
	return delivery.Message{ID: id, Platform: "tg", Target: target, Key: "k", Coalesce: co}
}

var t0 = time.UnixMilli(1_800_000_000_000)

func take(t *testing.T, ob *store.Outbox, now time.Time, rates map[string]time.Duration) (delivery.Lease, time.Duration) {
	t.Helper()
	l, wait, err := ob.Take(context.Background(), now, 10*time.Second, rates)
	if err != nil {
		t.Fatal(err)
	}
	return l, wait
}

func TestOutboxOrderLeaseAndGap(t *testing.T) {
	ob := newOutbox(t)
	ctx := context.Background()
	for range 2 { // a repeat enqueues nothing
		if _, err := ob.Enqueue(ctx, "", []delivery.Message{msg("a1", "A", ""), msg("b1", "B", ""), msg("a2", "A", "")}, t0); err != nil {
			t.Fatal(err)
		}
	}
	l1, _ := take(t, ob, t0, nil)
	l2, _ := take(t, ob, t0, nil)
	if got := []string{l1.Message.ID, l2.Message.ID}; !cmp.Equal(got, []string{"a1", "b1"}) && !cmp.Equal(got, []string{"b1", "a1"}) {
		t.Fatalf("took %v", got)
	}
	if l, wait := take(t, ob, t0, nil); l.Leased() || wait != 10*time.Second {
		t.Fatalf("both targets are leased, yet took %v (wait %s)", l.Message.ID, wait)
	}
	la := l1
	if la.Message.Target != "A" {
		la = l2
	}
	if err := ob.Done(ctx, la, t0.Add(time.Second), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := ob.Done(ctx, la, t0.Add(time.Second), time.Second); err != nil { // a retried completion is a no-op
		t.Fatal(err)
	}
	if l, _ := take(t, ob, t0.Add(999*time.Millisecond), nil); l.Leased() {
		t.Fatalf("took %s before the target's gap", l.Message.ID)
	}
	if l, _ := take(t, ob, t0.Add(time.Second), nil); l.Message.ID != "a2" {
		t.Fatalf("took %q, want a2", l.Message.ID)
	}
	if n, err := ob.Enqueue(ctx, "", []delivery.Message{msg("a1", "A", "")}, t0); err != nil || n != 0 {
		t.Fatalf("a sent message enqueued again: %d %v", n, err)
	}
}

func TestOutboxCoalesce(t *testing.T) {
	ob := newOutbox(t)
	ctx := context.Background()
	n, err := ob.Enqueue(ctx, "", []delivery.Message{msg("c1", "C", "card"), msg("c2", "C", "card"), msg("c3", "C", "card")}, t0)
	if err != nil || n != 1 {
		t.Fatalf("enqueued %d, %v; want 1", n, err)
	}
	l, _ := take(t, ob, t0, nil) // c1 taken: a later change enqueues a fresh update
	if n, _ := ob.Enqueue(ctx, "", []delivery.Message{msg("c4", "C", "card"), msg("c5", "C", "card")}, t0); n != 1 {
		t.Fatalf("enqueued %d while one was taken, want 1", n)
	}
	if err := ob.Done(ctx, l, t0, 0); err != nil {
		t.Fatal(err)
	}
	if l, _ := take(t, ob, t0, nil); l.Message.ID != "c4" {
		t.Fatalf("took %q, want c4", l.Message.ID)
	}
}

func TestOutboxRate(t *testing.T) {
	ob := newOutbox(t)
	ctx := context.Background()
	var msgs []delivery.Message
	for _, tg := range []string{"1", "2", "3"} {
		msgs = append(msgs, msg("m"+tg, tg, ""))
	}
	if _, err := ob.Enqueue(ctx, "", msgs, t0); err != nil {
		t.Fatal(err)
	}
	rates := map[string]time.Duration{"tg": 100 * time.Millisecond}
	if l, _ := take(t, ob, t0, rates); !l.Leased() {
		t.Fatal("first send refused")
	}
	if l, wait := take(t, ob, t0.Add(30*time.Millisecond), rates); l.Leased() || wait != 70*time.Millisecond {
		t.Fatalf("second send within the interval: leased %v, wait %s", l.Leased(), wait)
	}
	// Late by less than half an interval: the schedule is not pushed back.
	if l, _ := take(t, ob, t0.Add(140*time.Millisecond), rates); !l.Leased() {
		t.Fatal("second send refused")
	}
	if l, _ := take(t, ob, t0.Add(200*time.Millisecond), rates); !l.Leased() {
		t.Fatal("third send refused on schedule")
	}
}

func TestOutboxRetryBuryReplay(t *testing.T) {
	ob := newOutbox(t)
	ctx := context.Background()
	if _, err := ob.Enqueue(ctx, "", []delivery.Message{msg("x1", "X", ""), msg("x2", "X", "")}, t0); err != nil {
		t.Fatal(err)
	}
	l, _ := take(t, ob, t0, nil)
	m := l.Message
	m.Attempts = 1
	if err := ob.Retry(ctx, l, m, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if l, _ := take(t, ob, t0.Add(59*time.Second), nil); l.Leased() {
		t.Fatal("took a message before its retry time")
	}
	l, _ = take(t, ob, t0.Add(time.Minute), nil)
	if l.Message.ID != "x1" || l.Message.Attempts != 1 {
		t.Fatalf("retried message %+v", l.Message)
	}
	if err := ob.Bury(ctx, l, delivery.DeadLetter{Message: l.Message, Reason: "blocked", Error: "403", At: t0}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if l, _ := take(t, ob, t0.Add(time.Minute), nil); l.Message.ID != "x2" {
		t.Fatalf("after the dead letter took %q, want x2", l.Message.ID)
	} else if err := ob.Done(ctx, l, t0, 0); err != nil {
		t.Fatal(err)
	}
	ds, total, err := ob.DeadLetters(ctx, 0, 10)
	if err != nil || total != 1 || len(ds) != 1 || ds[0].Reason != "blocked" || ds[0].Message.Attempts != 1 {
		t.Fatalf("dead letters %+v %d %v", ds, total, err)
	}
	for i, want := range []bool{true, false} {
		ok, err := ob.Replay(ctx, "x1", t0.Add(2*time.Minute))
		if err != nil || ok != want {
			t.Fatalf("replay %d: %v %v", i, ok, err)
		}
	}
	l, _ = take(t, ob, t0.Add(2*time.Minute), nil)
	if l.Message.ID != "x1" || l.Message.Attempts != 0 {
		t.Fatalf("replayed %+v", l.Message)
	}
}

func TestOutboxEventsAckAndTrim(t *testing.T) {
	e := newEnv(t)
	ob := store.NewOutbox(e.store)
	ctx := context.Background()
	if err := ob.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ob.Join(ctx); err != nil { // again: no error
		t.Fatal(err)
	}
	e.open(t, 1, tickets.NatureQuestion, tickets.UrgencyNormal)
	e.open(t, 2, tickets.NatureQuestion, tickets.UrgencyNormal)
	evs, err := ob.ReadEvents(ctx, "c1", 10, 10*time.Millisecond)
	if err != nil || len(evs) != 2 {
		t.Fatalf("read %v, %v", evs, err)
	}
	if _, err := ob.Enqueue(ctx, evs[1].ID, []delivery.Message{msg(evs[1].ID+"/tg/k", "T", "")}, time.Now()); err != nil {
		t.Fatal(err)
	}
	claimed, err := ob.ClaimEvents(ctx, "c2", 0, 10)
	if err != nil || len(claimed) != 1 || claimed[0].ID != evs[0].ID {
		t.Fatalf("claimed %v, %v; want the unacknowledged %s", claimed, err, evs[0].ID)
	}
	if err := ob.TrimEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	left, err := e.store.Events(ctx, "", 10)
	if err != nil || len(left) != 2 {
		t.Fatalf("after trim %d events, %v; the pending one must stay", len(left), err)
	}
	if _, err := ob.Enqueue(ctx, evs[0].ID, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := ob.TrimEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	left, _ = e.store.Events(ctx, "", 10)
	if len(left) != 1 || left[0].ID != evs[1].ID {
		t.Fatalf("after trim %v; want only the last read entry kept", left)
	}
}
