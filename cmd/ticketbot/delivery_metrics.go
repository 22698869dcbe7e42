package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
)

// deliveryMetrics turns the delivery worker's reports into Prometheus
// metrics, per platform.
type deliveryMetrics struct {
	delivered *prometheus.CounterVec
	retried   *prometheus.CounterVec
	dead      *prometheus.CounterVec
	lag       *prometheus.HistogramVec
}

var _ delivery.Metrics = (*deliveryMetrics)(nil)

// Delivery returns the delivery.Metrics registered on m's registry.
func (m *Metrics) Delivery() delivery.Metrics {
	if m.delivery != nil {
		return m.delivery
	}
	d := &deliveryMetrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ticketbot_delivery_delivered_total", Help: "Chat messages the platforms accepted, by platform.",
		}, []string{"platform"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ticketbot_delivery_retried_total", Help: "Sends retried, by platform and reason (rate_limited is a 429).",
		}, []string{"platform", "reason"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ticketbot_delivery_dead_lettered_total", Help: "Messages moved to the dead-letter list, by platform and reason.",
		}, []string{"platform", "reason"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ticketbot_delivery_lag_seconds",
			Help:    "Time from an event to its message being sent, by platform.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"platform"}),
	}
	m.reg.MustRegister(d.delivered, d.retried, d.dead, d.lag)
	m.delivery = d
	return d
}

func (d *deliveryMetrics) Delivered(platform string, lag time.Duration) {
	d.delivered.WithLabelValues(platform).Inc()
	if lag >= 0 {
		d.lag.WithLabelValues(platform).Observe(lag.Seconds())
	}
}

func (d *deliveryMetrics) Retried(platform, reason string) {
	d.retried.WithLabelValues(platform, reason).Inc()
}

func (d *deliveryMetrics) DeadLettered(platform, reason string) {
	d.dead.WithLabelValues(platform, reason).Inc()
}
