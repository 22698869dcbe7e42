package email

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/internal/lease"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Platform is the name of the e-mail channel in customers' keys
// ("email:carla@example.com"), in attachments' Source and in delivery
// messages.
const Platform = "email"

// bucketSMTP is the budget of the submission server: every mail spends it.
const bucketSMTP = Platform

// Defaults of Config.
const (
	DefaultMaxNewPerHour = 10
	DefaultSendInterval  = 2 * time.Second // Microsoft 365 takes 30 mails a minute
	DefaultLeaseTTL      = lease.DefaultTTL
)

// Config configures a Bot. cmd fills it from the EMAIL_* environment.
type Config struct {
	// IMAP reads the support mailbox; Mailboxes lists the folders watched
	// (IMAP.Mailbox when empty), each by an intake of its own.
	IMAP      IMAPConfig
	Mailboxes []string
	// SMTP sends; Deps.Sender replaces it when set.
	SMTP SMTPConfig
	// From is the support address our mails come from (and the right-hand
	// side of our Message-IDs) with the team's name.
	From Address
	// IDSecret keys our Message-IDs (at least MinSecretLen bytes);
	// PreviousSecrets are still recognised after a rotation.
	IDSecret        []byte
	PreviousSecrets [][]byte
	// DefaultLanguage is the customers' language unless a mail says it
	// is English (Content-Language) or they wrote in English before.
	DefaultLanguage string
	// TermsURL and PrivacyURL name the terms and the privacy notice under
	// which a sender authorizes the processing of their personal data by
	// sending (policy §7; the terms' page when PrivacyURL is empty); the
	// acknowledgement names them with the Service's versions (Consent).
	TermsURL   string
	PrivacyURL string
	// ChatURL is where customers find the faster channel (the Telegram
	// bot, "https://t.me/…"); the acknowledgement names it.
	ChatURL string
	// AgentName, when set, is shown to customers instead of every agent's
	// own name (anonymous agents).
	AgentName string
	// MaxNewPerHour caps the tickets one sender opens in an hour (a loop
	// with a robot that escaped the checks); further new mails of theirs
	// are dropped, logged.
	MaxNewPerHour int
	// AuthServID, when set, makes only the topmost Authentication-Results
	// field of that server (the receiving server's authserv-id) count: a
	// mail whose sender it does not show as authenticated (DMARC, or an
	// aligned DKIM or SPF pass) is not taken as its customer's.
	AuthServID string
	// SendInterval paces the submission server: the least time between
	// two mails (DefaultSendInterval).
	SendInterval time.Duration
	// LeaseTTL is the intake's lease: another replica takes over this long
	// after the holder died.
	LeaseTTL time.Duration
}

// ConfigError is a Config value the Bot cannot work with; Field names the
// Config field (cmd names the setting it came from).
type ConfigError struct {
	Field, Problem string
}

func (e *ConfigError) Error() string { return "email: " + e.Field + ": " + e.Problem }

// Storage is what the Bot keeps between mails; the store package
// implements it on Redis (store.Email). The marks of mails, the inbound
// dead letters and the leases are kept through the inbound and lease
// packages (Deps).
type Storage interface {
	Cursors
	// CountOpened counts a new ticket of sender against the hour that
	// window starts, once per mail (a retry of mail gets the count it got
	// the first time), and returns the count.
	CountOpened(ctx context.Context, sender, mail string, window time.Time) (int64, error)
}

// MailSender sends a composed mail; *Sender is the real one.
type MailSender interface {
	SendMail(ctx context.Context, o *Outgoing) error
}

// Files opens files that another platform holds, such as a file an agent
// shared in Slack, so that the Bot can attach them to a mail. *slack.
// FileSource satisfies it.
type Files interface {
	OpenFile(ctx context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error)
}

// Deps are the Bot's collaborators.
type Deps struct {
	Service *tickets.Service
	Storage Storage
	Marks   inbound.Marks
	Leases  lease.Store
	// Outbox queues the mails that answer a mail rather than an event (a
	// mail too large, a mail that could not be kept).
	Outbox delivery.Enqueuer
	// Files opens the agents' files to attach to replies; without it a
	// reply names them only.
	Files Files
	// Sender replaces the SMTP sender Config.SMTP describes.
	Sender MailSender
	Logger zerolog.Logger
	// Now tells the time (time.Now when nil).
	Now func() time.Time
}

// Bot is the e-mail adapter: it turns the mails of the support mailbox
// into Service calls (Run, one intake per folder under a lease) and the
// core's events into threaded mails (the delivery.Channel methods).
type Bot struct {
	cfg      Config
	svc      *tickets.Service
	store    Storage
	inbound  *inbound.Processor
	leases   lease.Store
	outbox   delivery.Enqueuer
	files    Files
	sender   MailSender
	ids      *IDs
	classify Classifier
	parser   Parser
	intakes  []*Intake
	log      zerolog.Logger
	holder   string
	now      func() time.Time
}

var (
	_ delivery.Channel        = (*Bot)(nil)
	_ delivery.SentHandler    = (*Bot)(nil)
	_ delivery.FailureHandler = (*Bot)(nil)
)

// New checks cfg and returns a Bot. It talks to no server.
func New(cfg Config, deps Deps) (*Bot, error) {
	if deps.Service == nil || deps.Storage == nil || deps.Marks == nil || deps.Leases == nil || deps.Outbox == nil {
		return nil, errors.New("email: Service, Storage, Marks, Leases and Outbox are required")
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	_, domain, _ := strings.Cut(cfg.From.Address, "@")
	ids, err := NewIDs(domain, cfg.IDSecret, cfg.PreviousSecrets...)
	if err != nil {
		return nil, &ConfigError{"IDSecret", err.Error()}
	}
	b := &Bot{
		cfg: cfg, svc: deps.Service, store: deps.Storage, leases: deps.Leases, outbox: deps.Outbox,
		files: deps.Files, sender: deps.Sender, ids: ids, log: deps.Logger, now: deps.Now,
		classify: Classifier{IDs: ids, Addresses: []string{cfg.From.Address, cfg.IMAP.Username}},
		parser:   Parser{MaxSize: cfg.IMAP.MaxSize},
	}
	if b.files == nil {
		b.files = noFiles{}
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.sender == nil {
		s, err := NewSender(cfg.SMTP)
		if err != nil {
			return nil, &ConfigError{"SMTP", err.Error()}
		}
		b.sender = s
	}
	var hb [6]byte
	_, _ = rand.Read(hb[:])
	b.holder = hex.EncodeToString(hb[:])
	b.inbound = inbound.NewProcessor(deps.Marks, inbound.Options{
		Busy: cfg.LeaseTTL, Token: b.holder, Log: deps.Logger, Now: b.now,
	})
	for _, mb := range cfg.Mailboxes {
		ic := cfg.IMAP
		ic.Mailbox = mb
		ic.Log = deps.Logger.With().Str("mailbox", mb).Logger()
		in, err := NewIntake(ic, deps.Storage, b.handle)
		if err != nil {
			return nil, &ConfigError{"IMAP", err.Error()}
		}
		b.intakes = append(b.intakes, in)
	}
	return b, nil
}

// check validates cfg and fills in its defaults.
func (cfg *Config) check() error {
	if err := cfg.IMAP.check(); err != nil {
		return &ConfigError{"IMAP", err.Error()}
	}
	if len(cfg.Mailboxes) == 0 {
		cfg.Mailboxes = []string{cfg.IMAP.Mailbox}
	}
	seen := map[string]bool{}
	for _, mb := range cfg.Mailboxes {
		if strings.TrimSpace(mb) == "" || seen[mb] {
			return &ConfigError{"Mailboxes", fmt.Sprintf("%q is empty or listed twice", mb)}
		}
		seen[mb] = true
	}
	cfg.From.Address = strings.ToLower(strings.TrimSpace(cfg.From.Address))
	if at := strings.LastIndexByte(cfg.From.Address, '@'); at <= 0 || at == len(cfg.From.Address)-1 {
		return &ConfigError{"From", fmt.Sprintf("%q is not an e-mail address", cfg.From.Address)}
	}
	if len(cfg.IDSecret) < MinSecretLen {
		return &ConfigError{"IDSecret", fmt.Sprintf("must be at least %d bytes", MinSecretLen)}
	}
	switch cfg.DefaultLanguage {
	case "":
		cfg.DefaultLanguage = "es"
	case "es", "en":
	default:
		return &ConfigError{"DefaultLanguage", fmt.Sprintf("%q is not es or en", cfg.DefaultLanguage)}
	}
	if cfg.MaxNewPerHour <= 0 {
		cfg.MaxNewPerHour = DefaultMaxNewPerHour
	}
	if cfg.SendInterval <= 0 {
		cfg.SendInterval = DefaultSendInterval
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	return nil
}

// IntakeLease names the lease of the intake of a folder: one replica at a
// time reads it.
func IntakeLease(mailbox string) string { return "email-intake:" + mailbox }

// Run reads every watched folder, each under its lease, until ctx ends,
// and returns once they stopped (releasing their leases).
func (b *Bot) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i, in := range b.intakes {
		h := &lease.Holder{Store: b.leases, Name: IntakeLease(b.cfg.Mailboxes[i]), ID: b.holder, TTL: b.cfg.LeaseTTL, Log: b.log}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Run(ctx, func(ctx context.Context) { _ = in.Run(ctx) })
		}()
	}
	wg.Wait()
	return nil
}

// Platform returns "email".
func (b *Bot) Platform() string { return Platform }

// Limits paces the submission server: one mail per SendInterval over
// every replica; a customer's mails go out in order (their lane).
func (b *Bot) Limits() delivery.Limits {
	return delivery.Limits{Buckets: map[string]time.Duration{bucketSMTP: b.cfg.SendInterval}}
}

// IDs returns the Bot's Message-IDs, for tests that write replies.
func (b *Bot) IDs() *IDs { return b.ids }

// noFiles is the Files of a Bot without access to the agents' platform.
type noFiles struct{}

func (noFiles) OpenFile(_ context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error) {
	return nil, a, delivery.Permanent("no_source", fmt.Errorf("no access to files held by %q", a.Source))
}
