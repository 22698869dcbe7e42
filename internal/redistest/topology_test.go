package redistest_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/internal/redistest"
)

// assertStopped checks that nothing listens on addrs any more.
func assertStopped(t *testing.T, addrs []string) {
	t.Helper()
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after cleanup", a)
		}
	}
}

func TestStartCluster(t *testing.T) {
	var addrs []string
	t.Run("cluster", func(t *testing.T) {
		c := redistest.StartCluster(t, 3)
		addrs = c.Addrs()
		if len(addrs) != 3 {
			t.Fatalf("addresses %v, want 3", addrs)
		}
		ctx := context.Background()
		rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs})
		defer rdb.Close()
		cc, ok := rdb.(*redis.ClusterClient)
		if !ok {
			t.Fatalf("NewUniversalClient with %d addresses gave %T, want a cluster client", len(addrs), rdb)
		}
		// Every node is a master with a third of the slots.
		shards, err := cc.ClusterShards(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		owned := map[string]int{}
		for _, sh := range shards {
			for _, n := range sh.Nodes {
				if n.Role != "master" {
					continue
				}
				for _, r := range sh.Slots {
					owned[fmt.Sprintf("%s:%d", n.IP, n.Port)] += int(r.End - r.Start + 1)
				}
			}
		}
		for _, a := range addrs {
			if owned[a] < 5000 {
				t.Errorf("node %s owns %d slots; slots %v", a, owned[a], owned)
			}
		}
		// Keys land on every master and DeletePrefix finds them all.
		prefix := redistest.Prefix(t)
		masters := map[string]bool{}
		for i := range 30 {
			key := fmt.Sprintf("%s:{%d}:k", prefix, i)
			if err := cc.Set(ctx, key, i, 0).Err(); err != nil {
				t.Fatal(err)
			}
			m, err := cc.MasterForKey(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			masters[m.Options().Addr] = true
		}
		if len(masters) != 3 {
			t.Fatalf("30 keys landed on masters %v, want all 3", masters)
		}
		redistest.DeletePrefix(ctx, cc, prefix)
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			keys, _, err := node.Scan(ctx, 0, prefix+"*", 1000).Result()
			if err == nil && len(keys) > 0 {
				err = fmt.Errorf("node %s still has %v", node.Options().Addr, keys)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	assertStopped(t, addrs)
}

func TestStartSentinel(t *testing.T) {
	var addrs []string
	t.Run("sentinel", func(t *testing.T) {
		s := redistest.StartSentinel(t)
		addrs = append(s.Addrs(), s.Master.Addr(), s.Replica.Addr())
		if len(s.Addrs()) != 3 || s.MasterName == "" {
			t.Fatalf("sentinels %v, master name %q", s.Addrs(), s.MasterName)
		}
		ctx := context.Background()
		for _, a := range s.Addrs() {
			sc := redis.NewSentinelClient(&redis.Options{Addr: a})
			got, err := sc.GetMasterAddrByName(ctx, s.MasterName).Result()
			sc.Close()
			if err != nil || len(got) != 2 || got[0]+":"+got[1] != s.Master.Addr() {
				t.Fatalf("sentinel %s: master %v, %v; want %s", a, got, err, s.Master.Addr())
			}
		}
		// A write through the failover client reaches the replica.
		rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: s.Addrs(), MasterName: s.MasterName})
		defer rdb.Close()
		key := redistest.Prefix(t) + ":k"
		if err := rdb.Set(ctx, key, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := rdb.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
			t.Fatalf("WAIT 1 = %d, %v; want the replica's acknowledgement", n, err)
		}
		replica := redis.NewClient(&redis.Options{Addr: s.Replica.Addr()})
		defer replica.Close()
		if v, err := replica.Get(ctx, key).Result(); err != nil || v != "v" {
			t.Fatalf("replica has %q, %v", v, err)
		}
		if err := replica.Set(ctx, key, "w", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
			t.Fatalf("write to the replica: %v, want READONLY", err)
		}
	})
	assertStopped(t, addrs)
}

// TestRestartOnATakenPortFails: a server whose port was taken while it was
// stopped says so (its process exits; the log says why) and starts again
// once the port is free.
func TestRestartOnATakenPortFails(t *testing.T) {
	// Another process may take the freed port before the test does: then
	// the test tries with another server (never skips).
	var s *redistest.Server
	var l net.Listener
	for try := 0; l == nil; try++ {
		s = redistest.Start(t)
		s.Stop()
		var err error
		if l, err = net.Listen("tcp", s.Addr()); err != nil && try == 4 {
			t.Fatalf("could not take a freed port in 5 tries: %v", err)
		}
	}
	err := s.Restart()
	l.Close()
	if err == nil || !strings.Contains(err.Error(), "port taken") {
		t.Fatalf("Restart on a taken port: %v, want port taken", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatalf("Restart once the port is free: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer rdb.Close()
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}
