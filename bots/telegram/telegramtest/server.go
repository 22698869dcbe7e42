package telegramtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultToken is the bot token the fake accepts unless WithToken says otherwise.
const DefaultToken = "123456:TEST-token"

// ErrClosed is returned by waits that end because the server was closed.
var ErrClosed = errors.New("telegramtest: server closed")

// Option configures a Server built by New.
type Option func(*Server)

// WithToken sets the bot token the fake accepts. The bot's user ID is the
// number before the colon, as with real tokens.
func WithToken(token string) Option {
	return func(s *Server) { s.token = token }
}

// WithBotUser sets the bot's first name and username as answered by getMe.
func WithBotUser(firstName, username string) Option {
	return func(s *Server) { s.botFirstName, s.botUsername = firstName, username }
}

// WithClock makes the fake read time from now: message dates and the flood
// limits of EnforceLimits use it. Long-poll timeouts, latency and webhook
// retries always use real timers.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// EnforceLimits makes the fake enforce Telegram's documented flood limits
// (see Server.SetEnforceLimits).
func EnforceLimits(on bool) Option {
	return func(s *Server) { s.enforce = on }
}

// AutoDeliver makes the fake POST queued updates to the webhook by itself
// whenever one is set, as Telegram does, instead of waiting for Deliver.
func AutoDeliver(on bool) Option {
	return func(s *Server) { s.autoDeliver = on }
}

// WebhookRetry bounds webhook delivery: each update is POSTed at most
// attempts times, waiting backoff, then twice as long, between attempts.
// The default is 3 attempts and 50ms.
func WebhookRetry(attempts int, backoff time.Duration) Option {
	return func(s *Server) {
		if attempts > 0 {
			s.retryAttempts = attempts
		}
		s.retryBackoff = backoff
	}
}

// Server is a fake Telegram Bot API server listening on 127.0.0.1. All its
// methods are safe for concurrent use.
type Server struct {
	httpServer    *httptest.Server
	token         string
	botID         int64
	botFirstName  string
	botUsername   string
	now           func() time.Time
	autoDeliver   bool
	retryAttempts int
	retryBackoff  time.Duration
	webhookClient *http.Client

	closed    chan struct{}
	closeOnce sync.Once
	bg        sync.WaitGroup
	deliverMu sync.Mutex

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced on every change
	nextUpdateID int
	pending      []*pendingUpdate
	dups         []*pendingUpdate
	poll         *pollState
	webhook      WebhookInfo
	users        map[int64]User
	chats        map[int64]*chat
	sent         []*Message
	calls        []Call
	commands     map[string][]Command
	files        map[string]*file
	nextFile     int
	queries      map[string]*CallbackAnswer
	nextQuery    int
	answers      []CallbackAnswer
	watchers     map[int]*watcher
	nextWatcher  int
	faults       map[string]*fault
	duplicate    bool
	enforce      bool
	limits       limiter
	stats        Stats
}

type chat struct {
	id       int64
	nextID   int
	messages []*Message
	blocked  bool
	deleted  bool
}

type file struct {
	id, uniqueID, name, path string
	data                     []byte
}

type pendingUpdate struct {
	id  int
	raw json.RawMessage
	dup bool
}

type pollState struct {
	conflict chan struct{}
}

// New starts a fake Bot API server on 127.0.0.1 with a free port.
func New(opts ...Option) *Server {
	s := &Server{
		token:         DefaultToken,
		botFirstName:  "Test Bot",
		botUsername:   "test_bot",
		now:           time.Now,
		retryAttempts: 3,
		retryBackoff:  50 * time.Millisecond,
		webhookClient: &http.Client{Timeout: 10 * time.Second},
		closed:        make(chan struct{}),
		changed:       make(chan struct{}),
		nextUpdateID:  1,
		users:         map[int64]User{},
		chats:         map[int64]*chat{},
		commands:      map[string][]Command{},
		files:         map[string]*file{},
		queries:       map[string]*CallbackAnswer{},
		watchers:      map[int]*watcher{},
		faults:        map[string]*fault{},
	}
	for _, opt := range opts {
		opt(s)
	}
	if id, _, ok := strings.Cut(s.token, ":"); ok {
		s.botID, _ = strconv.ParseInt(id, 10, 64)
	}
	s.limits.init()
	s.httpServer = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	if s.autoDeliver {
		s.bg.Add(1)
		go s.deliverLoop()
	}
	return s
}

// Close wakes pending long polls, stops webhook delivery and watchers, and
// shuts the HTTP server down. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.mu.Lock()
		ws := make([]*watcher, 0, len(s.watchers))
		for _, w := range s.watchers {
			ws = append(ws, w)
		}
		s.mu.Unlock()
		for _, w := range ws {
			w.stop()
		}
		s.httpServer.Close()
		s.bg.Wait()
	})
}

// URL returns the server's base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.httpServer.URL }

// Endpoint returns the API endpoint in the client library's format,
// http://127.0.0.1:PORT/bot%s/%s, for tgbotapi.NewBotAPIWithClient.
func (s *Server) Endpoint() string { return s.httpServer.URL + "/bot%s/%s" }

// FileURL returns the download URL of a file_path answered by getFile.
func (s *Server) FileURL(filePath string) string {
	return s.httpServer.URL + "/file/bot" + s.token + "/" + filePath
}

// Token returns the bot token the fake accepts.
func (s *Server) Token() string { return s.token }

// Client returns an HTTP client for the server (the default client suits too).
func (s *Server) Client() *http.Client { return s.httpServer.Client() }

// apiError is an error answer of the Bot API.
type apiError struct {
	code       int
	desc       string
	retryAfter int
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{code: http.StatusBadRequest, desc: "Bad Request: " + fmt.Sprintf(format, args...)}
}

func tooManyRequests(retryAfter int) *apiError {
	return &apiError{
		code:       http.StatusTooManyRequests,
		desc:       fmt.Sprintf("Too Many Requests: retry after %d", retryAfter),
		retryAfter: retryAfter,
	}
}

var (
	errUnauthorized = &apiError{code: http.StatusUnauthorized, desc: "Unauthorized"}
	errNotFound     = &apiError{code: http.StatusNotFound, desc: "Not Found"}
	errBlocked      = &apiError{code: http.StatusForbidden, desc: "Forbidden: bot was blocked by the user"}
	errChatNotFound = badRequest("chat not found")
	errPollConflict = &apiError{code: http.StatusConflict,
		desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
	errWebhookActive = &apiError{code: http.StatusConflict,
		desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
)

// defaultDescription is the description Telegram gives for a bare status.
func defaultDescription(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "Bad Request"
	case http.StatusUnauthorized:
		return "Unauthorized"
	case http.StatusForbidden:
		return "Forbidden"
	case http.StatusNotFound:
		return "Not Found"
	case http.StatusConflict:
		return "Conflict"
	case http.StatusTooManyRequests:
		return "Too Many Requests: retry after 1"
	case http.StatusBadGateway:
		return "Bad Gateway"
	}
	return http.StatusText(status)
}

// request is a parsed Bot API call.
type request struct {
	r      *http.Request
	method string
	params map[string]string
	files  map[string]upload
}

type upload struct {
	name string
	data []byte
}

type handler func(s *Server, rq *request) (any, *apiError)

var handlers map[string]struct {
	name string
	h    handler
}

func init() {
	list := map[string]handler{
		"getMe":                  (*Server).getMe,
		"getUpdates":             (*Server).getUpdates,
		"setWebhook":             (*Server).setWebhook,
		"deleteWebhook":          (*Server).deleteWebhook,
		"getWebhookInfo":         (*Server).getWebhookInfo,
		"setMyCommands":          (*Server).setMyCommands,
		"getMyCommands":          (*Server).getMyCommands,
		"deleteMyCommands":       (*Server).deleteMyCommands,
		"sendMessage":            (*Server).sendMessage,
		"editMessageText":        (*Server).editMessageText,
		"editMessageReplyMarkup": (*Server).editMessageReplyMarkup,
		"answerCallbackQuery":    (*Server).answerCallbackQuery,
		"sendPhoto":              (*Server).sendPhoto,
		"sendDocument":           (*Server).sendDocument,
		"sendMediaGroup":         (*Server).sendMediaGroup,
		"getFile":                (*Server).getFile,
		"deleteMessage":          (*Server).deleteMessage,
		"sendChatAction":         (*Server).sendChatAction,
	}
	handlers = make(map[string]struct {
		name string
		h    handler
	}, len(list))
	for name, h := range list {
		handlers[strings.ToLower(name)] = struct {
			name string
			h    handler
		}{name, h}
	}
}

// The Bot API's file limits for bots.
const (
	// MaxDownloadSize is the largest file getFile hands out (20 MB); a
	// larger one answers 400 "Bad Request: file is too big".
	MaxDownloadSize = 20 << 20
	// MaxUploadSize is the largest file a bot may upload by multipart
	// (50 MB); a larger request answers 413 "Request Entity Too Large".
	MaxUploadSize = 50 << 20
	// maxBody leaves room for the multipart framing and other fields.
	maxBody = MaxUploadSize + 1<<20
)

var errTooLarge = &apiError{code: http.StatusRequestEntityTooLarge, desc: "Request Entity Too Large"}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		s.serveFile(w, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeError(w, errNotFound)
		return
	}
	token, method, _ := strings.Cut(rest, "/")
	if token != s.token {
		writeError(w, errUnauthorized)
		return
	}
	entry, ok := handlers[strings.ToLower(method)]
	if !ok {
		writeError(w, errNotFound)
		return
	}
	params, files, err := parseParams(r)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge) || errors.Is(err, errFileTooLarge):
		s.record(&request{r: r, method: entry.name, params: map[string]string{}}, errTooLarge)
		writeError(w, errTooLarge)
		return
	case err != nil:
		writeError(w, badRequest("%v", err))
		return
	}
	rq := &request{r: r, method: entry.name, params: params, files: files}

	if d := s.latency(entry.name); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.closed:
			t.Stop()
			return
		}
	}

	var result any
	aerr := s.takeFault(entry.name)
	if aerr == nil {
		result, aerr = entry.h(s, rq)
	}
	if aerr == nil && result == nil {
		// The long poll was abandoned by its client: nothing to answer.
		if r.Context().Err() != nil {
			return
		}
	}
	s.record(rq, aerr)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func (s *Server) record(rq *request, aerr *apiError) {
	c := Call{Method: rq.method, Params: rq.params, Status: http.StatusOK}
	for name := range rq.files {
		c.Files = append(c.Files, name)
	}
	if aerr != nil {
		c.Status, c.Description = aerr.code, aerr.desc
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Time = s.now()
	s.calls = append(s.calls, c)
	s.stats.Requests++
	if aerr != nil && aerr.code == http.StatusTooManyRequests {
		s.stats.TooManyRequests++
	}
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.desc}
	if e.retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": e.retryAfter}
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.code, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"ok":false,"error_code":500,"description":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// broadcast wakes everything waiting for a change. Callers hold s.mu.
func (s *Server) broadcast() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Calls returns the requests received for method (case-insensitive), in
// order; all requests when method is empty.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || strings.EqualFold(c.Method, method) {
			c.Params = cloneMap(c.Params)
			c.Files = append([]string(nil), c.Files...)
			out = append(out, c)
		}
	}
	return out
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}
