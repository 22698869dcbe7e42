package store

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/internal/redistest"
)

// TestJoinPrunesGoneConsumers: consumers of processes that are gone (idle,
// nothing pending) are deleted when a worker joins; one with pending
// entries is kept, so its entries can still be reclaimed.
func TestJoinPrunesGoneConsumers(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	o := NewDelivery(New(rdb, Options{Prefix: prefix}))
	o.consumerIdle = 50 * time.Millisecond
	ctx := context.Background()
	if err := o.Join(ctx); err != nil {
		t.Fatal(err)
	}
	stream := o.s.keys.events()
	ev := `{"n":1,"k":"opened","t":1,"ar":1,"ai":"telegram:1","at":1}`
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"e", ev}}).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := o.ReadEvents(ctx, "gone-with-pending", 10, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := o.ReadEvents(ctx, "gone-idle", 10, -1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := o.Join(ctx); err != nil {
			t.Fatal(err)
		}
		cs, err := rdb.XInfoConsumers(ctx, stream, DeliveryGroup).Result()
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, c := range cs {
			names[c.Name] = true
		}
		if !names["gone-with-pending"] {
			t.Fatal("a consumer with pending entries was deleted")
		}
		if !names["gone-idle"] {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("an idle consumer with nothing pending was never pruned")
		}
		time.Sleep(20 * time.Millisecond) // Redis's idle clock has to pass 50 ms
	}
}
