package demo

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/demo/mailhost"
)

// maxBody caps the JSON bodies the API reads.
const maxBody = 64 << 10

// contentSecurityPolicy keeps the page to its own server: no script, style,
// font, image or connection may come from anywhere else.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, s.assets, "index.html")
}

func (s *Server) staticHandler() http.Handler {
	files := http.FileServerFS(s.assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header())
		w.Header().Set("Cache-Control", "no-cache")
		if _, err := fs.Stat(s.assets, r.URL.Path); err != nil || r.URL.Path == "" {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// handleConfig answers who the page plays.
func (s *Server) handleConfig(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"customer":   s.customerInfo(),
		"agents":     s.agents,
		"channel":    s.channelInfo(),
		"noteMarker": s.marker,
		"queue":      s.svc != nil,
		"email":      s.mailInfo(),
	})
}

// handleEvents streams Server-Sent Events naming the pane that changed
// ("telegram", "slack", "email", "queue") until the browser goes away or Close.
// The page fetches the pane again; "ping" comes every 15 seconds.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// The product's server has a write timeout; a stream lives longer.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	tgEvents, stopTG := s.tg.Watch()
	defer stopTG()
	slEvents, stopSL := s.sl.Watch()
	defer stopSL()
	local, unsubscribe := s.subscribe()
	defer unsubscribe()
	var mailEvents <-chan mailhost.Change // nil without the mail pane: never ready
	me := ""
	if s.mail != nil {
		var stopMail func()
		mailEvents, stopMail = s.mail.Host.Watch()
		defer stopMail()
		me = s.mail.Customer.Address
	}
	customer := s.customerInfo().ID

	send := func(event, data string) bool {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("hello", `{}`) {
		return
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		var ok bool
		select {
		case <-r.Context().Done():
			return
		case <-s.closed:
			return
		case <-ping.C:
			ok = send("ping", `{}`)
		case e, open := <-tgEvents:
			if !open {
				return
			}
			if e.ChatID != customer {
				continue
			}
			ok = send("telegram", jsonString(map[string]any{"kind": telegramKind(e.Kind), "messageId": e.Message.MessageID}))
		case e, open := <-slEvents:
			if !open {
				return
			}
			ok = send("slack", jsonString(map[string]any{"kind": e.Kind, "ts": e.TS, "user": e.User, "thread": threadOf(e)}))
		case c, open := <-mailEvents:
			if !open {
				return
			}
			if c.Address != me {
				continue
			}
			ok = send("email", jsonString(map[string]any{"folder": strings.ToLower(c.Folder), "uid": c.UID}))
		case pane := <-local:
			ok = send(pane, `{"kind":"local"}`)
		}
		if !ok {
			return
		}
	}
}

func telegramKind(k telegramtest.EventKind) string { return k.String() }

func threadOf(e slacktest.Event) string {
	if e.Message != nil {
		return e.Message.ThreadTS
	}
	return ""
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return `{}`
	}
	return string(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"ok": false, "error": msg})
}

// readJSON decodes a size-capped JSON body into v, answering 4xx itself
// when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	// Only JSON: a page of another site cannot post it without a CORS
	// preflight, which this server never allows.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "send application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "the body is not the JSON this endpoint reads")
		return false
	}
	return true
}
