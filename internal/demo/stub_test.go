package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
)

// stubBot is a tiny stand-in for the two adapters, for tests of the page
// alone: it answers the customer in the fake Telegram and keeps one card in
// the fake Slack, through the fakes' HTTP APIs as the adapters would.
//
//   - /start: a greeting in HTML with an inline button "Acepto";
//   - the button: the greeting is edited and a card is posted in Slack;
//   - any other text: copied to the card's thread;
//   - Claim on the card: the card is updated and the customer told;
//   - a thread reply: sent to the customer, unless it starts with "note:";
//   - /tickets: an ephemeral answer.
type stubBot struct {
	t      testing.TB
	fakes  *Fakes
	client *http.Client

	// cardMu makes postCard one step, as the adapter's per-card lease
	// does: a claim clicked the instant the card appears updates it
	// rather than posting a second one.
	cardMu sync.Mutex
	mu     sync.Mutex
	cardTS string
	posts  []url.Values // what reached the app, for assertions
}

const stubMarker = "note:"

func startStub(t testing.TB, f *Fakes) (*stubBot, *httptest.Server) {
	t.Helper()
	b := &stubBot{t: t, fakes: f, client: &http.Client{Timeout: 5 * time.Second}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", b.events)
	mux.HandleFunc("POST /slack/interactions", b.interactions)
	mux.HandleFunc("POST /slack/commands", b.commands)
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)
	f.SetAppURL(app.URL)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.poll(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return b, app
}

// tg calls a Bot API method with form parameters.
func (b *stubBot) tg(method string, params url.Values) (json.RawMessage, error) {
	u := fmt.Sprintf(b.fakes.Telegram.Endpoint(), b.fakes.Telegram.Token(), method)
	resp, err := b.client.PostForm(u, params)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		OK          bool            `json:"ok"`
		Result      json.RawMessage `json:"result"`
		Description string          `json:"description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if !out.OK {
		return nil, fmt.Errorf("%s: %s", method, out.Description)
	}
	return out.Result, nil
}

// slack calls a Web API method with form parameters.
func (b *stubBot) slack(method string, params url.Values) (json.RawMessage, error) {
	req, _ := http.NewRequest(http.MethodPost, b.fakes.Slack.APIURL()+method, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+b.fakes.Slack.Token())
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || !out.OK {
		return nil, fmt.Errorf("%s: %s %s", method, out.Error, raw)
	}
	return raw, nil
}

func (b *stubBot) poll(ctx context.Context) {
	offset := 0
	for ctx.Err() == nil {
		res, err := b.tg("getUpdates", url.Values{"offset": {fmt.Sprint(offset)}, "timeout": {"1"}})
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		var ups []struct {
			UpdateID int `json:"update_id"`
			Message  *struct {
				Text     string             `json:"text"`
				Caption  string             `json:"caption"`
				Chat     struct{ ID int64 } `json:"chat"`
				Document *struct {
					FileName string `json:"file_name"`
				} `json:"document"`
			} `json:"message"`
			Callback *struct {
				ID      string             `json:"id"`
				Data    string             `json:"data"`
				From    struct{ ID int64 } `json:"from"`
				Message struct {
					MessageID int `json:"message_id"`
				} `json:"message"`
			} `json:"callback_query"`
		}
		if err := json.Unmarshal(res, &ups); err != nil {
			b.t.Errorf("stub: getUpdates: %v", err)
			return
		}
		for _, u := range ups {
			offset = u.UpdateID + 1
			switch {
			case u.Message != nil && u.Message.Text == "/start":
				b.must(b.tg("sendMessage", url.Values{
					"chat_id":      {fmt.Sprint(u.Message.Chat.ID)},
					"parse_mode":   {"HTML"},
					"text":         {`<b>Hola</b> &lt;script&gt;alert(1)&lt;/script&gt; <i>bienvenida</i>. <a href="https://example.com/terms">Términos</a>`},
					"reply_markup": {`{"inline_keyboard":[[{"text":"Acepto","callback_data":"terms:1"}]]}`},
				}))
			case u.Callback != nil:
				b.must(b.tg("answerCallbackQuery", url.Values{"callback_query_id": {u.Callback.ID}}))
				b.must(b.tg("editMessageText", url.Values{
					"chat_id": {fmt.Sprint(u.Callback.From.ID)}, "message_id": {fmt.Sprint(u.Callback.Message.MessageID)},
					"text": {"Términos aceptados ✅"},
				}))
				b.postCard("open", "")
			case u.Message != nil:
				text := u.Message.Text
				if u.Message.Document != nil {
					text = "📎 " + u.Message.Document.FileName
				}
				b.mu.Lock()
				ts := b.cardTS
				b.mu.Unlock()
				if ts != "" {
					b.must(b.slack("chat.postMessage", url.Values{"channel": {slacktest.DefaultChannelID}, "thread_ts": {ts}, "text": {"*Carla:* " + text}}))
				}
			}
		}
	}
}

func (b *stubBot) must(_ json.RawMessage, err error) {
	if err != nil {
		b.t.Errorf("stub: %v", err)
	}
}

// postCard posts the ticket card, or updates it when it exists.
func (b *stubBot) postCard(status, assignee string) {
	b.cardMu.Lock()
	defer b.cardMu.Unlock()
	blocks := []any{
		map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": "#1 La impresora no imprime"}},
		map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "*P2* · hardware · from Carla &lt;!channel&gt; <!channel>"},
			"fields": []any{
				map[string]any{"type": "mrkdwn", "text": "*Status*\n" + status},
				map[string]any{"type": "mrkdwn", "text": "*Assignee*\n" + assignee},
			}},
		map[string]any{"type": "context", "elements": []any{map[string]any{"type": "mrkdwn", "text": "opened just now · `telegram`"}}},
		map[string]any{"type": "divider"},
		map[string]any{"type": "actions", "block_id": "card", "elements": []any{
			map[string]any{"type": "button", "action_id": "claim", "value": "1", "style": "primary", "text": map[string]any{"type": "plain_text", "text": "Claim"}},
			map[string]any{"type": "static_select", "action_id": "priority", "placeholder": map[string]any{"type": "plain_text", "text": "Priority"},
				"options": []any{
					map[string]any{"text": map[string]any{"type": "plain_text", "text": "P1"}, "value": "1"},
					map[string]any{"text": map[string]any{"type": "plain_text", "text": "P2"}, "value": "2"},
				}},
		}},
	}
	raw, _ := json.Marshal(blocks)
	b.mu.Lock()
	ts := b.cardTS
	b.mu.Unlock()
	params := url.Values{"channel": {slacktest.DefaultChannelID}, "text": {"#1 " + status}, "blocks": {string(raw)}}
	if ts != "" {
		params.Set("ts", ts)
		b.must(b.slack("chat.update", params))
		return
	}
	res, err := b.slack("chat.postMessage", params)
	b.must(res, err)
	var out struct {
		TS string `json:"ts"`
	}
	_ = json.Unmarshal(res, &out)
	b.mu.Lock()
	b.cardTS = out.TS
	b.mu.Unlock()
}

func (b *stubBot) record(r *http.Request) url.Values {
	body, _ := io.ReadAll(r.Body)
	v, _ := url.ParseQuery(string(body))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		v = url.Values{"json": {string(body)}}
	}
	v.Set("path", r.URL.Path)
	b.mu.Lock()
	b.posts = append(b.posts, v)
	b.mu.Unlock()
	return v
}

func (b *stubBot) received() []url.Values {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]url.Values(nil), b.posts...)
}

func (b *stubBot) events(w http.ResponseWriter, r *http.Request) {
	v := b.record(r)
	var env struct {
		Event struct {
			User     string `json:"user"`
			Text     string `json:"text"`
			ThreadTS string `json:"thread_ts"`
		} `json:"event"`
	}
	_ = json.Unmarshal([]byte(v.Get("json")), &env)
	w.WriteHeader(http.StatusOK)
	if env.Event.ThreadTS == "" || strings.HasPrefix(env.Event.Text, stubMarker) {
		return
	}
	go b.must(b.tg("sendMessage", url.Values{"chat_id": {fmt.Sprint(DefaultCustomer("es").ID)}, "text": {"Ana: " + env.Event.Text}}))
}

func (b *stubBot) interactions(w http.ResponseWriter, r *http.Request) {
	v := b.record(r)
	var p struct {
		User    struct{ ID string } `json:"user"`
		Actions []struct {
			ActionID string `json:"action_id"`
		} `json:"actions"`
	}
	_ = json.Unmarshal([]byte(v.Get("payload")), &p)
	w.WriteHeader(http.StatusOK)
	if len(p.Actions) == 1 && p.Actions[0].ActionID == "claim" {
		go func() {
			b.postCard("claimed", "<@"+p.User.ID+">")
			b.must(b.tg("sendMessage", url.Values{"chat_id": {fmt.Sprint(DefaultCustomer("es").ID)}, "text": {"Tu ticket #1 fue tomado."}}))
		}()
	}
}

func (b *stubBot) commands(w http.ResponseWriter, r *http.Request) {
	b.record(r)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"response_type":"ephemeral","text":"*1* ticket in the queue"}`)
}

// newTestServer starts the fakes, the stub bot and the page.
func newTestServer(t testing.TB) (*httptest.Server, *Fakes, *stubBot) {
	t.Helper()
	f, err := StartFakes(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	bot, _ := startStub(t, f)
	d, err := New(Config{Telegram: f.Telegram, Slack: f.Slack, NoteMarker: stubMarker, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	d.Routes(mux)
	srv := httpTestServer(mux, d)
	t.Cleanup(func() { d.Close(); srv.Close() })
	return srv, f, bot
}

// httpTestServer serves mux; d's event streams end when it shuts down.
func httpTestServer(mux *http.ServeMux, d *Server) *httptest.Server {
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.RegisterOnShutdown(d.Close)
	srv.Start()
	return srv
}
