package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/internal/backoff"
	"github.com/colombiainformatica/ticketbot/internal/lease"
)

const (
	// maxWebhookBody caps a webhook request; updates are a few KB.
	maxWebhookBody = 1 << 20
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
	api := b.api.bot(ctx)
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
			b.log.Warn().Err(redactErr(err, b.cfg.Token)).Str("language", lang).Msg("setMyCommands")
		}
	}
}

func (b *Bot) setWebhook(ctx context.Context) error {
	params := tgbotapi.Params{"url": b.cfg.WebhookURL, "secret_token": b.cfg.WebhookSecret}
	_ = params.AddInterface("allowed_updates", []string{"message", "callback_query"})
	if _, err := b.api.bot(ctx).MakeRequest("setWebhook", params); err != nil {
		return errors.New("telegram: setWebhook: " + redactErr(err, b.cfg.Token).Error())
	}
	b.log.Info().Msg("webhook registered")
	return nil
}

// poll polls while this process holds the poller lease (ctx ends when it is
// lost or the Bot stops).
func (b *Bot) poll(ctx context.Context) {
	b.log.Info().Str("holder", b.holder).Msg("polling")
	// A webhook left from webhook mode makes getUpdates fail with 409.
	if _, err := b.api.bot(ctx).Request(tgbotapi.DeleteWebhookConfig{}); err != nil && ctx.Err() == nil {
		b.log.Warn().Err(redactErr(err, b.cfg.Token)).Msg("deleteWebhook")
	}
	offset, err := b.store.Offset(ctx)
	if err != nil && ctx.Err() == nil {
		b.log.Warn().Err(err).Msg("read polling offset; starting from Telegram's")
	}
	bo := backoff.Backoff{Base: b.cfg.RetryWait, Max: max(b.cfg.RetryWait, 30*time.Second)}
	for ctx.Err() == nil {
		raws, err := b.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var ae *apiError
			if errors.As(err, &ae) && ae.code == http.StatusConflict {
				b.log.Warn().Err(err).Msg("getUpdates conflict: another poller or a webhook")
			} else {
				b.log.Warn().Err(err).Msg("getUpdates")
			}
			backoff.Sleep(ctx, bo.Next())
			continue
		}
		// Updates fetched are handled to the end even when ctx ends
		// meanwhile (within the per-update timeout): a graceful stop.
		wctx := context.WithoutCancel(ctx)
		next, failed := b.process(wctx, raws, offset)
		if next != offset {
			offset = next
			if err := b.store.SaveOffset(wctx, offset); err != nil {
				b.log.Warn().Err(err).Msg("store polling offset")
			}
		}
		if failed {
			backoff.Sleep(ctx, bo.Next())
		} else {
			bo.Reset()
		}
	}
}

// getUpdates long-polls for the updates from offset, as raw JSON: one
// malformed update must not make the whole batch unreadable.
func (b *Bot) getUpdates(ctx context.Context, offset int) ([]json.RawMessage, error) {
	secs := int(b.cfg.PollTimeout / time.Second)
	rctx, cancel := context.WithTimeout(ctx, b.cfg.PollTimeout+15*time.Second)
	defer cancel()
	resp, err := b.api.bot(rctx).Request(tgbotapi.UpdateConfig{Offset: offset, Limit: 100, Timeout: secs})
	if err != nil {
		return nil, redactErr(err, b.cfg.Token)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(resp.Result, &raws); err != nil {
		return nil, errors.New("telegram: getUpdates answered something else than a list: " + err.Error())
	}
	return raws, nil
}

type pendingUpdate struct {
	id  int
	u   tgbotapi.Update
	raw json.RawMessage
}

// process handles a batch of updates, the chats in parallel and each chat's
// updates in update_id order, and returns the offset to confirm: past
// every update handled (or skipped, or given up), and not past one that
// failed, which is fetched again (the ones after it, already handled, are
// then skipped as duplicates).
func (b *Bot) process(ctx context.Context, raws []json.RawMessage, offset int) (next int, failed bool) {
	next = offset
	groups := map[int64][]pendingUpdate{}
	for _, raw := range raws {
		var head struct {
			UpdateID int `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			b.log.Error().Err(err).Msg("update without a readable update_id skipped")
			continue
		}
		next = max(next, head.UpdateID+1)
		var u tgbotapi.Update
		if err := json.Unmarshal(raw, &u); err != nil {
			b.log.Error().Err(err).Int("update_id", head.UpdateID).Msg("malformed update skipped")
			continue
		}
		chat := chatOf(u)
		if chat == 0 {
			chat = -int64(u.UpdateID) // its own group
		}
		groups[chat] = append(groups[chat], pendingUpdate{id: u.UpdateID, u: u, raw: raw})
	}
	var mu sync.Mutex
	firstFailed := 0
	sem := make(chan struct{}, b.cfg.Workers)
	var wg sync.WaitGroup
	for _, g := range groups {
		sort.Slice(g, func(i, j int) bool { return g[i].id < g[j].id })
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, p := range g {
				err := b.handleRaw(ctx, p.u, p.raw)
				if err == nil {
					continue
				}
				if !errors.Is(err, inbound.ErrBusy) && ctx.Err() == nil {
					b.log.Warn().Err(err).Int("update_id", p.id).Msg("handle update")
				}
				mu.Lock()
				if firstFailed == 0 || p.id < firstFailed {
					firstFailed = p.id
				}
				mu.Unlock()
				return // the chat's later updates wait for this one
			}
		})
	}
	wg.Wait()
	if firstFailed != 0 {
		return max(offset, firstFailed), true
	}
	return next, false
}

// Routes mounts the webhook, in webhook mode, at POST /telegram/webhook.
func (b *Bot) Routes(mux *http.ServeMux) {
	if b.cfg.WebhookURL == "" {
		return
	}
	mux.HandleFunc("POST "+WebhookPath, b.serveWebhook)
}

// serveWebhook handles one update POSTed by Telegram. It answers 401 without
// the right secret token, 400 for a body that is not an update, 500 when
// handling failed (Telegram retries; after MaxAttempts failures the update
// is given up, as in polling, and answered 200) and 200 once the update is
// handled and stored.
func (b *Bot) serveWebhook(w http.ResponseWriter, r *http.Request) {
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(b.cfg.WebhookSecret)) != 1 {
		b.log.Warn().Str("remote", r.RemoteAddr).Msg("webhook request with a wrong secret token refused")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			b.log.Warn().Int64("limit", mbe.Limit).Msg("webhook body too large")
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(body, &u); err != nil || u.UpdateID == 0 {
		b.log.Error().Err(err).Int("bytes", len(body)).Msg("malformed webhook update refused")
		http.Error(w, "malformed update", http.StatusBadRequest)
		return
	}
	if err := b.handleRaw(r.Context(), u, body); err != nil {
		if !errors.Is(err, inbound.ErrBusy) {
			b.log.Error().Err(err).Int("update_id", u.UpdateID).Msg("handle update")
		}
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}
