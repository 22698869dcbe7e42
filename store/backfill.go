package store

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/tickets"
)

var (
	//go:embed backfill.lua
	backfillSource string
	backfillScript = redis.NewScript(backfillSource)
)

// Backfill indexes, in the finished index, up to batch tickets (by
// number) that were finished before the index existed, resuming where the
// last call stopped: a cursor in Redis survives restarts and is shared by
// replicas. It returns how many tickets it indexed and whether every
// number up to the last ticket has been looked at. Tickets created after
// the upgrade are indexed by Apply; looking at them again is harmless.
func (s *Store) Backfill(ctx context.Context, batch int) (indexed int, done bool, err error) {
	if batch <= 0 {
		batch = 500
	}
	k := s.keys
	res, err := backfillScript.Run(ctx, s.rdb, []string{k.finished(), k.backfillCursor(), k.seq()},
		k.ticketPrefix(), batch, int(tickets.StatusResolved), int(tickets.StatusClosed)).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("backfill the finished index: %w", err)
	}
	if len(res) != 3 {
		return 0, false, fmt.Errorf("backfill the finished index: unexpected reply %v", res)
	}
	return int(res[2]), res[0] >= res[1], nil
}
