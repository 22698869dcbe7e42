package main

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

// envOf returns a getenv over vars, blind to the process environment.
func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := parseConfig(envOf(map[string]string{"REDIS_URL": "redis://localhost:6379/2"}), false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{
		"addrs": c.Redis.Addrs, "db": c.Redis.DB, "source": c.RedisSource,
		"prefix": c.Prefix, "desk": c.Desk, "http": c.HTTPAddr,
		"level": c.LogLevel, "format": c.LogFormat, "lang": c.Language,
		"terms_url": c.TermsURL, "terms_version": c.TermsVersion, "email": c.SupportEmail,
		"window": c.EstimateWindow, "shutdown": c.ShutdownTimeout,
		"telegram": c.Telegram.Enabled(), "slack": c.Slack.Enabled(),
	}
	want := map[string]any{
		"addrs": []string{"localhost:6379"}, "db": 2, "source": "REDIS_URL",
		"prefix": "ticketbot", "desk": "support", "http": ":8080",
		"level": zerolog.InfoLevel, "format": "json", "lang": "es",
		"terms_url":     "https://www.colombiainformatica.com/clientes/supporttickets.php",
		"terms_version": "2024-01", "email": "soporte@colombiainformatica.com",
		"window": time.Hour, "shutdown": 15 * time.Second,
		"telegram": false, "slack": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestParseConfig(t *testing.T) {
	const url = "redis://localhost:6379"
	slack := map[string]string{
		"REDIS_URL": url, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
		"SLACK_QUEUE_CHANNEL": "C0123ABCD", "SLACK_AGENTS": "S0AGENTS, U0ALICE",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		demo    bool
		wantVar string // the variable the error names; "" for success
		check   func(t *testing.T, c Config)
	}{
		{name: "no redis", env: map[string]string{}, wantVar: "REDIS_URL"},
		{name: "no redis in demo", env: map[string]string{}, demo: true, check: func(t *testing.T, c Config) {
			if c.Redis != nil {
				t.Errorf("Redis = %+v, want nil (embedded)", c.Redis)
			}
		}},
		{name: "rediss", env: map[string]string{"REDIS_URL": "rediss://:secret@example.com:6380"}, check: func(t *testing.T, c Config) {
			if c.Redis.TLSConfig == nil || c.Redis.Password != "secret" || c.Redis.Addrs[0] != "example.com:6380" {
				t.Errorf("Redis = %+v", c.Redis)
			}
		}},
		{name: "bad scheme", env: map[string]string{"REDIS_URL": "http://localhost"}, wantVar: "REDIS_URL"},
		{name: "bad db", env: map[string]string{"REDIS_URL": "redis://:pw@localhost/x"}, wantVar: "REDIS_URL"},
		{name: "url and addrs", env: map[string]string{"REDIS_URL": url, "REDIS_ADDRS": "a:1"}, wantVar: "REDIS_ADDRS"},
		{name: "sentinel", env: map[string]string{"REDIS_ADDRS": "s1:26379, s2:26379", "REDIS_MASTER_NAME": "mymaster"}, check: func(t *testing.T, c Config) {
			if diff := cmp.Diff([]string{"s1:26379", "s2:26379"}, c.Redis.Addrs); diff != "" || c.Redis.MasterName != "mymaster" {
				t.Errorf("Redis = %+v", c.Redis)
			}
		}},
		{name: "cluster", env: map[string]string{"REDIS_ADDRS": "n1:6379,n2:6379,n3:6379"}, check: func(t *testing.T, c Config) {
			if len(c.Redis.Addrs) != 3 || c.Redis.MasterName != "" {
				t.Errorf("Redis = %+v", c.Redis)
			}
		}},
		{name: "bad addr", env: map[string]string{"REDIS_ADDRS": "n1:6379,n2"}, wantVar: "REDIS_ADDRS"},
		{name: "port out of range", env: map[string]string{"REDIS_ADDRS": "n1:99999"}, wantVar: "REDIS_ADDRS"},
		{name: "empty addr", env: map[string]string{"REDIS_ADDRS": "n1:6379,,n2:6379"}, wantVar: "REDIS_ADDRS"},
		{name: "no host in addr", env: map[string]string{"REDIS_ADDRS": ":6379"}, wantVar: "REDIS_ADDRS"},
		{name: "url without host", env: map[string]string{"REDIS_URL": "redis://"}, wantVar: "REDIS_URL"},
		{name: "http webhook to telegram", env: map[string]string{"REDIS_URL": url, "TELEGRAM_BOT_TOKEN": "1:AA",
			"TELEGRAM_WEBHOOK_URL": "http://bot.example.com/telegram/webhook", "TELEGRAM_WEBHOOK_SECRET": "s"}, wantVar: "TELEGRAM_WEBHOOK_URL"},
		{name: "http webhook to a local bot api", env: map[string]string{"REDIS_URL": url, "TELEGRAM_BOT_TOKEN": "1:AA",
			"TELEGRAM_API_ENDPOINT": "http://localhost:8081/bot%s/%s",
			"TELEGRAM_WEBHOOK_URL":  "http://ticketbot:8080/telegram/webhook", "TELEGRAM_WEBHOOK_SECRET": "s"}, check: func(t *testing.T, c Config) {
			if c.Telegram.Mode() != "webhook" {
				t.Errorf("Telegram = %+v", c.Telegram)
			}
		}},
		{name: "sentinel with auth and tls", env: map[string]string{
			"REDIS_ADDRS": "s1:26379", "REDIS_MASTER_NAME": "m", "REDIS_USERNAME": "bot", "REDIS_PASSWORD": "pw",
			"REDIS_SENTINEL_PASSWORD": "spw", "REDIS_TLS": "true",
		}, check: func(t *testing.T, c Config) {
			r := c.Redis
			if r.Username != "bot" || r.Password != "pw" || r.SentinelPassword != "spw" || r.TLSConfig == nil || r.TLSConfig.MinVersion != tls.VersionTLS12 {
				t.Errorf("Redis = %+v", r)
			}
		}},
		{name: "cluster with password", env: map[string]string{"REDIS_ADDRS": "n1:6379,n2:6379", "REDIS_PASSWORD": "pw"}, check: func(t *testing.T, c Config) {
			if c.Redis.Password != "pw" || c.Redis.TLSConfig != nil {
				t.Errorf("Redis = %+v", c.Redis)
			}
		}},
		{name: "bad tls", env: map[string]string{"REDIS_ADDRS": "n1:6379", "REDIS_TLS": "maybe"}, wantVar: "REDIS_TLS"},
		{name: "sentinel password without sentinel", env: map[string]string{"REDIS_ADDRS": "n1:6379", "REDIS_SENTINEL_PASSWORD": "x"}, wantVar: "REDIS_SENTINEL_PASSWORD"},
		{name: "url with password var", env: map[string]string{"REDIS_URL": "redis://localhost:6379/0", "REDIS_PASSWORD": "pw", "REDIS_USERNAME": "bot"}, check: func(t *testing.T, c Config) {
			if c.Redis.Password != "pw" || c.Redis.Username != "bot" {
				t.Errorf("Redis = %+v", c.Redis)
			}
		}},
		{name: "url and password var both", env: map[string]string{"REDIS_URL": "redis://:a@localhost:6379", "REDIS_PASSWORD": "b"}, wantVar: "REDIS_PASSWORD"},
		{name: "url with tls var", env: map[string]string{"REDIS_URL": url, "REDIS_TLS": "true"}, wantVar: "REDIS_TLS"},
		{name: "password without redis", env: map[string]string{"REDIS_PASSWORD": "pw"}, demo: true, wantVar: "REDIS_PASSWORD"},
		{name: "master without addrs", env: map[string]string{"REDIS_MASTER_NAME": "m"}, wantVar: "REDIS_MASTER_NAME"},
		{name: "master with url", env: map[string]string{"REDIS_URL": url, "REDIS_MASTER_NAME": "m"}, wantVar: "REDIS_MASTER_NAME"},
		{name: "prefix with brace", env: map[string]string{"REDIS_URL": url, "REDIS_PREFIX": "a{b"}, wantVar: "REDIS_PREFIX"},
		{name: "desk with colon", env: map[string]string{"REDIS_URL": url, "DESK": "a:b"}, wantVar: "DESK"},
		{name: "telegram polling", env: map[string]string{"REDIS_URL": url, "TELEGRAM_BOT_TOKEN": "1:AA"}, check: func(t *testing.T, c Config) {
			if !c.Telegram.Enabled() || c.Telegram.Mode() != "polling" || c.Telegram.APIEndpoint != DefaultTelegramEndpoint {
				t.Errorf("Telegram = %+v", c.Telegram)
			}
		}},
		{name: "telegram webhook", env: map[string]string{"REDIS_URL": url, "TELEGRAM_BOT_TOKEN": "1:AA",
			"TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram/webhook", "TELEGRAM_WEBHOOK_SECRET": "s3cr3t_-"}, check: func(t *testing.T, c Config) {
			if c.Telegram.Mode() != "webhook" {
				t.Errorf("Telegram = %+v", c.Telegram)
			}
		}},
		{name: "webhook without secret", env: map[string]string{"REDIS_URL": url, "TELEGRAM_BOT_TOKEN": "1:AA",
			"TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram/webhook"}, wantVar: "TELEGRAM_WEBHOOK_SECRET"},
		{name: "secret without webhook", env: map[string]string{"REDIS_URL": url, "TELEGRAM_BOT_TOKEN": "1:AA",
			"TELEGRAM_WEBHOOK_SECRET": "abc"}, wantVar: "TELEGRAM_WEBHOOK_SECRET"},
		{name: "bad webhook secret", env: map[string]string{"REDIS_URL": url, "TELEGRAM_BOT_TOKEN": "1:AA",
			"TELEGRAM_WEBHOOK_URL": "https://x.example/h", "TELEGRAM_WEBHOOK_SECRET": "no spaces"}, wantVar: "TELEGRAM_WEBHOOK_SECRET"},
		{name: "bad telegram endpoint", env: map[string]string{"REDIS_URL": url, "TELEGRAM_BOT_TOKEN": "1:AA",
			"TELEGRAM_API_ENDPOINT": "http://127.0.0.1:1/bot"}, wantVar: "TELEGRAM_API_ENDPOINT"},
		{name: "telegram settings without token are ignored", env: map[string]string{"REDIS_URL": url,
			"TELEGRAM_WEBHOOK_URL": "https://x.example/h"}, check: func(t *testing.T, c Config) {
			if c.Telegram.Enabled() || len(c.Warnings) != 1 {
				t.Errorf("Telegram = %+v, warnings %q", c.Telegram, c.Warnings)
			}
		}},
		{name: "slack socket mode", env: slack, check: func(t *testing.T, c Config) {
			want := SlackConfig{BotToken: "xoxb-1", AppToken: "xapp-1", APIURL: DefaultSlackAPIURL,
				QueueChannel: "C0123ABCD", Agents: []string{"S0AGENTS", "U0ALICE"}, TeamName: DefaultTeamName, ThreadMessages: "reply"}
			if diff := cmp.Diff(want, c.Slack); diff != "" || c.Slack.Mode() != "socket" {
				t.Errorf("Slack (-want +got):\n%s", diff)
			}
		}},
		{name: "slack http mode", env: with(slack, "SLACK_APP_TOKEN", "", "SLACK_SIGNING_SECRET", "abc",
			"SLACK_API_URL", "http://127.0.0.1:9/api"), check: func(t *testing.T, c Config) {
			if c.Slack.Mode() != "http" || c.Slack.APIURL != "http://127.0.0.1:9/api/" {
				t.Errorf("Slack = %+v", c.Slack)
			}
		}},
		{name: "slack anonymous agents", env: with(slack, "SLACK_ANONYMOUS_AGENTS", "true", "SLACK_TEAM_NAME", "Mesa de ayuda"), check: func(t *testing.T, c Config) {
			if !c.Slack.AnonymousAgents || c.Slack.TeamName != "Mesa de ayuda" {
				t.Errorf("Slack = %+v", c.Slack)
			}
		}},
		{name: "anonymous agents without a Slack token (the demo's agents)", env: map[string]string{"REDIS_URL": url, "SLACK_ANONYMOUS_AGENTS": "yes"}, check: func(t *testing.T, c Config) {
			if !c.Slack.AnonymousAgents || c.Slack.Enabled() {
				t.Errorf("Slack = %+v", c.Slack)
			}
		}},
		{name: "bad anonymous agents", env: with(slack, "SLACK_ANONYMOUS_AGENTS", "maybe"), wantVar: "SLACK_ANONYMOUS_AGENTS"},
		{name: "slack thread messages as notes", env: with(slack, "SLACK_THREAD_MESSAGES", " Note "), check: func(t *testing.T, c Config) {
			if c.Slack.ThreadMessages != "note" {
				t.Errorf("ThreadMessages = %q, want note", c.Slack.ThreadMessages)
			}
		}},
		{name: "thread messages without a Slack token (the demo's agents)", env: map[string]string{"REDIS_URL": url, "SLACK_THREAD_MESSAGES": "note"}, check: func(t *testing.T, c Config) {
			if c.Slack.ThreadMessages != "note" || c.Slack.Enabled() {
				t.Errorf("Slack = %+v", c.Slack)
			}
		}},
		{name: "bad thread messages", env: with(slack, "SLACK_THREAD_MESSAGES", "customer"), wantVar: "SLACK_THREAD_MESSAGES"},
		{name: "slack without app token or secret", env: with(slack, "SLACK_APP_TOKEN", ""), wantVar: "SLACK_APP_TOKEN"},
		{name: "slack bad app token", env: with(slack, "SLACK_APP_TOKEN", "xoxb-2"), wantVar: "SLACK_APP_TOKEN"},
		{name: "slack without channel", env: with(slack, "SLACK_QUEUE_CHANNEL", ""), wantVar: "SLACK_QUEUE_CHANNEL"},
		{name: "slack bad channel", env: with(slack, "SLACK_QUEUE_CHANNEL", "#support"), wantVar: "SLACK_QUEUE_CHANNEL"},
		{name: "slack without agents", env: with(slack, "SLACK_AGENTS", ""), wantVar: "SLACK_AGENTS"},
		{name: "slack bad agent", env: with(slack, "SLACK_AGENTS", "U1,@bob"), wantVar: "SLACK_AGENTS"},
		{name: "slack bad api url", env: with(slack, "SLACK_API_URL", "slack.com"), wantVar: "SLACK_API_URL"},
		{name: "http addr", env: map[string]string{"REDIS_URL": url, "HTTP_ADDR": "8080"}, wantVar: "HTTP_ADDR"},
		{name: "log level", env: map[string]string{"REDIS_URL": url, "LOG_LEVEL": "loud"}, wantVar: "LOG_LEVEL"},
		{name: "log level debug", env: map[string]string{"REDIS_URL": url, "LOG_LEVEL": "DEBUG", "LOG_FORMAT": "console"}, check: func(t *testing.T, c Config) {
			if c.LogLevel != zerolog.DebugLevel || c.LogFormat != "console" {
				t.Errorf("log = %v %v", c.LogLevel, c.LogFormat)
			}
		}},
		{name: "log format", env: map[string]string{"REDIS_URL": url, "LOG_FORMAT": "xml"}, wantVar: "LOG_FORMAT"},
		{name: "language", env: map[string]string{"REDIS_URL": url, "DEFAULT_LANGUAGE": "fr"}, wantVar: "DEFAULT_LANGUAGE"},
		{name: "terms url", env: map[string]string{"REDIS_URL": url, "TERMS_URL": "not a url"}, wantVar: "TERMS_URL"},
		{name: "support email", env: map[string]string{"REDIS_URL": url, "SUPPORT_EMAIL": "soporte"}, wantVar: "SUPPORT_EMAIL"},
		{name: "policy", env: map[string]string{"REDIS_URL": url, "PRIORITY_POLICY": "question.critical=9"}, wantVar: "PRIORITY_POLICY"},
		{name: "policy override", env: map[string]string{"REDIS_URL": url, "PRIORITY_POLICY": "question.critical=1"}, check: func(t *testing.T, c Config) {
			if p := c.Policy.Priority("question", 4); p != 1 {
				t.Errorf("question.critical = %v, want P1", p)
			}
		}},
		{name: "estimate window", env: map[string]string{"REDIS_URL": url, "ESTIMATE_WINDOW": "1 hour"}, wantVar: "ESTIMATE_WINDOW"},
		{name: "shutdown timeout", env: map[string]string{"REDIS_URL": url, "SHUTDOWN_TIMEOUT": "-1s"}, wantVar: "SHUTDOWN_TIMEOUT"},
		{name: "dead letter retention", env: map[string]string{"REDIS_URL": url, "DEAD_LETTER_RETENTION": "30 days"}, wantVar: "DEAD_LETTER_RETENTION"},
		{name: "dead letter cap", env: map[string]string{"REDIS_URL": url, "DEAD_LETTER_CAP": "0"}, wantVar: "DEAD_LETTER_CAP"},
		{name: "dead letter bounds", env: map[string]string{"REDIS_URL": url, "DEAD_LETTER_RETENTION": "168h", "DEAD_LETTER_CAP": "500"}, check: func(t *testing.T, c Config) {
			if c.DeadLetterKeep != 7*24*time.Hour || c.DeadLetterCap != 500 {
				t.Errorf("dead letter bounds = %v %d", c.DeadLetterKeep, c.DeadLetterCap)
			}
		}},
		{name: "dead letter defaults", env: map[string]string{"REDIS_URL": url}, check: func(t *testing.T, c Config) {
			if c.DeadLetterKeep != 30*24*time.Hour || c.DeadLetterCap != 10000 {
				t.Errorf("dead letter defaults = %v %d", c.DeadLetterKeep, c.DeadLetterCap)
			}
		}},
		{name: "durations", env: map[string]string{"REDIS_URL": url, "ESTIMATE_WINDOW": "30m", "SHUTDOWN_TIMEOUT": "2s"}, check: func(t *testing.T, c Config) {
			if c.EstimateWindow != 30*time.Minute || c.ShutdownTimeout != 2*time.Second {
				t.Errorf("durations = %v %v", c.EstimateWindow, c.ShutdownTimeout)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(envOf(tt.env), tt.demo)
			if tt.wantVar == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Var != tt.wantVar {
				t.Fatalf("error %v, want one naming %s", err, tt.wantVar)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is more than one line", err)
			}
		})
	}
}

func TestParseConfigNeverShowsSecrets(t *testing.T) {
	env := map[string]string{"REDIS_URL": "redis://user:hunter2@localhost/notadb"}
	_, err := parseConfig(envOf(env), false)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v: want one without the password", err)
	}
}

func TestDemoLogsForPeople(t *testing.T) {
	m := NewMain()
	m.Demo = true
	c, err := m.ParseConfig(envOf(nil))
	if err != nil || c.LogFormat != "console" {
		t.Fatalf("demo config = %v, %v; want console logs", c.LogFormat, err)
	}
	c, err = m.ParseConfig(envOf(map[string]string{"LOG_FORMAT": "json"}))
	if err != nil || c.LogFormat != "json" {
		t.Fatalf("demo config = %v, %v; want json when asked", c.LogFormat, err)
	}
}
