package demo

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
)

// AgentsGroup is the Slack user group of the demo's agents: give it to the
// Slack adapter as the agents allowed to act (SLACK_AGENTS).
const AgentsGroup = "S0AGENTS"

// Fakes are the two platforms the demo runs on, started in-process.
type Fakes struct {
	Telegram *telegramtest.Server
	Slack    *slacktest.Server
	// SigningSecret signs what the fake Slack posts to the app: give it to
	// the Slack adapter (SLACK_SIGNING_SECRET).
	SigningSecret string
	// Agents are the members of AgentsGroup.
	Agents []Agent
	// Mail is the demo's mail server, once StartMail started it.
	Mail *Mail
}

// StartFakes starts the fake Telegram Bot API and the fake Slack workspace
// on loopback ports, with agents (DefaultAgents when empty) as members of
// the workspace and of AgentsGroup, and a random signing secret. Point the
// fake Slack at the app with SetAppURL once the HTTP server listens.
func StartFakes(agents []Agent) (*Fakes, error) {
	if len(agents) == 0 {
		agents = DefaultAgents()
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("demo: signing secret: %w", err)
	}
	sl, err := slacktest.New()
	if err != nil {
		return nil, fmt.Errorf("demo: start the fake Slack: %w", err)
	}
	ids := make([]string, 0, len(agents))
	for _, a := range agents {
		sl.AddUser(a.ID, a.Name+" (demo agent)", a.Name)
		ids = append(ids, a.ID)
	}
	sl.AddUserGroup(AgentsGroup, ids...)
	tg := telegramtest.New(telegramtest.WithBotUser("Soporte", "ticketbot_demo_bot"))
	return &Fakes{Telegram: tg, Slack: sl, SigningSecret: hex.EncodeToString(secret), Agents: agents}, nil
}

// SetAppURL tells the fake Slack that the app listens at baseURL (like
// "http://127.0.0.1:8080"): /slack/events, /slack/interactions and
// /slack/commands, signed with SigningSecret.
func (f *Fakes) SetAppURL(baseURL string) {
	base := strings.TrimSuffix(baseURL, "/")
	f.Slack.SetApp(base+"/slack/events", base+"/slack/interactions", base+"/slack/commands", f.SigningSecret)
}

// Close stops both fakes. Stop the adapters first: a long poll in flight
// ends with an error.
func (f *Fakes) Close() {
	f.Telegram.Close()
	f.Slack.Close()
	if f.Mail != nil {
		_ = f.Mail.Host.Close()
	}
}
