// Package redistest gives tests a real Redis: the server in REDIS_URL, or a
// redis-server started from PATH on a free port for the test binary. Each
// test gets its own key prefix, and its keys are deleted when it ends.
// StartCluster and StartSentinel start a Redis Cluster or a Sentinel setup
// of the test's own, also from PATH (see topology.go).
//
// Without REDIS_URL and without redis-server on PATH the tests are skipped,
// except under CI=true, where they fail: CI must never pass by skipping.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/internal/testproc"
	"github.com/redis/go-redis/v9"
)

var (
	sharedOnce sync.Once
	sharedURL  string
	sharedErr  error
)

// URL returns the address of the shared test Redis, starting one if needed.
func URL(tb testing.TB) string {
	tb.Helper()
	sharedOnce.Do(func() {
		if u := os.Getenv("REDIS_URL"); u != "" {
			sharedURL = u
			return
		}
		var srv *Server
		srv, sharedErr = start("")
		if sharedErr == nil {
			sharedURL = srv.URL()
			// The shared server lives as long as the test binary and
			// dies with it (see dieWithParent).
		}
	})
	if sharedErr != nil {
		unavailable(tb, sharedErr)
	}
	return sharedURL
}

func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("redis is required under CI: %v", err)
	}
	tb.Skipf("no Redis for this test (set REDIS_URL or install redis-server): %v", err)
}

// Prefix returns a key prefix unique to this test.
func Prefix(tb testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "test-" + hex.EncodeToString(b[:])
}

// Client returns a client of the shared test Redis and a key prefix unique
// to the test; every key under the prefix is deleted at cleanup.
func Client(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	opt, err := redis.ParseURL(URL(tb))
	if err != nil {
		tb.Fatalf("parse REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opt)
	prefix := Prefix(tb)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		DeletePrefix(ctx, rdb, prefix)
		_ = rdb.Close()
	})
	return rdb, prefix
}

// DeletePrefix deletes every key that starts with prefix. On a Cluster
// client it scans every master (a SCAN sees only the node it runs on) and
// deletes key by key (the keys may hash to different slots).
func DeletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) {
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		_ = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			iter := node.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			_, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
				for iter.Next(ctx) {
					p.Unlink(ctx, iter.Val())
				}
				return iter.Err()
			})
			return err
		})
		return
	}
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			rdb.Unlink(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		rdb.Unlink(ctx, batch...)
	}
}

// Server is a redis-server process of the test's own, which the test can
// stop and start again (to test outages). It listens on the same port
// across restarts.
type Server struct {
	mu   sync.Mutex
	port int
	bus  int    // cluster bus port (--cluster-port), 0 for none
	dir  string // data directory, with the log (redis.log)
	conf string // config file, first on the command line ("" for none)
	args []string
	proc *testproc.Proc
}

// StartShared starts a redis-server that lives as long as the test binary
// (it dies with it), for state shared by several tests or benchmarks.
func StartShared(args ...string) (*Server, error) {
	return start("", args...)
}

// Start starts a private redis-server for tb, with extra arguments (for
// example "--appendonly", "yes"), stopped at cleanup.
func Start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	require(tb, "redis-server")
	s, err := startIn(tb.TempDir(), spec{}, args...)
	if err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// require skips or fails tb (see unavailable) unless every program is on
// PATH.
func require(tb testing.TB, programs ...string) {
	tb.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			unavailable(tb, err)
		}
	}
}

func start(dir string, args ...string) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, err
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "redistest-")
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return startIn(dir, spec{}, args...)
}

// spec says how to run a server besides its arguments.
type spec struct {
	conf string // config file to start from (a sentinel needs one)
	bus  bool   // a cluster node: pick a free cluster bus port too
}

// startIn starts a server in dir on free ports. A port can be taken between
// the pick and the server's bind (by another test binary's server): then it
// tries other ports.
func startIn(dir string, sp spec, args ...string) (*Server, error) {
	var err error
	for range 5 {
		s := &Server{dir: dir, conf: sp.conf, args: args}
		var ports []int
		if ports, err = testproc.FreePorts(2); err != nil {
			return nil, err
		}
		s.port = ports[0]
		if sp.bus {
			s.bus = ports[1]
		}
		if err = s.Restart(); !errors.Is(err, testproc.ErrPortTaken) {
			return s, err
		}
	}
	return nil, err
}

// URL returns the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() }

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Stop kills the server (SIGKILL: an abrupt outage) and waits for it.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.proc.Kill()
	s.proc = nil
}

// Restart starts the server again on the same port and data directory and
// waits until it answers PING.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	var argv []string
	if s.conf != "" {
		argv = append(argv, s.conf) // redis-server reads a config file only as its first argument
	}
	argv = append(argv,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "",
		"--dir", s.dir, "--logfile", s.logFile(),
		"--daemonize", "no", "--protected-mode", "no",
	)
	if s.bus != 0 {
		argv = append(argv, "--cluster-port", strconv.Itoa(s.bus))
	}
	argv = append(argv, s.args...)
	// Short timeouts: a listener that is not ours (the port was taken)
	// must not hold the loop up while our process has already exited.
	const try = 250 * time.Millisecond
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: s.password(), MaxRetries: -1,
		DialTimeout: try, ReadTimeout: try, WriteTimeout: try})
	defer rdb.Close()
	ready := func(pid int) error {
		ctx, cancel := context.WithTimeout(context.Background(), try)
		defer cancel()
		info, err := rdb.Info(ctx, "server").Result()
		if err != nil {
			return err
		}
		// The server answering must be ours, not another test's that
		// took the port while ours was stopped.
		if !strings.Contains(info, "process_id:"+strconv.Itoa(pid)+"\r\n") {
			return fmt.Errorf("%w by another server", testproc.ErrPortTaken)
		}
		return nil
	}
	p, err := testproc.Start(testproc.Spec{
		Name: "redis-server on port " + strconv.Itoa(s.port), Path: "redis-server", Args: argv, UID: -1,
		Ready:   ready,
		Timeout: 10 * time.Second,
		Log:     func() string { return testproc.Tail(3, s.logFile()) },
	})
	if err != nil {
		return err
	}
	s.proc = p
	return nil
}

// password is the server's --requirepass, if it was started with one
// (URL does not hold it: tests give it apart, as REDIS_PASSWORD does).
func (s *Server) password() string {
	for i, a := range s.args {
		if a == "--requirepass" && i+1 < len(s.args) {
			return s.args[i+1]
		}
	}
	return ""
}

func (s *Server) logFile() string { return filepath.Join(s.dir, "redis.log") }

// Values returns every string key holds, whatever its type: a string's
// value, a list's, set's or sorted set's members, a hash's fields and
// values, a stream's fields and values. Tests that scan for personal data
// left behind read keys with it.
func Values(ctx context.Context, rdb redis.UniversalClient, key string) ([]string, error) {
	typ, err := rdb.Type(ctx, key).Result()
	if err != nil {
		return nil, err
	}
	switch typ {
	case "none":
		return nil, nil // deleted or expired since it was listed
	case "string":
		v, err := rdb.Get(ctx, key).Result()
		return []string{v}, err
	case "list":
		return rdb.LRange(ctx, key, 0, -1).Result()
	case "set":
		return rdb.SMembers(ctx, key).Result()
	case "zset":
		return rdb.ZRange(ctx, key, 0, -1).Result()
	case "hash":
		h, err := rdb.HGetAll(ctx, key).Result()
		var parts []string
		for f, v := range h {
			parts = append(parts, f, v)
		}
		return parts, err
	case "stream":
		ms, err := rdb.XRange(ctx, key, "-", "+").Result()
		var parts []string
		for _, m := range ms {
			for f, v := range m.Values {
				parts = append(parts, f, fmt.Sprint(v))
			}
		}
		return parts, err
	}
	return nil, fmt.Errorf("key %s of type %s", key, typ)
}
