package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/slack"
	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/internal/demo"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// adapters builds delivery and the chat adapters the configuration turns
// on. In demo mode the adapters talk, over HTTP with the real client
// libraries, to in-process fakes of Telegram and Slack, and the demo page
// that drives the fakes comes with them.
func (m *Main) adapters() ([]Component, error) {
	cfg := m.Config
	tg, sl := cfg.Telegram, cfg.Slack
	if m.Demo {
		fakes, err := demo.StartFakes(nil)
		if err != nil {
			return nil, fmt.Errorf("start the demo's Telegram and Slack: %w", err)
		}
		m.fakes = fakes
		tg = TelegramConfig{Token: fakes.Telegram.Token(), APIEndpoint: fakes.Telegram.Endpoint()}
		sl = SlackConfig{
			BotToken: fakes.Slack.Token(), SigningSecret: fakes.SigningSecret, APIURL: fakes.Slack.APIURL(),
			QueueChannel: slacktest.DefaultChannelID, Agents: []string{demo.AgentsGroup},
			AnonymousAgents: cfg.Slack.AnonymousAgents, TeamName: cfg.Slack.TeamName, ThreadMessages: cfg.Slack.ThreadMessages,
		}
	}

	var (
		comps    []Component
		channels []delivery.Channel
		outbox   = &lateOutbox{}
		// Files cross between the chats: Slack copies the customers'
		// files from Telegram, Telegram uploads the agents' files from
		// Slack (built after it, hence late).
		agentFiles = &lateFiles{}
		tgBot      *telegram.Bot
	)
	if tg.Enabled() {
		agentName := ""
		if sl.AnonymousAgents {
			agentName = sl.TeamName
		}
		bot, err := telegram.New(telegram.Config{
			Token: tg.Token, APIEndpoint: tg.APIEndpoint, WebhookURL: tg.WebhookURL, WebhookSecret: tg.WebhookSecret,
			DefaultLanguage: cfg.Language, TermsURL: cfg.TermsURL, TermsVersion: cfg.TermsVersion,
			SupportEmail: cfg.SupportEmail, AgentName: agentName,
		}, telegram.Deps{Service: m.Service, State: m.Store, Outbox: outbox, Logger: *m.component("telegram"), Files: agentFiles})
		if err != nil {
			return nil, err
		}
		tgBot = bot
		m.component("telegram").Info().Str("mode", tg.Mode()).Msg("telegram on")
		comps, channels = append(comps, bot), append(channels, bot)
	} else {
		m.component("telegram").Info().Msg("telegram off: TELEGRAM_BOT_TOKEN is not set")
	}
	if sl.Enabled() {
		slCfg := slack.Config{
			BotToken: sl.BotToken, AppToken: sl.AppToken, SigningSecret: sl.SigningSecret, APIURL: sl.APIURL,
			QueueChannel: sl.QueueChannel, Agents: sl.Agents, AnonymousAgents: sl.AnonymousAgents, TeamName: sl.TeamName,
			ThreadMessages: sl.ThreadMessages,
		}
		deps := slack.Deps{Service: m.Service, State: m.Store, Logger: *m.component("slack")}
		if tgBot != nil {
			deps.Files, slCfg.MaxCustomerFile = tgBot, telegram.MaxUploadSize
		}
		bot, err := slack.New(slCfg, deps)
		if err != nil {
			return nil, err
		}
		agentFiles.set(bot)
		m.component("slack").Info().Str("mode", sl.Mode()).Msg("slack on")
		comps, channels = append(comps, bot), append(channels, bot)
	} else {
		m.component("slack").Info().Msg("slack off: SLACK_BOT_TOKEN is not set")
	}
	if len(channels) > 0 {
		w := delivery.New(store.NewOutbox(m.Store), channels, delivery.Options{
			Logger: m.Log, Metrics: m.Metrics.Delivery(), // it names itself component=delivery
		})
		outbox.set(w)
		comps = append(comps, w)
	}
	if m.Demo {
		page, err := demo.New(demo.Config{
			Telegram: m.fakes.Telegram, Slack: m.fakes.Slack, Service: m.Service,
			QueueChannel: slacktest.DefaultChannelID, Agents: m.fakes.Agents,
			Customer: demo.DefaultCustomer(cfg.Language), NoteMarker: slack.NoteMarker,
			Log: *m.component("demo"),
		})
		if err != nil {
			return nil, fmt.Errorf("demo page: %w", err)
		}
		m.page = page
		comps = append(comps, demoPage{page})
	}
	return comps, nil
}

// listening tells the demo's fake Slack where the product listens, so it
// posts events, interactions and commands to it.
func (m *Main) listening(l net.Listener) {
	if m.fakes == nil {
		return
	}
	port := l.Addr().(*net.TCPAddr).Port
	m.fakes.SetAppURL("http://127.0.0.1:" + strconv.Itoa(port))
}

// demoPage serves the demo page; it has nothing to run.
type demoPage struct{ page *demo.Server }

func (d demoPage) Routes(mux *http.ServeMux) { d.page.Routes(mux) }
func (d demoPage) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// lateOutbox lets the adapters enqueue through the delivery worker, which
// is built after them because it needs them as its channels.
type lateOutbox struct {
	mu sync.Mutex
	w  *delivery.Worker
}

func (o *lateOutbox) set(w *delivery.Worker) {
	o.mu.Lock()
	o.w = w
	o.mu.Unlock()
}

func (o *lateOutbox) Enqueue(ctx context.Context, msgs ...delivery.Message) error {
	o.mu.Lock()
	w := o.w
	o.mu.Unlock()
	if w == nil {
		return fmt.Errorf("delivery is not running")
	}
	return w.Enqueue(ctx, msgs...)
}

// lateFiles lets the Telegram adapter open the files agents share in
// Slack, whose adapter is built after it.
type lateFiles struct {
	mu sync.Mutex
	f  telegram.Files
}

func (l *lateFiles) set(f telegram.Files) {
	l.mu.Lock()
	l.f = f
	l.mu.Unlock()
}

func (l *lateFiles) OpenFile(ctx context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error) {
	l.mu.Lock()
	f := l.f
	l.mu.Unlock()
	if f == nil {
		return nil, a, delivery.Permanent("no_source", fmt.Errorf("files held by %q cannot be fetched: that chat is off", a.Source))
	}
	return f.OpenFile(ctx, a)
}

var (
	_ slack.Files    = (*telegram.Bot)(nil)
	_ telegram.Files = (*slack.Bot)(nil)
)
