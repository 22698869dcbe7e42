package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/bots/slack"
	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"
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
		if cfg.Email, err = demoEmail(fakes, cfg); err != nil {
			return nil, err
		}
	}

	// Everything is built in dependency order: the outbox the adapters
	// queue through, the file sources the adapters read each other's
	// files with, the adapters, and last the delivery worker that sends
	// through them.
	var (
		comps    []Component
		channels []delivery.Channel
		leases   = store.NewLeases(m.Store)
		marks    = store.NewInbound(m.Store)
	)
	tgCfg := telegram.Config{
		Token: tg.Token, APIEndpoint: tg.APIEndpoint, WebhookURL: tg.WebhookURL, WebhookSecret: tg.WebhookSecret,
		DefaultLanguage: cfg.Language, TermsURL: cfg.TermsURL, PrivacyURL: cfg.Privacy.URL,
		SupportEmail: cfg.SupportEmail, FloodLimit: cfg.Limits.FloodLimit,
	}
	if sl.AnonymousAgents {
		tgCfg.AgentName = sl.TeamName
	}
	slCfg := slack.Config{
		BotToken: sl.BotToken, AppToken: sl.AppToken, SigningSecret: sl.SigningSecret, APIURL: sl.APIURL,
		QueueChannel: sl.QueueChannel, Agents: sl.Agents, AnonymousAgents: sl.AnonymousAgents, TeamName: sl.TeamName,
		ThreadMessages: sl.ThreadMessages,
	}
	var platforms []string
	if tg.Enabled() {
		platforms = append(platforms, telegram.Platform)
	}
	if sl.Enabled() {
		platforms = append(platforms, slack.Platform)
	}
	em := cfg.Email
	if em.Enabled() {
		platforms = append(platforms, email.Platform)
	}
	outbox := delivery.NewOutbox(store.NewDelivery(m.Store), platforms...)
	tgDeps := telegram.Deps{Service: m.Service, Storage: store.NewTelegram(m.Store), Marks: marks, Leases: leases,
		Outbox: outbox, Logger: *m.component("telegram")}
	slDeps := slack.Deps{Service: m.Service, Storage: store.NewSlack(m.Store), Marks: marks, Logger: *m.component("slack")}
	emCfg, err := m.emailConfig(em)
	if err != nil {
		return nil, err
	}
	emCfg.IMAP.Backlog = m.Demo // the demo's mailbox starts empty: a mail before the first login counts
	emDeps := email.Deps{Service: m.Service, Storage: store.NewEmail(m.Store), Marks: marks, Leases: leases,
		Outbox: outbox, Logger: *m.component("email")}
	// Files cross between the platforms: Slack copies the customers'
	// files from Telegram and from the mailbox, Telegram and e-mail send
	// the agents' files from Slack.
	if sl.Enabled() {
		customers := customerFiles{}
		if tg.Enabled() {
			tgFiles, err := telegram.NewFileSource(tgCfg)
			if err != nil {
				return nil, adapterError(err)
			}
			customers[telegram.Platform] = tgFiles
			slCfg.MaxCustomerFile = telegram.MaxUploadSize
		}
		if em.Enabled() {
			emFiles, err := email.NewFileSource(emCfg)
			if err != nil {
				return nil, adapterError(err)
			}
			customers[email.Platform] = emFiles
		}
		if len(customers) > 0 {
			slFiles, err := slack.NewFileSource(slCfg)
			if err != nil {
				return nil, adapterError(err)
			}
			tgDeps.Files, emDeps.Files, slDeps.Files = slFiles, slFiles, customers
		}
	}
	if tg.Enabled() {
		bot, err := telegram.New(tgCfg, tgDeps)
		if err != nil {
			return nil, adapterError(err)
		}
		m.component("telegram").Info().Str("mode", tg.Mode()).Msg("telegram on")
		comps, channels = append(comps, bot), append(channels, bot)
	} else {
		m.component("telegram").Info().Msg("telegram off: TELEGRAM_BOT_TOKEN is not set")
	}
	if sl.Enabled() {
		bot, err := slack.New(slCfg, slDeps)
		if err != nil {
			return nil, adapterError(err)
		}
		m.component("slack").Info().Str("mode", sl.Mode()).Msg("slack on")
		comps, channels = append(comps, bot), append(channels, bot)
	} else {
		m.component("slack").Info().Msg("slack off: SLACK_BOT_TOKEN is not set")
	}
	if em.Enabled() {
		bot, err := email.New(emCfg, emDeps)
		if err != nil {
			return nil, adapterError(err)
		}
		m.component("email").Info().Strs("mailboxes", em.Mailboxes).Str("from", em.From).Msg("e-mail on")
		comps, channels = append(comps, bot), append(channels, bot)
	} else {
		m.component("email").Info().Msg("e-mail off: EMAIL_IMAP_ADDR is not set")
	}
	if len(channels) > 0 {
		w := delivery.New(outbox, leases, channels, delivery.Options{
			Logger: m.Log, Metrics: m.Metrics.Delivery(), // it names itself component=delivery
		})
		comps = append(comps, w)
	}
	if m.Demo {
		page, err := demo.New(demo.Config{
			Telegram: m.fakes.Telegram, Slack: m.fakes.Slack, Service: m.Service,
			QueueChannel: slacktest.DefaultChannelID, Agents: m.fakes.Agents,
			Customer: demo.DefaultCustomer(cfg.Language), NoteMarker: slack.NoteMarker,
			Mail: m.fakes.Mail, Log: *m.component("demo"),
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

// The settings each adapter's Config fields come from, so that an
// adapter's refusal names the variable to fix.
var (
	telegramVars = map[string]string{
		"Token": "TELEGRAM_BOT_TOKEN", "APIEndpoint": "TELEGRAM_API_ENDPOINT", "WebhookSecret": "TELEGRAM_WEBHOOK_SECRET",
		"DefaultLanguage": "DEFAULT_LANGUAGE", "TermsVersion": "TERMS_VERSION", "PrivacyVersion": "PRIVACY_VERSION",
	}
	slackVars = map[string]string{
		"BotToken": "SLACK_BOT_TOKEN", "AppToken": "SLACK_APP_TOKEN", "SigningSecret": "SLACK_SIGNING_SECRET",
		"QueueChannel": "SLACK_QUEUE_CHANNEL", "Agents": "SLACK_AGENTS", "ThreadMessages": "SLACK_THREAD_MESSAGES",
	}

	emailFields = map[string]string{
		"IMAP": "EMAIL_IMAP_ADDR", "Mailboxes": "EMAIL_IMAP_MAILBOX", "SMTP": "EMAIL_SMTP_ADDR", "From": "EMAIL_FROM",
		"IDSecret": "EMAIL_ID_SECRET", "DefaultLanguage": "DEFAULT_LANGUAGE", "TermsVersion": "TERMS_VERSION",
	}
)

// adapterError turns an adapter's refusal of its configuration into the
// ConfigError naming the variable.
func adapterError(err error) error {
	var te *telegram.ConfigError
	var se *slack.ConfigError
	var ee *email.ConfigError
	switch {
	case errors.As(err, &te) && telegramVars[te.Field] != "":
		return configErr(telegramVars[te.Field], "%s", te.Problem)
	case errors.As(err, &se) && slackVars[se.Field] != "":
		return configErr(slackVars[se.Field], "%s", se.Problem)
	case errors.As(err, &ee) && emailFields[ee.Field] != "":
		return configErr(emailFields[ee.Field], "%s", ee.Problem)
	}
	return err
}

// customerFiles opens the files customers sent, by the platform that
// holds them (Attachment.Source; none is Telegram's, the first customer
// platform), for the Slack adapter to copy into tickets' threads.
type customerFiles map[string]slack.Files

func (f customerFiles) OpenFile(ctx context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error) {
	src := a.Source
	if src == "" {
		src = telegram.Platform
	}
	if files, ok := f[src]; ok {
		return files.OpenFile(ctx, a)
	}
	return nil, a, delivery.Permanent("no_source", fmt.Errorf("files of %q cannot be fetched", src))
}

// emailConfig is the e-mail adapter's Config from the EMAIL_* settings.
func (m *Main) emailConfig(c EmailConfig) (email.Config, error) {
	cfg := m.Config
	out := email.Config{
		IMAP: email.IMAPConfig{
			Addr: c.IMAPAddr, Security: c.IMAPSecurity, Username: c.IMAPUsername, Password: c.IMAPPassword,
			MaxSize: c.MaxSize, PollInterval: c.PollInterval,
		},
		Mailboxes: c.Mailboxes,
		SMTP: email.SMTPConfig{
			Addr: c.SMTPAddr, Security: c.SMTPSecurity, Username: c.SMTPUsername, Password: c.SMTPPassword,
		},
		From:            email.Address{Name: c.FromName, Address: c.From},
		IDSecret:        []byte(c.IDSecret),
		DefaultLanguage: cfg.Language, TermsURL: cfg.TermsURL, PrivacyURL: cfg.Privacy.URL,
		ChatURL: c.ChatURL, MaxNewPerHour: c.MaxNewPerHour, AuthServID: c.AuthServID, SendInterval: c.SendInterval,
	}
	if len(c.Mailboxes) > 0 {
		out.IMAP.Mailbox = c.Mailboxes[0]
	}
	for _, p := range c.PreviousSecrets {
		out.PreviousSecrets = append(out.PreviousSecrets, []byte(p))
	}
	if cfg.Slack.AnonymousAgents {
		out.AgentName = cfg.Slack.TeamName
	}
	if c.Enabled() && c.OAuth2.TokenURL != "" {
		// The source refreshes tokens for as long as the process runs.
		ts, err := c.OAuth2.TokenSource(context.Background())
		if err != nil {
			return email.Config{}, configErr("EMAIL_OAUTH2_TOKEN_URL", "%v", err)
		}
		out.IMAP.TokenSource, out.SMTP.TokenSource = ts, ts
	}
	return out, nil
}

var (
	_ slack.Storage    = (*store.Slack)(nil)
	_ telegram.Storage = (*store.Telegram)(nil)
	_ slack.Files      = (*botapi.Client)(nil)
	_ telegram.Files   = (*slack.FileSource)(nil)
	_ email.Files      = (*slack.FileSource)(nil)
	_ slack.Files      = (*email.FileSource)(nil)
	_ slack.Files      = customerFiles(nil)
	_ email.Storage    = (*store.Email)(nil)
)
