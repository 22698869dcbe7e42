package store_test

import (
	"context"
	"testing"

	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
	"github.com/colombiainformatica/ticketbot/tickets/ticketstest"
)

// TestConformance runs the core's storage conformance suite against the
// Redis store, each subtest on a key prefix of its own.
func TestConformance(t *testing.T) {
	ticketstest.Run(t, func(t *testing.T) ticketstest.Stores {
		rdb, prefix := redistest.Client(t)
		st := store.New(rdb, store.Options{Prefix: prefix})
		return ticketstest.Stores{
			Store: st, Queue: st, Profiles: st,
			Events: func(ctx context.Context) ([]tickets.Event, error) { return st.Events(ctx, "", 1<<30) },
		}
	})
}
