package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// statsCommand runs `ticketbot stats [-from YYYY-MM] [-to YYYY-MM]` against the
// Redis and desk of the configuration: the statistics that the retention
// keeps of expired tickets, a line per month.
func statsCommand(ctx context.Context, args []string, getenv func(string) string, now time.Time, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "first month, YYYY-MM (default: a year before -to)")
	to := fs.String("to", "", "last month, YYYY-MM (default: this month)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	start, end, err := statsRange(*from, *to, now)
	if err != nil || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ticketbot: stats: %v\nusage: ticketbot stats [-from YYYY-MM] [-to YYYY-MM]\n", err)
		return 2
	}
	o, ok := openOperator(getenv, stderr)
	if !ok {
		return 2
	}
	defer o.rdb.Close()
	svc := o.svc
	months, err := svc.Statistics(ctx, start, end)
	if err != nil {
		fmt.Fprintf(stderr, "ticketbot: stats: %v\n", err)
		return 1
	}
	if err := printStats(stdout, months); err != nil {
		fmt.Fprintf(stderr, "ticketbot: stats: %v\n", err)
		return 1
	}
	return 0
}

// maxStatsMonths bounds the range one call reads.
const maxStatsMonths = 1200

// statsRange parses -from and -to.
func statsRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	end := tickets.MonthOf(now)
	if to != "" {
		t, err := time.Parse("2006-01", to)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("-to %q is not a month like 2026-03", to)
		}
		end = t
	}
	start := end.AddDate(-1, 0, 0)
	if from != "" {
		t, err := time.Parse("2006-01", from)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("-from %q is not a month like 2026-03", from)
		}
		start = t
	}
	if start.After(end) {
		return time.Time{}, time.Time{}, errors.New("-from is after -to")
	}
	if start.AddDate(0, maxStatsMonths, 0).Before(end) {
		return time.Time{}, time.Time{}, fmt.Errorf("at most %d months at once", maxStatsMonths)
	}
	return start, end, nil
}

// printStats writes a line per month: counts, the number range, the
// average time open, and each breakdown as name=count.
func printStats(out io.Writer, months []tickets.MonthStats) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MONTH\tTICKETS\tNUMBERS\tAVG OPEN\tMESSAGES\tNATURE\tURGENCY\tPRIORITY\tINTAKE\tSTATUS\tSTARS")
	var total int64
	for _, m := range months {
		avg := time.Duration(0)
		if m.Count > 0 {
			avg = (m.OpenTime / time.Duration(m.Count)).Round(time.Minute)
		}
		fmt.Fprintf(tw, "%s\t%d\t#%d-#%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Month.Format("2006-01"), m.Count, m.First, m.Last,
			avg, m.Messages, breakdown(m.ByNature), breakdown(m.ByUrgency), breakdown(m.ByPriority),
			breakdown(m.ByIntake), breakdown(m.ByStatus), breakdown(m.ByStars))
		total += m.Count
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "%d expired tickets in %d months (tickets not yet expired are whole in the store and not counted here)\n", total, len(months))
	return err
}

func breakdown[K comparable](m map[K]int64) string {
	parts := make([]string, 0, len(m))
	for k, n := range m {
		parts = append(parts, fmt.Sprintf("%v=%d", k, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
