package main

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/slack"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Defaults of the configuration. The policy texts are facts of the
// customer's published support policy (see /POLICY.md in the design notes).
const (
	DefaultPrefix           = "ticketbot"
	DefaultDesk             = "support"
	DefaultHTTPAddr         = ":8080"
	DefaultLogLevel         = "info"
	DefaultLogFormat        = "json"
	DefaultLanguage         = "es"
	DefaultTermsURL         = "https://www.colombiainformatica.com/clientes/supporttickets.php"
	DefaultTermsVersion     = "2024-01"
	DefaultSupportEmail     = "soporte@colombiainformatica.com"
	DefaultTeamName         = "Soporte Colombia Informática"
	DefaultEstimateWindow   = time.Hour
	DefaultShutdownTimeout  = 15 * time.Second
	DefaultTelegramEndpoint = "https://api.telegram.org/bot%s/%s"
	DefaultSlackAPIURL      = "https://slack.com/api/"
)

// Config is the whole configuration of the product, read from the
// environment by Main.ParseConfig. It holds secrets: never log it whole.
type Config struct {
	// Redis is nil only in demo mode without REDIS_URL: the demo then
	// starts an embedded server and fills in its address.
	Redis *redis.UniversalOptions
	// RedisSource says where the Redis settings came from ("REDIS_URL",
	// "REDIS_ADDRS", "embedded"), for logs.
	RedisSource string
	Prefix      string
	Desk        string

	Telegram TelegramConfig
	Slack    SlackConfig
	Email    EmailConfig
	Limits   LimitsConfig

	HTTPAddr  string
	LogLevel  zerolog.Level
	LogFormat string // "json" or "console"

	Language     string // "es" or "en"
	TermsURL     string
	TermsVersion string
	Privacy      PrivacyConfig
	SupportEmail string

	Policy          tickets.Policy
	EstimateWindow  time.Duration
	ShutdownTimeout time.Duration
	// DeadLetterKeep and DeadLetterCap bound the dead letters (delivery's,
	// events' and inbound): kept this long, at most this many of each.
	DeadLetterKeep time.Duration
	DeadLetterCap  int
	Retention      time.Duration // RETENTION (config_retention.go)

	// Warnings are settings that were ignored (for example Slack settings
	// without SLACK_BOT_TOKEN); Main logs them at start.
	Warnings []string
}

// TelegramConfig configures the Telegram adapter; it is off when Token is
// empty.
type TelegramConfig struct {
	Token         string
	APIEndpoint   string // the client library's format: ".../bot%s/%s"
	WebhookURL    string // long polling when empty
	WebhookSecret string
}

// Enabled reports whether the Telegram adapter runs.
func (c TelegramConfig) Enabled() bool { return c.Token != "" }

// Mode returns "webhook" or "polling".
func (c TelegramConfig) Mode() string {
	if c.WebhookURL != "" {
		return "webhook"
	}
	return "polling"
}

// SlackConfig configures the Slack adapter; it is off when BotToken is
// empty.
type SlackConfig struct {
	BotToken      string
	AppToken      string // Socket Mode when set
	SigningSecret string // HTTP mode
	APIURL        string // ends with "/"
	QueueChannel  string
	// Agents are the user IDs (U…, W…) and user-group IDs (S…) allowed to
	// act as agents.
	Agents []string
	// AnonymousAgents shows customers TeamName instead of the agent's name.
	AnonymousAgents bool
	TeamName        string
	// ThreadMessages says where a message typed in a card's thread goes:
	// "reply" (to the customer, unless it is marked a note) or "note" (it
	// stays internal; the Reply modal and /tickets reply reach the
	// customer).
	ThreadMessages string
}

// Enabled reports whether the Slack adapter runs.
func (c SlackConfig) Enabled() bool { return c.BotToken != "" }

// Mode returns "socket" or "http".
func (c SlackConfig) Mode() string {
	if c.AppToken != "" {
		return "socket"
	}
	return "http"
}

// ConfigError is a missing, invalid or contradictory setting. Its message
// names the variable, so that start-up fails with one clear line.
type ConfigError struct {
	Var string
	Msg string
}

func (e *ConfigError) Error() string { return "config: " + e.Var + ": " + e.Msg }

func configErr(name, format string, args ...any) error {
	return &ConfigError{Var: name, Msg: fmt.Sprintf(format, args...)}
}

var (
	hashTagChars  = regexp.MustCompile(`[{}\s*?\[\]]`)
	webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	slackAgentID  = regexp.MustCompile(`^[UWS][A-Z0-9]+$`)
	slackChannel  = regexp.MustCompile(`^[CGD][A-Z0-9]+$`)
)

// parseConfig reads the configuration through getenv. demo allows a
// missing Redis (the demo embeds one).
func parseConfig(getenv func(string) string, demo bool) (Config, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var c Config
	var err error

	if c.Redis, c.RedisSource, err = parseRedis(getenv); err != nil {
		return Config{}, err
	}
	if c.Redis == nil && !demo {
		return Config{}, configErr("REDIS_URL", "not set (or set REDIS_ADDRS for Sentinel or Cluster); `ticketbot demo` runs without Redis")
	}

	c.Prefix = env("REDIS_PREFIX", DefaultPrefix)
	if hashTagChars.MatchString(c.Prefix) {
		return Config{}, configErr("REDIS_PREFIX", "%q must not contain braces, spaces or glob characters", c.Prefix)
	}
	c.Desk = env("DESK", DefaultDesk)
	if hashTagChars.MatchString(c.Desk) || strings.Contains(c.Desk, ":") {
		return Config{}, configErr("DESK", "%q must not contain braces, colons, spaces or glob characters", c.Desk)
	}

	if c.Telegram, err = parseTelegram(env, &c.Warnings); err != nil {
		return Config{}, err
	}
	if c.Slack, err = parseSlack(env, &c.Warnings); err != nil {
		return Config{}, err
	}

	c.HTTPAddr = env("HTTP_ADDR", DefaultHTTPAddr)
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		return Config{}, configErr("HTTP_ADDR", "%q is not a listen address like :8080 or 127.0.0.1:8080", c.HTTPAddr)
	}

	if c.Limits, err = parseLimits(env, c.HTTPAddr); err != nil {
		return Config{}, err
	}

	level := env("LOG_LEVEL", DefaultLogLevel)
	if c.LogLevel, err = zerolog.ParseLevel(strings.ToLower(level)); err != nil || c.LogLevel == zerolog.NoLevel {
		return Config{}, configErr("LOG_LEVEL", "unknown level %q (want trace, debug, info, warn, error, fatal, panic or disabled)", level)
	}
	c.LogFormat = strings.ToLower(env("LOG_FORMAT", DefaultLogFormat))
	if c.LogFormat != "json" && c.LogFormat != "console" {
		return Config{}, configErr("LOG_FORMAT", "unknown format %q (want json or console)", c.LogFormat)
	}

	c.Language = strings.ToLower(env("DEFAULT_LANGUAGE", DefaultLanguage))
	if c.Language != "es" && c.Language != "en" {
		return Config{}, configErr("DEFAULT_LANGUAGE", "unsupported language %q (want es or en)", c.Language)
	}
	c.TermsURL = env("TERMS_URL", DefaultTermsURL)
	if !isWebURL(c.TermsURL) {
		return Config{}, configErr("TERMS_URL", "%q is not an http(s) URL", c.TermsURL)
	}
	c.TermsVersion = env("TERMS_VERSION", DefaultTermsVersion)
	if c.Privacy, err = parsePrivacy(env, c.TermsURL, c.TermsVersion); err != nil {
		return Config{}, err
	}
	c.SupportEmail = env("SUPPORT_EMAIL", DefaultSupportEmail)
	if a, err := mail.ParseAddress(c.SupportEmail); err != nil || a.Address != c.SupportEmail {
		return Config{}, configErr("SUPPORT_EMAIL", "%q is not an e-mail address", c.SupportEmail)
	}
	if c.Email, err = parseEmail(env, c.SupportEmail, &c.Warnings); err != nil {
		return Config{}, err
	}

	if c.Policy, err = tickets.ParsePolicy(getenv("PRIORITY_POLICY")); err != nil {
		return Config{}, configErr("PRIORITY_POLICY", "%s", tickets.ErrorMessage(err))
	}
	if c.EstimateWindow, err = parseDuration(env, "ESTIMATE_WINDOW", DefaultEstimateWindow); err != nil {
		return Config{}, err
	}
	if c.ShutdownTimeout, err = parseDuration(env, "SHUTDOWN_TIMEOUT", DefaultShutdownTimeout); err != nil {
		return Config{}, err
	}
	if c.DeadLetterKeep, err = parseDuration(env, "DEAD_LETTER_RETENTION", store.DefaultDeadLetterKeep); err != nil {
		return Config{}, err
	}
	c.DeadLetterCap = store.DefaultDeadLetterCap
	if v := env("DEAD_LETTER_CAP", ""); v != "" {
		if c.DeadLetterCap, err = strconv.Atoi(v); err != nil || c.DeadLetterCap <= 0 {
			return Config{}, configErr("DEAD_LETTER_CAP", "%q is not a positive number", v)
		}
	}
	if c.Retention, err = parseRetention(env); err != nil {
		return Config{}, err
	}
	return c, nil
}

func parseTelegram(env func(string, string) string, warnings *[]string) (TelegramConfig, error) {
	c := TelegramConfig{
		Token:         env("TELEGRAM_BOT_TOKEN", ""),
		APIEndpoint:   env("TELEGRAM_API_ENDPOINT", DefaultTelegramEndpoint),
		WebhookURL:    env("TELEGRAM_WEBHOOK_URL", ""),
		WebhookSecret: env("TELEGRAM_WEBHOOK_SECRET", ""),
	}
	if !c.Enabled() {
		for _, name := range []string{"TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"} {
			if env(name, "") != "" {
				*warnings = append(*warnings, name+" is ignored: TELEGRAM_BOT_TOKEN is not set")
			}
		}
		return TelegramConfig{APIEndpoint: c.APIEndpoint}, nil
	}
	if strings.Count(c.APIEndpoint, "%s") != 2 || !isWebURL(strings.ReplaceAll(c.APIEndpoint, "%s", "x")) {
		return TelegramConfig{}, configErr("TELEGRAM_API_ENDPOINT", "%q: want an http(s) URL with two %%s (token, method), like %s", c.APIEndpoint, DefaultTelegramEndpoint)
	}
	if c.WebhookURL != "" {
		if !isWebURL(c.WebhookURL) {
			return TelegramConfig{}, configErr("TELEGRAM_WEBHOOK_URL", "not an http(s) URL")
		}
		if strings.HasPrefix(strings.ToLower(c.WebhookURL), "http://") && c.APIEndpoint == DefaultTelegramEndpoint {
			return TelegramConfig{}, configErr("TELEGRAM_WEBHOOK_URL", "Telegram calls only https:// webhooks (http:// works with a local Bot API server in TELEGRAM_API_ENDPOINT)")
		}
		if c.WebhookSecret == "" {
			return TelegramConfig{}, configErr("TELEGRAM_WEBHOOK_SECRET", "required with TELEGRAM_WEBHOOK_URL: every webhook request is checked against it")
		}
	} else if c.WebhookSecret != "" {
		return TelegramConfig{}, configErr("TELEGRAM_WEBHOOK_SECRET", "set without TELEGRAM_WEBHOOK_URL")
	}
	if c.WebhookSecret != "" && !webhookSecret.MatchString(c.WebhookSecret) {
		return TelegramConfig{}, configErr("TELEGRAM_WEBHOOK_SECRET", "must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
	}
	return c, nil
}

func parseSlack(env func(string, string) string, warnings *[]string) (SlackConfig, error) {
	c := SlackConfig{
		BotToken:      env("SLACK_BOT_TOKEN", ""),
		AppToken:      env("SLACK_APP_TOKEN", ""),
		SigningSecret: env("SLACK_SIGNING_SECRET", ""),
		APIURL:        env("SLACK_API_URL", DefaultSlackAPIURL),
		QueueChannel:  env("SLACK_QUEUE_CHANNEL", ""),
	}
	agents := env("SLACK_AGENTS", "")
	var err error
	if c.AnonymousAgents, err = parseBoolVar(func(name string) string { return env(name, "") }, "SLACK_ANONYMOUS_AGENTS"); err != nil {
		return SlackConfig{}, err
	}
	c.TeamName = strings.TrimSpace(env("SLACK_TEAM_NAME", DefaultTeamName))
	if c.TeamName == "" || len([]rune(c.TeamName)) > 64 {
		return SlackConfig{}, configErr("SLACK_TEAM_NAME", "must be 1 to 64 characters")
	}
	switch c.ThreadMessages = strings.ToLower(strings.TrimSpace(env("SLACK_THREAD_MESSAGES", slack.ThreadReplies))); c.ThreadMessages {
	case slack.ThreadReplies, slack.ThreadNotes:
	default:
		return SlackConfig{}, configErr("SLACK_THREAD_MESSAGES", "%q is neither %q (thread messages go to the customer) nor %q (they stay internal notes)",
			env("SLACK_THREAD_MESSAGES", ""), slack.ThreadReplies, slack.ThreadNotes)
	}
	if !c.Enabled() {
		for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_QUEUE_CHANNEL", "SLACK_AGENTS"} {
			if env(name, "") != "" {
				*warnings = append(*warnings, name+" is ignored: SLACK_BOT_TOKEN is not set")
			}
		}
		// Anonymity also applies to the demo's agents, which need no token.
		return SlackConfig{APIURL: c.APIURL, TeamName: c.TeamName, AnonymousAgents: c.AnonymousAgents, ThreadMessages: c.ThreadMessages}, nil
	}
	if c.AppToken == "" && c.SigningSecret == "" {
		return SlackConfig{}, configErr("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)")
	}
	if c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-") {
		return SlackConfig{}, configErr("SLACK_APP_TOKEN", "not an app-level token (want xapp-…)")
	}
	if !isWebURL(c.APIURL) {
		return SlackConfig{}, configErr("SLACK_API_URL", "%q is not an http(s) URL", c.APIURL)
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if c.QueueChannel == "" {
		return SlackConfig{}, configErr("SLACK_QUEUE_CHANNEL", "required with SLACK_BOT_TOKEN: the channel ID where tickets are posted")
	}
	if !slackChannel.MatchString(c.QueueChannel) {
		return SlackConfig{}, configErr("SLACK_QUEUE_CHANNEL", "%q is not a channel ID (like C0123ABCD)", c.QueueChannel)
	}
	if agents == "" {
		return SlackConfig{}, configErr("SLACK_AGENTS", "required with SLACK_BOT_TOKEN: the user group and/or user IDs allowed to act as agents")
	}
	for _, a := range strings.Split(agents, ",") {
		a = strings.TrimSpace(a)
		if !slackAgentID.MatchString(a) {
			return SlackConfig{}, configErr("SLACK_AGENTS", "%q is not a user ID (U…, W…) or user group ID (S…)", a)
		}
		c.Agents = append(c.Agents, a)
	}
	return c, nil
}

func parseDuration(env func(string, string) string, name string, def time.Duration) (time.Duration, error) {
	v := env(name, "")
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, configErr(name, "%q is not a positive duration like 90s or 1h", v)
	}
	return d, nil
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
