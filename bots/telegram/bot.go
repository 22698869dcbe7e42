package telegram

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Platform is the name of this adapter in customers' keys
// ("telegram:42") and in delivery messages.
const Platform = "telegram"

// State is the small, expiring state the bot keeps between updates: update
// markers, form drafts, buffered albums, the polling offset, button
// payloads and the poller's lease. *store.Store satisfies it.
type State interface {
	// Value returns the value name and whether it exists.
	Value(ctx context.Context, name string) (string, bool, error)
	// SetValue stores value under name; ttl 0 keeps it until deleted.
	SetValue(ctx context.Context, name, value string, ttl time.Duration) error
	// SetValueNX stores value under name only if it has none, and reports
	// whether it did.
	SetValueNX(ctx context.Context, name, value string, ttl time.Duration) (bool, error)
	// DeleteValue removes name.
	DeleteValue(ctx context.Context, name string) error
	// Lease takes or renews the named lease for holder for ttl and reports
	// whether holder has it.
	Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the named lease up if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
	// Incr adds one to the counter name, atomically, and returns its
	// value; a new counter expires after ttl.
	Incr(ctx context.Context, name string, ttl time.Duration) (int64, error)
}

// Outbox queues outbound chat messages; delivery sends them in order per
// chat within the platform's limits. *delivery.Worker and *delivery.Inline
// satisfy it.
type Outbox interface {
	Enqueue(ctx context.Context, msgs ...delivery.Message) error
}

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
	TermsURL        string
	TermsVersion    string
	SupportEmail    string
	// AgentName, when set, is shown to customers instead of every agent's
	// own name (anonymous agents: the team's name).
	AgentName string
	// HTTPClient talks to the Bot API; a client without a timeout is used
	// when nil (every request gets its own deadline).
	HTTPClient *http.Client

	// Tuning; zero values take the defaults in parentheses.
	PollTimeout   time.Duration // long-poll wait of getUpdates (25s)
	UpdateTimeout time.Duration // budget to handle one update (30s)
	LeaseTTL      time.Duration // lifetime of the poller's lease (30s)
	AlbumWait     time.Duration // quiet time before an album is flushed (1.5s)
	DraftTTL      time.Duration // how long an unfinished form is kept (24h)
	FloodLimit    int           // updates per user per minute (20)
	Workers       int           // chats handled in parallel while polling (16)
	// RetryWait is the first pause after a failed getUpdates or update,
	// doubled on each failure in a row up to 30s (500ms).
	RetryWait time.Duration
}

// Deps are the Bot's collaborators.
type Deps struct {
	Service *tickets.Service
	State   State
	Outbox  Outbox
	Logger  zerolog.Logger
	// Files opens the files agents attach on another platform (Slack), to
	// upload them to the customer's chat; without it such a file reaches
	// the customer as its name only.
	Files Files
}

// Bot is the Telegram adapter: it turns customers' updates into Service
// calls (HandleUpdate, fed by Run's polling loop or by the webhook) and
// events into chat messages (the delivery.Channel methods).
type Bot struct {
	cfg    Config
	svc    *tickets.Service
	state  State
	outbox Outbox
	files  Files
	log    zerolog.Logger
	api    *tgbotapi.BotAPI
	http   *http.Client
	key    []byte // signs callback data
	holder string // this process's name for the poller lease

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
	if cfg.Token == "" {
		return nil, errors.New("telegram: TELEGRAM_BOT_TOKEN is empty")
	}
	if deps.Service == nil || deps.State == nil || deps.Outbox == nil {
		return nil, errors.New("telegram: Service, State and Outbox are required")
	}
	// Its form (what Telegram accepts) is checked by cmd's configuration;
	// an empty secret would let any request through.
	if cfg.WebhookURL != "" && cfg.WebhookSecret == "" {
		return nil, errors.New("telegram: TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_WEBHOOK_URL")
	}
	// The Service decides which terms must be accepted; the bot shows the
	// same version.
	switch v := deps.Service.TermsVersion(); {
	case cfg.TermsVersion == "":
		cfg.TermsVersion = v
	case cfg.TermsVersion != v:
		return nil, fmt.Errorf("telegram: TERMS_VERSION %q differs from the Service's %q", cfg.TermsVersion, v)
	}
	switch cfg.DefaultLanguage {
	case "":
		cfg.DefaultLanguage = "es"
	case "es", "en":
	default:
		return nil, fmt.Errorf("telegram: DEFAULT_LANGUAGE must be es or en, not %q", cfg.DefaultLanguage)
	}
	if cfg.APIEndpoint == "" {
		cfg.APIEndpoint = tgbotapi.APIEndpoint
	}
	if !strings.Contains(cfg.APIEndpoint, "%s") {
		return nil, errors.New("telegram: TELEGRAM_API_ENDPOINT must have the library's form, like https://api.telegram.org/bot%s/%s")
	}
	setDefault(&cfg.PollTimeout, 25*time.Second)
	setDefault(&cfg.UpdateTimeout, 30*time.Second)
	setDefault(&cfg.LeaseTTL, 30*time.Second)
	setDefault(&cfg.AlbumWait, 1500*time.Millisecond)
	setDefault(&cfg.DraftTTL, 24*time.Hour)
	setDefault(&cfg.RetryWait, 500*time.Millisecond)
	if cfg.FloodLimit <= 0 {
		cfg.FloodLimit = 20
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	logger := deps.Logger
	// The library logs only in debug mode (never enabled here) and from
	// GetUpdatesChan (never used); the bridge still redacts, in case. The
	// library's logger is process-wide.
	_ = tgbotapi.SetLogger(logBridge{log: logger, token: cfg.Token})

	// The client is built without the library's getMe, so that a Telegram
	// that is briefly unreachable at start does not stop the product; one
	// getMe still runs to refuse a token Telegram rejects.
	api := &tgbotapi.BotAPI{Token: cfg.Token, Client: hc, Buffer: 100}
	api.SetAPIEndpoint(cfg.APIEndpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	probe := *api
	probe.Client = ctxDoer{ctx: ctx, c: hc}
	if me, err := probe.GetMe(); err == nil {
		api.Self = me
	} else {
		var tgErr *tgbotapi.Error
		if errors.As(err, &tgErr) && (tgErr.Code == http.StatusUnauthorized || tgErr.Code == http.StatusNotFound) {
			return nil, fmt.Errorf("telegram: TELEGRAM_BOT_TOKEN rejected by getMe: %w", redactErr(err, cfg.Token))
		}
		logger.Warn().Err(redactErr(err, cfg.Token)).Msg("getMe failed; starting anyway, Telegram calls will be retried")
	}
	var files Files = noFiles{}
	if deps.Files != nil {
		files = deps.Files
	}
	mac := sha256.Sum256([]byte("ticketbot telegram callbacks\x00" + cfg.Token))
	var hb [6]byte
	_, _ = rand.Read(hb[:])
	return &Bot{
		cfg:    cfg,
		svc:    deps.Service,
		state:  deps.State,
		outbox: deps.Outbox,
		files:  files,
		log:    logger,
		api:    api,
		http:   hc,
		key:    mac[:],
		holder: hex.EncodeToString(hb[:]),
		wake:   make(chan struct{}, 1),
	}, nil
}

// agentName is the name customers see for an agent called name.
func (b *Bot) agentName(name string) string {
	if b.cfg.AgentName != "" {
		return b.cfg.AgentName
	}
	return name
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Platform returns "telegram".
func (b *Bot) Platform() string { return Platform }

// Limits returns Telegram's limits: one message a second per chat, 30 a
// second per bot.
func (b *Bot) Limits() delivery.Limits {
	return delivery.Limits{PerTarget: time.Second, PerSecond: 30}
}

// Username returns the bot's @username as getMe answered it.
func (b *Bot) Username() string { return b.api.Self.UserName }

// client returns the library's client whose requests carry ctx. The
// library has no context support: each call gets a shallow copy whose HTTP
// doer attaches ctx to the request.
func (b *Bot) client(ctx context.Context) *tgbotapi.BotAPI {
	c := *b.api
	c.Client = ctxDoer{ctx: ctx, c: b.http}
	return &c
}

// ctxDoer attaches ctx to every request, with a default deadline when ctx
// has none.
type ctxDoer struct {
	ctx context.Context
	c   *http.Client
}

const defaultRequestTimeout = 30 * time.Second

func (d ctxDoer) Do(req *http.Request) (*http.Response, error) {
	ctx := d.ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultRequestTimeout)
		resp, err := d.c.Do(req.WithContext(ctx))
		if err != nil {
			cancel()
			return nil, err
		}
		resp.Body = cancelBody{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	}
	return d.c.Do(req.WithContext(ctx))
}

// cancelBody releases the request's deadline once the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

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
