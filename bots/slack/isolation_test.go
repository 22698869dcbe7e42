package slack

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// faultFor is how long the thread faults of TestFailingThreadHoldsOnlyItsTicket
// last: 90 s, as the issue measured (FAULT_SECONDS shortens it by hand).
func faultFor() time.Duration {
	if s := os.Getenv("FAULT_SECONDS"); s != "" {
		if d, err := time.ParseDuration(s + "s"); err == nil {
			return d
		}
	}
	return 90 * time.Second
}

// TestFailingThreadHoldsOnlyItsTicket: with delivery's Worker on a real
// Redis, one ticket's thread answers 500 and another's hangs 12 s, for 90 s.
// Tickets opened meanwhile have their cards within 2 s; once the faults end
// the held posts arrive, each exactly once and in order.
func TestFailingThreadHoldsOnlyItsTicket(t *testing.T) {
	if testing.Short() {
		t.Skip("90 s of faults")
	}
	h := newHarness(t)
	long, cancelLong := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancelLong)
	h.ctx = long // the harness's 30 s are too short for 90 s of faults
	// Delivery's defaults but for a shorter retry cap, so that the held
	// posts come soon after the faults end, with the retry budget that cap
	// needs to outlast 90 s (the defaults' 10 attempts capped at 5 min
	// outlast 4 min).
	opts := delivery.Options{RetryMax: 5 * time.Second, MaxAttempts: 60}
	w := delivery.New(delivery.NewOutbox(store.NewDelivery(h.st), Platform), store.NewLeases(h.st), []delivery.Channel{h.bot}, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	customer := tickets.Customer{Platform: "telegram", UserID: "42", ChatID: "42", Name: "María", Language: "es"}
	open := func(desc string) tickets.Ticket {
		t.Helper()
		tk, err := h.svc.Open(h.ctx, tickets.OpenRequest{Customer: customer, Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyNormal, Description: desc})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	cardWithin := func(tk tickets.Ticket, limit time.Duration) {
		t.Helper()
		start := time.Now()
		for {
			if _, _, ok, err := h.bot.cardRef(h.ctx, tk.Number); err == nil && ok {
				t.Logf("card of #%d after %v", tk.Number, time.Since(start).Round(time.Millisecond))
				return
			}
			if time.Since(start) > limit {
				t.Fatalf("no card for #%d within %v while other tickets' threads fail", tk.Number, limit)
			}
			time.Sleep(10 * time.Millisecond) // polling the fake's state, not synchronising
		}
	}
	failing, hanging := open("Falla"), open("Cuelga")
	cardWithin(failing, 5*time.Second)
	cardWithin(hanging, 5*time.Second)
	h.fake.FaultThread(h.cardTS(failing.Number), http.StatusInternalServerError, 0)
	h.fake.FaultThread(h.cardTS(hanging.Number), 0, 12*time.Second)
	say := func(n int64, text string) {
		t.Helper()
		if _, _, err := h.svc.AddMessage(h.ctx, tickets.CustomerActor(customer), n, tickets.MessageInput{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	say(failing.Number, "primero")
	say(failing.Number, "segundo")
	say(hanging.Number, "colgado")
	faulty := time.Now()
	// Both threads have been tried and are failing.
	refused := func() bool {
		for _, c := range h.fake.Calls("chat.postMessage") {
			if c.Status == http.StatusInternalServerError {
				return true
			}
		}
		return false
	}
	for !refused() {
		time.Sleep(10 * time.Millisecond) // polling the fake's record
	}
	// The held posts' first tries are out (one refused, one hanging); from
	// now on they are retried while other tickets come and go.
	time.Sleep(3 * time.Second)
	for time.Since(faulty) < faultFor() {
		cardWithin(open("Otro"), 2*time.Second)
		time.Sleep(min(15*time.Second, time.Until(faulty.Add(faultFor())))) // the faults go on
	}
	h.fake.ClearThreadFaults()
	posted := func(n int64) []string {
		var texts []string
		for _, m := range h.fake.Thread(queue, h.cardTS(n)) {
			for _, want := range []string{"primero", "segundo", "colgado"} {
				if strings.Contains(m.PlainText(), want) {
					texts = append(texts, want)
				}
			}
		}
		return texts
	}
	deadline := time.Now().Add(30 * time.Second)
	for strings.Join(posted(failing.Number), ",") != "primero,segundo" || strings.Join(posted(hanging.Number), ",") != "colgado" {
		if time.Now().After(deadline) {
			t.Fatalf("after the faults: #%d's thread has %v, #%d's %v; want each post once, in order",
				failing.Number, posted(failing.Number), hanging.Number, posted(hanging.Number))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Once no lane holds a message, no repeat can come.
	for {
		lanes, err := h.st.Client().Keys(h.ctx, h.key("dl:q:*")).Result()
		if err == nil && len(lanes) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery did not drain: %v %v", lanes, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := strings.Join(posted(failing.Number), ","); got != "primero,segundo" {
		t.Errorf("#%d's thread after settling: %s", failing.Number, got)
	}
	if got := strings.Join(posted(hanging.Number), ","); got != "colgado" {
		t.Errorf("#%d's thread after settling: %s", hanging.Number, got)
	}
}
