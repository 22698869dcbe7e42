package slack

import (
	"encoding/json"
	"testing"
)

// A thread in a channel other than the queue channel is not a card's: it
// is ignored without asking Slack anything.
func TestForeignThreadCostsNoSlackCall(t *testing.T) {
	h := newHarness(t)
	h.fake.AddChannel("CRANDOM", "random")
	parent, err := h.fake.PostUserMessage(h.ctx, bob, "CRANDOM", "lunch?", "")
	if err != nil {
		t.Fatal(err)
	}
	before := len(h.fake.Calls(""))
	if _, err := h.fake.PostUserMessage(h.ctx, ana, "CRANDOM", "yes", parent); err != nil {
		t.Fatal(err)
	}
	if evs := h.settle(); len(evs) != 0 {
		t.Errorf("events %v", kinds(evs))
	}
	if calls := h.fake.Calls(""); len(calls) != before {
		var names []string
		for _, c := range calls[before:] {
			names = append(names, c.Method)
		}
		t.Errorf("Slack calls for a thread elsewhere: %v", names)
	}
	// Nor is anything remembered of it.
	ds := h.fake.Deliveries()
	var env struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal(ds[len(ds)-1].Body, &env); err != nil || env.EventID == "" {
		t.Fatalf("event %s: %v", ds[len(ds)-1].Body, err)
	}
	for _, key := range []string{h.key("in:slack:" + env.EventID), h.key("kv:slack:thread:CRANDOM:" + parent)} {
		if n, err := h.st.Client().Exists(h.ctx, key).Result(); err != nil || n != 0 {
			t.Errorf("%s stored (%v)", key, err)
		}
	}
}
