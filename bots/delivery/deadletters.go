package delivery

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// RunDeadLetters runs the `ticketbot deadletters` subcommand with args
// (what follows "deadletters"), writing to out:
//
//	list [-offset N] [-limit N]   the dead letters, oldest first
//	replay ID...                  move these messages back to their outboxes
//	replay -all                   move every dead letter back
//
// A replayed message is sent by the running workers like any other, with
// its attempts reset; permanent failures are never replayed by themselves.
func RunDeadLetters(ctx context.Context, q DeadLetterQueue, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: deadletters list [-offset N] [-limit N] | replay ID... | replay -all")
	}
	switch args[0] {
	case "list":
		fs := flag.NewFlagSet("deadletters list", flag.ContinueOnError)
		fs.SetOutput(out)
		offset := fs.Int("offset", 0, "skip this many dead letters")
		limit := fs.Int("limit", 50, "show at most this many")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		ds, total, err := q.DeadLetters(ctx, *offset, *limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPLATFORM\tTARGET\tTICKET\tREASON\tATTEMPTS\tAT\tERROR")
		for _, d := range ds {
			m := d.Message
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", m.ID, m.Platform, m.Target, m.Number,
				d.Reason, m.Attempts, d.At.Format(time.RFC3339), oneLine(d.Error, 120))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%d of %d dead letters\n", len(ds), total)
		return err
	case "replay":
		fs := flag.NewFlagSet("deadletters replay", flag.ContinueOnError)
		fs.SetOutput(out)
		all := fs.Bool("all", false, "replay every dead letter")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		ids := fs.Args()
		if *all == (len(ids) > 0) {
			return errors.New("usage: deadletters replay ID... | replay -all")
		}
		n := 0
		if *all {
			for {
				ds, _, err := q.DeadLetters(ctx, 0, 100)
				if err != nil {
					return err
				}
				replayed := 0
				for _, d := range ds {
					ok, err := q.Replay(ctx, d.Message.ID, time.Now())
					if err != nil {
						return err
					}
					if ok {
						replayed++
					}
				}
				n += replayed
				if len(ds) == 0 || replayed == 0 {
					break
				}
			}
		}
		var missing []string
		for _, id := range ids {
			ok, err := q.Replay(ctx, id, time.Now())
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintf(out, "%s: no such dead letter\n", id)
				missing = append(missing, id)
				continue
			}
			n++
		}
		if _, err := fmt.Fprintf(out, "replayed %d\n", n); err != nil {
			return err
		}
		if len(missing) > 0 {
			// A script replaying a list learns that part of it was not there.
			return fmt.Errorf("no such dead letter: %s", strings.Join(missing, ", "))
		}
		return nil
	}
	return fmt.Errorf("unknown deadletters command %q (list, replay)", args[0])
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
