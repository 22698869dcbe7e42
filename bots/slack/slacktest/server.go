package slacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of a new Server. Options change them.
const (
	DefaultToken        = "xoxb-slacktest-token"
	DefaultTeamID       = "T0TICKETBOT"
	DefaultTeamDomain   = "ticketbot-test"
	DefaultAppID        = "A0TICKETBOT"
	DefaultBotUserID    = "U0TICKETBOT"
	DefaultBotID        = "B0TICKETBOT"
	DefaultChannelID    = "C0QUEUE"
	DefaultChannelName  = "support-queue"
	defaultVerification = "slacktest-verification-token"
	defaultAppTimeout   = 3 * time.Second
	maxBodyBytes        = 4 << 20
)

// Server is a fake Slack workspace: a Web API server that the real slack-go
// client talks to over HTTP, the channel, user and view model behind it, and
// the Slack client side that signs and posts events, interactions and slash
// commands to the app under test. All methods are safe for concurrent use.
type Server struct {
	httpServer *http.Server
	listener   net.Listener
	baseURL    string
	closed     chan struct{}
	closeOnce  sync.Once

	mu           sync.Mutex
	cfg          config
	now          func() time.Time
	lastTS       int64 // microseconds of the last timestamp handed out
	seq          int   // counter for IDs (events, triggers, views, response URLs)
	channels     map[string]*channel
	chanIDs      []string
	users        map[string]*user
	groups       map[string][]string
	files        map[string]File
	deletedFiles map[string]bool           // files.delete
	uploads      map[string]*pendingUpload // by upload URL key
	views        map[string]*View
	viewIDs      []string
	triggers     map[string]*trigger
	respURLs     map[string]*responseURL
	ephem        map[string][]Message
	resps        map[string][]Response
	calls        []Call
	stats        Stats
	faults       map[string]*fault
	latency      map[string]time.Duration
	threadFaults map[string]threadFault
	limits       limiter
	app          appConfig
	lastEv       *delivery
	delivs       []Delivery
	changed      chan struct{} // closed and replaced on every model change

	watchMu  sync.Mutex
	watchers map[int]*watcher
	watchSeq int
}

type config struct {
	token         string
	teamID        string
	teamDomain    string
	appID         string
	botUserID     string
	botID         string
	botName       string
	verification  string
	enforceLimits bool
	appTimeout    time.Duration
}

// Option configures a Server at construction.
type Option func(*Server)

// WithToken sets the bot token that every Web API call must carry.
func WithToken(token string) Option { return func(s *Server) { s.cfg.token = token } }

// WithTeam sets the workspace ID and domain.
func WithTeam(id, domain string) Option {
	return func(s *Server) { s.cfg.teamID, s.cfg.teamDomain = id, domain }
}

// WithApp sets the app ID and the bot's user and bot IDs, as auth.test reports them.
func WithApp(appID, botUserID, botID string) Option {
	return func(s *Server) { s.cfg.appID, s.cfg.botUserID, s.cfg.botID = appID, botUserID, botID }
}

// WithEnforceLimits starts the server with the documented rate limits enforced
// (see Server.EnforceLimits).
func WithEnforceLimits(on bool) Option { return func(s *Server) { s.cfg.enforceLimits = on } }

// WithClock replaces the clock used for message timestamps, rate limits and
// trigger expiry. Latency injection always uses real time.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithAppTimeout sets how long the simulated Slack waits for the app to answer
// an event, interaction or command (Slack waits 3 seconds).
func WithAppTimeout(d time.Duration) Option { return func(s *Server) { s.cfg.appTimeout = d } }

// New starts a fake Slack on a loopback port. Close it when done.
func New(opts ...Option) (*Server, error) {
	s := &Server{
		closed: make(chan struct{}),
		cfg: config{
			token:        DefaultToken,
			teamID:       DefaultTeamID,
			teamDomain:   DefaultTeamDomain,
			appID:        DefaultAppID,
			botUserID:    DefaultBotUserID,
			botID:        DefaultBotID,
			botName:      "ticketbot",
			verification: defaultVerification,
			appTimeout:   defaultAppTimeout,
		},
		now:          time.Now,
		channels:     map[string]*channel{},
		users:        map[string]*user{},
		groups:       map[string][]string{},
		files:        map[string]File{},
		deletedFiles: map[string]bool{},
		uploads:      map[string]*pendingUpload{},
		views:        map[string]*View{},
		triggers:     map[string]*trigger{},
		respURLs:     map[string]*responseURL{},
		ephem:        map[string][]Message{},
		resps:        map[string][]Response{},
		faults:       map[string]*fault{},
		latency:      map[string]time.Duration{},
		changed:      make(chan struct{}),
		watchers:     map[int]*watcher{},
		stats:        Stats{Calls: map[string]int{}, RateLimited: map[string]int{}, Failed: map[string]int{}, Errors: map[string]int{}},
	}
	for _, o := range opts {
		o(s)
	}
	s.limits = newLimiter()
	s.addChannelLocked(DefaultChannelID, DefaultChannelName)
	s.users[s.cfg.botUserID] = &user{id: s.cfg.botUserID, name: s.cfg.botName, realName: s.cfg.botName, displayName: s.cfg.botName, isBot: true}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("slacktest: listen: %w", err)
	}
	s.listener = ln
	s.baseURL = "http://" + ln.Addr().String()
	s.httpServer = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.httpServer.Serve(ln) }()
	return s, nil
}

// Start is New for tests: it fails tb on error and closes the server in tb.Cleanup.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := New(opts...)
	if err != nil {
		tb.Fatalf("slacktest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server, aborts injected latencies and closes every Watch channel.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		// Connections dialed but never used count as busy for Shutdown, so
		// give in-flight requests a moment, then close whatever is left.
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		defer cancel()
		if s.httpServer.Shutdown(ctx) != nil {
			_ = s.httpServer.Close()
		}
		s.closeWatchers()
	})
}

// URL is the server's base URL, like "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.baseURL }

// APIURL is the Web API base URL to give slack.OptionAPIURL; it ends with "/api/".
func (s *Server) APIURL() string { return s.baseURL + "/api/" }

// Token is the bot token the server accepts.
func (s *Server) Token() string { return s.cfg.token }

// TeamID is the workspace ID.
func (s *Server) TeamID() string { return s.cfg.teamID }

// AppID is the app ID sent as api_app_id.
func (s *Server) AppID() string { return s.cfg.appID }

// BotUserID is the bot's user ID, as auth.test reports it.
func (s *Server) BotUserID() string { return s.cfg.botUserID }

// VerificationToken is the deprecated verification token put in payloads.
func (s *Server) VerificationToken() string { return s.cfg.verification }

// Handler serves the Web API under /api/ and the response URLs under /actions/
// and /commands/. New already serves it; it is exported for embedding.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("POST /actions/", s.serveResponseURL)
	mux.HandleFunc("POST /commands/", s.serveResponseURL)
	mux.HandleFunc("POST /upload/v1/{key}", s.serveUpload)
	mux.HandleFunc("GET /files-pri/{ref}/", s.serveFileDownload)
	return mux
}

// apiError is a Web API error answered as {"ok":false,"error":code}.
type apiError string

func (e apiError) Error() string { return string(e) }

// errorAnswer is the body Slack answers err with: {"ok":false,"error":code},
// and for a *Refusal its details in "errors" (invalid_blocks) and
// "response_metadata.messages", as Slack gives them.
func errorAnswer(err error) map[string]any {
	var r *Refusal
	if errors.As(err, &r) {
		resp := map[string]any{"ok": false, "error": r.Code}
		if len(r.Messages) > 0 {
			msgs := make([]string, len(r.Messages))
			for i, m := range r.Messages {
				msgs[i] = "[ERROR] " + m
			}
			if r.Code == "invalid_blocks" {
				resp["errors"] = r.Messages
			}
			resp["response_metadata"] = map[string]any{"messages": msgs}
		}
		return resp
	}
	var ae apiError
	if !errors.As(err, &ae) {
		ae = apiError("internal_error")
	}
	return map[string]any{"ok": false, "error": string(ae)}
}

type handlerFunc func(s *Server, p params) (map[string]any, error)

var methods = map[string]handlerFunc{
	"auth.test":             (*Server).authTest,
	"chat.postMessage":      (*Server).chatPostMessage,
	"chat.update":           (*Server).chatUpdate,
	"chat.postEphemeral":    (*Server).chatPostEphemeral,
	"chat.delete":           (*Server).chatDelete,
	"chat.getPermalink":     (*Server).chatGetPermalink,
	"conversations.info":    (*Server).conversationsInfo,
	"conversations.replies": (*Server).conversationsReplies,
	"conversations.history": (*Server).conversationsHistory,
	"users.info":            (*Server).usersInfo,
	"usergroups.users.list": (*Server).usergroupsUsersList,
	"views.open":            (*Server).viewsOpen,
	"views.update":          (*Server).viewsUpdate,
	"views.publish":         (*Server).viewsPublish,
	"reactions.add":         (*Server).reactionsAdd,
	"files.info":            (*Server).filesInfo,
	"files.delete":          (*Server).filesDelete,

	"files.getUploadURLExternal":   (*Server).filesGetUploadURLExternal,
	"files.completeUploadExternal": (*Server).filesCompleteUploadExternal,
}

// params are a call's arguments: form values, query values, or the top-level
// fields of a JSON body (strings as they are, other values as JSON text).
type params struct{ url.Values }

func (p params) present(key string) bool { _, ok := p.Values[key]; return ok }

// delay holds a call for d, as a slow Slack would, and reports whether to
// go on answering it: a client that gave up is recorded as gone, and a
// closed server answers nothing.
func (s *Server) delay(r *http.Request, call Call, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		call.Status = 0
		call.Error = "client_gone"
		s.record(call)
		return false
	case <-s.closed:
		return false
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	call := Call{Method: method, Time: s.now(), Header: r.Header.Clone(), Body: body}
	call.Header.Del("Authorization")

	values, token, perr := parseParams(r, body)
	call.Params = redact(values)

	if d := s.latencyFor(method); d > 0 && !s.delay(r, call, d) {
		return
	}

	if tf, ok := s.threadFault(values.Get("thread_ts")); ok {
		if !s.delay(r, call, tf.latency) {
			return
		}
		if tf.status >= 500 {
			call.Status, call.Error = tf.status, http.StatusText(tf.status)
			s.record(call)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(tf.status)
			_, _ = io.WriteString(w, "<html><body>Slack is having trouble</body></html>")
			return
		}
	}

	if status, retry, ok := s.takeFault(method); ok {
		// Recorded before the answer, which the client may act upon at once.
		call.Status = status
		if status == http.StatusTooManyRequests {
			call.Error = "ratelimited"
			s.record(call)
			w.Header().Set("Retry-After", fmt.Sprint(retry))
			http.Error(w, "ratelimited", status)
		} else {
			call.Error = http.StatusText(status)
			s.record(call)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, "<html><body>Slack is having trouble</body></html>")
		}
		return
	}

	h, known := methods[method]
	var (
		resp map[string]any
		err  error
	)
	switch {
	case perr != nil:
		err = perr
	case token == "":
		err = apiError("not_authed")
	case token != s.cfg.token:
		err = apiError("invalid_auth")
	case !known:
		err = apiError("unknown_method")
	default:
		if retry, limited := s.checkLimit(method, values.Get("channel")); limited {
			call.Status, call.Error = http.StatusTooManyRequests, "ratelimited"
			s.record(call)
			w.Header().Set("Retry-After", fmt.Sprint(retry))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
			return
		}
		resp, err = h(s, params{values})
	}
	if err != nil {
		resp = errorAnswer(err)
		call.Error, _ = resp["error"].(string)
	} else {
		resp["ok"] = true
	}
	call.Status = http.StatusOK
	call.Response, _ = json.Marshal(resp)
	s.record(call)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(call.Response)
}

// parseParams reads the arguments and the token (Authorization: Bearer, or the
// token argument of a form or query; JSON bodies need the header, like Slack).
func parseParams(r *http.Request, body []byte) (url.Values, string, error) {
	values := r.URL.Query()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/json" && len(bytes.TrimSpace(body)) > 0:
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return values, bearer(r), apiError("invalid_json")
		}
		for k, raw := range m {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				values.Set(k, str)
			} else {
				values.Set(k, string(raw))
			}
		}
	case ct == "multipart/form-data":
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseMultipartForm(maxBodyBytes); err != nil {
			return values, bearer(r), apiError("invalid_form_data")
		}
		for k, v := range r.MultipartForm.Value {
			values[k] = v
		}
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return values, bearer(r), apiError("invalid_form_data")
		}
		for k, v := range form {
			values[k] = v
		}
	}
	token := bearer(r)
	if token == "" && ct != "application/json" {
		token = values.Get("token")
	}
	return values, token, nil
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

func redact(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if k == "token" {
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}
