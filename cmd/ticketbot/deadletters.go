package main

import (
	"context"
	"fmt"
	"io"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/store"
)

// deadletters runs `ticketbot deadletters list|replay` against the Redis
// and desk of the configuration (REDIS_URL or REDIS_ADDRS, REDIS_PREFIX,
// DESK): the messages delivery gave up on, and their replay.
func deadletters(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	m := NewMain()
	cfg, err := m.ParseConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ticketbot: %v\n", err)
		return 2
	}
	rdb := redis.NewUniversalClient(cfg.Redis)
	defer rdb.Close()
	st := store.New(rdb, store.Options{Prefix: cfg.Prefix, Desk: cfg.Desk})
	if err := delivery.RunDeadLetters(ctx, store.NewOutbox(st), args, stdout); err != nil {
		fmt.Fprintf(stderr, "ticketbot: deadletters: %v\n", err)
		return 1
	}
	return 0
}
