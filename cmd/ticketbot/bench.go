package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// benchOptions configure one bench run.
type benchOptions struct {
	URL string
	// Username and Password come from REDIS_USERNAME and REDIS_PASSWORD,
	// as for serving.
	Username, Password string
	N                  int
	Workers            int
	Prefix             string
	Desk               string
	Compare            bool
	// inspect, when set, is called after both phases and before the
	// clean-up, so tests can look at what the run left in Redis.
	inspect func(ctx context.Context, st *store.Store, rdb redis.UniversalClient) error
}

// opStats are one operation's figures.
type opStats struct {
	Ops       int     `json:"ops"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50MS     float64 `json:"p50_ms"`
	P99MS     float64 `json:"p99_ms"`
}

// benchResult is the final JSON line of a run.
type benchResult struct {
	Open           opStats            `json:"open"`
	ClaimNext      opStats            `json:"claim_next"`
	Position       opStats            `json:"position"`
	Workers        int                `json:"workers"`
	Tickets        int                `json:"tickets"`
	RedisBenchmark *redisBenchFigures `json:"redis_benchmark,omitempty"`
}

// redisBenchFigures are redis-benchmark's requests per second for the Lua
// equivalents of open and claim-next.
type redisBenchFigures struct {
	OpenRPS      float64 `json:"open_rps"`
	ClaimNextRPS float64 `json:"claim_next_rps"`
}

const benchUsage = `Usage: ticketbot bench [flags]

Opens -n tickets with -w workers through the same tickets.Service and Redis
store as production, then claims them all with claim-next (a position query
every 10th claim), and prints count, ops/s and p50/p99 latency per operation,
then one JSON line to compare runs. Needs REDIS_URL; every key it writes is
under a throwaway prefix and deleted at the end (also on Ctrl-C). It refuses
to run on a prefix and desk that already hold keys.

Flags:
`

// bench is the `ticketbot bench` subcommand.
func bench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	o := benchOptions{URL: getenv("REDIS_URL"), Username: getenv("REDIS_USERNAME"), Password: getenv("REDIS_PASSWORD")}
	fs.IntVar(&o.N, "n", 10000, "tickets to open and claim")
	fs.IntVar(&o.Workers, "w", 50, "concurrent workers")
	fs.StringVar(&o.Prefix, "prefix", "", "key prefix (default a random ticketbot-bench-<hex>)")
	fs.StringVar(&o.Desk, "desk", DefaultDesk, "desk name (the keys' hash tag)")
	fs.BoolVar(&o.Compare, "compare", false, "also run redis-benchmark (from PATH) with the same Redis writes in Lua")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ticketbot: bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if o.URL == "" {
		fmt.Fprintln(stderr, "ticketbot: bench: REDIS_URL is not set (bench never runs on the embedded demo store)")
		return 2
	}
	if o.N <= 0 || o.Workers <= 0 {
		fmt.Fprintln(stderr, "ticketbot: bench: -n and -w must be positive")
		return 2
	}
	if o.Prefix == "" {
		o.Prefix = "ticketbot-bench-" + randomHex(4)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := runBench(ctx, o, stdout); err != nil {
		fmt.Fprintf(stderr, "ticketbot: bench: %v\n", err)
		return 1
	}
	return 0
}

// runBench runs both phases, prints the table and the JSON line to out,
// and deletes every key it wrote.
func runBench(ctx context.Context, o benchOptions, out io.Writer) (res benchResult, err error) {
	uopts, _, err := parseRedis(func(name string) string {
		switch name {
		case "REDIS_URL":
			return o.URL
		case "REDIS_USERNAME":
			return o.Username
		case "REDIS_PASSWORD":
			return o.Password
		}
		return ""
	})
	if err != nil {
		return res, err
	}
	// Enough connections that the pool is not what is measured.
	uopts.PoolSize = o.Workers + 10
	rdb := redis.NewUniversalClient(uopts)
	defer rdb.Close()

	st := store.New(rdb, store.Options{Prefix: o.Prefix, Desk: o.Desk})
	cmp := store.New(rdb, store.Options{Prefix: o.Prefix, Desk: o.Desk + "-cmp"})
	patterns := []string{st.KeyPattern(), cmp.KeyPattern()}
	for _, p := range patterns {
		n, err := countKeys(ctx, rdb, p)
		if err != nil {
			return res, fmt.Errorf("check the prefix is unused: %w", err)
		}
		if n > 0 {
			return res, fmt.Errorf("keys matching %q exist already; bench only runs on an unused prefix and desk", p)
		}
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		for _, p := range patterns {
			if cerr := deleteKeys(cctx, rdb, p); cerr != nil && err == nil {
				err = fmt.Errorf("clean up %q: %w", p, cerr)
			}
		}
	}()
	if err := st.Load(ctx); err != nil {
		return res, err
	}
	svc := tickets.NewService(st, st, st, tickets.Config{})

	fmt.Fprintf(out, "ticketbot bench: %d tickets, %d workers, keys %s\n", o.N, o.Workers, st.KeyPattern())
	opened, openLat, openWall, err := benchOpen(ctx, svc, o)
	if err != nil {
		return res, err
	}
	claimed, claimLat, posLat, claimWall, err := benchClaim(ctx, svc, o, opened)
	if err != nil {
		return res, err
	}
	if err := checkExactlyOnce(opened, claimed); err != nil {
		return res, err
	}
	if o.inspect != nil {
		if err := o.inspect(ctx, st, rdb); err != nil {
			return res, err
		}
	}

	res = benchResult{
		Open:      stats(openLat, openWall),
		ClaimNext: stats(claimLat, share(claimWall, claimLat, posLat)),
		Position:  stats(posLat, share(claimWall, posLat, claimLat)),
		Workers:   o.Workers,
		Tickets:   o.N,
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcount\tops/s\tp50 ms\tp99 ms\t")
	for _, r := range []struct {
		name string
		s    opStats
	}{{"open", res.Open}, {"claim_next", res.ClaimNext}, {"position", res.Position}} {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.3f\t%.3f\t\n", r.name, r.s.Ops, r.s.OpsPerSec, r.s.P50MS, r.s.P99MS)
	}
	tw.Flush()
	fmt.Fprintf(out, "check: %d opened, %d claimed, each exactly once; queue empty\n", len(opened), len(claimed))

	if o.Compare {
		figs, err := compareRedisBenchmark(ctx, o, rdb, cmp, opened[0], out)
		if err != nil {
			return res, err
		}
		if figs != nil {
			res.RedisBenchmark = figs
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "operation\tticketbot ops/s\tredis-benchmark req/s\tratio\t")
			fmt.Fprintf(tw, "open\t%.0f\t%.0f\t%.2f\t\n", res.Open.OpsPerSec, figs.OpenRPS, ratio(res.Open.OpsPerSec, figs.OpenRPS))
			fmt.Fprintf(tw, "claim_next\t%.0f\t%.0f\t%.2f\t\n", res.ClaimNext.OpsPerSec, figs.ClaimNextRPS, ratio(res.ClaimNext.OpsPerSec, figs.ClaimNextRPS))
			tw.Flush()
		}
	}
	line, err := json.Marshal(res)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(out, "%s\n", line)
	return res, nil
}

// benchDescription is a 200-character description.
var benchDescription = strings.Repeat("El servidor no responde desde esta mañana; ", 5)[:200]

// benchOpen opens o.N tickets with o.Workers workers, each for a distinct
// customer with a random nature and urgency.
func benchOpen(ctx context.Context, svc *tickets.Service, o benchOptions) ([]tickets.Ticket, []time.Duration, time.Duration, error) {
	opened := make([]tickets.Ticket, o.N)
	lats := make([][]time.Duration, o.Workers)
	var next atomic.Int64
	wall, err := runWorkers(ctx, o.Workers, func(ctx context.Context, w int) error {
		for ctx.Err() == nil {
			i := int(next.Add(1)) - 1
			if i >= o.N {
				return nil
			}
			id := strconv.Itoa(i + 1)
			r := tickets.OpenRequest{
				Customer:    tickets.Customer{Platform: "bench", UserID: id, ChatID: id, Name: "Cliente " + id, Language: "es"},
				Nature:      tickets.Natures[mrand.IntN(len(tickets.Natures))],
				Urgency:     tickets.Urgencies[mrand.IntN(len(tickets.Urgencies))],
				Description: benchDescription,
			}
			t0 := time.Now()
			t, err := svc.Open(ctx, r)
			if err != nil {
				return fmt.Errorf("open: %w", err)
			}
			lats[w] = append(lats[w], time.Since(t0))
			opened[i] = t
		}
		return nil
	})
	if err != nil {
		return nil, nil, 0, err
	}
	return opened, slices.Concat(lats...), wall, nil
}

// runWorkers runs work in n goroutines (w is each one's index) and returns
// how long they took. The first error cancels the others' ctx and is
// returned.
func runWorkers(ctx context.Context, n int, work func(ctx context.Context, w int) error) (time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			if err := work(ctx, w); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// benchClaim claims with claim-next until the queue is empty; every 10th
// claim also asks the position of a ticket still queued.
func benchClaim(ctx context.Context, svc *tickets.Service, o benchOptions, opened []tickets.Ticket) (claimed []int64, claimLat, posLat []time.Duration, wall time.Duration, err error) {
	// The queue order, to pick tickets that are still queued.
	order := slices.Clone(opened)
	slices.SortFunc(order, func(a, b tickets.Ticket) int {
		if c := cmpFloat(a.Score(), b.Score()); c != 0 {
			return c
		}
		return int(a.Number - b.Number)
	})
	type result struct {
		claimed []int64
		claim   []time.Duration
		pos     []time.Duration
	}
	results := make([]result, o.Workers)
	var claims atomic.Int64
	wall, err = runWorkers(ctx, o.Workers, func(ctx context.Context, w int) error {
		agent := tickets.AgentActor(tickets.Agent{ID: fmt.Sprintf("UBENCH%03d", w), Name: fmt.Sprintf("Agente %d", w)})
		r := &results[w]
		for ctx.Err() == nil {
			t0 := time.Now()
			t, err := svc.ClaimNext(ctx, agent)
			if errors.Is(err, tickets.ErrQueueEmpty) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("claim next: %w", err)
			}
			r.claim = append(r.claim, time.Since(t0))
			r.claimed = append(r.claimed, t.Number)
			c := int(claims.Add(1))
			// Tickets past every claim made or in flight are still queued.
			if lo := c + o.Workers; c%10 == 0 && lo < len(order) {
				n := order[lo+mrand.IntN(len(order)-lo)].Number
				t0 := time.Now()
				if _, err := svc.Position(ctx, agent, n); err != nil {
					return fmt.Errorf("position of #%d: %w", n, err)
				}
				r.pos = append(r.pos, time.Since(t0))
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, 0, err
	}
	for _, r := range results {
		claimed = append(claimed, r.claimed...)
		claimLat = append(claimLat, r.claim...)
		posLat = append(posLat, r.pos...)
	}
	return claimed, claimLat, posLat, wall, nil
}

// checkExactlyOnce verifies that the claims are exactly the opened tickets.
func checkExactlyOnce(opened []tickets.Ticket, claimed []int64) error {
	seen := make(map[int64]int, len(opened))
	for _, t := range opened {
		seen[t.Number]--
	}
	if len(seen) != len(opened) {
		return fmt.Errorf("check: %d opens returned only %d distinct numbers", len(opened), len(seen))
	}
	for _, n := range claimed {
		seen[n]++
	}
	for n, c := range seen {
		switch {
		case c < 0:
			return fmt.Errorf("check: ticket #%d was opened but never claimed", n)
		case c > 0:
			return fmt.Errorf("check: ticket #%d claimed %d times or never opened", n, c+1)
		}
	}
	return nil
}

func stats(lats []time.Duration, wall time.Duration) opStats {
	s := opStats{Ops: len(lats)}
	if len(lats) == 0 {
		return s
	}
	slices.Sort(lats)
	s.OpsPerSec = round(float64(len(lats))/wall.Seconds(), 1)
	s.P50MS = round(percentile(lats, 0.50).Seconds()*1000, 3)
	s.P99MS = round(percentile(lats, 0.99).Seconds()*1000, 3)
	return s
}

// share returns the part of a phase's wall time that went to the calls
// mine, when the workers also made the calls others in the same phase:
// wall times mine's share of the workers' busy time. The claim phase mixes
// position queries into claim-next, and each operation's ops/s is its
// count over its own share, so that claim-next is not charged for the
// positions (and compares with redis-benchmark running claim-next alone).
func share(wall time.Duration, mine, others []time.Duration) time.Duration {
	var m, o time.Duration
	for _, d := range mine {
		m += d
	}
	for _, d := range others {
		o += d
	}
	if m+o == 0 {
		return wall
	}
	return time.Duration(float64(wall) * float64(m) / float64(m+o))
}

// percentile returns the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func round(v float64, places int) float64 {
	f := math.Pow(10, float64(places))
	return math.Round(v*f) / f
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func countKeys(ctx context.Context, rdb redis.UniversalClient, pattern string) (int, error) {
	n := 0
	err := forEachKey(ctx, rdb, pattern, func([]string) error { n++; return nil })
	return n, err
}

// deleteKeys deletes every key matching pattern, in batches.
func deleteKeys(ctx context.Context, rdb redis.UniversalClient, pattern string) error {
	return forEachKey(ctx, rdb, pattern, func(batch []string) error {
		return rdb.Unlink(ctx, batch...).Err()
	})
}

// forEachKey calls fn with batches of the keys matching pattern, on every
// master when rdb is a Cluster client.
func forEachKey(ctx context.Context, rdb redis.UniversalClient, pattern string, fn func([]string) error) error {
	scan := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 500 {
				if err := fn(batch); err != nil {
					return err
				}
				batch = nil
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		if len(batch) > 0 {
			return fn(batch)
		}
		return nil
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	}
	return scan(ctx, rdb)
}
