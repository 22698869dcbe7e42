package delivery_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
)

// BenchmarkTelegramLimits sends status notifications through the fake
// Telegram server enforcing the real flood limits (30/s per bot, 1/s per
// chat), ten per chat: DELIVERY_BENCH_MESSAGES of them (default 1,000 to 100
// chats, ideal 33 s; the figure is 10,000 to 1,000 chats, ideal
// 333 s). It reports the total time against the ideal, the 429s provoked,
// and then the delivery lag p50/p99 of a load under the limits. Run with
// -benchtime=1x.
func BenchmarkTelegramLimits(b *testing.B) {
	n := 1000
	if v := os.Getenv("DELIVERY_BENCH_MESSAGES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			b.Fatalf("DELIVERY_BENCH_MESSAGES=%q", v)
		}
	}
	for b.Loop() {
		benchOnce(b, n)
	}
}

func benchOnce(b *testing.B, n int) {
	rdb, prefix := redistest.Client(b)
	d := newDesk(rdb, prefix)
	srv := telegramtest.New(telegramtest.EnforceLimits(true))
	defer srv.Close()
	ctx := context.Background()
	chats := chatRange(100000, n/10)

	b.StopTimer()
	if err := load(ctx, d, chats, n); err != nil {
		b.Fatal(err)
	}
	want, total := expected(b, ctx, d)
	b.StartTimer()

	m := &metrics{}
	ch := newTGChannel(b, srv, d.st, delivery.Limits{LaneGap: time.Second, Buckets: map[string]time.Duration{"telegram": time.Second / 30}})
	w := d.worker([]delivery.Channel{ch}, delivery.Options{Metrics: m})
	start := time.Now()
	stop := run(b, w)
	waitUntil(b, time.Duration(n)*time.Second, "all messages", func() bool { return countReceived(srv) >= total })
	elapsed := time.Since(start)
	ideal := time.Duration(float64(total) / 30 * float64(time.Second))
	st := srv.Stats()
	b.StopTimer()
	verify(b, want, received(srv, chats))
	b.ReportMetric(elapsed.Seconds(), "s_total")
	b.ReportMetric(ideal.Seconds(), "s_ideal")
	b.ReportMetric(elapsed.Seconds()/ideal.Seconds(), "x_ideal")
	b.ReportMetric(float64(st.TooManyRequests), "429s")
	b.Logf("%d messages to %d chats in %s; ideal %s (%.1f%% over); %d answers 429",
		total, len(chats), elapsed.Round(time.Millisecond), ideal.Round(time.Millisecond),
		100*(elapsed.Seconds()/ideal.Seconds()-1), st.TooManyRequests)
	if elapsed > ideal*11/10 {
		b.Errorf("took %s, more than 10%% over the ideal %s", elapsed, ideal)
	}
	if st.TooManyRequests != 0 {
		b.Errorf("%d answers 429", st.TooManyRequests)
	}

	// Under the limits: 20 events per second to fresh chats for 5 s.
	_, _, _, _, before := m.snapshot()
	under := chatRange(200000, 100)
	for i, chat := range under {
		if err := load(ctx, d, []int64{chat}, 1); err != nil {
			b.Fatal(err)
		}
		time.Sleep(time.Until(start.Add(elapsed).Add(time.Duration(i+1) * 50 * time.Millisecond))) // pacing the load
	}
	waitUntil(b, time.Minute, "lag messages", func() bool { return countReceived(srv) >= total+len(under) })
	stop()
	_, _, _, _, lags := m.snapshot()
	lags = lags[len(before):]
	slices.Sort(lags)
	p50, p99 := lags[len(lags)/2], lags[len(lags)*99/100]
	b.ReportMetric(float64(p50)/1e6, "ms_lag_p50")
	b.ReportMetric(float64(p99)/1e6, "ms_lag_p99")
	b.Logf("lag under the limits (20 events/s): p50 %s, p99 %s over %d messages; 429s %d",
		p50, p99, len(lags), srv.Stats().TooManyRequests)
	b.StartTimer()
}
