package delivery_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestFaultsExactlyOnceInOrder sends through 429 storms, 5xx bursts and slow
// answers of the fake Telegram server: every message arrives once, in order
// per chat.
func TestFaultsExactlyOnceInOrder(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	d := newDesk(rdb, prefix)
	srv := telegramtest.New()
	t.Cleanup(srv.Close)
	ch := newTGChannel(t, srv, d.st, delivery.Limits{LaneGap: 5 * time.Millisecond})
	m := &metrics{}
	opts := fastOptions()
	opts.Metrics = m
	w := d.worker([]delivery.Channel{ch}, opts)
	run(t, w)

	ctx := context.Background()
	chats := chatRange(1000, 30)
	srv.SetLatency("sendMessage", 20*time.Millisecond)
	srv.RateLimitNext("sendMessage", 40, 1)
	srv.FailNext("sendMessage", 40, 502, "")
	if err := load(ctx, d, chats[:15], 150); err != nil {
		t.Fatal(err)
	}
	srv.FailNext("sendMessage", 30, 500, "")
	srv.RateLimitNext("sendMessage", 30, 1)
	if err := load(ctx, d, chats[15:], 150); err != nil {
		t.Fatal(err)
	}
	want, total := expected(t, ctx, d)
	waitUntil(t, time.Minute, "all messages", func() bool { return countReceived(srv) >= total })
	waitDrained(t, d) // then no extra message can come
	dups := verify(t, want, received(srv, chats))
	if len(dups) > 0 {
		t.Errorf("repeats without a crash: %v", dups)
	}
	delivered, retried, dead, limited, _ := m.snapshot()
	st := srv.Stats()
	t.Logf("%d events, %d delivered, %d retried (%d on 429), %d dead; fake: %d sent, %d injected failures",
		total, delivered, retried, limited, dead, st.Sent, st.InjectedFailures)
	if dead != 0 || limited < 70 {
		t.Errorf("dead = %d, retries on 429 = %d", dead, limited)
	}
}

// TestBlockedChatDeadLetters: a chat that blocked the bot has its messages
// dead-lettered (the channel is told) while the others flow; the operator
// lists and replays them once the chat is unblocked.
func TestBlockedChatDeadLetters(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	d := newDesk(rdb, prefix)
	srv := telegramtest.New()
	t.Cleanup(srv.Close)
	ch := newTGChannel(t, srv, d.st, delivery.Limits{LaneGap: 5 * time.Millisecond})
	w := d.worker([]delivery.Channel{ch}, fastOptions())
	run(t, w)

	ctx := context.Background()
	chats := chatRange(2000, 5)
	srv.Block(2002)
	if err := load(ctx, d, chats, 25); err != nil {
		t.Fatal(err)
	}
	want, total := expected(t, ctx, d)
	blocked := len(want[2002])
	waitUntil(t, 30*time.Second, "messages and dead letters", func() bool {
		return countReceived(srv) >= total-blocked && len(ch.failures()) >= blocked
	})
	got := received(srv, chats)
	if len(got[2002]) != 0 {
		t.Errorf("blocked chat got %v", got[2002])
	}
	wantOthers := map[int64][]string{}
	for c, ids := range want {
		if c != 2002 {
			wantOthers[c] = ids
		}
	}
	delete(got, 2002)
	verify(t, wantOthers, got)
	for id, reason := range ch.failures() {
		if reason != "blocked" {
			t.Errorf("%s failed with %q", id, reason)
		}
	}

	var out bytes.Buffer
	if err := delivery.RunDeadLetters(ctx, d.ob, []string{"list"}, time.Now(), &out); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "(blocked)") != blocked {
		t.Errorf("list:\n%s", out.String())
	}

	srv.Unblock(2002)
	out.Reset()
	if err := delivery.RunDeadLetters(ctx, d.ob, []string{"replay", "-all"}, time.Now(), &out); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "replayed messages", func() bool { return len(srv.Messages(2002)) >= blocked })
	verify(t, map[int64][]string{2002: want[2002]}, map[int64][]string{2002: received(srv, chats)[2002]})
	ds, n, err := d.ob.DeadLetters(ctx, 0, 10)
	if err != nil || n != 0 || len(ds) != 0 {
		t.Errorf("dead letters after replay: %v %d %v", ds, n, err)
	}
}

// cardChannel renders a ticket's card from its current state at send time
// and holds the first send until released: many updates while the target is
// busy collapse into one.
type cardChannel struct {
	d       *desk
	release chan struct{}
	mu      sync.Mutex
	sent    []int64 // ticket version rendered by each send
	started chan struct{}
}

func (c *cardChannel) Platform() string        { return "slack" }
func (c *cardChannel) Limits() delivery.Limits { return delivery.Limits{LaneGap: time.Millisecond} }
func (c *cardChannel) Plan(_ context.Context, e tickets.Event) ([]delivery.Message, error) {
	return []delivery.Message{{Lane: "C1", Key: "card", Number: e.Number, Kind: "card", Coalesce: "card:1"}}, nil
}

func (c *cardChannel) Send(ctx context.Context, m delivery.Message) error {
	c.mu.Lock()
	first := len(c.sent) == 0
	c.mu.Unlock()
	if first {
		close(c.started)
		<-c.release
	}
	t, err := c.d.st.Get(ctx, m.Number)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.sent = append(c.sent, t.Version)
	c.mu.Unlock()
	return nil
}

func TestCoalesceCardUpdates(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	d := newDesk(rdb, prefix)
	ch := &cardChannel{d: d, release: make(chan struct{}), started: make(chan struct{})}
	w := d.worker([]delivery.Channel{ch}, fastOptions())
	run(t, w)
	ctx := context.Background()
	if err := load(ctx, d, []int64{1}, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch.started:
	case <-time.After(10 * time.Second):
		t.Fatal("first card not sent")
	}
	if err := load(ctx, d, []int64{1}, 30); err != nil { // 29 more changes of ticket 1
		t.Fatal(err)
	}
	_, total := expected(t, ctx, d)
	waitUntil(t, 10*time.Second, "events queued", func() bool {
		n, _ := rdb.XPending(ctx, d.key+"events", "delivery").Result()
		return n != nil && n.Count == 0 && total == 30
	})
	close(ch.release)
	final, err := d.st.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "final card", func() bool {
		ch.mu.Lock()
		defer ch.mu.Unlock()
		return len(ch.sent) > 0 && ch.sent[len(ch.sent)-1] == final.Version
	})
	waitDrained(t, d) // then no extra message can come
	ch.mu.Lock()
	defer ch.mu.Unlock()
	t.Logf("30 changes, %d card sends rendering versions %v", len(ch.sent), ch.sent)
	if len(ch.sent) != 2 {
		t.Errorf("card sent %d times, want 2 (the busy one and one coalesced update)", len(ch.sent))
	}
}

// TestEnqueueDirect: messages answering a user's own action go straight to
// the outbox, once per ID, in order with the rest.
func TestEnqueueDirect(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	d := newDesk(rdb, prefix)
	srv := telegramtest.New()
	t.Cleanup(srv.Close)
	ch := newTGChannel(t, srv, d.st, delivery.Limits{LaneGap: 5 * time.Millisecond})
	w := d.worker([]delivery.Channel{ch}, fastOptions())
	ctx := context.Background()
	var msgs []delivery.Message
	for i := range 5 {
		msgs = append(msgs, delivery.Message{ID: "upd-7/" + string(rune('a'+i)), Platform: "telegram", Lane: "3000", Paced: true, Kind: "prompt", EventID: string(rune('a' + i))})
	}
	for range 2 { // a re-processed update enqueues once
		if err := w.Enqueue(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Enqueue(ctx, delivery.Message{ID: "x", Platform: "nope", Lane: "1"}); err == nil {
		t.Error("enqueue for an unknown platform succeeded")
	}
	run(t, w)
	if _, err := srv.WaitMessages(timeout(t), 3000, 5); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, d) // then no extra message can come
	verify(t, map[int64][]string{3000: {"a", "b", "c", "d", "e"}}, received(srv, []int64{3000}))
}

func timeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestThreeWorkersOneRedis runs three workers with their own Redis clients:
// each event is delivered once, in order.
func TestThreeWorkersOneRedis(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	d := newDesk(rdb, prefix)
	srv := telegramtest.New()
	t.Cleanup(srv.Close)
	for i := range 3 {
		r2, _ := redistest.Client(t)
		d2 := newDesk(r2, prefix)
		ch := newTGChannel(t, srv, d2.st, delivery.Limits{LaneGap: 5 * time.Millisecond, Buckets: map[string]time.Duration{"telegram": time.Second / 400}})
		opts := fastOptions()
		opts.Consumer = "w" + string(rune('1'+i))
		opts.Senders = 4
		run(t, d2.worker([]delivery.Channel{ch}, opts))
	}
	ctx := context.Background()
	chats := chatRange(4000, 40)
	if err := load(ctx, d, chats, 400); err != nil {
		t.Fatal(err)
	}
	want, total := expected(t, ctx, d)
	waitUntil(t, time.Minute, "all messages", func() bool { return countReceived(srv) >= total })
	waitDrained(t, d) // then no extra message can come
	if dups := verify(t, want, received(srv, chats)); len(dups) > 0 {
		t.Errorf("repeats without a crash: %v", dups)
	}
}

func TestRunDeadLettersUsage(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	d := newDesk(rdb, prefix)
	var out bytes.Buffer
	for _, args := range [][]string{nil, {"bogus"}, {"replay"}, {"replay", "-all", "x"}} {
		if err := delivery.RunDeadLetters(context.Background(), d.ob, args, time.Now(), &out); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	// An ID that is not there fails the command, so a script notices.
	if err := delivery.RunDeadLetters(context.Background(), d.ob, []string{"replay", "nope"}, time.Now(), &out); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("replay of an unknown ID: %v, want an error naming it", err)
	}
	if !strings.Contains(out.String(), "nope: no such dead letter") {
		t.Errorf("output %q", out.String())
	}
}
