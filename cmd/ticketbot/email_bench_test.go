package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
)

// BenchmarkEmailToCard measures the time from a mail's arrival in the
// mailbox (dovecot) to its ticket's card in Slack, with the whole product
// running (IDLE wakes the intake; the delivery worker posts the card), one
// mail at a time, and reports the median and the 99th percentile. Slack
// takes about one post a second in the queue channel, which delivery
// keeps to: the mails are sent a second apart (outside the timer) so
// that the figure is the channel's latency, not that pacing.
func BenchmarkEmailToCard(b *testing.B) {
	e := newMailEnv(b, "LOG_LEVEL", "warn", "EMAIL_MAX_NEW_PER_HOUR", "100000")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	e.ctx = ctx
	var lat []time.Duration
	i := 0
	for b.Loop() {
		i++
		if i > 1 {
			b.StopTimer()
			time.Sleep(time.Second) // pacing of the queue channel, not synchronisation
			b.StartTimer()
		}
		want := fmt.Sprintf("Ticket #%d ", i)
		start := time.Now()
		e.send(rawMail{From: fmt.Sprintf("c%d@example.com", i), Subject: "Latencia", MessageID: fmt.Sprintf("lat%d@example.com", i), Text: "hola"})
		if err := e.sl.WaitFor(e.ctx, func() bool {
			for _, m := range e.sl.Messages(slacktest.DefaultChannelID) {
				if m.IsBot() && strings.HasPrefix(m.Text, want) {
					return true
				}
			}
			return false
		}); err != nil {
			b.Fatalf("card of #%d: %v", i, err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
