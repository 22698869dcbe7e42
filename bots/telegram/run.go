package telegram

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"
	"github.com/colombiainformatica/ticketbot/internal/backoff"
	"github.com/colombiainformatica/ticketbot/internal/lease"
)

const (
	// WebhookPath is where Routes serves Telegram's webhook.
	WebhookPath = "/telegram/webhook"
	// The leases of the jobs only one replica does.
	leasePoller = "telegram-poller"
	leaseAlbums = "telegram-albums"
)

// Run registers the bot's commands and then, in webhook mode, registers the
// webhook, or else long-polls Telegram while it holds the poller lease. It
// also flushes buffered albums. It returns when ctx ends and its goroutines
// have stopped, having released its leases.
func (b *Bot) Run(ctx context.Context) error {
	b.registerCommands(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { b.leaseHolder(leaseAlbums).Run(ctx, b.albumLoop) })
	if b.cfg.WebhookURL != "" {
		// Registering the webhook is retried until it works: Telegram
		// briefly unreachable at start is no reason to stop the product.
		bo := backoff.Backoff{Base: time.Second, Max: time.Minute}
		for {
			err := b.setWebhook(ctx)
			if err == nil || ctx.Err() != nil {
				break
			}
			wait := bo.Next()
			b.log.Warn().Err(err).Dur("retry_in", wait).Msg("register webhook")
			backoff.Sleep(ctx, wait)
		}
		<-ctx.Done()
		return nil
	}
	b.leaseHolder(leasePoller).Run(ctx, b.poll)
	return nil
}

func (b *Bot) leaseHolder(name string) *lease.Holder {
	return &lease.Holder{Store: b.leases, Name: name, ID: b.holder, TTL: b.cfg.LeaseTTL, Log: b.log}
}

// registerCommands publishes the command list in Spanish, English and the
// default language; a failure is logged, the bot works without it.
func (b *Bot) registerCommands(ctx context.Context) {
	api := b.api.Bot(ctx)
	for _, lang := range []string{"es", "en", ""} {
		tx := textsFor(lang)
		if lang == "" {
			tx = textsFor(b.cfg.DefaultLanguage)
		}
		var cmds []tgbotapi.BotCommand
		for _, c := range tx.Commands {
			cmds = append(cmds, tgbotapi.BotCommand{Command: c.Name, Description: c.Description})
		}
		cfg := tgbotapi.NewSetMyCommandsWithScopeAndLanguage(tgbotapi.NewBotCommandScopeDefault(), lang, cmds...)
		if _, err := api.Request(cfg); err != nil {
			b.log.Warn().Err(b.api.Redact(err)).Str("language", lang).Msg("setMyCommands")
		}
	}
}

func (b *Bot) setWebhook(ctx context.Context) error {
	params := tgbotapi.Params{"url": b.cfg.WebhookURL, "secret_token": b.cfg.WebhookSecret}
	_ = params.AddInterface("allowed_updates", []string{"message", "callback_query"})
	if _, err := b.api.Bot(ctx).MakeRequest("setWebhook", params); err != nil {
		return errors.New("telegram: setWebhook: " + b.api.Redact(err).Error())
	}
	b.log.Info().Msg("webhook registered")
	return nil
}

// poll polls while this process holds the poller lease (ctx ends when it is
// lost or the Bot stops).
func (b *Bot) poll(ctx context.Context) {
	b.log.Info().Str("holder", b.holder).Msg("polling")
	p := botapi.Poller{
		Client: b.api, Offsets: b.store, Handle: b.handleRaw, Quiet: busy,
		Timeout: b.cfg.PollTimeout, RetryWait: b.cfg.RetryWait, Workers: b.cfg.Workers, Log: b.log,
	}
	p.Run(ctx)
}

// busy reports an update handled elsewhere right now: not a failure.
func busy(err error) bool { return errors.Is(err, inbound.ErrBusy) }

// Routes mounts the webhook, in webhook mode, at POST /telegram/webhook:
// a failing update is answered 500 (Telegram sends it again) until it is
// given up after MaxAttempts, as in polling.
func (b *Bot) Routes(mux *http.ServeMux) {
	if b.cfg.WebhookURL == "" {
		return
	}
	mux.HandleFunc("POST "+WebhookPath, botapi.Webhook(b.cfg.WebhookSecret, b.handleRaw, busy, b.log))
}
