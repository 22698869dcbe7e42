package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// socketFake is a tiny Socket Mode server: apps.connections.open answers
// the URL of its websocket, which says hello, then relays the envelopes the
// test sends and hands back the app's acks. Every other Web API method is
// proxied to the fake Slack.
type socketFake struct {
	srv    *httptest.Server
	send   chan any
	acks   chan map[string]any
	tokens chan string
}

func startSocketFake(t *testing.T, api string) *socketFake {
	t.Helper()
	f := &socketFake{send: make(chan any), acks: make(chan map[string]any, 16), tokens: make(chan string, 4)}
	target, _ := url.Parse(api)
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	mux := http.NewServeMux()
	mux.HandleFunc("/api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		f.tokens <- r.Header.Get("Authorization")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/link"})
	})
	mux.HandleFunc("/link", func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A1"}})
		go func() {
			for {
				var ack map[string]any
				if err := c.ReadJSON(&ack); err != nil {
					return
				}
				f.acks <- ack
			}
		}()
		for {
			select {
			case m := <-f.send:
				if err := c.WriteJSON(m); err != nil {
					return
				}
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.Handle("/", proxy)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *socketFake) deliver(t *testing.T, ctx context.Context, env map[string]any) map[string]any {
	t.Helper()
	select {
	case f.send <- env:
	case <-ctx.Done():
		t.Fatal("the app never connected")
	}
	select {
	case ack := <-f.acks:
		if ack["envelope_id"] != env["envelope_id"] {
			t.Fatalf("ack %v for envelope %v", ack, env["envelope_id"])
		}
		return ack
	case <-ctx.Done():
		t.Fatalf("no ack for %v", env["envelope_id"])
	}
	return nil
}

func TestSocketMode(t *testing.T) {
	var f *socketFake
	h := newHarness(t, func(c *Config) {
		f = startSocketFake(t, c.APIURL)
		c.APIURL = f.srv.URL + "/api/"
		c.AppToken, c.SigningSecret = "xapp-1-test", ""
	})
	tk := h.open("help over the socket", tickets.NatureQuestion, tickets.UrgencyLow)
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- h.bot.Run(ctx) }()

	// A button click: acknowledged over the socket, then worked.
	cb, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": ana}, "trigger_id": "t-sock",
		"channel":   map[string]any{"id": queue},
		"container": map[string]any{"type": "message", "channel_id": queue, "message_ts": h.cardTS(tk.Number)},
		"actions":   []any{map[string]any{"action_id": actClaim, "block_id": "card:1", "value": "1", "type": "button"}},
	})
	f.deliver(t, h.ctx, map[string]any{"envelope_id": "env-1", "type": "interactive", "payload": json.RawMessage(cb), "accepts_response_payload": false})
	if tok := <-f.tokens; tok != "Bearer xapp-1-test" {
		t.Errorf("apps.connections.open with %q", tok)
	}
	h.settle()
	if got := h.get(tk.Number); got.Status != tickets.StatusClaimed || got.Assignee.ID != ana {
		t.Fatalf("ticket %s %+v", got.Status, got.Assignee)
	}

	// A reply in the card's thread, delivered twice: stored once.
	ev := map[string]any{
		"type": "event_callback", "event_id": "EvSOCK1", "team_id": "T1", "api_app_id": "A1",
		"event": map[string]any{"type": "message", "channel": queue, "user": ana, "text": "over the socket",
			"ts": "1800000000.000200", "thread_ts": h.cardTS(tk.Number), "channel_type": "channel"},
	}
	raw, _ := json.Marshal(ev)
	for i, id := range []string{"env-2", "env-3"} {
		f.deliver(t, h.ctx, map[string]any{"envelope_id": id, "type": "events_api", "payload": json.RawMessage(raw), "retry_attempt": i})
	}
	evs := h.settle()
	if k := kinds(evs); len(k) != 1 || k[0] != tickets.EventReply {
		t.Fatalf("events %v, want one reply", k)
	}

	// A slash command; the answer goes to the user privately, in the ack.
	cmd, _ := json.Marshal(map[string]any{"command": "/tickets", "text": "mine", "user_id": ana, "channel_id": queue})
	ack := f.deliver(t, h.ctx, map[string]any{"envelope_id": "env-4", "type": "slash_commands", "payload": json.RawMessage(cmd)})
	answer, _ := ack["payload"].(map[string]any)
	if text, _ := answer["text"].(string); !strings.Contains(text, "*Your tickets* (1)") || answer["response_type"] != "ephemeral" {
		t.Errorf("slash command ack %v", ack)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}
