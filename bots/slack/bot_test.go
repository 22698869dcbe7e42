package slack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

func TestNewTicketPostsOneCard(t *testing.T) {
	h := newHarness(t)
	tk := h.open("The printer on floor 3 is on fire", tickets.NatureMalfunction, tickets.UrgencyHigh)
	msgs, err := h.fake.WaitMessages(h.ctx, queue, 1)
	if err != nil {
		t.Fatal(err)
	}
	text := msgs[0].PlainText()
	for _, want := range []string{"#1", "P2", "malfunction", "María", "open", "The printer on floor 3 is on fire", NoteMarker} {
		if !strings.Contains(text, want) {
			t.Errorf("card lacks %q:\n%s", want, text)
		}
	}
	if acts := msgs[0].Actions(); len(acts) == 0 || acts[0].ActionID != actClaim || acts[0].Value != "1" {
		t.Errorf("card actions = %+v, want Claim with the ticket number first", acts)
	}
	// Sending the opening card again (a redelivery) updates, never posts.
	plan, err := h.bot.Plan(h.ctx, tickets.Event{Number: tk.Number, Kind: tickets.EventOpened})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range plan {
		if err := h.bot.Send(h.ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(h.fake.Messages(queue)); got != 1 {
		t.Fatalf("%d messages in the queue channel, want 1", got)
	}
}

func TestClaimRace(t *testing.T) {
	h := newHarness(t)
	tk := h.open("VPN down", tickets.NatureOutage, tickets.UrgencyCritical)
	var wg sync.WaitGroup
	for _, u := range []string{ana, bob} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.fake.ClickButton(h.ctx, u, queue, h.cardTS(tk.Number), actClaim, ""); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	evs := h.settle()
	got := h.get(tk.Number)
	if got.Status != tickets.StatusClaimed {
		t.Fatalf("status %s, want claimed", got.Status)
	}
	winner, loser, holder := ana, bob, "Ana"
	if got.Assignee.ID == bob {
		winner, loser, holder = bob, ana, "Bob"
	}
	if got.Assignee.ID != winner {
		t.Fatalf("assignee %+v", got.Assignee)
	}
	h.waitSaid(loser, "#1 is claimed by "+holder)
	if s := h.said(winner); s != "" {
		t.Errorf("the winner was told %q", s)
	}
	if n := len(kinds(evs)); n != 1 {
		t.Errorf("events %v, want one claim", kinds(evs))
	}
	c := h.card(tk.Number)
	if !strings.Contains(c.PlainText(), holder) || c.Edits != 1 || len(h.fake.Messages(queue)) != 1 {
		t.Errorf("card edits %d, messages %d, text:\n%s", c.Edits, len(h.fake.Messages(queue)), c.PlainText())
	}
}

func TestClaimNextOrder(t *testing.T) {
	h := newHarness(t)
	h.open("a question", tickets.NatureQuestion, tickets.UrgencyLow)  // #1 P4
	h.open("down!", tickets.NatureOutage, tickets.UrgencyLow)         // #2 P1
	h.open("down again", tickets.NatureOutage, tickets.UrgencyNormal) // #3 P1, later
	for i, want := range []string{"#2", "#3", "#1"} {
		if _, err := h.fake.SlashCommand(h.ctx, ana, queue, "/tickets", "next"); err != nil {
			t.Fatal(err)
		}
		h.settle()
		rs := h.fake.Responses(ana)
		if len(rs) != i+1 || !strings.Contains(rs[i].Text, "You claimed *"+want+"*") {
			t.Fatalf("answer %d = %+v, want a claim of %s", i, rs, want)
		}
	}
	if _, err := h.fake.SlashCommand(h.ctx, ana, queue, "/tickets", "next"); err != nil {
		t.Fatal(err)
	}
	h.waitSaid(ana, "The queue is empty")
}

func TestThreadReplyRelayed(t *testing.T) {
	h := newHarness(t)
	tk := h.open("Cannot log in", tickets.NatureAccess, tickets.UrgencyHigh)
	click(h, ana, tk.Number, actClaim)
	h.settle()
	ts, err := h.fake.PostUserMessage(h.ctx, ana, queue, "Hola María, try <https://example.com/reset|this link> &amp; tell me", h.cardTS(tk.Number))
	if err != nil {
		t.Fatal(err)
	}
	evs := h.settle()
	if !hasKind(evs, tickets.EventReply) {
		t.Fatalf("events %v, want a reply", kinds(evs))
	}
	msgs, err := h.svc.Conversation(h.ctx, tickets.SystemActor, tk.Number, 10)
	if err != nil {
		t.Fatal(err)
	}
	last := msgs[len(msgs)-1]
	if last.Kind != tickets.MessageReply || last.Ref != ts || last.Author.ID != ana || last.Author.Name != "Ana" {
		t.Fatalf("stored %+v", last)
	}
	if want := "Hola María, try this link (https://example.com/reset) & tell me"; last.Text != want {
		t.Errorf("relayed text %q, want %q", last.Text, want)
	}
	// The reply is already in the thread: not posted again.
	if th := h.fake.Thread(queue, h.cardTS(tk.Number)); len(th) != 1 {
		t.Errorf("thread has %d messages, want the agent's only", len(th))
	}
	// Delivered: the agent's message gets the mark.
	if _, err := h.svc.MarkDelivered(h.ctx, tk.Number, last.ID); err != nil {
		t.Fatal(err)
	}
	h.pump()
	m, _ := h.fake.Message(queue, ts)
	if len(m.Reactions) != 1 || m.Reactions[0].Name != "white_check_mark" {
		t.Errorf("reactions %+v, want white_check_mark", m.Reactions)
	}
}

func TestAnonymousAgents(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AnonymousAgents, c.TeamName = true, "Colombia Informática" })
	tk := h.open("Cannot log in", tickets.NatureAccess, tickets.UrgencyHigh)
	click(h, ana, tk.Number, actClaim)
	h.settle()
	if _, err := h.fake.PostUserMessage(h.ctx, ana, queue, "On it", h.cardTS(tk.Number)); err != nil {
		t.Fatal(err)
	}
	h.settle()
	msgs, _ := h.svc.Conversation(h.ctx, tickets.SystemActor, tk.Number, 10)
	if a := msgs[len(msgs)-1].Author; a.Name != "Colombia Informática" || a.ID != ana {
		t.Errorf("reply author %+v, want the team name", a)
	}
	if got := h.get(tk.Number).Assignee.Name; got != "Ana" {
		t.Errorf("assignee %q: agents still see who holds it", got)
	}
}

func TestNoteNotRelayed(t *testing.T) {
	h := newHarness(t)
	tk := h.open("Billing question", tickets.NatureBilling, tickets.UrgencyNormal)
	// Any agent may note, claimed or not.
	if _, err := h.fake.PostUserMessage(h.ctx, bob, queue, "!note customer called twice *already*", h.cardTS(tk.Number)); err != nil {
		t.Fatal(err)
	}
	evs := h.settle()
	if hasKind(evs, tickets.EventReply) || !hasKind(evs, tickets.EventNote) {
		t.Fatalf("events %v, want a note and no reply", kinds(evs))
	}
	msgs, _ := h.svc.Conversation(h.ctx, tickets.SystemActor, tk.Number, 10)
	if last := msgs[len(msgs)-1]; last.Kind != tickets.MessageNote || last.Text != "customer called twice *already*" {
		t.Fatalf("stored %+v", last)
	}
	cust, _ := h.svc.Conversation(h.ctx, tickets.CustomerActor(h.get(tk.Number).Customer), tk.Number, 10)
	if len(cust) != 0 {
		t.Errorf("the customer sees %+v", cust)
	}
}

func TestReplyByNonOwnerRefused(t *testing.T) {
	h := newHarness(t)
	tk := h.open("Slow disk", tickets.NatureMalfunction, tickets.UrgencyNormal)
	click(h, ana, tk.Number, actClaim)
	h.settle()
	if _, err := h.fake.PostUserMessage(h.ctx, bob, queue, "I think it is the disk", h.cardTS(tk.Number)); err != nil {
		t.Fatal(err)
	}
	evs := h.settle()
	if len(evs) != 0 {
		t.Fatalf("events %v, want none", kinds(evs))
	}
	h.waitSaid(bob, "*not* sent to the customer: #1 is claimed by Ana")
	// A non-agent writing in the thread is refused too.
	if _, err := h.fake.PostUserMessage(h.ctx, eve, queue, "<!channel> hi", h.cardTS(tk.Number)); err != nil {
		t.Fatal(err)
	}
	if evs := h.settle(); len(evs) != 0 {
		t.Fatalf("events %v, want none", kinds(evs))
	}
	h.waitSaid(eve, "Only support agents")
}

func TestPriorityReordersQueue(t *testing.T) {
	h := newHarness(t)
	t1 := h.open("first", tickets.NatureQuestion, tickets.UrgencyHigh)  // P3
	t2 := h.open("second", tickets.NatureQuestion, tickets.UrgencyHigh) // P3
	resp, err := h.fake.SelectOption(h.ctx, ana, queue, h.cardTS(t2.Number), actPriority, "P1")
	if err != nil || resp.Status != http.StatusOK {
		t.Fatal(resp.Status, err)
	}
	evs := h.settle()
	if !hasKind(evs, tickets.EventPriority) {
		t.Fatalf("events %v", kinds(evs))
	}
	entries, _, err := h.svc.QueuePage(h.ctx, tickets.AgentActor(tickets.Agent{ID: ana, Name: "Ana"}), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Ticket.Number != t2.Number || entries[1].Ticket.Number != t1.Number {
		t.Fatalf("queue %+v, want #2 then #1", entries)
	}
	c := h.card(t2.Number)
	if !strings.Contains(c.PlainText(), "#2 · P1") || c.Edits != 1 {
		t.Errorf("card (edits %d):\n%s", c.Edits, c.PlainText())
	}
	if _, err := h.fake.SlashCommand(h.ctx, ana, queue, "/tickets", "queue"); err != nil {
		t.Fatal(err)
	}
	h.waitSaid(ana, "`1.` *#2* P1")
	if s := h.said(ana); !strings.Contains(s, "`2.` *#1* P3") {
		t.Errorf("queue answer:\n%s", s)
	}
}

func TestNonAgentRefused(t *testing.T) {
	h := newHarness(t)
	tk := h.open("help", tickets.NatureQuestion, tickets.UrgencyLow)
	click(h, eve, tk.Number, actClaim)
	if evs := h.settle(); len(evs) != 0 {
		t.Fatalf("events %v", kinds(evs))
	}
	h.waitSaid(eve, "Only support agents")
	if _, err := h.fake.SlashCommand(h.ctx, eve, queue, "/tickets", "next"); err != nil {
		t.Fatal(err)
	}
	if evs := h.settle(); len(evs) != 0 {
		t.Fatalf("events %v", kinds(evs))
	}
	if got := h.get(tk.Number); got.Status != tickets.StatusOpen || got.Claimed() {
		t.Fatalf("ticket %s %+v", got.Status, got.Assignee)
	}
	told := 0
	for _, r := range h.fake.Responses(eve) {
		told += strings.Count(r.Text, "Only support agents")
	}
	if n := told; n != 2 {
		t.Errorf("told %d times:\n%s", n, h.said(eve))
	}
}

// A reply in a card's thread is not lost when the card's record is
// missing (the reply came in the instant between the post and its record,
// or the record failed after the post): the card is known from Slack, and
// recorded again. A thread under someone else's message is asked about
// once and ignored.
func TestReplyInCardThreadWithoutItsRecord(t *testing.T) {
	h := newHarness(t)
	tk := h.open("Cannot log in", tickets.NatureAccess, tickets.UrgencyHigh)
	click(h, ana, tk.Number, actClaim)
	h.settle()
	ts := h.cardTS(tk.Number)
	if err := h.st.Client().Del(h.ctx, h.key("kv:slack:thread:"+queue+":"+ts)).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.fake.PostUserMessage(h.ctx, ana, queue, "Ya lo reviso", ts); err != nil {
		t.Fatal(err)
	}
	if evs := h.settle(); !hasKind(evs, tickets.EventReply) {
		t.Fatalf("events %v, want the reply", kinds(evs))
	}
	if n, ok, err := store.NewSlack(h.st).ThreadTicket(h.ctx, queue, ts); err != nil || !ok || n != tk.Number {
		t.Errorf("thread record = %d, %v, %v; want the ticket's number again", n, ok, err)
	}

	other, err := h.fake.PostUserMessage(h.ctx, ana, queue, "lunch?", "")
	if err != nil {
		t.Fatal(err)
	}
	asked := len(h.fake.Calls("conversations.replies"))
	for _, text := range []string{"yes", "at one"} {
		if _, err := h.fake.PostUserMessage(h.ctx, ana, queue, text, other); err != nil {
			t.Fatal(err)
		}
	}
	if evs := h.settle(); len(evs) != 0 {
		t.Errorf("events %v for a thread that is not a card's", kinds(evs))
	}
	if n := len(h.fake.Calls("conversations.replies")) - asked; n != 1 {
		t.Errorf("Slack asked %d times about a thread that is not a card's, want once", n)
	}
}

// The app's own posts in a thread that Slack reports without a bot_id
// (a file it copied there) are its echo: nothing is stored and nobody is
// told anything.
func TestOwnEchoIgnored(t *testing.T) {
	h := newHarness(t)
	tk := h.open("help", tickets.NatureQuestion, tickets.UrgencyLow)
	self := h.fake.BotUserID()
	if _, err := h.fake.PostUserMessage(h.ctx, self, queue, "captura.png", h.cardTS(tk.Number)); err != nil {
		t.Fatal(err)
	}
	// A message by an agent after it shows the echo was worked (events of
	// one thread are worked in order) and left no trace.
	click(h, ana, tk.Number, actClaim)
	if _, err := h.fake.PostUserMessage(h.ctx, ana, queue, "Revisando", h.cardTS(tk.Number)); err != nil {
		t.Fatal(err)
	}
	h.settle()
	msgs, err := h.svc.Conversation(h.ctx, tickets.SystemActor, tk.Number, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Text != "Revisando" {
		t.Errorf("conversation = %+v, want the agent's reply only", msgs)
	}
	for _, c := range h.fake.Calls("chat.postEphemeral") {
		if c.Params.Get("user") == self {
			t.Errorf("the app told itself %q", c.Params.Get("text"))
		}
	}
}

func TestSignatureRequired(t *testing.T) {
	h := newHarness(t)
	tk := h.open("help", tickets.NatureQuestion, tickets.UrgencyLow)
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": ana}, "trigger_id": "t1",
		"channel": map[string]any{"id": queue}, "container": map[string]any{"message_ts": h.cardTS(tk.Number)},
		"actions": []any{map[string]any{"action_id": actClaim, "block_id": "card:1", "value": "1", "type": "button"}},
	})
	body := []byte(url.Values{"payload": {string(payload)}}.Encode())
	post := func(name string, mod func(r *http.Request)) {
		t.Helper()
		req, err := slacktest.SignedRequest(h.ctx, h.srv.URL+"/slack/interactions", "application/x-www-form-urlencoded", body, secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		mod(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
		}
	}
	post("forged", func(r *http.Request) {
		for k, v := range slacktest.Sign("wrong-secret", time.Now(), body) {
			r.Header[k] = v
		}
	})
	post("stale", func(r *http.Request) {
		for k, v := range slacktest.Sign(secret, time.Now().Add(-6*time.Minute), body) {
			r.Header[k] = v
		}
	})
	post("missing", func(r *http.Request) {
		r.Header.Del("X-Slack-Signature")
		r.Header.Del("X-Slack-Request-Timestamp")
	})
	post("tampered", func(r *http.Request) {
		r.Body = http.NoBody
		r.ContentLength = 0
	})
	if evs := h.settle(); len(evs) != 0 {
		t.Fatalf("events %v", kinds(evs))
	}
	if got := h.get(tk.Number); got.Status != tickets.StatusOpen {
		t.Fatalf("status %s", got.Status)
	}
	// The same request, signed, works.
	req, _ := slacktest.SignedRequest(h.ctx, h.srv.URL+"/slack/interactions", "application/x-www-form-urlencoded", body, secret, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatal(resp.StatusCode, err)
	}
	resp.Body.Close()
	h.settle()
	if got := h.get(tk.Number); got.Status != tickets.StatusClaimed {
		t.Fatalf("status %s", got.Status)
	}
}

func TestRetriedEventProcessedOnce(t *testing.T) {
	h := newHarness(t)
	tk := h.open("help", tickets.NatureQuestion, tickets.UrgencyLow)
	click(h, ana, tk.Number, actClaim)
	h.settle()
	if _, err := h.fake.PostUserMessage(h.ctx, ana, queue, "first answer", h.cardTS(tk.Number)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		resp, err := h.fake.RetryLastEvent(h.ctx)
		if err != nil || resp.Status != http.StatusOK {
			t.Fatal(resp.Status, err)
		}
	}
	evs := h.settle()
	if got := kinds(evs); len(got) != 1 || got[0] != tickets.EventReply {
		t.Fatalf("events %v, want one reply", got)
	}
	if got := h.get(tk.Number).Messages; got != 1 {
		t.Fatalf("%d messages stored", got)
	}
}

func TestURLVerification(t *testing.T) {
	h := newHarness(t)
	if err := h.fake.VerifyEventsURL(h.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCustomerTextEscaped(t *testing.T) {
	h := newHarness(t)
	evil := "Hi <!channel> and <@U123>, see <https://evil.example|click here> *bold* _it_ ~s~ `code` & more"
	tk := h.open(evil, tickets.NatureQuestion, tickets.UrgencyLow)
	if _, _, err := h.svc.AddMessage(h.ctx, tickets.CustomerActor(h.get(tk.Number).Customer), tk.Number,
		tickets.MessageInput{Text: "again <!here> <#C999> *now*"}); err != nil {
		t.Fatal(err)
	}
	h.pump()
	thread, err := h.fake.WaitThread(h.ctx, queue, h.cardTS(tk.Number), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []json.RawMessage{h.card(tk.Number).Blocks, thread[0].Blocks} {
		texts := blockTexts(t, raw)
		all := strings.Join(texts, "\n")
		for _, bad := range []string{"<!channel>", "<@U123>", "<https://evil", "<!here>", "<#C999>", "*bold*", "*now*", "_it_", "`code`", "~s~"} {
			if strings.Contains(all, bad) {
				t.Errorf("blocks contain %q:\n%s", bad, all)
			}
		}
		if !strings.Contains(all, "&lt;!channel&gt;") && !strings.Contains(all, "&lt;!here&gt;") {
			t.Errorf("escaped customer text not found:\n%s", all)
		}
		// Escaped text holds no raw angle bracket: Slack would parse it.
		for _, s := range verbatimSections(t, raw) {
			if strings.ContainsAny(s, "<>") {
				t.Errorf("verbatim section with a raw < or >: %q", s)
			}
		}
	}
	// The thread message's fallback text (notifications) starts the
	// message, escaped the same way.
	if fb := thread[0].Text; !strings.Contains(fb, "again &lt;!here&gt; &lt;#C999&gt;") || strings.ContainsAny(strings.TrimPrefix(fb, ":speech_balloon:"), "<>") {
		t.Errorf("thread fallback text %q, want the message's start escaped", fb)
	}
	all := strings.Join(blockTexts(t, h.card(tk.Number).Blocks), "\n")
	if !strings.Contains(all, "&lt;https://evil.example|click here&gt;") || !strings.Contains(all, "\u200b*\u200bbold\u200b*\u200b") {
		t.Errorf("link or bold not shown as text:\n%q", all)
	}
	if got := len(verbatimSections(t, h.card(tk.Number).Blocks)); got != 1 {
		t.Errorf("%d verbatim sections, want the description in one", got)
	}
}

// blockTexts returns every "text" string in blocks, decoded.
func blockTexts(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "text" {
					out = append(out, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// A description longer than the card holds (one section, and Slack
// refuses a message whose blocks carry about 10,000 characters) shows cut
// on the card, with a visible "…" and a pointer to the thread, and whole in
// the thread, split over as many posts as Slack's limits need.
func TestLongDescriptionSplit(t *testing.T) {
	h := newHarness(t)
	var sb strings.Builder
	for i := 0; sb.Len() < 9500; i++ {
		sb.WriteString("word" + strconv.Itoa(i) + " ")
	}
	desc := strings.TrimSpace(sb.String())
	long := strings.Repeat("a&b ", 2500) // 10,000 characters, 20,000 escaped
	for _, text := range []string{desc, long} {
		tk := h.open(text, tickets.NatureQuestion, tickets.UrgencyLow)
		c := h.card(tk.Number)
		sections := verbatimSections(t, c.Blocks)
		if len(sections) != 1 || !strings.HasSuffix(sections[0], "…") || !strings.HasPrefix(escape(text), strings.TrimSuffix(sections[0], "…")) {
			t.Errorf("card sections %d, want the description's start and …", len(sections))
		}
		if n := units(sections[0]); n > maxSectionChars {
			t.Errorf("section of %d characters", n)
		}
		if !strings.Contains(c.PlainText(), "continues in the thread") {
			t.Errorf("card does not point to the thread")
		}
		thread := h.fake.Thread(queue, h.cardTS(tk.Number))
		var parts []string
		for _, m := range thread {
			if err := slacktest.ValidateMessage(m.Text, m.Blocks); err != nil {
				t.Errorf("thread post: %v", err)
			}
			parts = append(parts, verbatimSections(t, m.Blocks)...)
		}
		if len(thread) < 2 {
			t.Errorf("%d thread posts, want the description over several", len(thread))
		}
		if got := strings.Join(parts, " "); got != strings.TrimSpace(escape(text)) {
			t.Errorf("thread description differs: %d vs %d characters", len(got), len(escape(text)))
		}
	}
}

// descriptionSections returns the verbatim section texts of blocks.
func verbatimSections(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var blocks []struct {
		Type    string
		BlockID string `json:"block_id"`
		Text    *struct {
			Text     string
			Verbatim bool
		}
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range blocks {
		if b.Type == "section" && b.BlockID != "subject" && b.Text != nil && b.Text.Verbatim {
			out = append(out, b.Text.Text)
		}
	}
	return out
}

func TestCardUpdatedInPlace(t *testing.T) {
	h := newHarness(t)
	tk := h.open("help", tickets.NatureQuestion, tickets.UrgencyLow)
	for _, a := range []string{actClaim, actWaiting, actClaim, actResolve, actClose, actReopen} {
		click(h, ana, tk.Number, a)
		h.settle()
	}
	if got := h.said(ana); got != "" {
		t.Fatalf("refused: %s", got)
	}
	c := h.card(tk.Number)
	if c.Edits != 6 || len(h.fake.Messages(queue)) != 1 {
		t.Fatalf("edits %d, messages %d", c.Edits, len(h.fake.Messages(queue)))
	}
	if !strings.Contains(c.PlainText(), "open") {
		t.Errorf("card:\n%s", c.PlainText())
	}
}

func TestReplyModal(t *testing.T) {
	h := newHarness(t)
	tk := h.open("help", tickets.NatureQuestion, tickets.UrgencyLow)
	// Not claimed yet: the Reply button is not on the card; by command it is refused.
	click(h, ana, tk.Number, actClaim)
	h.settle()
	click(h, ana, tk.Number, actReply)
	h.settle()
	var view slacktest.View
	err := h.fake.WaitFor(h.ctx, func() bool {
		vs := h.fake.Views(ana)
		if len(vs) > 0 && vs[len(vs)-1].Open {
			view = vs[len(vs)-1]
			return true
		}
		return false
	})
	if err != nil {
		t.Fatalf("no modal: %v; told %s", err, h.said(ana))
	}
	if view.CallbackID != replyCallback || view.PrivateMetadata != "1" {
		t.Fatalf("view %+v", view)
	}
	resp, err := h.fake.SubmitView(h.ctx, ana, view.ID, map[string]map[string]string{replyBlock: {replyInput: "Restart the router <3"}})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatal(resp.Status, err)
	}
	evs := h.settle()
	if !hasKind(evs, tickets.EventReply) {
		t.Fatalf("events %v", kinds(evs))
	}
	if v, _ := h.fake.View(view.ID); v.Open {
		t.Errorf("modal still open: %+v", v.Errors)
	}
	msgs, _ := h.svc.Conversation(h.ctx, tickets.SystemActor, tk.Number, 10)
	last := msgs[len(msgs)-1]
	if last.Kind != tickets.MessageReply || last.Text != "Restart the router <3" || last.Ref != "" {
		t.Fatalf("stored %+v", last)
	}
	thread := h.fake.Thread(queue, h.cardTS(tk.Number))
	if len(thread) != 1 || !strings.Contains(thread[0].PlainText(), "Reply to the customer") ||
		!strings.Contains(thread[0].PlainText(), "Restart the router &lt;3") {
		t.Fatalf("thread %+v", thread)
	}
	if _, err := h.svc.MarkDelivered(h.ctx, tk.Number, last.ID); err != nil {
		t.Fatal(err)
	}
	h.pump()
	if m, _ := h.fake.Message(queue, thread[0].TS); len(m.Reactions) != 1 {
		t.Errorf("reply not marked delivered: %+v", m.Reactions)
	}

	// Bob may not reply on Ana's ticket: the core refuses on submit, and
	// the modal shows why; nothing reaches the customer.
	if _, err := h.fake.ClickButton(h.ctx, bob, queue, h.cardTS(tk.Number), actReply, ""); err != nil {
		t.Fatal(err)
	}
	h.settle()
	vs := h.fake.Views(bob)
	if len(vs) != 1 || !vs[0].Open {
		t.Fatalf("bob's views %+v; told %s", vs, h.said(bob))
	}
	resp, err = h.fake.SubmitView(h.ctx, bob, vs[0].ID, map[string]map[string]string{replyBlock: {replyInput: "me too"}})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatal(resp.Status, err)
	}
	if evs := h.settle(); len(evs) != 0 {
		t.Fatalf("events %v", kinds(evs))
	}
	v, _ := h.fake.View(vs[0].ID)
	if !v.Open || !strings.Contains(v.Errors[replyBlock], "#1 is claimed by Ana") {
		t.Errorf("modal open %v, errors %v", v.Open, v.Errors)
	}
}

func TestUnreachableFlag(t *testing.T) {
	h := newHarness(t)
	tk := h.open("help", tickets.NatureQuestion, tickets.UrgencyLow)
	if _, err := h.svc.FlagUnreachable(h.ctx, tk.Number, "blocked"); err != nil {
		t.Fatal(err)
	}
	h.pump()
	if c := h.card(tk.Number); !strings.Contains(c.PlainText(), "Customer unreachable") || !strings.Contains(c.PlainText(), "blocked") {
		t.Errorf("card:\n%s", c.PlainText())
	}
	th := h.fake.Thread(queue, h.cardTS(tk.Number))
	if len(th) != 1 || !strings.Contains(th[0].PlainText(), "failing (blocked)") {
		t.Errorf("thread %+v", th)
	}
}

func TestSendErrors(t *testing.T) {
	h := newHarness(t)
	tk := h.open("help", tickets.NatureQuestion, tickets.UrgencyLow)
	m := delivery.Message{Lane: "t1", Key: "card", Number: tk.Number, Kind: kindCard, Coalesce: "card:1"}

	h.fake.RateLimitNext("chat.update", 1, 7)
	err := h.bot.Send(h.ctx, m)
	if ra, ok := delivery.IsRetryAfter(err); !ok || ra.After != 7*time.Second {
		t.Fatalf("429: %v, want RetryAfter 7s", err)
	}
	h.fake.FailNext("chat.update", 1, http.StatusBadGateway)
	err = h.bot.Send(h.ctx, m)
	if _, ok := delivery.IsPermanent(err); err == nil || ok {
		t.Fatalf("502: %v, want transient", err)
	}
	if _, ok := delivery.IsRetryAfter(err); ok {
		t.Fatalf("502: %v, want transient", err)
	}
	if err := h.bot.Send(h.ctx, m); err != nil {
		t.Fatal(err)
	}

	h2 := newHarness(t, func(c *Config) { c.QueueChannel = "CNOWHERE" })
	tk2, err := h2.svc.Open(h2.ctx, tickets.OpenRequest{Customer: tickets.Customer{Platform: "telegram", UserID: "1"},
		Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "x"})
	if err != nil {
		t.Fatal(err)
	}
	err = h2.bot.Send(h2.ctx, delivery.Message{Lane: "t1", Number: tk2.Number, Kind: kindCard})
	if p, ok := delivery.IsPermanent(err); !ok || p.Reason != "channel_not_found" {
		t.Fatalf("unknown channel: %v, want permanent channel_not_found", err)
	}
}

func TestCommands(t *testing.T) {
	h := newHarness(t)
	tk := h.open("Printer <jammed>", tickets.NatureMalfunction, tickets.UrgencyNormal)
	run := func(text, want string) {
		t.Helper()
		if _, err := h.fake.SlashCommand(h.ctx, ana, queue, "/tickets", text); err != nil {
			t.Fatal(err)
		}
		h.settle()
		h.waitSaid(ana, want)
	}
	run("help", "/tickets queue [page]")
	run("queue", "`1.` *#1* P3 Printer &lt;jammed&gt;")
	run("show 1", "position 1 of 1")
	run("claim 1", "You claimed #1.")
	run("mine", "*#1* P3 Printer &lt;jammed&gt; — claimed")
	run("reply 1 Please restart it", "Reply to the customer of #1 sent.")
	run("note 1 she restarted twice", "Internal note added to #1.")
	run("priority 1 P2", "#1 is now P2.")
	run("waiting 1", "#1 is waiting on the customer.")
	run("resolve 1", "#1 is resolved.")
	run("close 1", "#1 is closed.")
	run("reopen 1", "#1 is open again")
	run("release 1", "Cannot release a ticket that is open")
	run("show 99", "Ticket not found.")
	run("frobnicate", "Unknown command")
	msgs, _ := h.svc.Conversation(h.ctx, tickets.SystemActor, tk.Number, 10)
	if len(msgs) != 2 || msgs[0].Kind != tickets.MessageReply || msgs[1].Kind != tickets.MessageNote {
		t.Fatalf("conversation %+v", msgs)
	}
	th := h.fake.Thread(queue, h.cardTS(tk.Number))
	if len(th) != 2 || !strings.Contains(th[1].PlainText(), "Internal note") {
		t.Fatalf("thread %+v", th)
	}
}

// Text typed by people (a customer's name, a file name) sits only in
// verbatim text objects, escaped: Slack auto-parses @here, #channel and
// bare URLs in the others.
func TestUserTextVerbatim(t *testing.T) {
	h := newHarness(t)
	const name, file = "@here <!channel>", "www.evil.com <https://x|y>"
	cust := tickets.Customer{Platform: "telegram", UserID: "66", ChatID: "66", Name: name, Language: "es"}
	att := []tickets.Attachment{{Kind: "document", FileID: "f1", Name: file}}
	tk, err := h.svc.Open(h.ctx, tickets.OpenRequest{Customer: cust, Nature: tickets.NatureQuestion,
		Urgency: tickets.UrgencyLow, Description: "see the file", Attachments: att})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.svc.AddMessage(h.ctx, tickets.CustomerActor(cust), tk.Number,
		tickets.MessageInput{Text: "and this one", Attachments: att}); err != nil {
		t.Fatal(err)
	}
	h.pump()
	if _, err := h.svc.FlagUnreachable(h.ctx, tk.Number, "blocked"); err != nil {
		t.Fatal(err)
	}
	h.pump()
	thread, err := h.fake.WaitThread(h.ctx, queue, h.cardTS(tk.Number), 2)
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]json.RawMessage{"card": h.card(tk.Number).Blocks}
	for i, m := range thread {
		msgs["thread "+strconv.Itoa(i)] = m.Blocks
	}
	found := map[string]int{}
	for where, raw := range msgs {
		for _, o := range textObjects(t, raw) {
			for _, s := range []string{"@here", "www.evil.com"} {
				if !strings.Contains(o.Text, s) {
					continue
				}
				found[s]++
				if o.Type != "mrkdwn" || !o.Verbatim {
					t.Errorf("%s: %s in a non-verbatim %s text object: %q", where, s, o.Type, o.Text)
				}
				if strings.ContainsAny(o.Text, "<>") {
					t.Errorf("%s: not escaped: %q", where, o.Text)
				}
			}
			if strings.Contains(o.Text, "@here") && !strings.Contains(o.Text, "@here &lt;!channel&gt;") {
				t.Errorf("%s: name not shown as typed: %q", where, o.Text)
			}
			if strings.Contains(o.Text, "www.evil.com") && !strings.Contains(o.Text, "www.evil.com &lt;https://x|y&gt;") {
				t.Errorf("%s: file name not shown as typed: %q", where, o.Text)
			}
		}
	}
	// The card (customer field, attachments) and the customer message's
	// thread post (heading, attachments).
	if found["@here"] < 2 || found["www.evil.com"] < 2 {
		t.Errorf("found %v; want the name and the file on the card and in the thread", found)
	}
}

// textObject is a text object of Block Kit.
type textObject struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Verbatim bool   `json:"verbatim"`
}

// textObjects returns every text object in blocks (an object with a type
// and a string text).
func textObjects(t *testing.T, raw json.RawMessage) []textObject {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var out []textObject
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			typ, _ := x["type"].(string)
			if text, ok := x["text"].(string); ok && (typ == "mrkdwn" || typ == "plain_text") {
				verb, _ := x["verbatim"].(bool)
				out = append(out, textObject{Type: typ, Text: text, Verbatim: verb})
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
