package delivery_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
)

// TestHelperProcess is not a test: it is the worker process that the crash
// tests start (re-executing the test binary) and kill with SIGKILL.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("DELIVERY_HELPER") != "1" {
		t.Skip("helper process for the crash tests")
	}
	opt, err := redis.ParseURL(os.Getenv("DELIVERY_REDIS"))
	if err != nil {
		t.Fatal(err)
	}
	d := newDesk(redis.NewClient(opt), os.Getenv("DELIVERY_PREFIX"))
	ch, err := newTG(os.Getenv("DELIVERY_TG_TOKEN"), os.Getenv("DELIVERY_TG_ENDPOINT"), d.st, delivery.Limits{LaneGap: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	opts := fastOptions()
	opts.Consumer = os.Getenv("DELIVERY_CONSUMER")
	_ = d.worker([]delivery.Channel{ch}, opts).Run(context.Background()) // until killed
}

// startHelper starts a worker process on the test's Redis prefix and fake
// Telegram server.
func startHelper(t *testing.T, redisURL, prefix string, srv *telegramtest.Server, consumer string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "DELIVERY_HELPER=1", "DELIVERY_REDIS="+redisURL, "DELIVERY_PREFIX="+prefix,
		"DELIVERY_TG_TOKEN="+srv.Token(), "DELIVERY_TG_ENDPOINT="+srv.Endpoint(), "DELIVERY_CONSUMER="+consumer)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// TestKillMidLoad: a worker process (the fan-out leader) is killed with
// SIGKILL in the middle of 1,000 ticket changes while two more workers run
// on the same Redis; then a restarted process joins. Nothing is lost; a
// message repeats only in the documented window, at most once per chat.
func TestKillMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	rdb, prefix := redistest.Client(t)
	d := newDesk(rdb, prefix)
	srv := telegramtest.New()
	t.Cleanup(srv.Close)
	srv.SetLatency("sendMessage", 3*time.Millisecond)
	url := redistest.URL(t)

	child := startHelper(t, url, prefix, srv, "child-1")
	ctx := context.Background()
	chats := chatRange(5000, 50)
	loaded := make(chan error, 1)
	go func() { loaded <- load(ctx, d, chats, 1000) }()
	waitUntil(t, 30*time.Second, "child delivering", func() bool { return countReceived(srv) >= 100 })
	for i := range 2 {
		r2, _ := redistest.Client(t)
		d2 := newDesk(r2, prefix)
		opts := fastOptions()
		opts.Consumer = "inproc-" + string(rune('1'+i))
		opts.Senders = 4
		run(t, d2.worker([]delivery.Channel{newTGChannel(t, srv, d2.st, delivery.Limits{LaneGap: 5 * time.Millisecond})}, opts))
	}
	waitUntil(t, 30*time.Second, "more deliveries", func() bool { return countReceived(srv) >= 300 })
	if err := child.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = child.Wait()
	t.Logf("killed the first worker after %d messages", countReceived(srv))
	startHelper(t, url, prefix, srv, "child-2")
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	want, total := expected(t, ctx, d)
	waitUntil(t, time.Minute, "all messages", func() bool { return countReceived(srv) >= total })
	waitDrained(t, d) // then no extra message can come
	dups := verify(t, want, received(srv, chats))
	n := 0
	for chat, k := range dups {
		n += k
		if k > 1 {
			t.Errorf("chat %d got %d repeats after one kill", chat, k)
		}
	}
	t.Logf("%d events delivered; %d repeated by the kill (documented window) in chats %v", total, n, dups)
}

// TestRedisRestartMidLoad: Redis (appendonly, fsync always) is killed and
// restarted in the middle of the load; the worker reconnects and catches up,
// and nothing is lost.
func TestRedisRestartMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	rs := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	d := newDesk(rdb, "restart")
	srv := telegramtest.New()
	t.Cleanup(srv.Close)
	srv.SetLatency("sendMessage", 3*time.Millisecond)
	ch := newTGChannel(t, srv, d.st, delivery.Limits{LaneGap: 5 * time.Millisecond})
	run(t, d.worker([]delivery.Channel{ch}, fastOptions()))

	ctx := context.Background()
	chats := chatRange(6000, 50)
	loaded := make(chan error, 1)
	go func() { loaded <- load(ctx, d, chats, 1000) }()
	waitUntil(t, 30*time.Second, "deliveries", func() bool { return countReceived(srv) >= 200 })
	rs.Stop()
	stopped := countReceived(srv)
	time.Sleep(time.Second) // an outage of a second
	if err := rs.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Redis was down for 1 s after %d messages", stopped)
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	want, total := expected(t, ctx, d)
	waitUntil(t, time.Minute, "all messages", func() bool { return countReceived(srv) >= total })
	waitDrained(t, d) // then no extra message can come
	dups := verify(t, want, received(srv, chats))
	for chat, k := range dups {
		if k > 1 {
			t.Errorf("chat %d got %d repeats", chat, k)
		}
	}
	t.Logf("%d events delivered after the restart; repeats %v", total, dups)
}
