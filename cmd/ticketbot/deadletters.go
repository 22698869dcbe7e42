package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram"
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
	if len(args) > 0 && args[0] == "inbound" {
		if err := inboundDeadLetters(ctx, st, args[1:], stdout); err != nil {
			fmt.Fprintf(stderr, "ticketbot: deadletters inbound: %v\n", err)
			return 1
		}
		return 0
	}
	if err := delivery.RunDeadLetters(ctx, store.NewOutbox(st), args, stdout); err != nil {
		fmt.Fprintf(stderr, "ticketbot: deadletters: %v\n", err)
		return 1
	}
	return 0
}

// inboundDeadLetters lists what customers sent that the Telegram adapter
// could not store and gave up on (each customer was asked to send it
// again): `deadletters inbound [-limit N]`, newest first.
func inboundDeadLetters(ctx context.Context, st *store.Store, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("deadletters inbound", flag.ContinueOnError)
	fs.SetOutput(out)
	limit := fs.Int("limit", 50, "show at most this many")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *limit <= 0 {
		return errors.New("usage: deadletters inbound [-limit N]")
	}
	ds, err := telegram.DeadLetters(ctx, st, *limit)
	if err != nil {
		return err
	}
	return telegram.PrintDeadLetters(out, ds)
}
