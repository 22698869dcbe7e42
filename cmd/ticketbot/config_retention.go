package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/colombiainformatica/ticketbot/internal/retention"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// minRetention is the shortest RETENTION accepted: a day, so that a typo
// cannot wipe last week's tickets, and so that every request marker of a
// ticket (kept 24 hours) is gone before its content is.
const minRetention = 24 * time.Hour

// parseRetention reads RETENTION: how long a finished ticket is kept whole
// before its personal content is deleted. "730d" (days), a Go duration
// ("8760h"), or "0" to keep everything forever; tickets.DefaultRetention
// when unset.
func parseRetention(env func(string, string) string) (time.Duration, error) {
	v := strings.TrimSpace(env("RETENTION", ""))
	switch v {
	case "":
		return tickets.DefaultRetention, nil
	case "0":
		return tickets.KeepForever, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n <= 0 || n > 100*365 {
			return 0, configErr("RETENTION", "%q is not a number of days like 730d", v)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d <= 0 {
			return 0, configErr("RETENTION", "%q is not a retention like 730d or 8760h (0 keeps tickets forever)", v)
		}
	}
	if d < minRetention {
		return 0, configErr("RETENTION", "%q is shorter than a day (0 keeps tickets forever)", v)
	}
	return d, nil
}

// retentionRunner is the component that sweeps finished tickets past the
// retention, on one replica at a time; nil when tickets are kept forever.
func (m *Main) retentionRunner() Component {
	if m.Config.Retention == tickets.KeepForever {
		m.component("retention").Info().Msg("retention off: RETENTION=0 keeps finished tickets forever")
		return nil
	}
	log := m.component("retention")
	log.Info().Str("retention", m.Config.Retention.String()).Msg("finished tickets are expired after the retention")
	return retention.New(m.Service, m.Store, store.NewLeases(m.Store), retention.Options{
		Expired: m.Metrics.TicketsExpired, Log: *log,
	})
}

// newExpiredCounter is ticketbot_tickets_expired_total.
func newExpiredCounter() prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ticketbot_tickets_expired_total",
		Help: "Finished tickets whose personal content was deleted after the retention (their statistics are kept).",
	})
}

// TicketsExpired counts n tickets expired by the retention sweep.
func (m *Metrics) TicketsExpired(n int) {
	if n > 0 {
		m.expired.Add(float64(n))
	}
}
