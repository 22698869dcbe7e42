package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// compareRedisBenchmark runs redis-benchmark with the Lua equivalents of
// open and claim-next. It returns nil figures when redis-benchmark is not
// on PATH.
func compareRedisBenchmark(ctx context.Context, o benchOptions, rdb redis.UniversalClient, cmp *store.Store, sample tickets.Ticket, out io.Writer) (*redisBenchFigures, error) {
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		fmt.Fprintln(out, "-compare: redis-benchmark is not on PATH; skipped")
		return nil, nil
	}
	c, ok := rdb.(*redis.Client) // REDIS_URL: one server
	if !ok {
		return nil, errors.New("-compare needs a single Redis server")
	}
	ropt := c.Options()
	host, port, err := net.SplitHostPort(ropt.Addr)
	if err != nil {
		return nil, err
	}
	conn := []string{"-h", host, "-p", port, "-c", strconv.Itoa(o.Workers), "-n", strconv.Itoa(o.N), "-r", "1000000000", "--csv"}
	if ropt.DB != 0 {
		conn = append(conn, "--dbnum", strconv.Itoa(ropt.DB))
	}
	if ropt.Password != "" {
		conn = append(conn, "-a", ropt.Password)
		if ropt.Username != "" {
			conn = append(conn, "--user", ropt.Username)
		}
	}
	if ropt.TLSConfig != nil {
		conn = append(conn, "--tls")
	}
	// The store's own scripts: redis-benchmark runs exactly the Redis work
	// of an open and of a claim-next.
	openCmd, claimCmd, err := cmp.BenchmarkCommands(ctx, sample, tickets.Agent{ID: "UBENCH", Name: "Agente"}, time.Now())
	if err != nil {
		return nil, err
	}
	queued := func() int64 {
		lens, err := cmp.Lengths(ctx)
		if err != nil {
			return -1
		}
		var n int64
		for _, l := range lens {
			n += l
		}
		return n
	}

	fmt.Fprintf(out, "-compare: redis-benchmark -c %d -n %d with EVALSHA of the store's create.lua and claim_next.lua\n", o.Workers, o.N)
	var figs redisBenchFigures
	if figs.OpenRPS, err = runRedisBenchmark(ctx, bin, append(slices.Clone(conn), openCmd...)); err != nil {
		return nil, fmt.Errorf("redis-benchmark open: %w", err)
	}
	if queued() <= 0 {
		return nil, fmt.Errorf("redis-benchmark open queued no ticket; check the script and the connection")
	}
	if figs.ClaimNextRPS, err = runRedisBenchmark(ctx, bin, append(slices.Clone(conn), claimCmd...)); err != nil {
		return nil, fmt.Errorf("redis-benchmark claim_next: %w", err)
	}
	if left := queued(); left > 0 {
		fmt.Fprintf(out, "-compare: note: %d of the benchmark's tickets were left in its queue (redis-benchmark retried or dropped requests)\n", left)
	}
	return &figs, nil
}

// runRedisBenchmark runs redis-benchmark and returns the requests per
// second from its CSV output.
func runRedisBenchmark(ctx context.Context, bin string, args []string) (float64, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return parseRedisBenchmarkCSV(stdout.Bytes())
}

// parseRedisBenchmarkCSV reads the rps column of redis-benchmark --csv.
// The first column repeats the command, whose JSON arguments are not
// CSV-escaped, so data rows are split from the right.
func parseRedisBenchmarkCSV(b []byte) (float64, error) {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	header, err := csv.NewReader(strings.NewReader(lines[0])).Read()
	rps := slices.Index(header, "rps")
	if err != nil || rps < 1 {
		return 0, fmt.Errorf("no requests-per-second figure in redis-benchmark output %q", b)
	}
	for _, line := range lines[1:] {
		fields := strings.Split(strings.TrimSpace(line), ",")
		if len(fields) < len(header) || !strings.HasPrefix(line, `"`) {
			continue // an error message, not a result row
		}
		v := strings.Trim(fields[len(fields)-len(header)+rps], `"`)
		return strconv.ParseFloat(v, 64)
	}
	return 0, fmt.Errorf("no requests-per-second figure in redis-benchmark output %q", b)
}
