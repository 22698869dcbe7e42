package demo

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sync"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

//go:embed static
var static embed.FS

// Agent is a Slack user the page can act as.
type Agent struct {
	ID   string `json:"id"`   // Slack user ID, "U…"
	Name string `json:"name"` // display name
}

// Config is what a Server needs. Telegram and Slack are required; the rest
// has defaults.
type Config struct {
	// Telegram is the fake Bot API the Telegram adapter polls.
	Telegram *telegramtest.Server
	// Slack is the fake workspace the Slack adapter talks to, with its app
	// URLs set (SetApp) so that clicks and messages reach the adapter.
	Slack *slacktest.Server
	// Service feeds the read-only queue pane; nil hides the pane.
	Service *tickets.Service
	// QueueChannel is the Slack channel where tickets are posted
	// (slacktest.DefaultChannelID when empty).
	QueueChannel string
	// Agents are the identities the agent pane switches between
	// (DefaultAgents when empty). They must be members of the fake
	// workspace and allowed to act as agents.
	Agents []Agent
	// Customer is the Telegram user the customer pane plays
	// (DefaultCustomer("es") when its ID is 0).
	Customer telegramtest.User
	// NoteMarker is what starts an internal note in a ticket's thread, as
	// the Slack adapter defines it. The page prefixes it when the agent
	// writes a note and shows it as a hint; empty hides the note switch.
	NoteMarker string
	// Mail, when set, is the demo's mail server (Fakes.StartMail): the
	// mail pane plays its customer's mail client; nil hides the pane.
	Mail *Mail
	// Log receives the page's own log lines (failed API calls).
	Log zerolog.Logger
}

// DefaultAgents returns the two agents of the demo: Ana and Beto.
func DefaultAgents() []Agent {
	return []Agent{{ID: "U0AGENTA", Name: "Ana"}, {ID: "U0AGENTB", Name: "Beto"}}
}

// DefaultCustomer returns the demo's customer, a Telegram user who speaks
// lang ("es" or "en").
func DefaultCustomer(lang string) telegramtest.User {
	return telegramtest.User{ID: 5550001, FirstName: "Carla", LastName: "Gómez", Username: "carla_demo", LanguageCode: lang}
}

// Server serves the demo page and its API. Mount it with Routes; call
// Close when the HTTP server shuts down so that open event streams end.
type Server struct {
	tg       *telegramtest.Server
	sl       *slacktest.Server
	svc      *tickets.Service
	mail     *Mail
	mailer   *email.Sender // the customer's mail client's SMTP submission
	channel  string
	agents   []Agent
	marker   string
	log      zerolog.Logger
	assets   fs.FS
	closed   chan struct{}
	closeOne sync.Once

	mu       sync.Mutex
	customer telegramtest.User
	sent     []userMessage // what the customer sent through the page, in order
	files    int           // file IDs handed out
	subs     map[chan string]struct{}
}

// userMessage is a message the customer sent through the page. The fake
// keeps users' messages but only lists the bot's, so the page remembers
// its own.
type userMessage struct {
	Text     string
	ReplyTo  int
	Media    *telegramtest.Media
	Language string
}

// New checks cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Telegram == nil {
		return nil, errors.New("demo: Config.Telegram is nil")
	}
	if cfg.Slack == nil {
		return nil, errors.New("demo: Config.Slack is nil")
	}
	if cfg.QueueChannel == "" {
		cfg.QueueChannel = slacktest.DefaultChannelID
	}
	if len(cfg.Agents) == 0 {
		cfg.Agents = DefaultAgents()
	}
	for _, a := range cfg.Agents {
		if a.ID == "" {
			return nil, errors.New("demo: an agent without an ID")
		}
	}
	if cfg.Customer.ID == 0 {
		cfg.Customer = DefaultCustomer("es")
	}
	if cfg.Customer.LanguageCode == "" {
		cfg.Customer.LanguageCode = "es"
	}
	assets, err := fs.Sub(static, "static")
	if err != nil {
		return nil, fmt.Errorf("demo: embedded assets: %w", err)
	}
	var mailer *email.Sender
	if m := cfg.Mail; m != nil {
		mailer, err = email.NewSender(email.SMTPConfig{Addr: m.Host.SMTPAddr(), Security: email.SecurityNone,
			Username: m.Customer.Address, Password: m.customerPassword, Timeout: appTimeout})
		if err != nil {
			return nil, fmt.Errorf("demo: the mail pane's sender: %w", err)
		}
	}
	return &Server{
		mail:     cfg.Mail,
		mailer:   mailer,
		tg:       cfg.Telegram,
		sl:       cfg.Slack,
		svc:      cfg.Service,
		channel:  cfg.QueueChannel,
		agents:   append([]Agent(nil), cfg.Agents...),
		marker:   cfg.NoteMarker,
		log:      cfg.Log,
		assets:   assets,
		closed:   make(chan struct{}),
		customer: cfg.Customer,
		subs:     map[chan string]struct{}{},
	}, nil
}

// Routes mounts the page at / (and /demo/), its assets under
// /demo/static/ and its API under /demo/api/. The product must not mount
// another handler on "GET /{$}" next to it.
func (s *Server) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.HandleFunc("GET /demo/{$}", s.handlePage)
	mux.Handle("GET /demo/static/", http.StripPrefix("/demo/static/", s.staticHandler()))

	mux.HandleFunc("GET /demo/api/config", s.handleConfig)
	mux.HandleFunc("GET /demo/api/events", s.handleEvents)

	mux.HandleFunc("GET /demo/api/telegram", s.handleTelegram)
	mux.HandleFunc("POST /demo/api/telegram/send", s.handleTelegramSend)
	mux.HandleFunc("POST /demo/api/telegram/press", s.handleTelegramPress)
	mux.HandleFunc("POST /demo/api/telegram/file", s.handleTelegramFile)
	mux.HandleFunc("POST /demo/api/telegram/language", s.handleTelegramLanguage)

	mux.HandleFunc("GET /demo/api/slack", s.handleSlack)
	mux.HandleFunc("GET /demo/api/slack/thread", s.handleSlackThread)
	mux.HandleFunc("POST /demo/api/slack/click", s.handleSlackClick)
	mux.HandleFunc("POST /demo/api/slack/select", s.handleSlackSelect)
	mux.HandleFunc("POST /demo/api/slack/post", s.handleSlackPost)
	mux.HandleFunc("POST /demo/api/slack/command", s.handleSlackCommand)
	mux.HandleFunc("POST /demo/api/slack/submit", s.handleSlackSubmit)

	mux.HandleFunc("GET /demo/api/email", s.handleEmail)
	mux.HandleFunc("POST /demo/api/email/send", s.handleEmailSend)
	mux.HandleFunc("POST /demo/api/email/read", s.handleEmailRead)

	mux.HandleFunc("GET /demo/api/queue", s.handleQueue)
}

// Close ends the open event streams (browsers reconnect to the next
// server). Register it with http.Server.RegisterOnShutdown: Shutdown waits
// for every request to end, and an event stream never ends by itself.
func (s *Server) Close() {
	s.closeOne.Do(func() { close(s.closed) })
}

// agent returns the configured agent with id.
func (s *Server) agent(id string) (Agent, bool) {
	for _, a := range s.agents {
		if a.ID == id {
			return a, true
		}
	}
	return Agent{}, false
}

// notify tells every event stream that pane changed.
func (s *Server) notify(pane string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- pane:
		default: // the stream is behind; it refreshes everything anyway
		}
	}
}

func (s *Server) subscribe() (chan string, func()) {
	ch := make(chan string, 16)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}
}
