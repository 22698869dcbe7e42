package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// lastJSONLine decodes the last line of a bench's output.
func lastJSONLine(t *testing.T, out string) benchResult {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res benchResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("last line is not the JSON result: %v\n%s", err, out)
	}
	return res
}

func assertNoKeys(t *testing.T, rdb redis.UniversalClient, prefix string) {
	t.Helper()
	n, err := countKeys(context.Background(), rdb, prefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d keys left under %q", n, prefix)
	}
}

func TestBench(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	const n, workers = 300, 8
	ctx := context.Background()
	var out bytes.Buffer
	opts := benchOptions{URL: redistest.URL(t), N: n, Workers: workers, Prefix: prefix, Desk: "support"}
	opts.inspect = func(ctx context.Context, st *store.Store, rdb redis.UniversalClient) error {
		// Every ticket is claimed, exactly once, and the queue is empty.
		if l, err := st.Lengths(ctx); err != nil || sum(l) != 0 {
			t.Errorf("queue lengths %v, %v after the bench; want empty", l, err)
		}
		for i := int64(1); i <= n; i++ {
			tk, err := st.Get(ctx, i)
			if err != nil || tk.Status != tickets.StatusClaimed || tk.Version != 2 {
				t.Errorf("ticket #%d: %+v, %v; want claimed once (version 2)", i, tk, err)
				break
			}
		}
		if _, err := st.Get(ctx, n+1); err == nil {
			t.Errorf("ticket #%d exists: more opens than asked", n+1)
		}
		events, err := st.Events(ctx, "", 4*n)
		if err != nil || len(events) != 2*n {
			t.Errorf("%d events, %v; want %d (one open and one claim per ticket)", len(events), err, 2*n)
		}
		return nil
	}
	res, err := runBench(ctx, opts, &out)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	got := lastJSONLine(t, out.String())
	if got.Open.Ops != n || got.ClaimNext.Ops != n || got.Tickets != n || got.Workers != workers {
		t.Errorf("result %+v, want %d opens and %d claims by %d workers", got, n, n, workers)
	}
	if got.Position.Ops == 0 || got.Open.OpsPerSec <= 0 || got.ClaimNext.P99MS < got.ClaimNext.P50MS {
		t.Errorf("implausible figures %+v", got)
	}
	if got != res {
		t.Errorf("printed %+v, returned %+v", got, res)
	}
	for _, col := range []string{"operation", "ops/s", "p50 ms", "p99 ms", "claim_next", "position"} {
		if !strings.Contains(out.String(), col) {
			t.Errorf("table lacks %q:\n%s", col, out.String())
		}
	}
	assertNoKeys(t, rdb, prefix)
}

func sum(m map[tickets.Priority]int64) int64 {
	var s int64
	for _, v := range m {
		s += v
	}
	return s
}

func TestBenchCommandCompare(t *testing.T) {
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		// It comes with redis-server's Debian packages, which CI installs.
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-benchmark is not on PATH: CI must run the -compare test")
		}
		t.Skip("redis-benchmark is not on PATH")
	}
	rdb, prefix := redistest.Client(t)
	var stdout, stderr bytes.Buffer
	env := envOf(map[string]string{"REDIS_URL": redistest.URL(t)})
	code := bench(context.Background(), []string{"-n", "200", "-w", "4", "-prefix", prefix, "-compare"}, env, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	got := lastJSONLine(t, stdout.String())
	if got.Open.Ops != 200 || got.ClaimNext.Ops != 200 {
		t.Errorf("result %+v", got)
	}
	if got.RedisBenchmark == nil || got.RedisBenchmark.OpenRPS <= 0 || got.RedisBenchmark.ClaimNextRPS <= 0 {
		t.Errorf("redis_benchmark = %+v, want both figures\n%s", got.RedisBenchmark, stdout.String())
	}
	if !strings.Contains(stdout.String(), "ratio") {
		t.Errorf("no side-by-side comparison:\n%s", stdout.String())
	}
	assertNoKeys(t, rdb, prefix)
}

func TestBenchRefusesAUsedPrefix(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	seq := prefix + ":{support}:seq" // a key of the desk (store/keys.go)
	if err := rdb.Set(ctx, seq, 41, 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := runBench(ctx, benchOptions{URL: redistest.URL(t), N: 10, Workers: 2, Prefix: prefix, Desk: "support"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "exist already") {
		t.Fatalf("bench on a used prefix: %v, want a refusal", err)
	}
	if v, _ := rdb.Get(ctx, seq).Result(); v != "41" {
		t.Errorf("the existing key was touched: seq = %q", v)
	}
}

func TestParseRedisBenchmarkCSV(t *testing.T) {
	out := `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"EVALSHA abc 1 k {"n":0,"d":"a, b"} 600","38461.54","1.200","0.100","1.100","2.000","3.000","4.000"
`
	rps, err := parseRedisBenchmarkCSV([]byte(out))
	if err != nil || rps != 38461.54 {
		t.Errorf("rps = %v, %v; want 38461.54", rps, err)
	}
	if _, err := parseRedisBenchmarkCSV([]byte("ERR unknown command\n")); err == nil {
		t.Error("no error for output without figures")
	}
}
