package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/internal/measure"
	"github.com/colombiainformatica/ticketbot/store"
)

// deadletters runs `ticketbot deadletters list|replay` against the Redis
// and desk of the configuration (REDIS_URL or REDIS_ADDRS, REDIS_PREFIX,
// DESK): the messages delivery gave up on, and their replay.
func deadletters(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, ok := openOperator(getenv, stderr)
	if !ok {
		return 2
	}
	defer o.rdb.Close()
	st := o.st
	if len(args) > 0 && args[0] == "inbound" {
		if err := inboundDeadLetters(ctx, st, args[1:], stdout); err != nil {
			fmt.Fprintf(stderr, "ticketbot: deadletters inbound: %v\n", err)
			return 1
		}
		return 0
	}
	if err := delivery.RunDeadLetters(ctx, store.NewDelivery(st), args, time.Now(), stdout); err != nil {
		fmt.Fprintf(stderr, "ticketbot: deadletters: %v\n", err)
		return 1
	}
	return 0
}

// inboundDeadLetters lists what people sent that an adapter could not
// store and gave up on (each sender was asked to send it again):
// `deadletters inbound [-offset N] [-limit N]`, newest first.
func inboundDeadLetters(ctx context.Context, st *store.Store, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("deadletters inbound", flag.ContinueOnError)
	fs.SetOutput(out)
	offset := fs.Int("offset", 0, "skip this many")
	limit := fs.Int("limit", 50, "show at most this many")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *limit <= 0 || *offset < 0 {
		return errors.New("usage: deadletters inbound [-offset N] [-limit N]")
	}
	ds, total, err := store.NewInbound(st).DeadLetters(ctx, *offset, *limit)
	if err != nil {
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FROM\tID\tCHAT\tAT\tAGE\tERROR\tCONTENT")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Namespace, d.ID, d.Chat, d.At.Format(time.RFC3339),
			measure.Age(now.Sub(d.At)), oneLine(d.Error, 100), oneLine(d.Content, 100))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%d of %d inbound dead letters\n", len(ds), total)
	return err
}

// oneLine folds s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
