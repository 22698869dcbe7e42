package main

import (
	"context"
	"fmt"
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
			AnonymousAgents: cfg.Slack.AnonymousAgents, TeamName: cfg.Slack.TeamName,
		}
	}

	var (
		comps    []Component
		channels []delivery.Channel
		outbox   = &lateOutbox{}
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
		}, telegram.Deps{Service: m.Service, State: m.Store, Outbox: outbox, Logger: *m.component("telegram")})
		if err != nil {
			return nil, err
		}
		m.component("telegram").Info().Str("mode", tg.Mode()).Msg("telegram on")
		comps, channels = append(comps, bot), append(channels, bot)
	} else {
		m.component("telegram").Info().Msg("telegram off: TELEGRAM_BOT_TOKEN is not set")
	}
	if sl.Enabled() {
		bot, err := slack.New(slack.Config{
			BotToken: sl.BotToken, AppToken: sl.AppToken, SigningSecret: sl.SigningSecret, APIURL: sl.APIURL,
			QueueChannel: sl.QueueChannel, Agents: sl.Agents, AnonymousAgents: sl.AnonymousAgents, TeamName: sl.TeamName,
		}, slack.Deps{Service: m.Service, State: m.Store, Logger: *m.component("slack")})
		if err != nil {
			return nil, err
		}
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
