package email_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/internal/mailtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
)

// ingest runs a Bot on folder until its cursor reaches UID last, and
// returns how long that took.
func ingest(b *testing.B, srv *mailtest.IMAP, d *desk, folder string, last uint32) time.Duration {
	b.Helper()
	cfg := botConfig(srv.Addr, srv.User, srv.Password, time.Minute)
	cfg.Mailboxes = []string{folder}
	cursors := store.NewEmail(d.st)
	bot := newBot(b, d, cfg, cursors, email.Deps{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	go func() { defer wg.Done(); _ = bot.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Minute)
	for {
		if c, err := cursors.Cursor(ctx, folder); err == nil && c.UID >= last {
			return time.Since(start)
		}
		select {
		case <-deadline:
			b.Fatalf("the intake did not reach UID %d", last)
		case <-tick.C:
		}
	}
}

// BenchmarkIngestCorpus reads the whole corpus (CPython's, mailpit's and
// enmime's test mails) from dovecot through the whole intake: fetch,
// parse, classify, the inbound marks, the Service and the store on Redis.
// It reports mails ingested per second.
func BenchmarkIngestCorpus(b *testing.B) {
	files := corpus(b)
	srv := mailtest.StartIMAP(b)
	rdb, prefix := redistest.Client(b)
	var total time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		folder := fmt.Sprintf("bench%d", i)
		var last uint32
		for _, f := range files {
			last = srv.Append(b, folder, f.raw)
		}
		d := newDesk(rdb, fmt.Sprintf("%s-%d", prefix, i), nil)
		b.StartTimer()
		total += ingest(b, srv, d, folder, last)
	}
	b.ReportMetric(float64(len(files)*i)/total.Seconds(), "mails/s")
}

// BenchmarkIngest25MB reads one 25 MB mail (the default cap) through the
// whole intake and reports the peak of live heap above the heap before it
// (sampled every millisecond from runtime/metrics).
func BenchmarkIngest25MB(b *testing.B) {
	srv := mailtest.StartIMAP(b)
	rdb, prefix := redistest.Client(b)
	raw := bigMail(email.DefaultMaxSize - 1024)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	var worst uint64
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		folder := fmt.Sprintf("big%d", i)
		uid := srv.Append(b, folder, raw)
		d := newDesk(rdb, fmt.Sprintf("%s-%d", prefix, i), nil)
		runtime.GC()
		base := heap()
		var peak uint64
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			for {
				peak = max(peak, heap())
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		b.StartTimer()
		ingest(b, srv, d, folder, uid)
		b.StopTimer()
		close(stop)
		<-done
		worst = max(worst, peak-base)
		b.StartTimer()
	}
	b.ReportMetric(float64(worst)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(len(raw))/(1<<20), "mail-MB")
}
