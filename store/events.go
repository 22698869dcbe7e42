package store

import (
	"context"
	"fmt"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Events returns up to count events of the desk's stream that come after
// the event with ID after ("" or "0" for the start), oldest first. Delivery
// reads the stream through its consumer group; this plain range read is for
// tools and tests.
func (s *Store) Events(ctx context.Context, after string, count int64) ([]tickets.Event, error) {
	start := "-"
	if after != "" && after != "0" {
		start = "(" + after
	}
	msgs, err := s.rdb.XRangeN(ctx, s.keys.events(), start, "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	out := make([]tickets.Event, 0, len(msgs))
	for _, m := range msgs {
		ev := decodeEntry(m)
		if ev.Kind == "" {
			return nil, fmt.Errorf("decode event %s", m.ID)
		}
		out = append(out, ev)
	}
	return out, nil
}
