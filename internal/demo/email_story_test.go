package demo

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// eventually waits up to d for cond, checking every 20 ms.
func eventually(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		<-tick.C
	}
}

// etaRE finds a time estimate in a mail: e-mail tickets never show one.
var etaRE = regexp.MustCompile(`(?i)\b\d+\s*(min|minutos?|minutes?|horas?|hours?|h)\b|espera estimada|estimated wait`)

// TestDemoEmailStory plays the e-mail story through the page's API on
// `ticketbot demo`, the real e-mail, Slack and delivery components over
// the in-process mail server: the customer's mail becomes a card naming
// e-mail; the acknowledgement reaches the inbox with the ticket number
// and no ETA; Ana claims and answers in the thread; her answer arrives
// as a threaded mail; the customer's reply (quoting it, as Gmail does)
// lands on the same ticket with the quote stripped; the queue pane
// counts the e-mail ticket.
func TestDemoEmailStory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ticketbot and runs it")
	}
	p := startDemo(t)
	base := p.base
	const wait = 30 * time.Second

	code, out := post(t, base, "/demo/api/email/send", mailSend{
		Subject: "La impresora <b>no</b> imprime", Text: "Hola, la impresora de la oficina no imprime desde ayer.\n\nCarla",
	})
	if code != 200 || out["ok"] != true {
		t.Fatalf("send: %d %v", code, out)
	}
	first := out["messageId"].(string)

	// The card, naming e-mail and the address.
	var card slackMessage
	eventually(t, "the ticket's card", wait, func() bool {
		for _, m := range get[slackSnapshot](t, base, "/demo/api/slack?agent=U0AGENTA").Messages {
			if m.Bot && strings.Contains(string(m.Blocks), `"ticket:1"`) {
				card = m
				return true
			}
		}
		return false
	})
	if !strings.Contains(string(card.Blocks), "e-mail: cliente@example.com") {
		t.Errorf("the card does not name e-mail and the address: %s", card.Blocks)
	}

	// The acknowledgement.
	var ack mailItem
	eventually(t, "the acknowledgement", wait, func() bool {
		in := get[mailSnapshot](t, base, "/demo/api/email?folder=inbox")
		if len(in.Messages) > 0 {
			ack = in.Messages[len(in.Messages)-1]
		}
		return len(in.Messages) > 0
	})
	if ack.Ticket != 1 || !strings.Contains(ack.Text, "#1") || !slices.Contains(ack.InReplyTo, first) {
		t.Errorf("acknowledgement: ticket %d, in reply to %v, text:\n%s", ack.Ticket, ack.InReplyTo, ack.Text)
	}
	if !strings.Contains(ack.Text, "sin ETA") || etaRE.MatchString(ack.Text) {
		t.Errorf("the acknowledgement must say there is no ETA and show none:\n%s", ack.Text)
	}

	// Ana claims it and answers in the thread.
	if code, out := post(t, base, "/demo/api/slack/click", slackAct{Agent: "U0AGENTA", TS: card.TS, ActionID: "ticket_claim", Value: "1"}); code != 200 || out["ok"] != true {
		t.Fatalf("claim: %d %v", code, out)
	}
	if code, out := post(t, base, "/demo/api/slack/post", slackAct{Agent: "U0AGENTA", ThreadTS: card.TS, Text: "Hola Carla, reinicie la impresora por favor."}); code != 200 || out["ok"] != true {
		t.Fatalf("reply: %d %v", code, out)
	}
	var answer mailItem
	eventually(t, "Ana's answer by mail", wait, func() bool {
		for _, m := range get[mailSnapshot](t, base, "/demo/api/email").Messages {
			if strings.Contains(m.Text, "reinicie la impresora por favor") {
				answer = m
				return true
			}
		}
		return false
	})
	if answer.Ticket != 1 || answer.Automatic != "" || !slices.Contains(answer.References, first) || len(answer.InReplyTo) != 1 {
		t.Errorf("answer: ticket %d, auto %q, in reply to %v, references %v", answer.Ticket, answer.Automatic, answer.InReplyTo, answer.References)
	}
	for _, m := range get[mailSnapshot](t, base, "/demo/api/email").Messages {
		if etaRE.MatchString(m.Text) {
			t.Errorf("a mail shows a time estimate:\n%s", m.Text)
		}
	}

	// The customer replies, quoting it; the thread gets the new text only.
	if code, out := post(t, base, "/demo/api/email/send", mailSend{ReplyTo: answer.UID, Text: "Ya la reinicié y sigue igual."}); code != 200 || out["ok"] != true {
		t.Fatalf("customer reply: %d %v", code, out)
	}
	var replies []slackMessage
	eventually(t, "the customer's reply in the thread", wait, func() bool {
		th := get[struct {
			Replies []slackMessage `json:"replies"`
		}](t, base, "/demo/api/slack/thread?ts="+card.TS)
		replies = th.Replies
		return slices.ContainsFunc(replies, func(m slackMessage) bool { return strings.Contains(m.Text, "Ya la reinicié y sigue igual.") })
	})
	for _, m := range replies {
		if strings.Contains(m.Text, "escribió") || strings.Contains(m.Text, "> Hola") {
			t.Errorf("the quote reached the thread: %q", m.Text)
		}
	}
	for _, m := range get[slackSnapshot](t, base, "/demo/api/slack?agent=U0AGENTA").Messages {
		if strings.Contains(string(m.Blocks), `"ticket:2"`) {
			t.Error("the reply opened a second ticket")
		}
	}

	// The queue pane counts the e-mail ticket.
	q := get[queueSnapshot](t, base, "/demo/api/queue")
	if q.Counts["claimed"] != 1 || len(q.Working) != 1 || q.Working[0].Number != 1 || q.Working[0].Assignee != "Ana" {
		t.Errorf("queue: counts %v, working %+v", q.Counts, q.Working)
	}

	// Ana resolves it: one threaded mail says so, and the queue counts it.
	before := len(get[mailSnapshot](t, base, "/demo/api/email").Messages)
	if code, out := post(t, base, "/demo/api/slack/click", slackAct{Agent: "U0AGENTA", TS: card.TS, ActionID: "ticket_resolve", Value: "1"}); code != 200 || out["ok"] != true {
		t.Fatalf("resolve: %d %v", code, out)
	}
	eventually(t, "the resolved count", wait, func() bool {
		return get[queueSnapshot](t, base, "/demo/api/queue").Counts["resolved"] == 1
	})
	var resolved []mailItem
	eventually(t, "the resolution mail", wait, func() bool {
		resolved = get[mailSnapshot](t, base, "/demo/api/email").Messages
		return len(resolved) > before
	})
	if m := resolved[0]; m.Ticket != 1 || !strings.Contains(m.Text, "resuelto") || !slices.Contains(m.References, first) {
		t.Errorf("resolution mail: ticket %d, references %v, text:\n%s", m.Ticket, m.References, m.Text)
	}
}
