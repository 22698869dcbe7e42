package telegram_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// timedTransport adds up the time the bot spends waiting for the Bot API
// (the fake's handlers plus loopback HTTP).
type timedTransport struct {
	next  http.RoundTripper
	total atomic.Int64
	calls atomic.Int64
}

func (t *timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	if r.URL.Path[len(r.URL.Path)-len("getUpdates"):] != "getUpdates" { // long polls wait by design
		t.total.Add(int64(time.Since(start)))
		t.calls.Add(1)
	}
	return resp, err
}

// redisTimer adds up the time spent in Redis commands.
type redisTimer struct {
	total atomic.Int64
	cmds  atomic.Int64
}

func (h *redisTimer) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *redisTimer) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		h.total.Add(int64(time.Since(start)))
		h.cmds.Add(1)
		return err
	}
}
func (h *redisTimer) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h.total.Add(int64(time.Since(start)))
		h.cmds.Add(int64(len(cmds)))
		return err
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBurstOpen has 1,000 customers open a ticket each at the same
// time, through the fake Bot API and the bot's own polling loop: /new,
// nature, urgency, description (no terms, to shorten the conversation).
// Answers go through delivery.Inline, which sends at once, so that
// Telegram's rate limits (which delivery enforces in production) do not
// dominate the figure. Each iteration is one burst.
func BenchmarkBurstOpen(b *testing.B) {
	const customers = 1000
	rdb, prefix := redistest.Client(b)
	rt := &redisTimer{}
	rdb.AddHook(rt)
	st := store.New(rdb, store.Options{Prefix: prefix})
	svc := tickets.NewService(st, st, st, tickets.Config{})
	fake := telegramtest.New(telegramtest.WithToken(testToken))
	defer fake.Close()
	tt := &timedTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
	tt.next.(*http.Transport).MaxIdleConnsPerHost = 64
	inline := delivery.NewInline()
	bot, err := telegram.New(telegram.Config{
		Token: testToken, APIEndpoint: fake.Endpoint(), HTTPClient: &http.Client{Transport: tt},
	}, telegram.Deps{Service: svc, Storage: store.NewTelegram(st), Marks: store.NewInbound(st), Leases: store.NewLeases(st),
		Outbox: inline, Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	inline.Add(bot)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = bot.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// One watcher routes the bot's messages to each customer's driver.
	events, stop := fake.Watch()
	defer stop()
	var routes sync.Map // chat id → chan telegramtest.Message
	go func() {
		for ev := range events {
			// Each form step is answered by an edit of the form's message.
			if ev.Kind == telegramtest.EventMessageSent || ev.Kind == telegramtest.EventMessageEdited {
				if ch, ok := routes.Load(ev.ChatID); ok {
					ch.(chan telegramtest.Message) <- ev.Message
				}
			}
		}
	}()

	drive := func(ctx context.Context, u telegramtest.User, inbox chan telegramtest.Message) error {
		next := func() (telegramtest.Message, error) {
			select {
			case m := <-inbox:
				return m, nil
			case <-ctx.Done():
				return telegramtest.Message{}, ctx.Err()
			}
		}
		fake.SendCommand(u, "new", "")
		m, err := next()
		if err != nil {
			return err
		}
		fake.PressButton(u, m.MessageID, m.Keyboard[0][0].CallbackData)
		if m, err = next(); err != nil {
			return err
		}
		fake.PressButton(u, m.MessageID, m.Keyboard[0][1].CallbackData)
		if _, err = next(); err != nil {
			return err
		}
		fake.SendText(u, fmt.Sprintf("Cliente %d: el servicio no responde", u.ID))
		if m, err = next(); err != nil {
			return err
		}
		if len(m.PlainText) < 10 {
			return fmt.Errorf("unexpected confirmation %q", m.PlainText)
		}
		return nil
	}

	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		bctx, bcancel := context.WithTimeout(context.Background(), 5*time.Minute)
		var wg sync.WaitGroup
		errs := make(chan error, customers)
		for c := range customers {
			u := telegramtest.User{ID: int64(100000 + i*customers + c), FirstName: "Cliente", LanguageCode: "es"}
			inbox := make(chan telegramtest.Message, 8)
			routes.Store(u.ID, inbox)
			wg.Go(func() {
				if err := drive(bctx, u, inbox); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		bcancel()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&ms1)
	n := float64(b.N * customers)
	b.ReportMetric(n/elapsed.Seconds(), "tickets/s")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/n, "alloc-B/ticket")
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc))/1e6, "heap-MB-retained")
	b.ReportMetric(float64(cpu)/n/1e3, "cpu-µs/ticket(all)")
	b.ReportMetric(float64(tt.total.Load())/n/1e3, "api-µs/ticket")
	b.ReportMetric(float64(tt.calls.Load())/n, "api-calls/ticket")
	b.ReportMetric(float64(rt.total.Load())/n/1e3, "redis-µs/ticket")
	b.ReportMetric(float64(rt.cmds.Load())/n, "redis-cmds/ticket")
	b.ReportMetric(0, "ns/op")
}
