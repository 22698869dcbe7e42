package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Platform is the name of the Slack channel in delivery messages.
const Platform = "slack"

// NoteMarker starts a thread message that is an internal note: it stays in
// Slack and never reaches the customer. It is recognised however the agent
// formats it (noteText).
const NoteMarker = "!note"

// The values of Config.ThreadMessages.
const (
	// ThreadReplies sends a message typed in a card's thread to the
	// customer, unless it starts with NoteMarker.
	ThreadReplies = "reply"
	// ThreadNotes keeps every message typed in a card's thread an internal
	// note: only the Reply modal and /tickets reply reach the customer.
	ThreadNotes = "note"
)

// Config configures a Bot. cmd fills it from the SLACK_* environment.
type Config struct {
	// BotToken is the bot token ("xoxb-…"); required.
	BotToken string
	// AppToken is the app-level token ("xapp-…"); when set the Bot runs in
	// Socket Mode and needs no public URL.
	AppToken string
	// SigningSecret verifies every HTTP request; required without AppToken.
	SigningSecret string
	// APIURL is the Web API base URL ("https://slack.com/api/" when empty).
	APIURL string
	// QueueChannel is the channel ID where cards are posted and worked.
	QueueChannel string
	// Agents lists who may act: user group IDs ("S…") and user IDs ("U…").
	Agents []string
	// AnonymousAgents makes customers see TeamName instead of the name of
	// the agent who replied.
	AnonymousAgents bool
	TeamName        string
	// HTTPClient is used for the Web API and response URLs; a client with
	// a 15-second timeout when nil.
	HTTPClient *http.Client
	// AgentsTTL is how long user-group membership is cached (1 minute
	// when zero); while Slack cannot be asked, the last known membership is
	// used up to 10 × AgentsTTL, then no group member may act. NamesTTL is
	// how long display names are cached (1 hour).
	AgentsTTL time.Duration
	NamesTTL  time.Duration
	// ThreadMessages says where a message typed in a card's thread goes:
	// ThreadReplies (the default) or ThreadNotes.
	ThreadMessages string
	// MaxCustomerFile is the largest file the customers' chat accepts from
	// the product (Telegram: 50 MB); 0 means no known limit. An agent who
	// shares a larger file is told privately that the customer gets only
	// its name.
	MaxCustomerFile int64
}

// Storage keeps where each ticket's card is and what was posted in its
// thread; the store package implements it on Redis (store.Slack).
type Storage interface {
	// Card returns where ticket n's card is, if it was posted.
	Card(ctx context.Context, n int64) (channel, ts string, ok bool, err error)
	// SaveCard records that ticket n's card is message ts of channel,
	// both ways, in one step.
	SaveCard(ctx context.Context, n int64, channel, ts string) error
	// ThreadTicket returns the ticket whose card starts thread ts of
	// channel; known is false for a thread never looked at, n is 0 for a
	// thread known not to be a card's.
	ThreadTicket(ctx context.Context, channel, ts string) (n int64, known bool, err error)
	// SaveThread records which ticket's card starts the thread (0: none).
	SaveThread(ctx context.Context, channel, ts string, n int64) error
	// Posted returns the ts of what entry of ticket n was posted in its
	// thread (a conversation entry's id, "0" the full description,
	// "rating" the rating's comment), if it was.
	Posted(ctx context.Context, n int64, entry string) (string, bool, error)
	// SavePosted records that entry of ticket n was posted as ts.
	SavePosted(ctx context.Context, n int64, entry, ts string) error
	// FileCopied reports whether attachment i of entry id of ticket n is
	// in the thread; SaveFileCopied records that it is, as Slack file
	// fileID, or named in the message noteTS when it could not be copied.
	FileCopied(ctx context.Context, n, id int64, i int) (bool, error)
	SaveFileCopied(ctx context.Context, n, id int64, i int, fileID, noteTS string) error
	// Thread returns what the app posted in ticket n's thread, whose
	// conversation has messages entries: the ts of its posts (the notes
	// of files not copied included) and the IDs of the files it copied
	// there.
	Thread(ctx context.Context, n, messages int64) (posts, files []string, err error)
	// ForgetThread deletes those records of ticket n.
	ForgetThread(ctx context.Context, n, messages int64) error
}

// ConfigError is a Config value the Bot cannot work with; Field names the
// Config field (cmd names the setting it came from).
type ConfigError struct {
	Field, Problem string
}

func (e *ConfigError) Error() string { return "slack: " + e.Field + ": " + e.Problem }

// Deps are what a Bot works with.
type Deps struct {
	Service *tickets.Service
	Storage Storage
	// Marks keeps the marks of Slack's events, so each is worked once.
	Marks  inbound.Marks
	Logger zerolog.Logger
	// Files opens the files customers attach, to copy them into tickets'
	// threads; without it a customer's file shows by name only, with a
	// note.
	Files Files
}

// Bot is the Slack adapter: it turns agents' clicks, thread messages and
// slash commands into Service calls (inbound), and the core's events into
// cards and thread messages in the queue channel (outbound, as a
// delivery.Channel).
type Bot struct {
	cfg     Config
	svc     *tickets.Service
	store   Storage
	inbound *inbound.Processor
	files   Files
	log     zerolog.Logger
	api     *slackapi.Client
	http    *http.Client
	people  *directory
	now     func() time.Time

	selfMu   sync.Mutex
	selfUser string // the app's bot user ID (auth.test), once known
	selfBot  string // the app's bot ID

	work sync.WaitGroup // Socket Mode requests, and what is told after an ack
	sem  chan struct{}  // bounds the inbound work running at once
}

var _ delivery.Channel = (*Bot)(nil)

// Limits of inbound work.
const (
	maxBody        = 1 << 20                 // bytes of one request
	workTimeout    = 30 * time.Second        // what is told after an ack
	syncTimeout    = 2500 * time.Millisecond // an inbound item's work, before its ack (Slack waits 3 s)
	maxConcurrent  = 128                     // inbound items worked at once
	eventMemory    = 24 * time.Hour          // how long a done event_id is remembered
	defaultTimeout = 15 * time.Second
)

// The buckets of Slack's limits (delivery.Limits): posts to the queue
// channel (chat.postMessage, about 1 a second per channel), card updates
// (chat.update, Tier 3: 50 a minute), file uploads (files.getUploadURLExternal
// and files.completeUploadExternal, Tier 4: 100 a minute) and reactions
// (reactions.add, Tier 3).
const (
	bucketPost      = Platform
	bucketUpdate    = Platform + ".update"
	bucketFiles     = Platform + ".files"
	bucketReactions = Platform + ".reactions"
)

// New returns a Bot for cfg. It checks the configuration and talks to no
// one; the first Web API call happens on the first message.
func New(cfg Config, deps Deps) (*Bot, error) {
	if deps.Service == nil || deps.Storage == nil || deps.Marks == nil {
		return nil, errors.New("slack: Service, Storage and Marks are required")
	}
	agents, err := cfg.check()
	if err != nil {
		return nil, err
	}
	api := newClient(cfg)
	b := &Bot{
		cfg:   cfg,
		svc:   deps.Service,
		store: deps.Storage,
		files: noFiles{},
		log:   deps.Logger,
		api:   api,
		http:  cfg.HTTPClient,
		now:   time.Now,
		sem:   make(chan struct{}, maxConcurrent),
	}
	if deps.Files != nil {
		b.files = deps.Files
	}
	// Slack delivers an event at most four times: the last failure is
	// given up (kept as an inbound dead letter, the agent told).
	b.inbound = inbound.NewProcessor(deps.Marks, inbound.Options{
		MaxAttempts: maxEventRetries + 1, Busy: syncTimeout + time.Second, Keep: eventMemory, Log: deps.Logger,
	})
	b.people = newDirectory(api, agents, cfg.AgentsTTL, cfg.NamesTTL, time.Now)
	return b, nil
}

// check validates cfg, fills in its defaults and returns the agents.
func (cfg *Config) check() ([]string, error) {
	switch {
	case cfg.BotToken == "":
		return nil, &ConfigError{"BotToken", "is required"}
	case cfg.AppToken == "" && cfg.SigningSecret == "":
		return nil, &ConfigError{"SigningSecret", "is required in HTTP mode (or set an app token for Socket Mode)"}
	case cfg.AppToken != "" && !strings.HasPrefix(cfg.AppToken, "xapp-"):
		return nil, &ConfigError{"AppToken", "must be an app-level token (xapp-…)"}
	case cfg.QueueChannel == "":
		return nil, &ConfigError{"QueueChannel", "is required"}
	}
	var agents []string
	for _, a := range cfg.Agents {
		if a = strings.TrimSpace(a); a != "" {
			if a[0] != 'S' && a[0] != 'U' && a[0] != 'W' {
				return nil, &ConfigError{"Agents", fmt.Sprintf("%q is neither a user group ID (S…) nor a user ID (U…)", a)}
			}
			agents = append(agents, a)
		}
	}
	if len(agents) == 0 {
		return nil, &ConfigError{"Agents", "is required: a user group ID and/or user IDs"}
	}
	switch cfg.ThreadMessages {
	case "":
		cfg.ThreadMessages = ThreadReplies
	case ThreadReplies, ThreadNotes:
	default:
		return nil, &ConfigError{"ThreadMessages", fmt.Sprintf("%q is neither %q nor %q", cfg.ThreadMessages, ThreadReplies, ThreadNotes)}
	}
	if cfg.AnonymousAgents && strings.TrimSpace(cfg.TeamName) == "" {
		cfg.TeamName = "Support"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: defaultTimeout}
	}
	if cfg.AgentsTTL <= 0 {
		cfg.AgentsTTL = time.Minute
	}
	if cfg.NamesTTL <= 0 {
		cfg.NamesTTL = time.Hour
	}
	return agents, nil
}

// newClient is slack-go's client for cfg. No OptionRetry: a 429 is
// returned as *RateLimitedError, and the pacing belongs to delivery.
func newClient(cfg Config) *slackapi.Client {
	opts := []slackapi.Option{slackapi.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.APIURL != "" {
		u := cfg.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		opts = append(opts, slackapi.OptionAPIURL(u))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(cfg.AppToken))
	}
	return slackapi.New(cfg.BotToken, opts...)
}

// Platform returns "slack".
func (b *Bot) Platform() string { return Platform }

// Limits returns Slack's pace: about one post a second in the queue
// channel, and the tiers of the other methods delivery calls.
func (b *Bot) Limits() delivery.Limits {
	return delivery.Limits{Buckets: map[string]time.Duration{
		bucketPost: time.Second, bucketUpdate: 1200 * time.Millisecond,
		bucketFiles: 600 * time.Millisecond, bucketReactions: 1200 * time.Millisecond,
	}}
}

// SocketMode reports whether the Bot receives through Socket Mode (then
// Routes need not be mounted).
func (b *Bot) SocketMode() bool { return b.cfg.AppToken != "" }

// Run receives from Slack in Socket Mode when an app token is configured;
// in HTTP mode it only waits for ctx. Either way it returns once the
// inbound work it started has finished.
func (b *Bot) Run(ctx context.Context) error {
	var err error
	if b.cfg.AppToken != "" {
		err = b.runSocket(ctx)
	} else {
		<-ctx.Done()
	}
	b.work.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// spawn runs job (telling an agent something) after the ack, with its own
// timeout, bounded in number.
func (b *Bot) spawn(job func(ctx context.Context)) {
	if job == nil {
		return
	}
	b.work.Add(1)
	go func() {
		defer b.work.Done()
		b.sem <- struct{}{}
		defer func() { <-b.sem }()
		ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
		defer cancel()
		job(ctx)
	}()
}

// actor returns the Service actor of Slack user userID, who must be an
// agent. The name is the user's display name.
func (b *Bot) actor(ctx context.Context, userID string) (tickets.Actor, error) {
	ok, err := b.people.isAgent(ctx, userID)
	if err != nil {
		return tickets.Actor{}, err
	}
	if !ok {
		return tickets.Actor{}, errNotAgent
	}
	return tickets.AgentActor(tickets.Agent{ID: userID, Name: b.people.name(ctx, userID)}), nil
}

// replier is the actor of a reply to the customer: with AnonymousAgents the
// customer sees the team name.
func (b *Bot) replier(a tickets.Actor) tickets.Actor {
	if b.cfg.AnonymousAgents {
		a.Name = b.cfg.TeamName
	}
	return a
}

var errNotAgent = &tickets.Error{Code: tickets.EFORBIDDEN, Message: "only support agents can do this"}

// whoAmI returns the app's bot user ID and bot ID, asked of auth.test
// once; ok is false when auth.test fails (it is asked again next time).
func (b *Bot) whoAmI(ctx context.Context) (user, bot string, ok bool) {
	b.selfMu.Lock()
	defer b.selfMu.Unlock()
	if b.selfUser == "" {
		r, err := b.api.AuthTestContext(ctx)
		if err != nil {
			b.log.Warn().Err(err).Msg("auth.test")
			return "", "", false
		}
		b.selfUser, b.selfBot = r.UserID, r.BotID
	}
	return b.selfUser, b.selfBot, true
}

// isSelf reports whether user is the app's own bot user. Slack may report
// the files the app copies into a thread as a file_share message by that
// user, without a bot_id; such a message is the app's echo, not an
// agent's. When auth.test fails, user is taken for someone else and the
// agent checks decide, as before.
func (b *Bot) isSelf(ctx context.Context, user string) bool {
	self, _, ok := b.whoAmI(ctx)
	return ok && user == self
}
