package telegram_test

import (
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// The "unreachable" mark goes when the customer can be reached again:
// when they write, and when a message reaches them; once, with an event
// that updates the card.
func TestUnreachableMarkClears(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Algo falla")
	ctx := ctx10(t)
	if _, err := e.svc.Claim(ctx, ana, 1, false); err != nil {
		t.Fatal(err)
	}
	e.pump()
	flag := func() {
		t.Helper()
		e.fake.Block(maria.ID)
		if _, _, err := e.svc.AddMessage(ctx, ana, 1, tickets.MessageInput{Kind: tickets.MessageReply, Text: "¿sigue ahí?"}); err != nil {
			t.Fatal(err)
		}
		evs, err := e.st.Events(ctx, e.lastEvent, 10)
		if err != nil || len(evs) != 1 {
			t.Fatalf("events = %v, %v", evs, err)
		}
		e.lastEvent = evs[0].ID
		msgs, err := e.bot.Plan(ctx, evs[0])
		if err != nil || len(msgs) != 1 {
			t.Fatalf("plan = %v, %v", msgs, err)
		}
		p, ok := delivery.IsPermanent(e.bot.Send(ctx, msgs[0]))
		if !ok {
			t.Fatal("send to a blocked chat did not fail for good")
		}
		if err := e.bot.Failed(ctx, msgs[0], p.Reason); err != nil {
			t.Fatal(err)
		}
		if tk := e.ticket(1); tk.Unreachable != "blocked" {
			t.Fatalf("unreachable = %q", tk.Unreachable)
		}
		e.pump()
		e.fake.Unblock(maria.ID)
	}
	reachable := func(how string) {
		t.Helper()
		if tk := e.ticket(1); tk.Unreachable != "" {
			t.Errorf("%s: still unreachable (%q)", how, tk.Unreachable)
		}
		evs, err := e.st.Events(ctx, e.lastEvent, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Kind == tickets.EventReachable {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d reachable events, want 1", how, n)
		}
		e.pump()
	}

	// The customer writes again.
	flag()
	e.fake.SendText(maria, "Ya lo desbloqueé")
	e.expect(maria, "Mensaje añadido al ticket #1")
	reachable("the customer wrote")

	// A reply reaches them.
	flag()
	if _, _, err := e.svc.AddMessage(ctx, ana, 1, tickets.MessageInput{Kind: tickets.MessageReply, Text: "hola otra vez"}); err != nil {
		t.Fatal(err)
	}
	evs, err := e.st.Events(ctx, e.lastEvent, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events = %v, %v", evs, err)
	}
	if err := e.inline.Deliver(ctx, evs[0]); err != nil {
		t.Fatal(err)
	}
	e.lastEvent = evs[0].ID
	e.expect(maria, "hola otra vez")
	reachable("a reply reached them")
}
