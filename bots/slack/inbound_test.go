package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// postReply has user answer in ticket n's thread and returns the status
// the app answered the event with.
func postReply(h *harness, user string, n int64, text string) int {
	h.t.Helper()
	_, err := h.fake.PostUserMessage(h.ctx, user, queue, text, h.cardTS(n))
	var se *slacktest.StatusError
	switch {
	case errors.As(err, &se):
		return se.Status
	case err != nil:
		h.t.Fatal(err)
	}
	return http.StatusOK
}

func replies(h *harness, n int64) []tickets.Message {
	h.t.Helper()
	msgs, err := h.svc.Conversation(h.ctx, tickets.SystemActor, n, 50)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []tickets.Message
	for _, m := range msgs {
		if m.Kind == tickets.MessageReply {
			out = append(out, m)
		}
	}
	return out
}

// A thread reply whose write fails is not acknowledged: Slack delivers it
// again, the agent is told it has not reached the customer yet, and the
// redelivery stores it once, even when the first write was done and only
// its answer was lost.
func TestThreadReplyRetriedAfterFailure(t *testing.T) {
	f := &faults{}
	h := newFaultyHarness(t, f)
	tk := h.open("Cannot print", tickets.NatureMalfunction, tickets.UrgencyNormal)
	click(h, ana, tk.Number, actClaim)
	h.settle()

	f.applyLost.Store(1)
	if st := postReply(h, ana, tk.Number, "Try the other tray"); st < 500 {
		t.Fatalf("first delivery answered %d, want 5xx so that Slack retries", st)
	}
	h.waitSaid(ana, "has *not* reached the customer yet")
	resp, err := h.fake.RetryLastEvent(h.ctx)
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("retry: %d %v", resp.Status, err)
	}
	if _, err := h.fake.RetryLastEvent(h.ctx); err != nil { // done: skipped
		t.Fatal(err)
	}
	if evs := h.settle(); len(kinds(evs)) != 1 || !hasKind(evs, tickets.EventReply) {
		t.Fatalf("events %v, want one reply", kinds(evs))
	}
	if rs := replies(h, tk.Number); len(rs) != 1 || rs[0].Text != "Try the other tray" {
		t.Fatalf("replies %+v, want one", rs)
	}
}

// Each failing step of a thread message answers 5xx and tells the agent:
// reading the card's thread, marking the event done. The last of Slack's
// tries tells the agent to send the message again.
func TestThreadReplyFailuresTold(t *testing.T) {
	f := &faults{}
	h := newFaultyHarness(t, f)
	tk := h.open("Cannot print", tickets.NatureMalfunction, tickets.UrgencyNormal)
	click(h, ana, tk.Number, actClaim)
	h.settle()

	f.threadFails.Store(4)
	if st := postReply(h, ana, tk.Number, "Is it on?"); st < 500 {
		t.Fatalf("thread unreadable: answered %d, want 5xx", st)
	}
	for range 3 {
		if resp, err := h.fake.RetryLastEvent(h.ctx); err != nil || resp.Status < 500 {
			t.Fatalf("retry: %d %v", resp.Status, err)
		}
	}
	h.settle()
	if rs := replies(h, tk.Number); len(rs) != 0 {
		t.Fatalf("replies %+v", rs)
	}
	h.waitSaid(ana, "(try 1 of 4)")
	h.waitSaid(ana, "Your message was *not* sent to the customer: something went wrong. Please send it again.")
	if n := len(h.fake.Ephemerals(ana)); n != 4 {
		t.Errorf("told %d times, want 4:\n%s", n, h.said(ana))
	}

	// Stored, but the done marker is not: retried, stored once, nothing said.
	f.doneFails.Store(1)
	before := len(h.fake.Ephemerals(ana))
	if st := postReply(h, ana, tk.Number, "Is it plugged in?"); st < 500 {
		t.Fatalf("marker not written: answered %d, want 5xx", st)
	}
	if resp, err := h.fake.RetryLastEvent(h.ctx); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("retry: %d %v", resp.Status, err)
	}
	h.settle()
	if rs := replies(h, tk.Number); len(rs) != 1 || rs[0].Text != "Is it plugged in?" {
		t.Fatalf("replies %+v, want one", rs)
	}
	if got := h.fake.Ephemerals(ana)[before:]; len(got) != 0 {
		t.Errorf("told %+v", got)
	}
}

// A card action whose write fails is answered 5xx (Slack shows the agent
// it failed) and the agent is told privately.
func TestActionFailureTold(t *testing.T) {
	f := &faults{}
	h := newFaultyHarness(t, f)
	tk := h.open("Cannot print", tickets.NatureMalfunction, tickets.UrgencyNormal)
	f.applyLost.Store(1)
	resp, err := h.fake.ClickButton(h.ctx, ana, queue, h.cardTS(tk.Number), actClaim, "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status < 500 {
		t.Errorf("click answered %d, want 5xx", resp.Status)
	}
	h.settle()
	h.waitSaid(ana, "Something went wrong")
}

// A slash command is worked before the ack and answered in it.
func TestCommandAnsweredInAck(t *testing.T) {
	f := &faults{}
	h := newFaultyHarness(t, f)
	tk := h.open("Cannot print", tickets.NatureMalfunction, tickets.UrgencyNormal)
	resp, err := h.fake.SlashCommand(h.ctx, ana, queue, "/tickets", "claim 1")
	if err != nil || resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), "You claimed #1.") {
		t.Fatalf("claim: %d %s %v", resp.Status, resp.Body, err)
	}
	if got := h.get(tk.Number); got.Status != tickets.StatusClaimed {
		t.Fatalf("status %s right after the ack", got.Status)
	}
	f.applyLost.Store(1)
	resp, err = h.fake.SlashCommand(h.ctx, ana, queue, "/tickets", "waiting 1")
	if err != nil || resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), "Something went wrong") {
		t.Fatalf("failed command: %d %s %v", resp.Status, resp.Body, err)
	}
}

// /tickets reply and note store the text as the customer should read it,
// decoded like a thread message: entities, mentions and links.
func TestCommandTextDecoded(t *testing.T) {
	h := newHarness(t)
	tk := h.open("Cannot print", tickets.NatureMalfunction, tickets.UrgencyNormal)
	for _, c := range []string{"claim 1", "reply 1 Use &lt;Ctrl&gt; &amp; P, ask <@UBOB> or see <https://example.com/p|this>",
		"note 1 told her 1 &lt; 2"} {
		resp, err := h.fake.SlashCommand(h.ctx, ana, queue, "/tickets", c)
		if err != nil || resp.Status != http.StatusOK {
			t.Fatalf("%s: %d %v", c, resp.Status, err)
		}
	}
	msgs, err := h.svc.Conversation(h.ctx, tickets.SystemActor, tk.Number, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Use <Ctrl> & P, ask @Bob or see this (https://example.com/p)", "told her 1 < 2"}
	if len(msgs) != 2 || msgs[0].Text != want[0] || msgs[1].Text != want[1] {
		t.Fatalf("conversation %+v, want %q", msgs, want)
	}
}

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A response URL that cannot be reached is logged without the URL, a
// capability; the user is told by an ephemeral message instead.
func TestResponseURLNotLogged(t *testing.T) {
	h := newHarness(t)
	var logs lockedBuffer
	h.bot.log = zerolog.New(&logs)
	tk := h.open("help", tickets.NatureQuestion, tickets.UrgencyLow)
	const secretPath = "/actions/T0TEST/1234/s3cr3tCapability"
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": eve}, "trigger_id": "t-leak",
		"response_url": "http://127.0.0.1:1" + secretPath,
		"channel":      map[string]any{"id": queue}, "container": map[string]any{"message_ts": h.cardTS(tk.Number)},
		"actions": []any{map[string]any{"action_id": actClaim, "block_id": "card:1", "value": "1", "type": "button"}},
	})
	body := []byte(url.Values{"payload": {string(payload)}}.Encode())
	req, err := slacktest.SignedRequest(h.ctx, h.srv.URL+"/slack/interactions", "application/x-www-form-urlencoded", body, secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h.settle()
	h.waitSaid(eve, "Only support agents")
	out := logs.String()
	if !strings.Contains(out, "response url") {
		t.Fatalf("the failed post is not logged:\n%s", out)
	}
	if strings.Contains(out, "s3cr3tCapability") || strings.Contains(out, "/actions/") {
		t.Errorf("the response URL is logged:\n%s", out)
	}
}

// When Slack cannot list the agents' user group, the last known members
// act for a while (10 × AgentsTTL), then nobody from the group does.
func TestStaleAgentsCapped(t *testing.T) {
	h := newHarness(t)
	var skew atomic.Int64
	h.bot.people.now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	tk := h.open("help", tickets.NatureQuestion, tickets.UrgencyLow)
	click(h, ana, tk.Number, actClaim) // membership fetched
	h.settle()

	skew.Store(int64(2 * time.Minute)) // past AgentsTTL (1 minute): stale, still used
	h.fake.FailNext("usergroups.users.list", 1, http.StatusBadGateway)
	click(h, ana, tk.Number, actRelease)
	h.settle()
	if got := h.get(tk.Number); got.Status != tickets.StatusOpen {
		t.Fatalf("with fresh-enough members: status %s, told %s", got.Status, h.said(ana))
	}

	skew.Store(int64(11 * time.Minute)) // too old: refused
	h.fake.FailNext("usergroups.users.list", 1, http.StatusBadGateway)
	resp, err := h.fake.ClickButton(h.ctx, ana, queue, h.cardTS(tk.Number), actClaim, "")
	if err != nil {
		t.Fatal(err)
	}
	h.settle()
	if got := h.get(tk.Number); got.Status != tickets.StatusOpen || got.Claimed() {
		t.Fatalf("with members 11 minutes old: status %s, assignee %+v", got.Status, got.Assignee)
	}
	if resp.Status < 500 {
		t.Errorf("answered %d, want 5xx", resp.Status)
	}
	h.waitSaid(ana, "Something went wrong")

	// Slack answers again: membership is fresh, Ana acts.
	click(h, ana, tk.Number, actClaim)
	h.settle()
	if got := h.get(tk.Number); got.Assignee.ID != ana {
		t.Fatalf("assignee %+v", got.Assignee)
	}
}
