package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// BenchmarkRetentionSoak opens, works and closes SOAK_TICKETS tickets
// (default 100,000) over a simulated 18 months, each with a file in its
// form, a customer message with a file, an agent reply, a resolution, a
// rating with a comment, its Slack card, thread posts and file copies and
// two Telegram message references, with delivery reading and trimming the
// events as it goes. Then the retention passes and the sweep runs, one
// replica in batches of 100. It reports Redis memory (used_memory less the
// client connections' buffers) at the start, after the work, the bytes kept
// per finished ticket, after the sweep (target: within 5% of the start) and
// the sweep's rate. Readings wait for Redis to finish shrinking its key
// tables after mass deletions. The start is measured after a warm-up of 500 tickets
// worked and swept, so that it holds what a running server holds whatever
// its data (script caches, the delivery group, a month's statistics). Keys
// whose TTL is at most a day (request markers) are deleted before the
// sweep, standing for the months that passed; longer-lived ones (Telegram
// references, 90 days) are left for the sweep to delete.
//
//	go test -run '^$' -bench RetentionSoak -benchtime 1x -timeout 30m ./store/
func BenchmarkRetentionSoak(b *testing.B) {
	n := 100000
	if v := os.Getenv("SOAK_TICKETS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("SOAK_TICKETS=%q", v)
		}
	}
	for range b.N {
		soak(b, n)
	}
}

type soakClock struct{ ms atomic.Int64 }

func (c *soakClock) Now() time.Time      { return time.UnixMilli(c.ms.Load()) }
func (c *soakClock) set(t time.Time)     { c.ms.Store(t.UnixMilli()) }
func (c *soakClock) add(d time.Duration) { c.ms.Add(d.Milliseconds()) }

func soak(b *testing.B, n int) {
	b.StopTimer()
	ctx := context.Background()
	srv := redistest.Start(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 32})
	b.Cleanup(func() { rdb.Close() })
	st := store.New(rdb, store.Options{Prefix: "soak"})
	if err := st.Load(ctx); err != nil {
		b.Fatal(err)
	}
	clock := &soakClock{}
	begin := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	clock.set(begin)
	svc := tickets.NewService(st, st, st, tickets.Config{Clock: clock})
	sl, tg, ob := store.NewSlack(st), store.NewTelegram(st), store.NewDelivery(st)
	if err := ob.Join(ctx); err != nil {
		b.Fatal(err)
	}
	w := &soakWork{b: b, svc: svc, clock: clock, sl: sl, tg: tg, ob: ob}
	sweepAll := func() int {
		expired := 0
		for {
			res, err := svc.Sweep(ctx, 100)
			if err != nil {
				b.Fatal(err)
			}
			expired += res.Expired
			if !res.More {
				return expired
			}
		}
	}
	// A warm-up desk that has worked and swept tickets before: the start
	// then includes what a running server keeps whatever its data (the
	// connection pool's buffers, the script caches, the stats of a month).
	clock.set(begin.Add(-tickets.DefaultRetention - 30*24*time.Hour))
	w.chunk(-1000000, 500)
	clock.set(begin)
	sweepAll()
	purgeShortLived(b, rdb, 24*time.Hour)
	start := settledMemory(b, rdb)

	const chunk = 500
	span := 540 * 24 * time.Hour // 18 months
	workStart := time.Now()
	for c0 := 0; c0 < n; c0 += chunk {
		clock.set(begin.Add(time.Duration(float64(span) * float64(c0) / float64(n))))
		w.chunk(c0, min(chunk, n-c0))
	}
	workTime := time.Since(workStart)
	purged := purgeShortLived(b, rdb, 24*time.Hour)
	after := usedMemory(b, rdb)

	clock.add(tickets.DefaultRetention)
	sweepStart := time.Now()
	b.StartTimer()
	expired := sweepAll()
	b.StopTimer()
	sweepTime := time.Since(sweepStart)
	if expired != n {
		b.Errorf("swept %d of %d tickets", expired, n)
	}
	end := settledMemory(b, rdb)
	keys, _ := rdb.DBSize(ctx).Result()
	b.ReportMetric(float64(start), "start-bytes")
	b.ReportMetric(float64(after), "worked-bytes")
	b.ReportMetric(float64(after-start)/float64(n), "bytes/finished-ticket")
	b.ReportMetric(float64(end), "swept-bytes")
	b.ReportMetric(100*float64(end-start)/float64(start), "swept-vs-start-%")
	b.ReportMetric(float64(n)/sweepTime.Seconds(), "swept-tickets/s")
	b.Logf("%d tickets worked in %s (%d short-lived keys purged); used_memory start %d, after work %d (%.0f bytes per finished ticket), after sweep %d (%+.1f%%, %d keys left); sweep %s, %.0f tickets/s",
		n, workTime.Round(time.Second), purged, start, after, float64(after-start)/float64(n), end, 100*float64(end-start)/float64(start), keys,
		sweepTime.Round(time.Millisecond), float64(n)/sweepTime.Seconds())
	if float64(end) > 1.05*float64(start) {
		b.Errorf("used_memory after the sweep %d is more than 5%% over the start %d", end, start)
	}
}

// soakWork works tickets for the soak.
type soakWork struct {
	b     *testing.B
	svc   *tickets.Service
	clock *soakClock
	sl    *store.Slack
	tg    *store.Telegram
	ob    *store.Delivery
}

// chunk opens, works, resolves and rates size tickets of customers c0..,
// on 16 workers, the clock moving an hour between stages, and lets
// delivery read and trim their events.
func (w *soakWork) chunk(c0, size int) {
	b, svc, clock, sl, tg, ob := w.b, w.svc, w.clock, w.sl, w.tg, w.ob
	ctx := context.Background()
	agent := tickets.AgentActor(tickets.Agent{ID: "U0ANA", Name: "Ana"})
	nums := make([]int64, size)
	// Every stage runs on 16 workers; the clock moves between stages.
	stage := func(what string, f func(i int) error) {
		var wg sync.WaitGroup
		var next atomic.Int64
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)) - 1; i < size; i = int(next.Add(1)) - 1 {
					if err := f(i); err != nil {
						b.Errorf("%s: %v", what, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if b.Failed() {
			b.FailNow()
		}
		clock.add(time.Hour)
	}
	cust := func(i int) tickets.Customer {
		id := strconv.Itoa(300000000 + c0 + i)
		return tickets.Customer{Platform: "telegram", UserID: id, ChatID: id, Name: "Cliente " + id, Language: "es"}
	}
	stage("open", func(i int) error {
		c := cust(i)
		if _, err := svc.AcceptTerms(ctx, c, svc.Consent()); err != nil {
			return err
		}
		tk, err := svc.Open(ctx, tickets.OpenRequest{Customer: c, Nature: tickets.Natures[i%len(tickets.Natures)],
			Urgency: tickets.Urgencies[i%len(tickets.Urgencies)], Description: description200,
			Attachments: []tickets.Attachment{{Kind: "photo", FileID: "AgACAgEAAxkBAAI" + c.UserID + "-photo-file-id", Size: 123456}}})
		nums[i] = tk.Number
		return err
	})
	stage("work", func(i int) error {
		n := nums[i]
		if _, err := svc.Claim(ctx, agent, n, false); err != nil {
			return err
		}
		_, m1, err := svc.AddMessage(ctx, tickets.CustomerActor(cust(i)), n, tickets.MessageInput{Text: "Adjunto la factura del equipo, gracias.",
			Attachments: []tickets.Attachment{{Kind: "document", FileID: "BQACAgEAAxkBAAI" + strconv.Itoa(i) + "-doc-file-id", Name: "factura.pdf", Size: 45678}}})
		if err != nil {
			return err
		}
		_, m2, err := svc.AddMessage(ctx, agent, n, tickets.MessageInput{Kind: tickets.MessageReply, Text: "Reinicie el servicio de impresión y pruebe de nuevo, por favor."})
		if err != nil {
			return err
		}
		ts := fmt.Sprintf("17%08d.%06d", n, 100)
		if err := sl.SaveCard(ctx, n, "C0QUEUE", ts); err != nil {
			return err
		}
		for _, e := range []string{"0", strconv.FormatInt(m1.ID, 10), strconv.FormatInt(m2.ID, 10)} {
			if err := sl.SavePosted(ctx, n, e, ts+e); err != nil {
				return err
			}
		}
		if err := sl.SaveFileCopied(ctx, n, 0, 1, "F0COPY", ""); err != nil {
			return err
		}
		if err := sl.SaveFileCopied(ctx, n, m1.ID, 1, "F1COPY", ""); err != nil {
			return err
		}
		chat, _ := strconv.ParseInt(cust(i).ChatID, 10, 64)
		for msg := 1; msg <= 2; msg++ {
			if err := tg.RememberMessage(ctx, chat, int(n)*10+msg, n, 90*24*time.Hour); err != nil {
				return err
			}
		}
		return nil
	})
	stage("resolve", func(i int) error {
		_, err := svc.Resolve(ctx, agent, nums[i])
		return err
	})
	stage("rate", func(i int) error {
		if _, err := svc.Rate(ctx, tickets.CustomerActor(cust(i)), nums[i], 1+i%5, "Muy buena atención, resolvieron rápido."); err != nil {
			return err
		}
		return sl.SavePosted(ctx, nums[i], "rating", "1700000000.000999")
	})
	drainEvents(b, ob, clock.Now())
}

// drainEvents does what delivery does with the events stream: read,
// acknowledge and trim.
func drainEvents(b *testing.B, ob *store.Delivery, now time.Time) {
	ctx := context.Background()
	for {
		evs, err := ob.ReadEvents(ctx, "soak", 1000, time.Millisecond)
		if err != nil {
			b.Fatal(err)
		}
		for _, ev := range evs {
			if _, err := ob.Enqueue(ctx, ev.ID, nil, now); err != nil {
				b.Fatal(err)
			}
		}
		if len(evs) < 1000 {
			break
		}
	}
	if err := ob.TrimEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
}

// purgeShortLived deletes the keys that expire within max, as the
// simulated months would have.
func purgeShortLived(b *testing.B, rdb *redis.Client, max time.Duration) int {
	ctx := context.Background()
	n := 0
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, "*", 1000).Result()
		if err != nil {
			b.Fatal(err)
		}
		ttls := make([]*redis.DurationCmd, len(keys))
		_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				ttls[i] = p.PTTL(ctx, k)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		var del []string
		for i, k := range keys {
			if ttl := ttls[i].Val(); ttl > 0 && ttl <= max {
				del = append(del, k)
			}
		}
		if len(del) > 0 {
			n += int(rdb.Del(ctx, del...).Val())
		}
		if cursor = next; cursor == 0 {
			return n
		}
	}
}

// settledMemory is usedMemory once Redis has finished shrinking its key
// tables after mass deletions (serverCron resizes and rehashes them a
// step at a time): two readings 200 ms apart within 1 KiB, or the last of
// 10 s of readings.
func settledMemory(b *testing.B, rdb *redis.Client) int64 {
	prev := usedMemory(b, rdb)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for range 50 {
		<-tick.C
		cur := usedMemory(b, rdb)
		if d := cur - prev; d < 1024 && d > -1024 {
			return cur
		}
		prev = cur
	}
	return prev
}

// usedMemory is Redis's used_memory less the buffers of client
// connections (mem_clients_normal), which follow the connection pool's
// traffic of the moment, not what is stored.
func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	var used, clients int64 = -1, 0
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			used, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "mem_clients_normal:"); ok {
			clients, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if used < 0 {
		b.Fatal("no used_memory in INFO")
	}
	return used - clients
}
