package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// personal is a customer whose every identifier and text is distinctive,
// so that a scan of Redis finds them wherever they are.
var personal = tickets.Customer{Platform: "telegram", UserID: "987654321", ChatID: "-100777888999", Name: "Zoraida Quintanilla", Language: "es"}

var personalNeedles = []string{
	personal.UserID, personal.ChatID, personal.Name,
	"impresora-Zq7 no imprime", "FILEID-desc-Qx1", "adjunto-Zq7 del cliente", "FILEID-msg-Qx2",
	"respuesta-Zq7 del agente", "comentario-Zq7 de la nota",
}

// workPersonal runs a ticket of personal through the Service and the
// adapters' storage (Slack card, thread posts and files, Telegram message
// references), delivers its events, and returns it finished.
func workPersonal(t *testing.T, e *env) tickets.Ticket {
	t.Helper()
	ctx := context.Background()
	svc, agent, cust := e.svc, tickets.AgentActor(tickets.Agent{ID: "U0ANA", Name: "Ana"}), tickets.CustomerActor(personal)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err := svc.AcceptTerms(ctx, personal, svc.Consent())
	must("accept terms", err)
	tk, err := svc.Open(ctx, tickets.OpenRequest{Customer: personal, Nature: tickets.NatureMalfunction, Urgency: tickets.UrgencyHigh,
		Description: "impresora-Zq7 no imprime", Attachments: []tickets.Attachment{{Kind: "photo", FileID: "FILEID-desc-Qx1"}}})
	must("open", err)
	n := tk.Number
	_, err = svc.Claim(ctx, agent, n, false)
	must("claim", err)
	_, m1, err := svc.AddMessage(ctx, cust, n, tickets.MessageInput{Text: "adjunto-Zq7 del cliente",
		Attachments: []tickets.Attachment{{Kind: "document", FileID: "FILEID-msg-Qx2", Name: "factura.pdf"}}})
	must("customer message", err)
	_, m2, err := svc.AddMessage(ctx, agent, n, tickets.MessageInput{Kind: tickets.MessageReply, Text: "respuesta-Zq7 del agente"})
	must("reply", err)
	_, err = svc.Resolve(ctx, agent, n)
	must("resolve", err)
	_, err = svc.Rate(ctx, cust, n, 5, "comentario-Zq7 de la nota")
	must("rate", err)

	sl, tg := store.NewSlack(e.store), store.NewTelegram(e.store)
	must("card", sl.SaveCard(ctx, n, "C0QUEUE", "1700000000.000100"))
	for _, entry := range []string{"0", "rating", strconv.FormatInt(m1.ID, 10), strconv.FormatInt(m2.ID, 10)} {
		must("post", sl.SavePosted(ctx, n, entry, "1700000000.0002"+entry))
	}
	must("file", sl.SaveFileCopied(ctx, n, 0, 1, "F0COPY", ""))
	must("file", sl.SaveFileCopied(ctx, n, m1.ID, 1, "F1COPY", ""))
	must("ref", tg.RememberMessage(ctx, -100777888999, 41, n, 90*24*time.Hour))
	must("ref", tg.RememberMessage(ctx, -100777888999, 42, n, 90*24*time.Hour))

	// Another customer's ticket comes after, and delivery reads and
	// acknowledges every event, then trims the stream (as it does).
	_, err = svc.Open(ctx, tickets.OpenRequest{Customer: customer(1), Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "otra"})
	must("open another", err)
	ob := store.NewDelivery(e.store)
	must("join", ob.Join(ctx))
	evs, err := ob.ReadEvents(ctx, "w1", 100, 10*time.Millisecond)
	must("read events", err)
	for _, ev := range evs {
		_, err := ob.Enqueue(ctx, ev.ID, nil, e.clock.Now())
		must("ack", err)
	}
	must("trim", ob.TrimEvents(ctx, time.Now().Add(time.Hour)))
	tk, err = e.store.Get(ctx, n)
	must("get", err)
	return tk
}

// scanFor returns "key: needle" for every needle found in a key's name or
// value under the store's prefix.
func scanFor(t *testing.T, rdb redis.UniversalClient, pattern string, needles []string) []string {
	t.Helper()
	ctx := context.Background()
	var found []string
	iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		text := key + "\n" + dump(t, rdb, key)
		for _, n := range needles {
			if strings.Contains(text, n) {
				found = append(found, key+": "+n)
			}
		}
	}
	if err := iter.Err(); err != nil {
		t.Error(err) // not Fatal: the cluster test scans its masters in goroutines
	}
	return found
}

// dump returns every string a key holds, whatever its type.
func dump(t *testing.T, rdb redis.UniversalClient, key string) string {
	t.Helper()
	parts, err := redistest.Values(context.Background(), rdb, key)
	if err != nil {
		t.Error(err)
	}
	return strings.Join(parts, "\n")
}

// TestRetentionLeavesNoPersonalData works a ticket through the Service and
// the adapters' storage, then scans every key and value under the test's
// prefix for the customer's name, ids, texts and file ids: all are there
// before the sweep, none after it, and the month's statistics remain.
func TestRetentionLeavesNoPersonalData(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tk := workPersonal(t, e)
	before := scanFor(t, e.rdb, e.store.KeyPattern(), personalNeedles)
	for _, n := range personalNeedles {
		if !strings.Contains(strings.Join(before, "\n"), ": "+n) {
			t.Errorf("before the sweep, %q is nowhere: the scan would prove nothing", n)
		}
	}

	e.clock.Advance(tickets.DefaultRetention - time.Minute)
	if res, err := e.svc.Sweep(ctx, 100); err != nil || res.Expired != 0 {
		t.Fatalf("Sweep before the retention passed = %+v, %v", res, err)
	}
	e.clock.Advance(2 * time.Minute)
	if res, err := e.svc.Sweep(ctx, 100); err != nil || res.Expired != 1 {
		t.Fatalf("Sweep = %+v, %v; want 1 expired", res, err)
	}
	if after := scanFor(t, e.rdb, e.store.KeyPattern(), personalNeedles); len(after) > 0 {
		t.Errorf("after the sweep, personal data remains:\n%s", strings.Join(after, "\n"))
	}
	stats, err := e.svc.Statistics(ctx, tk.CreatedAt, tk.CreatedAt)
	if err != nil || len(stats) != 1 || stats[0].Count != 1 || stats[0].ByStars[5] != 1 || stats[0].First != tk.Number {
		t.Errorf("statistics = %+v, %v; want the ticket counted with its 5 stars", stats, err)
	}
}

// TestBackfillIndexesTicketsFinishedBeforeTheUpgrade: tickets finished
// before the finished index existed are found by the backfill, in batches,
// resuming from its cursor with a new Store (a restart), and are then swept.
func TestBackfillIndexesTicketsFinishedBeforeTheUpgrade(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	agent := tickets.AgentActor(tickets.Agent{ID: "U0ANA", Name: "Ana"})
	var finished []int64
	for i := range 5 {
		tk, err := e.svc.Open(ctx, tickets.OpenRequest{Customer: customer(i), Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "hola"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			continue // stays open
		}
		if _, err := e.svc.Claim(ctx, agent, tk.Number, false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Resolve(ctx, agent, tk.Number); err != nil {
			t.Fatal(err)
		}
		finished = append(finished, tk.Number)
	}
	// Before the upgrade there was no index.
	if err := e.rdb.Del(ctx, e.store.Key("finished")).Err(); err != nil {
		t.Fatal(err)
	}
	got, done, err := e.store.Backfill(ctx, 3)
	if err != nil || got != 2 || done {
		t.Fatalf("Backfill(3) = %d, %v, %v; want 2 indexed, not done", got, done, err)
	}
	restarted := store.New(e.rdb, store.Options{Prefix: strings.TrimSuffix(e.store.KeyPattern(), ":{support}:*")})
	got, done, err = restarted.Backfill(ctx, 3)
	if err != nil || got != 2 || !done {
		t.Fatalf("Backfill(3) after a restart = %d, %v, %v; want 2 indexed, done", got, done, err)
	}
	if got, _, err = restarted.Backfill(ctx, 3); err != nil || got != 0 {
		t.Fatalf("Backfill again = %d, %v; want nothing to do", got, err)
	}
	e.clock.Advance(tickets.DefaultRetention + time.Minute)
	res, err := e.svc.Sweep(ctx, 100)
	if err != nil || res.Expired != len(finished) {
		t.Fatalf("Sweep = %+v, %v; want %d expired", res, err, len(finished))
	}
	for _, n := range finished {
		if _, err := e.store.Get(ctx, n); err == nil {
			t.Errorf("ticket %d was not swept", n)
		}
	}
	if _, err := e.store.Get(ctx, 3); err != nil {
		t.Errorf("the open ticket: %v", err)
	}
}
