package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

const (
	// maxAttempts bounds how often one update (or album flush) is tried
	// before it is given up as an inbound dead letter, so that a poisoned
	// update never blocks a chat.
	maxAttempts = 5
	// maxWebhookBody caps a webhook request; updates are a few KB.
	maxWebhookBody = 1 << 20
	// WebhookPath is where Routes serves Telegram's webhook.
	WebhookPath = "/telegram/webhook"
)

// Run registers the bot's commands and then, in webhook mode, registers the
// webhook, or else long-polls Telegram while it holds the poller lease. It
// also flushes buffered albums. It returns when ctx ends and its goroutines
// have stopped.
func (b *Bot) Run(ctx context.Context) error {
	b.registerCommands(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { b.albumLoop(ctx) })
	defer wg.Wait()
	if b.cfg.WebhookURL != "" {
		// Registering the webhook is retried until it works: Telegram
		// briefly unreachable at start is no reason to stop the product.
		for wait := time.Second; ; wait = min(2*wait, time.Minute) {
			err := b.setWebhook(ctx)
			if err == nil || ctx.Err() != nil {
				break
			}
			b.log.Warn().Err(err).Dur("retry_in", wait).Msg("register webhook")
			sleep(ctx, wait)
		}
		<-ctx.Done()
		return nil
	}
	return b.poll(ctx)
}

// registerCommands publishes the command list in Spanish, English and the
// default language; a failure is logged, the bot works without it.
func (b *Bot) registerCommands(ctx context.Context) {
	api := b.client(ctx)
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
	if _, err := b.client(ctx).MakeRequest("setWebhook", params); err != nil {
		return errors.New("telegram: setWebhook: " + redactErr(err, b.cfg.Token).Error())
	}
	b.log.Info().Msg("webhook registered")
	return nil
}

// poll waits for the poller lease and polls while it holds it.
func (b *Bot) poll(ctx context.Context) error {
	ttl := b.cfg.LeaseTTL
	for ctx.Err() == nil {
		ok, err := b.state.Lease(ctx, leasePoller, b.holder, ttl)
		if err != nil && ctx.Err() == nil {
			b.log.Warn().Err(err).Msg("take poller lease")
		}
		if !ok {
			sleep(ctx, ttl/3)
			continue
		}
		b.log.Info().Str("holder", b.holder).Msg("polling")
		b.pollHeld(ctx)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := b.state.ReleaseLease(rctx, leasePoller, b.holder); err != nil {
		b.log.Warn().Err(err).Msg("release poller lease")
	}
	return nil
}

// pollHeld polls until ctx ends or the lease is lost.
func (b *Bot) pollHeld(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { b.keepLease(ctx, cancel) })

	// A webhook left from webhook mode makes getUpdates fail with 409.
	if _, err := b.client(ctx).Request(tgbotapi.DeleteWebhookConfig{}); err != nil && ctx.Err() == nil {
		b.log.Warn().Err(redactErr(err, b.cfg.Token)).Msg("deleteWebhook")
	}
	offset := 0
	if v, ok, err := b.state.Value(ctx, keyOffset); err == nil && ok {
		offset, _ = strconv.Atoi(v)
	}
	attempts := map[int]int{}
	backoff := time.Duration(0)
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
			backoff = b.nextBackoff(backoff)
			sleep(ctx, backoff)
			continue
		}
		// Updates fetched are handled to the end even when ctx ends
		// meanwhile (within the per-update timeout): a graceful stop.
		wctx := context.WithoutCancel(ctx)
		next, failed := b.process(wctx, raws, offset, attempts)
		if next != offset {
			offset = next
			if err := b.state.SetValue(wctx, keyOffset, strconv.Itoa(offset), 0); err != nil {
				b.log.Warn().Err(err).Msg("store polling offset")
			}
		}
		if failed {
			backoff = b.nextBackoff(backoff)
			sleep(ctx, backoff)
		} else {
			backoff = 0
		}
	}
}

// keepLease renews the poller lease every third of its lifetime and
// cancels polling when another replica has it.
func (b *Bot) keepLease(ctx context.Context, lost context.CancelFunc) {
	ttl := b.cfg.LeaseTTL
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	held := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ok, err := b.state.Lease(ctx, leasePoller, b.holder, ttl)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			b.log.Warn().Err(err).Msg("renew poller lease")
			if time.Since(held) > ttl {
				lost() // it may have expired: stop rather than poll twice
				return
			}
		case !ok:
			b.log.Warn().Msg("poller lease lost")
			lost()
			return
		default:
			held = time.Now()
		}
	}
}

func (b *Bot) nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return b.cfg.RetryWait
	}
	return min(2*d, max(b.cfg.RetryWait, 30*time.Second))
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// getUpdates long-polls for the updates from offset, as raw JSON: one
// malformed update must not make the whole batch unreadable.
func (b *Bot) getUpdates(ctx context.Context, offset int) ([]json.RawMessage, error) {
	secs := int(b.cfg.PollTimeout / time.Second)
	rctx, cancel := context.WithTimeout(ctx, b.cfg.PollTimeout+15*time.Second)
	defer cancel()
	resp, err := b.client(rctx).Request(tgbotapi.UpdateConfig{Offset: offset, Limit: 100, Timeout: secs})
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
	id   int
	chat int64
	u    tgbotapi.Update
	raw  json.RawMessage
}

// process handles a batch of updates, the chats in parallel and each chat's
// updates in update_id order, and returns the offset to confirm: past
// every update handled (or skipped), and not past one that failed, which is
// fetched again (the ones after it, already handled, are then skipped as
// duplicates).
func (b *Bot) process(ctx context.Context, raws []json.RawMessage, offset int, attempts map[int]int) (next int, failed bool) {
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
		groups[chat] = append(groups[chat], pendingUpdate{id: u.UpdateID, chat: chat, u: u, raw: raw})
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
				err := b.HandleUpdate(ctx, p.u)
				if err == nil {
					continue
				}
				mu.Lock()
				if !errors.Is(err, errBusy) { // busy is not a failure of the update
					attempts[p.id]++
				}
				n := attempts[p.id]
				mu.Unlock()
				if n >= maxAttempts && ctx.Err() == nil && b.stateUp(ctx) {
					gerr := b.giveUpUpdate(ctx, p, err)
					if gerr == nil {
						continue
					}
					b.log.Warn().Err(gerr).Int("update_id", p.id).Msg("keep a failing update as a dead letter")
				}
				if ctx.Err() == nil {
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
	for id := range attempts {
		if id < next {
			delete(attempts, id)
		}
	}
	return next, false
}

// stateUp reports whether State answers. An update is skipped after
// repeated failures only while it does: when State (Redis) is down every
// update fails, and skipping would lose the customers' messages.
func (b *Bot) stateUp(ctx context.Context) bool {
	_, _, err := b.state.Value(ctx, keyOffset)
	return err == nil
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
// handling failed (Telegram retries) and 200 once the update is handled
// and stored.
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
	if err := b.HandleUpdate(r.Context(), u); err != nil {
		b.log.Error().Err(err).Int("update_id", u.UpdateID).Msg("handle update")
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}
