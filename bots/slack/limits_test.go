package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// hostileDescription is 3,900 characters of what a customer may type:
// markup, broadcasts, mentions, links and entities, densely.
func hostileDescription() string {
	parts := []string{"<!channel> ", "<!here|here> ", "<@U0ADMIN> ", "*bold* ", "_it_ ", "~s~ ", "`c` ", "&amp; ", "<https://evil.example|click> ", "> q\n"}
	var sb strings.Builder
	for i := 0; ; i++ {
		p := parts[i%len(parts)]
		if sb.Len()+len(p) > 3900 {
			break
		}
		sb.WriteString(p)
	}
	for sb.Len() < 3900 {
		sb.WriteString("*")
	}
	return sb.String()
}

// hostileAttachments are 20 files with names of 120 characters.
func hostileAttachments() []tickets.Attachment {
	var as []tickets.Attachment
	for i := range tickets.MaxAttachments {
		name := fmt.Sprintf("%02d-", i) + strings.Repeat("*_~`<>&", 20)[:113] + ".pdf"
		as = append(as, tickets.Attachment{Kind: "document", FileID: fmt.Sprintf("file-%d", i), Name: name, Size: 1000})
	}
	return as
}

// openHostile opens a ticket with a hostile description and attachments.
func openHostile(h *harness) tickets.Ticket {
	h.t.Helper()
	tk, err := h.svc.Open(h.ctx, tickets.OpenRequest{
		Customer:    tickets.Customer{Platform: "telegram", UserID: "42", ChatID: "42", Name: "María <!channel> *_~", Language: "es"},
		Nature:      tickets.NatureMalfunction,
		Urgency:     tickets.UrgencyHigh,
		Description: hostileDescription(),
		Attachments: hostileAttachments(),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.pump()
	return tk
}

// cardSays waits for nothing: the card is updated synchronously by pump,
// and pump fails the test when Slack refused an update.
func cardSays(h *harness, n int64, want string) {
	h.t.Helper()
	if got := h.card(n).PlainText(); !strings.Contains(got, want) {
		h.t.Fatalf("card of #%d does not say %q:\n%s", n, want, got)
	}
}

// A customer's text, however long and dense with markup, never makes a
// card un-updatable: a 3,900-character description of markup, broadcasts
// and mentions, 20 attachments of 120-character names, and a 1,000-rune
// rating comment of * _ ~ (three characters each once escaped), through
// claim, resolve, rating and reopen. What the card cuts, with a visible
// "…", is given whole in the thread.
func TestHostileTicketKeepsItsCardUpdatable(t *testing.T) {
	h := newHarness(t)
	tk := openHostile(h)
	n := tk.Number
	cardSays(h, n, "open")
	click(h, ana, n, actClaim)
	h.settle()
	cardSays(h, n, "claimed")
	click(h, ana, n, actResolve)
	h.settle()
	cardSays(h, n, "resolved")

	cust := tickets.CustomerActor(h.get(n).Customer)
	comment := strings.Repeat("*_~", 334)[:tickets.MaxRatingComment]
	if _, err := h.svc.Rate(h.ctx, cust, n, 4, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Rate(h.ctx, cust, n, 4, comment); err != nil {
		t.Fatal(err)
	}
	h.pump()
	cardSays(h, n, "Rated 4/5")
	cardSays(h, n, "…")

	click(h, ana, n, actReopen)
	h.settle()
	cardSays(h, n, "open")
	click(h, bob, n, actClaim)
	h.settle()
	cardSays(h, n, "claimed")
	if got := h.card(n).PlainText(); !strings.Contains(got, "Bob") {
		t.Errorf("card does not name the new owner:\n%s", got)
	}
	for _, c := range h.fake.Calls("chat.update") {
		if c.Error != "" {
			t.Errorf("chat.update answered %s", c.Error)
		}
	}

	// The thread holds the whole description and the whole comment.
	var thread strings.Builder
	for _, m := range h.fake.Thread(queue, h.cardTS(n)) {
		for _, s := range verbatimSections(t, m.Blocks) {
			thread.WriteString(s)
		}
	}
	flat := strings.NewReplacer(" ", "", "\n", "").Replace(thread.String())
	for what, text := range map[string]string{"description": hostileDescription(), "comment": comment} {
		if want := strings.NewReplacer(" ", "", "\n", "").Replace(escape(text)); !strings.Contains(flat, want) {
			t.Errorf("the thread does not hold the whole %s", what)
		}
	}
	// And the card names the attachments it could not list.
	cardSays(h, n, "and 1")
}

// /tickets show of a ticket with a large card answers in Socket Mode,
// where an answer of 20 KB or more cannot travel in the ack: text that
// JSON escapes (U+2028 is six bytes there) makes the card large in bytes
// though within Slack's limits in characters.
func TestSocketModeShowsALargeTicket(t *testing.T) {
	var f *socketFake
	h := newHarness(t, func(c *Config) {
		f = startSocketFake(t, c.APIURL)
		c.APIURL = f.srv.URL + "/api/"
		c.AppToken, c.SigningSecret = "xapp-1-test", ""
	})
	heavy := func(n int) string { return strings.Repeat("字\u2028", n) }
	var atts []tickets.Attachment
	for i := range tickets.MaxAttachments {
		atts = append(atts, tickets.Attachment{Kind: "document", FileID: fmt.Sprint("f", i), Name: heavy(60)})
	}
	cust := tickets.Customer{Platform: "telegram", UserID: "42", ChatID: "42", Name: heavy(50), Language: "es"}
	tk, err := h.svc.Open(h.ctx, tickets.OpenRequest{Customer: cust, Nature: tickets.NatureQuestion,
		Urgency: tickets.UrgencyLow, Description: heavy(1950), Attachments: atts})
	if err != nil {
		t.Fatal(err)
	}
	h.pump()
	agent := tickets.AgentActor(tickets.Agent{ID: ana, Name: "Ana"})
	if _, err := h.svc.Claim(h.ctx, agent, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Resolve(h.ctx, agent, tk.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Rate(h.ctx, tickets.CustomerActor(cust), tk.Number, 5, heavy(500)); err != nil {
		t.Fatal(err)
	}
	h.pump()

	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- h.bot.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return")
		}
	})
	cmd, _ := json.Marshal(map[string]any{"command": "/tickets", "text": fmt.Sprintf("show %d", tk.Number), "user_id": ana,
		"channel_id": queue, "response_url": h.fake.NewResponseURL(ana, queue)})
	ack := f.deliver(t, h.ctx, map[string]any{"envelope_id": "env-show", "type": "slash_commands", "payload": json.RawMessage(cmd)})
	raw, _ := json.Marshal(ack)
	if err := slacktest.ValidateSocketAck(raw); err != nil {
		t.Fatalf("ack: %v", err)
	}
	if ack["payload"] != nil {
		t.Errorf("the ack carries an answer of %d bytes", len(raw))
	}
	h.waitSaid(ana, fmt.Sprintf("*#%d*", tk.Number))
	if got := h.said(ana); !strings.Contains(got, "*Customer*") || !strings.Contains(got, "Rated 5/5") {
		t.Errorf("the answer lacks the card:\n%s", got)
	}
}

// cardJSON renders blocks as chat.postMessage sends them.
func blocksJSON(t testing.TB, blocks []slackapi.Block) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// The card of a ticket with every part at its worst (each field at the
// core's limit, of the characters escaping makes longest, every status,
// flagged unreachable, rated with a comment) passes Slack's checks.
func TestCardWorstCase(t *testing.T) {
	for _, heavy := range []string{"*", "&", "😀", "<!channel>", "a"} {
		long := func(n int) string { return strings.Repeat(heavy, n/len([]rune(heavy))+1) }
		tk := tickets.Ticket{
			Number: 1 << 40, Priority: tickets.MaxPriority, Nature: tickets.NatureMalfunction,
			Customer:    tickets.Customer{Platform: long(64), Name: long(300)},
			Assignee:    tickets.Agent{ID: "U1", Name: long(300)},
			Subject:     string([]rune(long(tickets.MaxSubjectRunes))[:tickets.MaxSubjectRunes]),
			Description: long(tickets.MaxTextRunes),
			Unreachable: long(300),
			Rating:      tickets.Rating{Stars: 5, Comment: long(tickets.MaxRatingComment)},
		}
		for i := range tickets.MaxAttachments {
			tk.Attachments = append(tk.Attachments, tickets.Attachment{Name: long(255), FileID: fmt.Sprint(i)})
		}
		for _, st := range []tickets.Status{tickets.StatusOpen, tickets.StatusClaimed, tickets.StatusWaiting, tickets.StatusResolved, tickets.StatusClosed} {
			tk.Status = st
			for _, mode := range []string{ThreadReplies, ThreadNotes} {
				blocks := card(tk, time.Now(), mode)
				if err := slacktest.ValidateMessage(cardText(tk), blocksJSON(t, blocks)); err != nil {
					t.Errorf("%q %s %s: %v", heavy, st, mode, err)
				}
				if n := blocksText(blocks); n > blocksBudget {
					t.Errorf("%q %s: card of %d characters, over the budget of %d", heavy, st, n, blocksBudget)
				}
			}
		}
		for _, post := range textPosts(":speech_balloon: *"+clipped(long(300), cardNameChars)+"* (customer) wrote:", long(tickets.MaxTextRunes), tk.Attachments) {
			if err := slacktest.ValidateMessage("fallback", blocksJSON(t, post)); err != nil {
				t.Errorf("%q thread post: %v", heavy, err)
			}
		}
	}
}
