package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
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

// Benchmarks run against a private redis-server per benchmark, so that
// loading a million tickets neither needs a clean-up scan nor disturbs
// other tests. BENCH_SIZES (comma-separated) overrides the queue sizes,
// default "1000,1000000".

// roundTrips counts the network round trips a client makes: one per
// command or pipeline sent.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

type benchEnv struct {
	rdb   *redis.Client
	store *store.Store
	svc   *tickets.Service
	rt    *roundTrips
	next  atomic.Int64 // customer counter
	arr   atomic.Int64 // arrival clock, ms
}

func (b *benchEnv) Now() time.Time { return time.UnixMilli(b.arr.Add(1)) }

func newBenchEnv(tb testing.TB) *benchEnv {
	tb.Helper()
	srv := redistest.Start(tb)
	e := newBenchEnvAt(tb, srv.Addr())
	tb.Cleanup(func() { e.rdb.Close() })
	return e
}

func newBenchEnvAt(tb testing.TB, addr string) *benchEnv {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 64})
	st := store.New(rdb, store.Options{Prefix: "bench"})
	if err := st.Load(context.Background()); err != nil {
		tb.Fatal(err)
	}
	e := &benchEnv{rdb: rdb, store: st, rt: &roundTrips{}}
	e.arr.Store(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC).UnixMilli())
	e.svc = tickets.NewService(st, st, st, tickets.Config{Clock: e})
	rdb.AddHook(e.rt)
	return e
}

var description200 = strings.Repeat("La impresora de la oficina no imprime desde ayer. ", 4)[:200]

func (e *benchEnv) request() tickets.OpenRequest {
	i := e.next.Add(1)
	id := strconv.FormatInt(100000000+i, 10)
	return tickets.OpenRequest{
		Customer:    tickets.Customer{Platform: "telegram", UserID: id, ChatID: id, Name: "Cliente " + id, Language: "es"},
		Nature:      tickets.Natures[int(i)%len(tickets.Natures)],
		Urgency:     tickets.Urgencies[int(i/7)%len(tickets.Urgencies)],
		Description: description200,
	}
}

// fill opens n tickets with 32 concurrent callers.
func (e *benchEnv) fill(tb testing.TB, n int) {
	tb.Helper()
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(n))
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if _, err := e.svc.Open(context.Background(), e.request()); err != nil {
					tb.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

var (
	sharedMu   sync.Mutex
	sharedEnvs = map[int]*benchEnv{}
)

// sharedEnv returns a private Redis holding size queued tickets, filled
// once per test binary and shared by the benchmarks of that size (so a
// million tickets are loaded once, not once per benchmark and b.N). Each
// benchmark leaves the queue at size tickets. The server dies with the test
// binary.
func sharedEnv(b *testing.B, size int) *benchEnv {
	b.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if e, ok := sharedEnvs[size]; ok {
		return e
	}
	srv, err := redistest.StartShared()
	if err != nil {
		b.Fatal(err)
	}
	e := newBenchEnvAt(b, srv.Addr())
	e.fill(b, size)
	sharedEnvs[size] = e
	return e
}

func benchSizes() []int {
	spec := os.Getenv("BENCH_SIZES")
	if spec == "" {
		spec = "1000,1000000"
	}
	var out []int
	for _, f := range strings.Split(spec, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func reportRoundTrips(b *testing.B, e *benchEnv, before int64) {
	b.ReportMetric(float64(e.rt.n.Load()-before)/float64(b.N), "roundtrips/op")
}

// BenchmarkOpen opens tickets on a queue already holding size tickets.
func BenchmarkOpen(b *testing.B) {
	for _, size := range benchSizes() {
		b.Run(fmt.Sprintf("queued=%d", size), func(b *testing.B) {
			e := sharedEnv(b, size)
			ctx := context.Background()
			opened := make([]string, 0, b.N)
			before := e.rt.n.Load()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t, err := e.svc.Open(ctx, e.request())
				if err != nil {
					b.Fatal(err)
				}
				opened = append(opened, fmt.Sprintf("%012d", t.Number))
			}
			b.StopTimer()
			reportRoundTrips(b, e, before)
			// Back to size queued tickets for the next benchmark.
			if err := e.rdb.ZRem(ctx, e.store.Key("queue"), opened).Err(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkClaimNext claims the head of a queue holding size tickets; the
// queue is topped up (untimed) so that it never drops below size.
func BenchmarkClaimNext(b *testing.B) {
	for _, size := range benchSizes() {
		b.Run(fmt.Sprintf("queued=%d", size), func(b *testing.B) {
			e := sharedEnv(b, size)
			e.fill(b, b.N) // claimed away below: the queue ends at size again
			agent := tickets.AgentActor(tickets.Agent{ID: "U0BENCH", Name: "Bench"})
			ctx := context.Background()
			before := e.rt.n.Load()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.svc.ClaimNext(ctx, agent); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportRoundTrips(b, e, before)
		})
	}
}

// BenchmarkPosition asks the position (with its estimate) of random
// tickets of a queue holding size tickets.
func BenchmarkPosition(b *testing.B) {
	for _, size := range benchSizes() {
		b.Run(fmt.Sprintf("queued=%d", size), func(b *testing.B) {
			e := sharedEnv(b, size)
			agent := tickets.AgentActor(tickets.Agent{ID: "U0BENCH", Name: "Bench"})
			ctx := context.Background()
			if n, err := e.rdb.ZCard(ctx, e.store.Key("queue")).Result(); err != nil || n != int64(size) {
				b.Fatalf("queue holds %d tickets (%v), want %d", n, err, size)
			}
			// A random sample of queued tickets (with repeats), so the
			// benchmark holds no million-entry slice of its own.
			queued, err := e.rdb.ZRandMember(ctx, e.store.Key("queue"), -4096).Result()
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			before := e.rt.n.Load()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n, _ := strconv.ParseInt(queued[rng.IntN(len(queued))], 10, 64)
				p, err := e.svc.Position(ctx, agent, n)
				if err != nil {
					b.Fatal(err)
				}
				if p.Position == 0 {
					b.Fatalf("ticket #%d not queued", n)
				}
			}
			b.StopTimer()
			reportRoundTrips(b, e, before)
		})
	}
}

// BenchmarkMemoryPerTicket measures Redis memory per queued ticket with a
// 200-character description, from INFO memory deltas over 20,000 tickets
// (each from a distinct customer, the costliest case for the indexes), and
// fails above the 1 KiB target. The measurement is made once per run,
// whatever b.N.
func BenchmarkMemoryPerTicket(b *testing.B) {
	memoryOnce.Do(func() { memoryPerTicket = measureMemoryPerTicket(b) })
	for range b.N {
	}
	b.ReportMetric(memoryPerTicket, "redis-bytes/ticket")
	if memoryPerTicket > 1024 {
		b.Errorf("Redis memory per queued ticket = %.0f bytes, target ≤ 1024", memoryPerTicket)
	}
}

var (
	memoryOnce      sync.Once
	memoryPerTicket float64
)

func measureMemoryPerTicket(b *testing.B) float64 {
	const n = 20000
	e := newBenchEnv(b)
	used := func() int64 {
		info, err := e.rdb.Info(context.Background(), "memory").Result()
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
				x, _ := strconv.ParseInt(v, 10, 64)
				return x
			}
		}
		b.Fatal("no used_memory in INFO")
		return 0
	}
	e.fill(b, 10) // create the shared keys first (queue, stream, counter)
	before := used()
	e.fill(b, n)
	return float64(used()-before) / n
}
