package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestLayout pins the stored shape documented in keys.go and record.go:
// the record of an opened and of a claimed ticket, its queue member and
// score, its indexes and its events.
func TestLayout(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tk := e.open(t, 1, tickets.NatureOutage, tickets.UrgencyCritical)
	record := func() map[string]any {
		t.Helper()
		js, err := e.rdb.Get(ctx, e.store.Key("t:1")).Result()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	r := record()
	for k, want := range map[string]any{"v": 1.0, "cp": "telegram", "cu": "1001", "na": "outage", "u": 4.0, "p": 1.0, "st": 1.0} {
		if r[k] != want {
			t.Errorf("opened record %q = %v, want %v (record %v)", k, r[k], want, r)
		}
	}
	for _, k := range []string{"n", "a", "cc", "in"} {
		if _, ok := r[k]; ok {
			t.Errorf("opened record has %q: %v", k, r)
		}
	}
	if oq, _ := r["oq"].(string); oq == "" || oq != tk.OpenRequest {
		t.Errorf("opened record oq = %v, want the open request %q", r["oq"], tk.OpenRequest)
	}
	zs, err := e.rdb.ZRangeWithScores(ctx, e.store.Key("queue"), 0, -1).Result()
	if err != nil || len(zs) != 1 || zs[0].Member != "000000000001" || zs[0].Score != tk.Score() {
		t.Fatalf("queue = %v, %v; want member 000000000001 at %v", zs, err, tk.Score())
	}
	if n, _ := e.rdb.ZScore(ctx, e.store.Key("c:telegram:1001"), "000000000001").Result(); n != float64(tk.CreatedAt.UnixMilli()) {
		t.Errorf("customer index score %v, want the creation time", n)
	}
	if _, err := e.svc.ClaimNext(ctx, agentAna); err != nil {
		t.Fatal(err)
	}
	r = record()
	for k, want := range map[string]any{"v": 2.0, "st": 2.0, "a": "U0ANA", "an": "Ana"} {
		if r[k] != want {
			t.Errorf("claimed record %q = %v, want %v", k, r[k], want)
		}
	}
	if n, _ := e.rdb.ZCard(ctx, e.store.Key("queue")).Result(); n != 0 {
		t.Error("a claimed ticket is still queued")
	}
	if _, err := e.rdb.ZScore(ctx, e.store.Key("a:U0ANA"), "000000000001").Result(); err != nil {
		t.Errorf("agent index: %v", err)
	}
	entries, err := e.rdb.XRange(ctx, e.store.Key("events"), "-", "+").Result()
	if err != nil || len(entries) != 2 {
		t.Fatalf("events %v, %v", entries, err)
	}
	if entries[0].Values["n"] != "1" || entries[1].Values["n"] != "1" || entries[1].Values["p"] != "1" {
		t.Errorf("events' number and priority fields: %v", entries)
	}
	var claimed map[string]any
	_ = json.Unmarshal([]byte(entries[1].Values["e"].(string)), &claimed)
	if claimed["k"] != "claimed" || claimed["ai"] != "U0ANA" {
		t.Errorf("claimed event %v", claimed)
	}
}
