package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

type futureClock struct{ at time.Time }

func (c futureClock) Now() time.Time { return c.at }

// TestRetentionLeavesNoPersonalDataEndToEnd: a customer in the fake
// Telegram and an agent in the fake Slack work a ticket through the whole
// product (a photo with a caption, a reply in the thread, resolution and a
// rated comment, each delivered to the other side). Every key under the
// prefix that lives longer than two days holds the customer's id, name,
// texts or file id before the sweep, and none does after the sweep run as
// it will be once the retention has passed. Keys that expire within two
// days by themselves (flood counters, drafts, inbound marks, request
// markers) and the events stream, which delivery trims a day after
// acknowledging, are gone long before any retention ends.
func TestRetentionLeavesNoPersonalDataEndToEnd(t *testing.T) {
	e := newFilesEnv(t)
	svc, agent := e.m.Service, tickets.AgentActor(tickets.Agent{ID: filesAgent, Name: "Ana"})
	photo := content("\x89PNG retention ", 20<<10)
	e.tg.AddFile("photo-zq7-retention", "photo", "", photo)
	e.tg.SendPhoto(filesCustomer, "photo-zq7-retention", "Pantalla-Zq7 con el error", "")
	e.waitSlack("the photo", func() bool { return len(e.threadFiles()) == 1 })
	if _, err := e.sl.PostUserMessage(e.ctx, filesAgent, slacktest.DefaultChannelID, "Respuesta-Zq7: reinicie el equipo", e.cardTS()); err != nil {
		t.Fatal(err)
	}
	e.waitTelegram("the reply", func() bool { return strings.Contains(e.chatText(), "Respuesta-Zq7") })
	if _, err := svc.Resolve(e.ctx, agent, e.n); err != nil {
		t.Fatal(err)
	}
	customer := tickets.Customer{Platform: "telegram", UserID: "7770001", ChatID: "7770001", Name: "María"}
	if _, err := svc.Rate(e.ctx, tickets.CustomerActor(customer), e.n, 4, "Comentario-Zq7 sobre la atención"); err != nil {
		t.Fatal(err)
	}
	e.waitSlack("the rating on the card", func() bool {
		for _, m := range e.sl.Messages(slacktest.DefaultChannelID) {
			if m.TS == e.cardTS() && strings.Contains(m.PlainText(), "Comentario-Zq7") {
				return true
			}
		}
		return false
	})
	// Another customer's ticket comes after, so that trimming the events
	// (as delivery does a day after) leaves none of this one's.
	otro := tickets.Customer{Platform: "telegram", UserID: "1234", ChatID: "1234", Name: "Otro"}
	if _, err := svc.AcceptTerms(e.ctx, otro, svc.Consent()); err != nil {
		t.Fatal(err)
	}
	other, err := svc.Open(e.ctx, tickets.OpenRequest{Customer: otro,
		Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "otra consulta"})
	if err != nil {
		t.Fatal(err)
	}
	e.waitSlack("the other card", func() bool {
		for _, m := range e.sl.Messages(slacktest.DefaultChannelID) {
			if strings.Contains(m.Text, "Ticket #"+itoa64(other.Number)) {
				return true
			}
		}
		return false
	})

	// Every message delivery queued has been sent (and recorded).
	lanes := strings.TrimSuffix(e.m.Store.KeyPattern(), "*") + "dl:q:*"
	waitFor(t, 30*time.Second, "delivery to drain its lanes", func() bool {
		iter := e.m.Redis.Scan(e.ctx, 0, lanes, 1000).Iterator()
		return !iter.Next(e.ctx) && iter.Err() == nil
	})

	needles := []string{"7770001", "María", "Pantalla-Zq7", "photo-zq7-retention", "Respuesta-Zq7", "Comentario-Zq7"}
	before := e.longLived(needles)
	for _, n := range needles {
		if !strings.Contains(strings.Join(before, "\n"), ": "+n) {
			t.Errorf("before the sweep, %q is in no long-lived key: the scan would prove nothing\n%s", n, strings.Join(before, "\n"))
		}
	}
	ctx := context.Background()
	later := time.Now().Add(tickets.DefaultRetention + time.Hour)
	if err := store.NewDelivery(e.m.Store).TrimEvents(ctx, later); err != nil {
		t.Fatal(err)
	}
	sweeper := tickets.NewService(e.m.Store, e.m.Store, e.m.Store, tickets.Config{Clock: futureClock{later}})
	if res, err := sweeper.Sweep(ctx, 100); err != nil || res.Expired != 1 {
		t.Fatalf("Sweep = %+v, %v; want 1 expired (the other ticket is open)", res, err)
	}
	if after := e.longLived(needles); len(after) > 0 {
		t.Errorf("after the sweep, personal data remains:\n%s", strings.Join(after, "\n"))
	}
	if _, err := svc.Get(ctx, tickets.SystemActor, other.Number); err != nil {
		t.Errorf("the open ticket: %v", err)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// longLived returns "key: needle" for every needle in the name or value
// of a key under the prefix that does not expire within two days.
func (e *filesEnv) longLived(needles []string) []string {
	e.t.Helper()
	ctx := context.Background()
	rdb := e.m.Redis
	var found []string
	iter := rdb.Scan(ctx, 0, e.m.Store.KeyPattern(), 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		if ttl := rdb.PTTL(ctx, key).Val(); ttl > 0 && ttl <= 48*time.Hour {
			continue
		}
		parts, err := redistest.Values(ctx, rdb, key)
		if err != nil {
			e.t.Error(err)
		}
		text := key + "\n" + strings.Join(parts, "\n")
		for _, n := range needles {
			if strings.Contains(text, n) {
				found = append(found, key+": "+n)
			}
		}
	}
	if err := iter.Err(); err != nil {
		e.t.Fatal(err)
	}
	return found
}
