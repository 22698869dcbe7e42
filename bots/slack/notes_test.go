package slack

import (
	"net/http"
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// conversation returns ticket n's conversation as the system sees it, and
// as its customer does.
func conversation(h *harness, n int64) (all, customer []tickets.Message) {
	h.t.Helper()
	all, err := h.svc.Conversation(h.ctx, tickets.SystemActor, n, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	customer, err = h.svc.Conversation(h.ctx, tickets.CustomerActor(h.get(n).Customer), n, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return all, customer
}

// The note marker, however the owner formats it in Slack, keeps the
// message an internal note: the mrkdwn Slack sends for inline code, bold,
// italic, strike and a quote, leading spaces, any case. A plain message
// still reaches the customer. The agent sees which way each went: a 🔒 on
// a note, a ✅ on a reply once delivered.
func TestFormattedNoteMarkersNeverReachTheCustomer(t *testing.T) {
	h := newHarness(t)
	tk := h.open("Invoices", tickets.NatureBilling, tickets.UrgencyNormal)
	click(h, ana, tk.Number, actClaim)
	h.settle()
	variants := []string{ // as Slack puts them in the event's text
		"`!note` customer owes 3 invoices, do not tell them",
		"*!note* customer owes 3 invoices, do not tell them",
		"_!note_ customer owes 3 invoices, do not tell them",
		"~!note~ customer owes 3 invoices, do not tell them",
		"&gt; !note customer owes 3 invoices, do not tell them",
		"   !note customer owes 3 invoices, do not tell them",
		"!NOTE customer owes 3 invoices, do not tell them",
	}
	for _, v := range variants {
		ts, err := h.fake.PostUserMessage(h.ctx, ana, queue, v, h.cardTS(tk.Number))
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		evs := h.settle()
		if hasKind(evs, tickets.EventReply) || !hasKind(evs, tickets.EventNote) {
			t.Errorf("%q: events %v, want a note and no reply", v, kinds(evs))
		}
		m, _ := h.fake.Message(queue, ts)
		if len(m.Reactions) != 1 || m.Reactions[0].Name != reactionNoted {
			t.Errorf("%q: reactions %+v, want the note mark", v, m.Reactions)
		}
	}
	all, customer := conversation(h, tk.Number)
	for _, m := range customer {
		if strings.Contains(m.Text, "invoices") {
			t.Errorf("the customer sees %q", m.Text)
		}
	}
	notes := 0
	for _, m := range all {
		if m.Kind == tickets.MessageNote && m.Text == "customer owes 3 invoices, do not tell them" {
			notes++
		}
	}
	if notes != len(variants) {
		t.Errorf("%d notes stored as written, want %d: %+v", notes, len(variants), all)
	}

	ts, err := h.fake.PostUserMessage(h.ctx, ana, queue, "Please restart the router", h.cardTS(tk.Number))
	if err != nil {
		t.Fatal(err)
	}
	evs := h.settle()
	if !hasKind(evs, tickets.EventReply) {
		t.Fatalf("plain message: events %v, want a reply", kinds(evs))
	}
	all, customer = conversation(h, tk.Number)
	if last := customer[len(customer)-1]; last.Kind != tickets.MessageReply || last.Text != "Please restart the router" {
		t.Errorf("the customer's last message %+v", last)
	}
	if _, err := h.svc.MarkDelivered(h.ctx, tk.Number, all[len(all)-1].ID); err != nil {
		t.Fatal(err)
	}
	h.pump()
	if m, _ := h.fake.Message(queue, ts); len(m.Reactions) != 1 || m.Reactions[0].Name != reactionDelivered {
		t.Errorf("reply reactions %+v, want the delivered mark", m.Reactions)
	}
}

// waitModal waits for user's open modal with callback and returns it.
func waitModal(h *harness, user, callback string) slacktest.View {
	h.t.Helper()
	var view slacktest.View
	err := h.fake.WaitFor(h.ctx, func() bool {
		for _, v := range h.fake.Views(user) {
			if v.Open && v.CallbackID == callback {
				view = v
				return true
			}
		}
		return false
	})
	if err != nil {
		h.t.Fatalf("no %s modal: %v; told %s", callback, err, h.said(user))
	}
	return view
}

// The card's "Internal note" button opens a modal (within Slack's limits)
// that any agent uses to write a note, with no syntax to remember; the note
// is posted in the thread as a note and never reaches the customer.
func TestInternalNoteModal(t *testing.T) {
	h := newHarness(t)
	tk := h.open("Printer", tickets.NatureMalfunction, tickets.UrgencyNormal)
	click(h, ana, tk.Number, actClaim)
	h.settle()
	// Bob does not own the ticket: he may still note it.
	click(h, bob, tk.Number, actNote)
	h.settle()
	view := waitModal(h, bob, noteCallback)
	if err := slacktest.ValidateView(view.Raw); err != nil {
		t.Fatalf("modal: %v", err)
	}
	resp, err := h.fake.SubmitView(h.ctx, bob, view.ID, map[string]map[string]string{replyBlock: {replyInput: "Called the vendor <!channel>"}})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatal(resp.Status, err)
	}
	evs := h.settle()
	if hasKind(evs, tickets.EventReply) || !hasKind(evs, tickets.EventNote) {
		t.Fatalf("events %v, want a note", kinds(evs))
	}
	all, customer := conversation(h, tk.Number)
	if last := all[len(all)-1]; last.Kind != tickets.MessageNote || last.Text != "Called the vendor <!channel>" || last.Author.ID != bob {
		t.Errorf("stored %+v", last)
	}
	if len(customer) != 0 {
		t.Errorf("the customer sees %+v", customer)
	}
	thread := h.fake.Thread(queue, h.cardTS(tk.Number))
	if len(thread) != 1 || !strings.Contains(thread[0].PlainText(), "Internal note") || !strings.Contains(thread[0].PlainText(), "&lt;!channel&gt;") {
		t.Errorf("thread %+v", thread)
	}
}

// A desk can keep every thread message internal (ThreadNotes): a plain
// message is a note, the card says so, and the Reply modal still reaches
// the customer.
func TestThreadMessagesAsNotes(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ThreadMessages = ThreadNotes })
	tk := h.open("Access", tickets.NatureAccess, tickets.UrgencyNormal)
	click(h, ana, tk.Number, actClaim)
	h.settle()
	if got := h.card(tk.Number).PlainText(); !strings.Contains(got, "Messages in this thread are internal notes") {
		t.Errorf("card hint:\n%s", got)
	}
	ts, err := h.fake.PostUserMessage(h.ctx, ana, queue, "Try another password", h.cardTS(tk.Number))
	if err != nil {
		t.Fatal(err)
	}
	if evs := h.settle(); hasKind(evs, tickets.EventReply) || !hasKind(evs, tickets.EventNote) {
		t.Fatalf("events %v, want a note", kinds(evs))
	}
	if m, _ := h.fake.Message(queue, ts); len(m.Reactions) != 1 || m.Reactions[0].Name != reactionNoted {
		t.Errorf("reactions %+v, want the note mark", m.Reactions)
	}
	click(h, ana, tk.Number, actReply)
	h.settle()
	view := waitModal(h, ana, replyCallback)
	if _, err := h.fake.SubmitView(h.ctx, ana, view.ID, map[string]map[string]string{replyBlock: {replyInput: "Use the reset link"}}); err != nil {
		t.Fatal(err)
	}
	if evs := h.settle(); !hasKind(evs, tickets.EventReply) {
		t.Fatalf("events %v, want a reply", kinds(evs))
	}
	_, customer := conversation(h, tk.Number)
	if len(customer) != 1 || customer[0].Text != "Use the reset link" {
		t.Errorf("the customer sees %+v", customer)
	}
}

// The Reply modal opens within Slack's limits and says where a longer
// reply goes.
func TestReplyModalWithinLimits(t *testing.T) {
	h := newHarness(t)
	tk := h.open("Printer", tickets.NatureMalfunction, tickets.UrgencyNormal)
	click(h, ana, tk.Number, actClaim)
	h.settle()
	click(h, ana, tk.Number, actReply)
	h.settle()
	view := waitModal(h, ana, replyCallback)
	if err := slacktest.ValidateView(view.Raw); err != nil {
		t.Fatalf("modal: %v", err)
	}
	if raw := string(view.Raw); !strings.Contains(raw, `"max_length":3000`) || !strings.Contains(raw, "write it in the ticket's thread") {
		t.Errorf("modal %s", raw)
	}
}
