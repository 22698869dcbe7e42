package main

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Metrics is the tickets.Observer that turns Service operations and events
// into Prometheus metrics, on a registry of its own (never the global one).
type Metrics struct {
	reg      *prometheus.Registry
	opened   prometheus.Counter
	claimed  prometheus.Counter
	resolved prometheus.Counter
	events   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	delivery *deliveryMetrics
	expired  prometheus.Counter // config_retention.go
}

var _ tickets.Observer = (*Metrics)(nil)

// NewMetrics returns Metrics with the Go runtime and process collectors
// registered next to ticketbot's own.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		opened: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ticketbot_tickets_opened_total", Help: "Tickets opened.",
		}),
		claimed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ticketbot_tickets_claimed_total", Help: "Tickets claimed by an agent (including claim-next and takeovers).",
		}),
		resolved: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ticketbot_tickets_resolved_total", Help: "Tickets resolved.",
		}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ticketbot_events_total", Help: "Ticket events emitted, by kind.",
		}, []string{"kind"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ticketbot_operation_duration_seconds",
			Help:    "Duration of Service operations, by operation and outcome (ok or the error code).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"op", "outcome"}),
		expired: newExpiredCounter(),
	}
	m.reg.MustRegister(m.opened, m.claimed, m.resolved, m.events, m.duration, m.expired,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe implements tickets.Observer.
func (m *Metrics) Observe(op string, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = tickets.ErrorCode(err)
	}
	m.duration.WithLabelValues(op, outcome).Observe(d.Seconds())
}

// Emitted implements tickets.Observer.
func (m *Metrics) Emitted(e tickets.Event) {
	m.events.WithLabelValues(string(e.Kind)).Inc()
	switch e.Kind {
	case tickets.EventOpened:
		m.opened.Inc()
	case tickets.EventClaimed:
		m.claimed.Inc()
	case tickets.EventResolved:
		m.resolved.Inc()
	}
}

// queueLengther is what the queue collector reads; *tickets.Service has it.
type queueLengther interface {
	QueueLengths(ctx context.Context) (map[tickets.Priority]int64, error)
}

// WatchQueue registers the ticketbot_queue_length gauge, read from q at
// scrape time within timeout.
func (m *Metrics) WatchQueue(q queueLengther, timeout time.Duration) {
	m.reg.MustRegister(&queueCollector{
		q:       q,
		timeout: timeout,
		length: prometheus.NewDesc("ticketbot_queue_length",
			"Tickets waiting in the queue, by priority (read at scrape time).", []string{"priority"}, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ticketbot_queue_length_errors_total", Help: "Scrapes that could not read the queue length.",
		}),
	})
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

type queueCollector struct {
	q       queueLengther
	timeout time.Duration
	length  *prometheus.Desc
	errors  prometheus.Counter
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.length
	c.errors.Describe(ch)
}

// Collect reads the lengths now; when Redis does not answer in time the
// gauge is left out of this scrape and the error counter goes up.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	lengths, err := c.q.QueueLengths(ctx)
	if err != nil {
		c.errors.Inc()
	}
	for p := tickets.HighestPriority; err == nil && p <= tickets.MaxPriority; p++ {
		ch <- prometheus.MustNewConstMetric(c.length, prometheus.GaugeValue, float64(lengths[p]), p.String())
	}
	c.errors.Collect(ch)
}
