package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestClusterRetention runs the finished index, the backfill and the sweep
// (apply.lua, backfill.lua, expire.lua and their pipelines) on a 3-master
// Redis Cluster: the personal data is gone from every master afterwards.
func TestClusterRetention(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { rdb.Close() })
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("got %T, want a cluster client", rdb)
	}
	ctx := context.Background()
	e := newEnvOn(rdb, store.Options{Prefix: redistest.Prefix(t)})
	if err := e.store.Load(ctx); err != nil {
		t.Fatal(err)
	}
	tk := workPersonal(t, e)
	if _, _, err := e.store.Backfill(ctx, 100); err != nil {
		t.Fatal(err)
	}
	scan := func() []string {
		var mu sync.Mutex
		var found []string
		err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			f := scanFor(t, node, e.store.KeyPattern(), personalNeedles)
			mu.Lock()
			defer mu.Unlock()
			found = append(found, f...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return found
	}
	if len(scan()) == 0 {
		t.Fatal("the customer's data is nowhere before the sweep")
	}
	e.clock.Advance(tickets.DefaultRetention + time.Minute)
	if res, err := e.svc.Sweep(ctx, 100); err != nil || res.Expired != 1 {
		t.Fatalf("Sweep = %+v, %v; want 1 expired", res, err)
	}
	if after := scan(); len(after) > 0 {
		t.Errorf("after the sweep, personal data remains:\n%s", strings.Join(after, "\n"))
	}
	if stats, err := e.svc.Statistics(ctx, tk.CreatedAt, tk.CreatedAt); err != nil || len(stats) != 1 || stats[0].Count != 1 {
		t.Errorf("statistics = %+v, %v", stats, err)
	}
}
