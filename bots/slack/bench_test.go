package slack

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// BenchmarkInteractions posts signed block_actions (claims and releases of
// 50 tickets by two agents) over loopback to the HTTP endpoint and measures
// the time to the ack. Run it with -benchtime=10000x for 10,000 requests.
// allocs/op and B/op include the client, the handler and the work after
// the ack (Redis calls, ephemeral refusals to the fake Slack).
func BenchmarkInteractions(b *testing.B) {
	h := newHarness(b)
	const nTickets = 50
	for range nTickets {
		if _, err := h.svc.Open(h.ctx, tickets.OpenRequest{
			Customer: tickets.Customer{Platform: "telegram", UserID: "7", Name: "C"},
			Nature:   tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "bench",
		}); err != nil {
			b.Fatal(err)
		}
	}
	// Warm the membership and name caches as a running app has them.
	for _, u := range []string{ana, bob} {
		if _, err := h.bot.actor(h.ctx, u); err != nil {
			b.Fatal(err)
		}
	}
	bodies := make([][]byte, 0, 4*nTickets)
	for i := range 4 * nTickets {
		user := []string{ana, bob}[i%2]
		act := []string{actClaim, actRelease}[(i/2)%2]
		n := strconv.Itoa(i%nTickets + 1)
		p, _ := json.Marshal(map[string]any{
			"type": "block_actions", "user": map[string]any{"id": user, "name": user},
			"trigger_id": "trig-" + strconv.Itoa(i), "api_app_id": slacktest.DefaultAppID,
			"channel":   map[string]any{"id": queue},
			"container": map[string]any{"type": "message", "channel_id": queue, "message_ts": "1700000000.000100"},
			"actions":   []any{map[string]any{"action_id": act, "block_id": cardBlockPrefix + n, "value": n, "type": "button", "action_ts": "1700000000.1"}},
		})
		bodies = append(bodies, []byte(url.Values{"payload": {string(p)}}.Encode()))
	}
	const clients = 16
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	target := h.srv.URL + "/slack/interactions"
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				body := bodies[i%len(bodies)]
				req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for k, v := range slacktest.Sign(secret, time.Now(), body) {
					req.Header[k] = v
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				if resp != nil {
					resp.Body.Close()
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	h.bot.work.Wait()
	drained := time.Since(start)
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d requests failed", f)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(b.N)/drained.Seconds(), "worked/s")
}
