package telegram

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"
	"github.com/colombiainformatica/ticketbot/internal/lease"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Platform is the name of this adapter in customers' keys
// ("telegram:42") and in delivery messages.
const Platform = botapi.Platform

// The buckets of Telegram's limits (delivery.Limits): sends share the
// bot's 30 messages a second; edits and callback answers are not limited.
const (
	bucketSend = Platform
	bucketEdit = Platform + ".edit"
)

// Config configures a Bot. Only Token is required.
type Config struct {
	Token string
	// APIEndpoint is the Bot API endpoint in the client library's format
	// (tgbotapi.APIEndpoint when empty).
	APIEndpoint string
	// WebhookURL selects webhook mode: Run registers it with the secret and
	// Routes serves it. Long polling when empty.
	WebhookURL    string
	WebhookSecret string
	// DefaultLanguage is used when neither the profile nor Telegram says
	// which language a customer speaks: "es" (default) or "en".
	DefaultLanguage string
	// TermsURL is the terms' page and PrivacyURL the privacy notice under
	// which customers authorize the processing of their personal data
	// (TermsURL when empty); their versions are the Service's (Consent).
	TermsURL     string
	PrivacyURL   string
	SupportEmail string
	// AgentName, when set, is shown to customers instead of every agent's
	// own name (anonymous agents: the team's name).
	AgentName string
	// HTTPClient talks to the Bot API; a client without a timeout is used
	// when nil (every request gets its own deadline).
	HTTPClient *http.Client

	// Tuning; zero values take the defaults in parentheses.
	PollTimeout   time.Duration // long-poll wait of getUpdates (25s)
	UpdateTimeout time.Duration // budget to handle one update (30s)
	LeaseTTL      time.Duration // lifetime of the poller's and the album flusher's leases (3s)
	AlbumWait     time.Duration // quiet time before an album is flushed (1.5s)
	DraftTTL      time.Duration // how long an unfinished form is kept (24h)
	FloodLimit    int           // updates per user per minute (20)
	Workers       int           // chats handled in parallel while polling (16)
	MaxAttempts   int           // failures of one update before it is given up (5)
	// RetryWait is the first pause after a failed getUpdates or update,
	// doubled on each failure in a row up to 30s (500ms).
	RetryWait time.Duration
}

// ConfigError is a Config value the Bot cannot work with; Field names the
// Config field (cmd names the setting it came from).
type ConfigError struct {
	Field, Problem string
}

func (e *ConfigError) Error() string { return "telegram: " + e.Field + ": " + e.Problem }

// Deps are the Bot's collaborators.
type Deps struct {
	Service *tickets.Service
	Storage Storage
	// Marks keeps the marks of updates and the inbound dead letters.
	Marks inbound.Marks
	// Leases keeps the poller's and the album flusher's leases.
	Leases lease.Store
	// Outbox queues everything the bot says; delivery sends it in order
	// per chat, within Telegram's limits.
	Outbox delivery.Enqueuer
	Logger zerolog.Logger
	// Files opens the files agents attach on another platform (Slack), to
	// upload them to the customer's chat; without it such a file reaches
	// the customer as its name only.
	Files Files
	// Now tells the time (time.Now when nil).
	Now func() time.Time
}

// Bot is the Telegram adapter: it turns customers' updates into Service
// calls (HandleUpdate, fed by Run's polling loop or by the webhook) and
// events into chat messages (the delivery.Channel methods).
type Bot struct {
	cfg     Config
	svc     *tickets.Service
	store   Storage
	inbound *inbound.Processor
	leases  lease.Store
	outbox  delivery.Enqueuer
	files   Files
	log     zerolog.Logger
	api     *botapi.Client
	key     []byte // signs callback data
	holder  string // this process's name in leases
	now     func() time.Time

	chats [256]sync.Mutex // striped by chat id: one update of a chat at a time
	wake  chan struct{}   // an album was buffered
}

var (
	_ delivery.Channel        = (*Bot)(nil)
	_ delivery.SentHandler    = (*Bot)(nil)
	_ delivery.FailureHandler = (*Bot)(nil)
)

// New checks cfg, connects to the Bot API (getMe) and returns a Bot. The
// token never appears in its errors or logs.
func New(cfg Config, deps Deps) (*Bot, error) {
	if deps.Service == nil || deps.Storage == nil || deps.Marks == nil || deps.Leases == nil || deps.Outbox == nil {
		return nil, errors.New("telegram: Service, Storage, Marks, Leases and Outbox are required")
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	api := botapi.New(cfg.Token, cfg.APIEndpoint, cfg.HTTPClient)
	logger := deps.Logger
	// The library logs only in debug mode (never enabled here) and from
	// GetUpdatesChan (never used); the bridge still redacts, in case. The
	// library's logger is process-wide.
	_ = tgbotapi.SetLogger(botapi.LogBridge{Log: logger, Token: cfg.Token})
	// getMe refuses a token Telegram rejects; a Telegram that is briefly
	// unreachable at start does not stop the product.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := api.Probe(ctx); errors.Is(err, botapi.ErrTokenRejected) {
		return nil, &ConfigError{"Token", err.Error()}
	} else if err != nil {
		logger.Warn().Err(err).Msg("getMe failed; starting anyway, Telegram calls will be retried")
	}
	b := &Bot{
		cfg: cfg, svc: deps.Service, store: deps.Storage, leases: deps.Leases, outbox: deps.Outbox,
		files: deps.Files, log: logger, api: api, now: deps.Now,
		key:  mac("ticketbot telegram callbacks", cfg.Token),
		wake: make(chan struct{}, 1),
	}
	if b.files == nil {
		b.files = noFiles{}
	}
	if b.now == nil {
		b.now = time.Now
	}
	var hb [6]byte
	_, _ = rand.Read(hb[:])
	b.holder = hex.EncodeToString(hb[:])
	b.inbound = inbound.NewProcessor(deps.Marks, inbound.Options{
		MaxAttempts: cfg.MaxAttempts, Busy: cfg.LeaseTTL, Token: b.holder, Log: logger, Now: b.now,
	})
	return b, nil
}

// check validates cfg and fills in its defaults.
func (cfg *Config) check() error {
	switch {
	case cfg.Token == "":
		return &ConfigError{"Token", "is empty"}
	// Its form (what Telegram accepts) is checked by cmd's configuration;
	// an empty secret would let any request through.
	case cfg.WebhookURL != "" && cfg.WebhookSecret == "":
		return &ConfigError{"WebhookSecret", "is required with a webhook URL"}
	}
	switch cfg.DefaultLanguage {
	case "":
		cfg.DefaultLanguage = "es"
	case "es", "en":
	default:
		return &ConfigError{"DefaultLanguage", fmt.Sprintf("must be es or en, not %q", cfg.DefaultLanguage)}
	}
	if cfg.APIEndpoint == "" {
		cfg.APIEndpoint = tgbotapi.APIEndpoint
	}
	if !strings.Contains(cfg.APIEndpoint, "%s") {
		return &ConfigError{"APIEndpoint", "must have the library's form, like https://api.telegram.org/bot%s/%s"}
	}
	setDefault(&cfg.PollTimeout, 25*time.Second)
	setDefault(&cfg.UpdateTimeout, 30*time.Second)
	setDefault(&cfg.LeaseTTL, lease.DefaultTTL)
	setDefault(&cfg.AlbumWait, 1500*time.Millisecond)
	setDefault(&cfg.DraftTTL, 24*time.Hour)
	setDefault(&cfg.RetryWait, 500*time.Millisecond)
	setDefault(&cfg.FloodLimit, 20)
	setDefault(&cfg.Workers, 16)
	setDefault(&cfg.MaxAttempts, inbound.DefaultMaxAttempts)
	return nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

func mac(purpose, token string) []byte {
	m := sha256.Sum256([]byte(purpose + "\x00" + token))
	return m[:]
}

// agentName is the name customers see for an agent called name.
func (b *Bot) agentName(name string) string {
	if b.cfg.AgentName != "" {
		return b.cfg.AgentName
	}
	return name
}

// Platform returns "telegram".
func (b *Bot) Platform() string { return Platform }

// Limits returns Telegram's limits: one message a second per chat, 30 a
// second per bot; edits are not limited.
func (b *Bot) Limits() delivery.Limits {
	return delivery.Limits{
		LaneGap: time.Second,
		Buckets: map[string]time.Duration{bucketSend: time.Second / 30, bucketEdit: 0},
	}
}

// Username returns the bot's @username as getMe answered it.
func (b *Bot) Username() string { return b.api.Self().UserName }

// chatLock serializes the updates of one chat, so a customer's updates are
// handled in order even when the webhook delivers them concurrently.
// Chats share a fixed set of locks, so memory does not grow with the
// number of customers.
func (b *Bot) chatLock(chatID int64) *sync.Mutex {
	return &b.chats[uint64(chatID)%uint64(len(b.chats))]
}

// sign returns the tag of callback data act:arg for user.
func (b *Bot) sign(user int64, act, arg string) string {
	m := hmac.New(sha256.New, b.key)
	fmt.Fprintf(m, "%d\x00%s\x00%s", user, act, arg)
	return b64(m.Sum(nil))[:12]
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func b64(p []byte) string { return base64.RawURLEncoding.EncodeToString(p) }

// NewFileSource returns what reads the files customers send, which
// Telegram holds, for another platform (Slack) to copy. It needs only the
// Config, so the adapters that use it are built before the Bot.
func NewFileSource(cfg Config) (*botapi.Client, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return botapi.New(cfg.Token, cfg.APIEndpoint, cfg.HTTPClient), nil
}
