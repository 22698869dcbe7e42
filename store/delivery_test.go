package store_test

import (
	"context"
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

func newOutbox(t *testing.T, opts ...store.Options) *store.Delivery {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	o := store.Options{Prefix: prefix}
	if len(opts) > 0 {
		o = opts[0]
		o.Prefix = prefix
	}
	ob := store.NewDelivery(store.New(rdb, o))
	if err := ob.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ob
}

// msg is a paced message of platform "tg" to lane, spending the platform's
// default bucket.
func msg(id, lane, co string) delivery.Message {
	return delivery.Message{ID: id, Platform: "tg", Lane: lane, Key: "k", Coalesce: co, Paced: true}
}

var t0 = time.UnixMilli(1_800_000_000_000)

var takes int

// take takes a message with a fresh take id, the buckets given (the
// platform's default bucket "tg", unlimited, when none).
func take(t *testing.T, ob *store.Delivery, now time.Time, buckets ...delivery.Bucket) (delivery.Lease, time.Duration) {
	t.Helper()
	if len(buckets) == 0 {
		buckets = []delivery.Bucket{{Name: "tg"}}
	}
	takes++
	l, wait, err := ob.Take(context.Background(), fmt.Sprintf("take-%d", takes), now, 10*time.Second, buckets)
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
	l1, _ := take(t, ob, t0)
	l2, _ := take(t, ob, t0)
	if got := []string{l1.Message.ID, l2.Message.ID}; !cmp.Equal(got, []string{"a1", "b1"}) && !cmp.Equal(got, []string{"b1", "a1"}) {
		t.Fatalf("took %v", got)
	}
	if l, wait := take(t, ob, t0); l.Leased() || wait != 10*time.Second {
		t.Fatalf("both lanes are leased, yet took %v (wait %s)", l.Message.ID, wait)
	}
	la := l1
	if la.Message.Lane != "A" {
		la = l2
	}
	if err := ob.Done(ctx, la, time.Second, t0); err != nil {
		t.Fatal(err)
	}
	if err := ob.Done(ctx, la, time.Second, t0); err != nil { // a retried completion is a no-op
		t.Fatal(err)
	}
	if l, _ := take(t, ob, t0.Add(999*time.Millisecond)); l.Leased() {
		t.Fatalf("took %s before the lane's gap", l.Message.ID)
	}
	if l, _ := take(t, ob, t0.Add(time.Second)); l.Message.ID != "a2" {
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
	l, _ := take(t, ob, t0) // c1 taken: a later change enqueues a fresh update
	if n, _ := ob.Enqueue(ctx, "", []delivery.Message{msg("c4", "C", "card"), msg("c5", "C", "card")}, t0); n != 1 {
		t.Fatalf("enqueued %d while one was taken, want 1", n)
	}
	if err := ob.Done(ctx, l, 0, t0); err != nil {
		t.Fatal(err)
	}
	if l, _ := take(t, ob, t0); l.Message.ID != "c4" {
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
	rate := delivery.Bucket{Name: "tg", Interval: 100 * time.Millisecond}
	if l, _ := take(t, ob, t0, rate); !l.Leased() {
		t.Fatal("first send refused")
	}
	if l, wait := take(t, ob, t0.Add(30*time.Millisecond), rate); l.Leased() || wait != 70*time.Millisecond {
		t.Fatalf("second send within the interval: leased %v, wait %s", l.Leased(), wait)
	}
	// Late by less than half an interval: the schedule is not pushed back.
	if l, _ := take(t, ob, t0.Add(140*time.Millisecond), rate); !l.Leased() {
		t.Fatal("second send refused")
	}
	if l, _ := take(t, ob, t0.Add(200*time.Millisecond), rate); !l.Leased() {
		t.Fatal("third send refused on schedule")
	}
}

func TestOutboxRetryBuryReplay(t *testing.T) {
	ob := newOutbox(t)
	ctx := context.Background()
	if _, err := ob.Enqueue(ctx, "", []delivery.Message{msg("x1", "X", ""), msg("x2", "X", "")}, t0); err != nil {
		t.Fatal(err)
	}
	l, _ := take(t, ob, t0)
	m := l.Message
	m.Attempts = 1
	if err := ob.Retry(ctx, l, m, t0.Add(time.Minute), false); err != nil {
		t.Fatal(err)
	}
	if l, _ := take(t, ob, t0.Add(59*time.Second)); l.Leased() {
		t.Fatal("took a message before its retry time")
	}
	l, _ = take(t, ob, t0.Add(time.Minute))
	if l.Message.ID != "x1" || l.Message.Attempts != 1 {
		t.Fatalf("retried message %+v", l.Message)
	}
	if err := ob.Bury(ctx, l, delivery.DeadLetter{Message: l.Message, Reason: "blocked", Error: "403", At: t0}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if l, _ := take(t, ob, t0.Add(time.Minute)); l.Message.ID != "x2" {
		t.Fatalf("after the dead letter took %q, want x2", l.Message.ID)
	} else if err := ob.Done(ctx, l, 0, t0); err != nil {
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
	l, _ = take(t, ob, t0.Add(2*time.Minute))
	if l.Message.ID != "x1" || l.Message.Attempts != 0 {
		t.Fatalf("replayed %+v", l.Message)
	}
}

func TestOutboxEventsAckAndTrim(t *testing.T) {
	e := newEnv(t)
	ob := store.NewDelivery(e.store)
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

// TestTakeLooksAtEachBucketOnItsOwn: with 200 Telegram chats due and the
// bot's budget spent, a Slack message is taken at once: no bucket waits
// behind another's backlog, whatever the order of the buckets.
func TestTakeLooksAtEachBucketOnItsOwn(t *testing.T) {
	ob := newOutbox(t)
	ctx := context.Background()
	var msgs []delivery.Message
	for i := range 200 {
		msgs = append(msgs, delivery.Message{ID: fmt.Sprint("tg", i), Platform: "telegram", Lane: fmt.Sprint(i), Paced: true})
	}
	if _, err := ob.Enqueue(ctx, "", msgs, t0); err != nil {
		t.Fatal(err)
	}
	telegram := delivery.Bucket{Name: "telegram", Interval: time.Second / 30}
	slackPost := delivery.Bucket{Name: "slack", Interval: time.Second}
	if l, _ := take(t, ob, t0, telegram, slackPost); l.Message.Platform != "telegram" {
		t.Fatalf("took %+v, want a Telegram message", l.Message)
	}
	if _, err := ob.Enqueue(ctx, "", []delivery.Message{{ID: "sl1", Platform: "slack", Lane: "t1"}}, t0); err != nil {
		t.Fatal(err)
	}
	l, _ := take(t, ob, t0.Add(time.Millisecond), telegram, slackPost)
	if l.Message.ID != "sl1" {
		t.Fatalf("with Telegram's budget spent took %q, want the Slack message at once", l.Message.ID)
	}
}

// TestRepeatedTakeReturnsItsLease: go-redis re-sends a command after a
// dropped connection; a take repeated with its id gets the same lease and
// leaves the other lane free.
func TestRepeatedTakeReturnsItsLease(t *testing.T) {
	ob := newOutbox(t)
	ctx := context.Background()
	if _, err := ob.Enqueue(ctx, "", []delivery.Message{msg("a1", "A", ""), msg("b1", "B", "")}, t0); err != nil {
		t.Fatal(err)
	}
	b := []delivery.Bucket{{Name: "tg"}}
	first, _, err := ob.Take(ctx, "same", t0, 10*time.Second, b)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := ob.Take(ctx, "same", t0, 10*time.Second, b)
	if err != nil || again.Message.ID != first.Message.ID || again.Token != first.Token {
		t.Fatalf("repeated take got %q (%v), want the same lease of %q", again.Message.ID, err, first.Message.ID)
	}
	other, _ := take(t, ob, t0)
	if !other.Leased() || other.Message.ID == first.Message.ID {
		t.Fatalf("the other lane was not free: took %q", other.Message.ID)
	}
}

// TestRenewKeepsTheLane: a renewed lease holds the lane past its first
// end; a lease that ended and was taken over is not renewed.
func TestRenewKeepsTheLane(t *testing.T) {
	ob := newOutbox(t)
	ctx := context.Background()
	if _, err := ob.Enqueue(ctx, "", []delivery.Message{msg("a1", "A", "")}, t0); err != nil {
		t.Fatal(err)
	}
	b := []delivery.Bucket{{Name: "tg"}}
	l, _, _ := ob.Take(ctx, "t1", t0, time.Second, b)
	if ok, err := ob.Renew(ctx, l, time.Second, t0.Add(800*time.Millisecond)); err != nil || !ok {
		t.Fatalf("renew = %v, %v", ok, err)
	}
	if l2, _, _ := ob.Take(ctx, "t2", t0.Add(1500*time.Millisecond), time.Second, b); l2.Leased() {
		t.Fatal("a renewed lane was taken by another sender")
	}
	l3, _, _ := ob.Take(ctx, "t3", t0.Add(2*time.Second), time.Second, b)
	if l3.Message.ID != "a1" {
		t.Fatalf("after the lease ended took %q, want a1 again", l3.Message.ID)
	}
	if ok, _ := ob.Renew(ctx, l, time.Second, t0.Add(2*time.Second)); ok {
		t.Fatal("a lease taken over was renewed")
	}
	if err := ob.Done(ctx, l3, 0, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := ob.Done(ctx, l, 0, t0.Add(2*time.Second)); err != nil { // the late one is a no-op
		t.Fatal(err)
	}
}

// TestEventDeadLetters: an event that cannot be planned is buried and
// acknowledged in one step, so trimming goes on; a replay puts it back in
// the stream, planned anew.
func TestEventDeadLetters(t *testing.T) {
	e := newEnv(t)
	ob := store.NewDelivery(e.store)
	ctx := context.Background()
	if err := ob.Join(ctx); err != nil {
		t.Fatal(err)
	}
	e.open(t, 1, tickets.NatureQuestion, tickets.UrgencyNormal)
	evs, err := ob.ReadEvents(ctx, "c1", 10, 10*time.Millisecond)
	if err != nil || len(evs) != 1 {
		t.Fatalf("read %v, %v", evs, err)
	}
	if err := ob.BuryEvent(ctx, evs[0], "corrupt record", t0); err != nil {
		t.Fatal(err)
	}
	ds, total, err := ob.EventDeadLetters(ctx, 0, 10)
	if err != nil || total != 1 || ds[0].ID != evs[0].ID || ds[0].Number != evs[0].Number || ds[0].Error != "corrupt record" {
		t.Fatalf("event dead letters %+v %d %v", ds, total, err)
	}
	if claimed, _ := ob.ClaimEvents(ctx, "c2", 0, 10); len(claimed) != 0 {
		t.Fatalf("a buried event is still pending: %v", claimed)
	}
	if err := ob.TrimEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		if ok, err := ob.ReplayEvent(ctx, evs[0].ID); err != nil || ok != want {
			t.Fatalf("replay %d = %v, %v; want %v", i, ok, err, want)
		}
	}
	again, err := ob.ReadEvents(ctx, "c1", 10, 10*time.Millisecond)
	if err != nil || len(again) != 1 || again[0].Number != evs[0].Number || again[0].Kind != evs[0].Kind {
		t.Fatalf("after the replay read %+v, %v; want the event again", again, err)
	}
}

// TestJoinMigratesTheOldReadySet: lanes an earlier version queued in its
// single ready set are moved, keeping when they are due.
func TestJoinMigratesTheOldReadySet(t *testing.T) {
	e := newEnv(t)
	ob := store.NewDelivery(e.store)
	ctx := context.Background()
	old := `{"id":"old1","ev":"","pf":"telegram","tg":"42","k":"k","n":0,"kd":"text"}`
	if err := e.rdb.RPush(ctx, e.store.Key("dl:q:telegram:42"), old).Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.rdb.ZAdd(ctx, e.store.Key("dl:ready"), redis.Z{Score: float64(t0.UnixMilli()), Member: "telegram:42"}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := ob.Join(ctx); err != nil {
		t.Fatal(err)
	}
	l, _, err := ob.Take(ctx, "t", t0, time.Second, []delivery.Bucket{{Name: "telegram"}})
	if err != nil || l.Message.ID != "old1" {
		t.Fatalf("after the migration took %q, %v; want the old message", l.Message.ID, err)
	}
	if n, _ := e.rdb.Exists(ctx, e.store.Key("dl:ready")).Result(); n != 0 {
		t.Fatal("the old ready set is still there")
	}
}

// TestMessageDeadLettersAreBounded: the dead letters keep at most the cap.
func TestMessageDeadLettersAreBounded(t *testing.T) {
	ob := newOutbox(t, store.Options{DeadLetterCap: 2})
	ctx := context.Background()
	for i := range 4 {
		id := fmt.Sprint("d", i)
		if _, err := ob.Enqueue(ctx, "", []delivery.Message{msg(id, "A", "")}, t0); err != nil {
			t.Fatal(err)
		}
		l, _ := take(t, ob, t0)
		if err := ob.Bury(ctx, l, delivery.DeadLetter{Message: l.Message, Reason: "x", At: t0.Add(time.Duration(i))}, t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	ds, total, err := ob.DeadLetters(ctx, 0, 10)
	if err != nil || total != 2 || ds[0].Message.ID != "d2" || ds[1].Message.ID != "d3" {
		t.Fatalf("dead letters %+v (%d) %v; want d2 and d3", ds, total, err)
	}
}
