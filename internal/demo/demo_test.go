package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
)

func post(t *testing.T, base, path string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp, err := http.Post(base+path, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func get[T any](t *testing.T, base, path string) T {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	var out T
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func TestNewChecksConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without fakes: no error")
	}
	f, err := StartFakes(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := New(Config{Telegram: f.Telegram, Slack: f.Slack})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultAgents(), s.agents); diff != "" {
		t.Errorf("agents (-want +got):\n%s", diff)
	}
	if s.customer.LanguageCode != "es" || s.channel != slacktest.DefaultChannelID {
		t.Errorf("defaults: language %q channel %q", s.customer.LanguageCode, s.channel)
	}
	users := map[string]bool{}
	for _, u := range f.Slack.Users() {
		users[u.ID] = true
	}
	for _, a := range DefaultAgents() {
		if !users[a.ID] {
			t.Errorf("agent %s is not a member of the fake workspace", a.ID)
		}
	}
}

// A customer message typed on the page becomes an update that the bot
// reads from the fake, and both sides of the chat come back in order.
func TestCustomerMessageReachesTelegram(t *testing.T) {
	f, err := StartFakes(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := New(Config{Telegram: f.Telegram, Slack: f.Slack, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	d.Routes(mux)
	srv := newServer(t, mux, d)

	if code, out := post(t, srv, "/demo/api/telegram/send", map[string]any{"text": "/start"}); code != 200 {
		t.Fatalf("send: %d %v", code, out)
	}
	if got := f.Telegram.Pending(); got != 1 {
		t.Fatalf("pending updates = %d, want 1", got)
	}
	// Play the bot by hand: it answers through the Bot API.
	bot := &stubBot{t: t, fakes: f, client: http.DefaultClient}
	res, err := bot.tg("getUpdates", map[string][]string{"timeout": {"0"}})
	if err != nil {
		t.Fatal(err)
	}
	var ups []struct {
		Message struct {
			Text string
			From struct {
				ID           int64  `json:"id"`
				LanguageCode string `json:"language_code"`
			}
		}
	}
	_ = json.Unmarshal(res, &ups)
	if len(ups) != 1 || ups[0].Message.Text != "/start" || ups[0].Message.From.ID != DefaultCustomer("").ID || ups[0].Message.From.LanguageCode != "es" {
		t.Fatalf("the bot read %+v", ups)
	}
	bot.must(bot.tg("sendMessage", map[string][]string{"chat_id": {"5550001"}, "parse_mode": {"HTML"}, "text": {"<b>Hola</b> &lt;i&gt;"}}))
	if code, _ := post(t, srv, "/demo/api/telegram/language", map[string]any{"language": "en"}); code != 200 {
		t.Fatal("language")
	}
	post(t, srv, "/demo/api/telegram/file", map[string]any{"name": "screen.png", "kind": "photo", "caption": "look"})

	snap := get[chatSnapshot](t, srv, "/demo/api/telegram")
	type short struct {
		ID      int
		FromBot bool
		Text    string
	}
	var got []short
	for _, m := range snap.Messages {
		got = append(got, short{m.ID, m.FromBot, m.Text})
	}
	want := []short{{1, false, "/start"}, {2, true, "Hola <i>"}, {3, false, "look"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chat (-want +got):\n%s", diff)
	}
	// The customer's messages carry the time they were sent, not the
	// time of the snapshot: none is later than the message after it.
	for i, m := range snap.Messages {
		if m.Date.IsZero() {
			t.Errorf("message %d has no date", m.ID)
		} else if i > 0 && m.Date.Before(snap.Messages[i-1].Date) {
			t.Errorf("message %d (%v) is dated before message %d (%v)", m.ID, m.Date, snap.Messages[i-1].ID, snap.Messages[i-1].Date)
		}
	}
	if again := get[chatSnapshot](t, srv, "/demo/api/telegram"); !again.Messages[0].Date.Equal(snap.Messages[0].Date) {
		t.Errorf("the customer's message moved from %v to %v between snapshots", snap.Messages[0].Date, again.Messages[0].Date)
	}
	if e := snap.Messages[1].Entities; len(e) != 1 || e[0].Type != "bold" || e[0].Length != 4 {
		t.Errorf("bot entities = %+v", e)
	}
	if m := snap.Messages[2].Media; m == nil || m.Type != "photo" || m.Name != "screen.png" {
		t.Errorf("media = %+v", m)
	}
	if snap.Customer.Language != "en" {
		t.Errorf("language = %q", snap.Customer.Language)
	}
}

// A click on a card's button is posted, signed, to the Slack app's
// interactivity URL as the agent chosen on the page.
func TestCardClickReachesSlackApp(t *testing.T) {
	srv, f, bot := newTestServer(t)
	f.Telegram.SendText(DefaultCustomer("es"), "/start")
	msgs, err := f.Telegram.WaitMessages(ctxT(t), DefaultCustomer("es").ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	f.Telegram.PressButton(DefaultCustomer("es"), msgs[0].MessageID, "terms:1")
	cards, err := f.Slack.WaitMessages(ctxT(t), slacktest.DefaultChannelID, 1)
	if err != nil {
		t.Fatal(err)
	}
	ts := cards[0].TS

	if code, out := post(t, srv.URL, "/demo/api/slack/click", map[string]any{"agent": "U0AGENTB", "ts": ts, "actionId": "claim", "value": "1"}); code != 200 || out["ok"] != true {
		t.Fatalf("click: %d %v", code, out)
	}
	var payload struct {
		Type    string
		User    struct{ ID string }
		Actions []struct {
			ActionID string `json:"action_id"`
			Value    string
		}
	}
	for _, v := range bot.received() {
		if v.Get("path") == "/slack/interactions" {
			_ = json.Unmarshal([]byte(v.Get("payload")), &payload)
		}
	}
	if payload.Type != "block_actions" || payload.User.ID != "U0AGENTB" || len(payload.Actions) != 1 || payload.Actions[0].ActionID != "claim" {
		t.Fatalf("the app got %+v", payload)
	}
	if code, _ := post(t, srv.URL, "/demo/api/slack/click", map[string]any{"agent": "U0SOMEONE", "ts": ts, "actionId": "claim"}); code != 400 {
		t.Errorf("click as a stranger: %d, want 400", code)
	}
	waitFor(t, "the card update", func() bool {
		m, _ := f.Slack.Message(slacktest.DefaultChannelID, ts)
		return m.Edits == 1
	})

	// The card as the page reads it: blocks as sent, edits counted.
	snap := get[slackSnapshot](t, srv.URL, "/demo/api/slack?agent=U0AGENTA")
	if len(snap.Messages) != 1 || !snap.Messages[0].Bot || snap.Messages[0].Edits != 1 || !strings.Contains(string(snap.Messages[0].Blocks), "claimed") {
		t.Errorf("slack pane = %+v", snap.Messages)
	}

	// A thread reply and a note go to the events URL; the note is marked.
	post(t, srv.URL, "/demo/api/slack/post", map[string]any{"agent": "U0AGENTA", "threadTs": ts, "text": "ya voy"})
	post(t, srv.URL, "/demo/api/slack/post", map[string]any{"agent": "U0AGENTA", "threadTs": ts, "text": "cliente VIP", "note": true})
	thread := f.Slack.Thread(slacktest.DefaultChannelID, ts)
	var texts []string
	for _, m := range thread {
		texts = append(texts, m.Text)
	}
	if diff := cmp.Diff([]string{"ya voy", "note: cliente VIP"}, texts); diff != "" {
		t.Errorf("thread (-want +got):\n%s", diff)
	}

	// /tickets answers privately, to the agent who ran it.
	if code, out := post(t, srv.URL, "/demo/api/slack/command", map[string]any{"agent": "U0AGENTA", "text": "/tickets queue"}); code != 200 || out["ok"] != true {
		t.Fatalf("command: %d %v", code, out)
	}
	a := get[slackSnapshot](t, srv.URL, "/demo/api/slack?agent=U0AGENTA")
	b := get[slackSnapshot](t, srv.URL, "/demo/api/slack?agent=U0AGENTB")
	if len(a.Ephemerals) != 1 || a.Ephemerals[0].Text != "*1* ticket in the queue" || len(b.Ephemerals) != 0 {
		t.Errorf("ephemerals: Ana %+v, Beto %+v", a.Ephemerals, b.Ephemerals)
	}
}

// The event stream says which pane changed when the bot acts.
func TestEventStream(t *testing.T) {
	srv, f, bot := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/demo/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := make(chan string, 32)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- name
			}
		}
		close(events)
	}()
	expect := func(want string) {
		t.Helper()
		for {
			select {
			case got, ok := <-events:
				if !ok {
					t.Fatalf("stream ended before %q", want)
				}
				if got == want {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no %q event", want)
			}
		}
	}
	expect("hello")
	f.Telegram.SendText(DefaultCustomer("es"), "/start") // the stub bot answers
	expect("telegram")
	bot.postCard("open", "")
	expect("slack")
}

// The page and its assets reference nothing outside the server.
func TestAssetsAreSelfContained(t *testing.T) {
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|@import|url\(\s*['"]?(https?:|//)`)
	err := fs.WalkDir(static, "static", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if loc := external.FindString(line); loc != "" {
				t.Errorf("%s:%d references %q", path, i+1, loc)
			}
			if strings.Contains(line, "innerHTML") && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d uses innerHTML", path, i+1)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	srv, _, _ := newTestServer(t)
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`src="/demo/static/app.js"`)) {
		t.Fatalf("GET /: %d", resp.StatusCode)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "http") {
		t.Errorf("CSP = %q", csp)
	}
	for _, ref := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllSubmatch(body, -1) {
		u := string(ref[1])
		if u == "data:," {
			continue
		}
		r, err := http.Get(srv.URL + u)
		if err != nil || r.StatusCode != 200 {
			t.Errorf("%s: %v %v", u, err, r.Status)
		}
		r.Body.Close()
	}
	if r, _ := http.Get(srv.URL + "/demo/static/nope.js"); r.StatusCode != 404 {
		t.Errorf("unknown asset: %d", r.StatusCode)
	}
}

// The acting endpoints read JSON only: another site's form cannot post.
func TestActionsNeedJSON(t *testing.T) {
	srv, f, _ := newTestServer(t)
	resp, err := http.Post(srv.URL+"/demo/api/telegram/send", "text/plain", strings.NewReader(`{"text":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain post: %d", resp.StatusCode)
	}
	if code, _ := post(t, srv.URL, "/demo/api/telegram/send", map[string]any{"text": "  "}); code != 400 {
		t.Errorf("empty message: %d", code)
	}
	if code, _ := post(t, srv.URL, "/demo/api/telegram/file", map[string]any{"name": "x", "kind": "voice"}); code != 400 {
		t.Errorf("file kind voice: %d", code)
	}
	if f.Telegram.Pending() != 0 {
		t.Errorf("refused requests queued %d updates", f.Telegram.Pending())
	}
}

func newServer(t *testing.T, mux *http.ServeMux, d *Server) string {
	t.Helper()
	srv := httpTestServer(mux, d)
	t.Cleanup(func() { d.Close(); srv.Close() })
	return srv.URL
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Agents' text reaches the app as Slack's clients send it: typed angle
// brackets are entities, never Slack markup the app would decode as a link
// or a mention.
func TestSlackEncode(t *testing.T) {
	got := slackEncode(`Hola <i>Carla</i> & <@U0AGENTA> <https://x|y>`)
	want := `Hola &lt;i&gt;Carla&lt;/i&gt; &amp; &lt;@U0AGENTA&gt; &lt;https://x|y&gt;`
	if got != want {
		t.Fatalf("slackEncode = %q, want %q", got, want)
	}
}
