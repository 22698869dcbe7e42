package redistest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// setupTimeout bounds how long StartCluster and StartSentinel wait for
// their servers to agree.
const setupTimeout = 30 * time.Second

// Cluster is a Redis Cluster of the test's own: masters only, no replicas,
// each node a redis-server on free ports, stopped at cleanup.
type Cluster struct {
	Nodes []*Server
}

// Addrs returns every node's host:port, for redis.UniversalOptions.Addrs.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr()
	}
	return out
}

// StartCluster starts masters (at least 3) redis-server nodes with
// cluster mode on, each with its own cluster config file, joins them with
// `redis-cli --cluster create` (slots spread evenly, no replicas) and waits
// until every node reports cluster_state:ok and knows every other node.
// Without redis-server or redis-cli the test is skipped (failed under
// CI=true).
func StartCluster(tb testing.TB, masters int) *Cluster {
	tb.Helper()
	require(tb, "redis-server", "redis-cli")
	if masters < 3 {
		tb.Fatalf("redis cluster needs at least 3 masters, got %d", masters)
	}
	c := &Cluster{}
	for range masters {
		dir := tb.TempDir()
		n, err := startIn(dir, spec{bus: true},
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--cluster-node-timeout", strconv.Itoa(clusterJoinNodeTimeout),
			"--appendonly", "no",
		)
		if err != nil {
			tb.Fatalf("start cluster node: %v", err)
		}
		tb.Cleanup(n.Stop)
		c.Nodes = append(c.Nodes, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	cmd := exec.CommandContext(ctx, "redis-cli", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	want := "cluster_known_nodes:" + strconv.Itoa(masters) + "\r\n"
	for _, n := range c.Nodes {
		err := poll(ctx, n.Addr(), func(ctx context.Context, rdb *redis.Client) (bool, error) {
			info, err := rdb.ClusterInfo(ctx).Result()
			return strings.Contains(info, "cluster_state:ok\r\n") && strings.Contains(info, want), err
		})
		if err != nil {
			tb.Fatalf("cluster node %s never reported cluster_state:ok with %d nodes: %v", n.Addr(), masters, err)
		}
	}
	for _, n := range c.Nodes {
		rdb := redis.NewClient(&redis.Options{Addr: n.Addr()})
		err := rdb.ConfigSet(ctx, "cluster-node-timeout", strconv.Itoa(clusterNodeTimeout)).Err()
		rdb.Close()
		if err != nil {
			tb.Fatalf("cluster node %s: set cluster-node-timeout: %v", n.Addr(), err)
		}
	}
	return c
}

// Cluster node timeouts, ms. The nodes gossip more often with a shorter
// one, so that they agree on the slots, which redis-cli waits for in steps
// of a second, sooner; once joined, a longer one keeps a busy test machine
// from getting a slow node marked as failed.
const (
	clusterJoinNodeTimeout = 1000
	clusterNodeTimeout     = 5000
)

// Sentinel is a Sentinel setup of the test's own: a master, one replica and
// three sentinels monitoring them with a quorum of 2, all stopped at
// cleanup (the sentinels first).
type Sentinel struct {
	MasterName string
	Master     *Server // the master at start; a failover makes Replica the master
	Replica    *Server
	Sentinels  []*Server
}

// Addrs returns the sentinels' host:port, for redis.UniversalOptions.Addrs
// (with MasterName).
func (s *Sentinel) Addrs() []string {
	out := make([]string, len(s.Sentinels))
	for i, n := range s.Sentinels {
		out[i] = n.Addr()
	}
	return out
}

// Sentinel timings: short, so that a failover takes a few seconds.
const (
	sentinelDownAfter       = 1000 // ms without a valid reply before an instance is down
	sentinelFailoverTimeout = 5000 // ms
)

// StartSentinel starts a master, a replica of it (--replicaof) and three
// sentinels (redis-server --sentinel, each with a generated config file
// monitoring the master with quorum 2), and waits until the replica is in
// sync and every sentinel knows the master, the replica and the two other
// sentinels. Without redis-server the test is skipped (failed under
// CI=true).
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	require(tb, "redis-server")
	s := &Sentinel{MasterName: "ticketbot"}
	start := func(sp spec, args ...string) *Server {
		tb.Helper()
		n, err := startIn(tb.TempDir(), sp, args...)
		if err != nil {
			tb.Fatalf("start redis-server: %v", err)
		}
		tb.Cleanup(n.Stop)
		return n
	}
	// Diskless replication without its default 5 s delay: the replica
	// syncs at once, and so does the old master after a failover.
	nodeArgs := []string{"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"}
	s.Master = start(spec{}, nodeArgs...)
	s.Replica = start(spec{}, append(nodeArgs, "--replicaof", "127.0.0.1", strconv.Itoa(s.Master.port))...)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	err := poll(ctx, s.Replica.Addr(), func(ctx context.Context, rdb *redis.Client) (bool, error) {
		info, err := rdb.Info(ctx, "replication").Result()
		return strings.Contains(info, "master_link_status:up\r\n"), err
	})
	if err != nil {
		tb.Fatalf("replica %s never synced with master %s: %v", s.Replica.Addr(), s.Master.Addr(), err)
	}
	for range 3 {
		dir := tb.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		text := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 2\n"+
			"sentinel down-after-milliseconds %[1]s %[3]d\n"+
			"sentinel failover-timeout %[1]s %[4]d\n",
			s.MasterName, s.Master.port, sentinelDownAfter, sentinelFailoverTimeout)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			tb.Fatalf("write sentinel config: %v", err)
		}
		// Cleanups run last first: the sentinels stop before the servers
		// they watch, so no failover starts during teardown.
		s.Sentinels = append(s.Sentinels, start(spec{conf: conf}, "--sentinel"))
	}
	for _, sn := range s.Sentinels {
		err := pollSentinel(ctx, sn.Addr(), func(ctx context.Context, sc *redis.SentinelClient) (bool, error) {
			return knowsSetup(ctx, sc, s.MasterName, s.Master.Addr(), s.Replica.Addr(), len(s.Sentinels)-1)
		})
		if err != nil {
			tb.Fatalf("sentinel %s never knew master %s, replica %s and the other sentinels: %v",
				sn.Addr(), s.Master.Addr(), s.Replica.Addr(), err)
		}
	}
	return s
}

// knowsSetup reports whether sentinel sc sees master up at masterAddr with
// exactly the replica at replicaAddr, in sync, and the other sentinels.
func knowsSetup(ctx context.Context, sc *redis.SentinelClient, name, masterAddr, replicaAddr string, others int) (bool, error) {
	m, err := sc.Master(ctx, name).Result()
	if err != nil {
		return false, err
	}
	if m["flags"] != "master" || m["ip"]+":"+m["port"] != masterAddr ||
		m["num-slaves"] != "1" || m["num-other-sentinels"] != strconv.Itoa(others) {
		return false, nil
	}
	rs, err := sc.Replicas(ctx, name).Result()
	if err != nil || len(rs) != 1 {
		return false, err
	}
	r := rs[0]
	return r["flags"] == "slave" && r["ip"]+":"+r["port"] == replicaAddr && r["master-link-status"] == "ok", nil
}

// poll calls cond with a client of addr until it returns true or ctx ends
// (then it returns the last error cond returned, if any).
func poll(ctx context.Context, addr string, cond func(context.Context, *redis.Client) (bool, error)) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	return pollUntil(ctx, func() (bool, error) { return cond(ctx, rdb) })
}

// pollSentinel is poll for a sentinel.
func pollSentinel(ctx context.Context, addr string, cond func(context.Context, *redis.SentinelClient) (bool, error)) error {
	sc := redis.NewSentinelClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer sc.Close()
	return pollUntil(ctx, func() (bool, error) { return cond(ctx, sc) })
}

func pollUntil(ctx context.Context, cond func() (bool, error)) error {
	var last error
	for {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), last)
		case <-time.After(20 * time.Millisecond): // polling servers' state, not synchronising tests
		}
	}
}
