package store

import (
	"strconv"
	"strings"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// The statistics of a month are a hash (keys.stats) of counters: this is
// the one place that says which. Each expired ticket adds 1 to "count",
// to one field of each breakdown ("n:<nature>", "u:<urgency>",
// "p:<priority>", "i:<intake>", "s:<status>", "r:<stars>", 0 for not
// rated), its time open in ms to "open_ms" and its message count to
// "messages"; expire.lua keeps "first" and "last", the lowest and highest
// numbers. Nothing names a customer.

// monthName is the "yyyy-mm" of t's month, as the stats key names it.
func monthName(t time.Time) string { return t.UTC().Format("2006-01") }

// statsIncrements is the field, increment pairs row adds to its month.
func statsIncrements(r tickets.StatsRow) []any {
	return []any{
		"count", 1,
		"n:" + string(r.Nature), 1,
		"u:" + strconv.Itoa(int(r.Urgency)), 1,
		"p:" + strconv.Itoa(int(r.Priority)), 1,
		"i:" + string(r.Intake), 1,
		"s:" + r.Status.String(), 1,
		"r:" + strconv.Itoa(r.Stars), 1,
		"open_ms", r.OpenFor.Milliseconds(),
		"messages", r.Messages,
	}
}

// decodeMonth reads the statistics hash h of month.
func decodeMonth(month time.Time, h map[string]string) tickets.MonthStats {
	m := tickets.MonthStats{Month: month}
	for f, v := range h {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		kind, name, _ := strings.Cut(f, ":")
		switch kind {
		case "count":
			m.Count = n
		case "first":
			m.First = n
		case "last":
			m.Last = n
		case "open_ms":
			m.OpenTime = time.Duration(n) * time.Millisecond
		case "messages":
			m.Messages = n
		case "n":
			put(&m.ByNature, tickets.Nature(name), n)
		case "u":
			if u, err := strconv.Atoi(name); err == nil {
				put(&m.ByUrgency, tickets.Urgency(u), n)
			}
		case "p":
			if p, err := strconv.Atoi(name); err == nil {
				put(&m.ByPriority, tickets.Priority(p), n)
			}
		case "i":
			put(&m.ByIntake, tickets.Intake(name), n)
		case "s":
			if s, err := tickets.ParseStatus(name); err == nil {
				put(&m.ByStatus, s, n)
			}
		case "r":
			if r, err := strconv.Atoi(name); err == nil {
				put(&m.ByStars, r, n)
			}
		}
	}
	return m
}

func put[K comparable](m *map[K]int64, k K, n int64) {
	if *m == nil {
		*m = map[K]int64{}
	}
	(*m)[k] = n
}
