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

	"github.com/colombiainformatica/ticketbot/internal/measure"
)

const deadLettersUsage = "usage: deadletters list [-offset N] [-limit N] | replay ID... | replay -all | " +
	"events [-offset N] [-limit N] | events replay ID... | events replay -all"

// RunDeadLetters runs the `ticketbot deadletters` subcommand with args
// (what follows "deadletters"), writing to out; now tells the entries'
// age:
//
//	list [-offset N] [-limit N]   the messages delivery gave up on, oldest first
//	replay ID...                  move these messages back to their lanes
//	replay -all                   move every dead letter back
//	events [-offset N] [-limit N] the events that could not be planned
//	events replay ID...|-all      put these events back into the stream
//
// A replayed message is sent by the running workers like any other, with
// its attempts reset; a replayed event is planned again. Permanent
// failures are never replayed by themselves.
func RunDeadLetters(ctx context.Context, q DeadLetterQueue, args []string, now time.Time, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(deadLettersUsage)
	}
	switch args[0] {
	case "list":
		offset, limit, err := pageFlags("deadletters list", args[1:], out)
		if err != nil {
			return err
		}
		ds, total, err := q.DeadLetters(ctx, offset, limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPLATFORM\tLANE\tTICKET\tREASON\tATTEMPTS\tAT\tAGE\tERROR")
		for _, d := range ds {
			m := d.Message
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\n", m.ID, m.Platform, m.Lane, m.Number,
				d.Reason, m.Attempts, d.At.Format(time.RFC3339), measure.Age(now.Sub(d.At)), oneLine(d.Error, 120))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%d of %d dead letters\n", len(ds), total)
		return err
	case "replay":
		return replay(ctx, "deadletters replay", args[1:], out,
			func(offset int) ([]string, error) {
				ds, _, err := q.DeadLetters(ctx, offset, 100)
				ids := make([]string, len(ds))
				for i, d := range ds {
					ids[i] = d.Message.ID
				}
				return ids, err
			},
			func(id string) (bool, error) { return q.Replay(ctx, id, now) })
	case "events":
		if len(args) > 1 && args[1] == "replay" {
			return replay(ctx, "deadletters events replay", args[2:], out,
				func(offset int) ([]string, error) {
					ds, _, err := q.EventDeadLetters(ctx, offset, 100)
					ids := make([]string, len(ds))
					for i, d := range ds {
						ids[i] = d.ID
					}
					return ids, err
				},
				func(id string) (bool, error) { return q.ReplayEvent(ctx, id) })
		}
		offset, limit, err := pageFlags("deadletters events", args[1:], out)
		if err != nil {
			return err
		}
		ds, total, err := q.EventDeadLetters(ctx, offset, limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EVENT\tTICKET\tKIND\tAT\tAGE\tERROR")
		for _, d := range ds {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", d.ID, d.Number, d.Kind, d.At.Format(time.RFC3339),
				measure.Age(now.Sub(d.At)), oneLine(d.Error, 120))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%d of %d event dead letters\n", len(ds), total)
		return err
	}
	return fmt.Errorf("unknown deadletters command %q (list, replay, events, inbound)", args[0])
}

func pageFlags(name string, args []string, out io.Writer) (offset, limit int, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	o := fs.Int("offset", 0, "skip this many dead letters")
	l := fs.Int("limit", 50, "show at most this many")
	if err := fs.Parse(args); err != nil {
		return 0, 0, err
	}
	if fs.NArg() > 0 || *o < 0 || *l <= 0 {
		return 0, 0, errors.New(deadLettersUsage)
	}
	return *o, *l, nil
}

// replay replays the ids given, or with -all every id page lists.
func replay(_ context.Context, name string, args []string, out io.Writer,
	page func(offset int) ([]string, error), one func(id string) (bool, error)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	all := fs.Bool("all", false, "replay every dead letter")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ids := fs.Args()
	if *all == (len(ids) > 0) {
		return errors.New(deadLettersUsage)
	}
	n := 0
	if *all {
		for {
			batch, err := page(0)
			if err != nil {
				return err
			}
			replayed := 0
			for _, id := range batch {
				ok, err := one(id)
				if err != nil {
					return err
				}
				if ok {
					replayed++
				}
			}
			n += replayed
			if len(batch) == 0 || replayed == 0 {
				break
			}
		}
	}
	var missing []string
	for _, id := range ids {
		ok, err := one(id)
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

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
