package botapi

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
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/internal/backoff"
)

// maxWebhookBody caps a webhook request; updates are a few KB.
const maxWebhookBody = 1 << 20

// Handler handles one update: u as decoded, raw as Telegram sent it. It
// returns nil once what the update caused is stored (or the update was
// given up); after an error the update comes again.
type Handler func(ctx context.Context, u tgbotapi.Update, raw json.RawMessage) error

// Offsets keeps the polling offset: the first update_id not yet confirmed
// to Telegram.
type Offsets interface {
	Offset(ctx context.Context) (int, error)
	SaveOffset(ctx context.Context, offset int) error
}

// Poller long-polls getUpdates and hands each update to Handle, the chats
// in parallel and each chat's updates in update_id order. An update is
// confirmed (the offset moves past it) only once handled; one that fails
// is fetched again, and its chat's later updates wait for it.
type Poller struct {
	Client  *Client
	Offsets Offsets
	Handle  Handler
	// Quiet reports errors of Handle that are not failures (another
	// replica handles the update): retried without a warning.
	Quiet     func(error) bool
	Timeout   time.Duration // long-poll wait of getUpdates
	RetryWait time.Duration // the first pause after a failure, doubled up to 30 s
	Workers   int           // chats handled in parallel
	Log       zerolog.Logger
}

// Run polls until ctx ends. Updates fetched are handled to the end even
// when ctx ends meanwhile (each within its own deadline): a graceful stop.
func (p *Poller) Run(ctx context.Context) {
	// A webhook left from webhook mode makes getUpdates fail with 409.
	if _, err := p.Client.Bot(ctx).Request(tgbotapi.DeleteWebhookConfig{}); err != nil && ctx.Err() == nil {
		p.Log.Warn().Err(p.Client.Redact(err)).Msg("deleteWebhook")
	}
	offset, err := p.Offsets.Offset(ctx)
	if err != nil && ctx.Err() == nil {
		p.Log.Warn().Err(err).Msg("read polling offset; starting from Telegram's")
	}
	bo := backoff.Backoff{Base: p.RetryWait, Max: max(p.RetryWait, 30*time.Second)}
	for ctx.Err() == nil {
		raws, err := p.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var ae *Error
			if errors.As(err, &ae) && ae.Code == http.StatusConflict {
				p.Log.Warn().Err(err).Msg("getUpdates conflict: another poller or a webhook")
			} else {
				p.Log.Warn().Err(err).Msg("getUpdates")
			}
			backoff.Sleep(ctx, bo.Next())
			continue
		}
		wctx := context.WithoutCancel(ctx)
		next, failed := p.process(wctx, raws, offset)
		if next != offset {
			offset = next
			if err := p.Offsets.SaveOffset(wctx, offset); err != nil {
				p.Log.Warn().Err(err).Msg("store polling offset")
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
func (p *Poller) getUpdates(ctx context.Context, offset int) ([]json.RawMessage, error) {
	rctx, cancel := context.WithTimeout(ctx, p.Timeout+15*time.Second)
	defer cancel()
	resp, err := p.Client.Bot(rctx).Request(tgbotapi.UpdateConfig{Offset: offset, Limit: 100, Timeout: int(p.Timeout / time.Second)})
	if err != nil {
		return nil, p.Client.Redact(err)
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

// process handles a batch of updates and returns the offset to confirm:
// past every update handled (or skipped), and not past one that failed,
// which is fetched again (the ones after it, already handled, are then
// skipped as duplicates by Handle).
func (p *Poller) process(ctx context.Context, raws []json.RawMessage, offset int) (next int, failed bool) {
	next = offset
	groups := map[int64][]pendingUpdate{}
	for _, raw := range raws {
		var head struct {
			UpdateID int `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			p.Log.Error().Err(err).Msg("update without a readable update_id skipped")
			continue
		}
		next = max(next, head.UpdateID+1)
		var u tgbotapi.Update
		if err := json.Unmarshal(raw, &u); err != nil {
			p.Log.Error().Err(err).Int("update_id", head.UpdateID).Msg("malformed update skipped")
			continue
		}
		chat := ChatOf(u)
		if chat == 0 {
			chat = -int64(u.UpdateID) // its own group
		}
		groups[chat] = append(groups[chat], pendingUpdate{id: u.UpdateID, u: u, raw: raw})
	}
	var mu sync.Mutex
	firstFailed := 0
	sem := make(chan struct{}, max(p.Workers, 1))
	var wg sync.WaitGroup
	for _, g := range groups {
		sort.Slice(g, func(i, j int) bool { return g[i].id < g[j].id })
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, pu := range g {
				err := p.Handle(ctx, pu.u, pu.raw)
				if err == nil {
					continue
				}
				if (p.Quiet == nil || !p.Quiet(err)) && ctx.Err() == nil {
					p.Log.Warn().Err(err).Int("update_id", pu.id).Msg("handle update")
				}
				mu.Lock()
				if firstFailed == 0 || pu.id < firstFailed {
					firstFailed = pu.id
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

// Webhook returns the handler of the updates Telegram POSTs: 401 without
// the right secret token (compared in constant time), 413 for a body over
// 1 MB, 400 for a body that is not an update, 500 when handling failed
// (Telegram sends it again) and 200 once the update is handled.
func Webhook(secret string, handle Handler, quiet func(error) bool, log zerolog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			log.Warn().Str("remote", r.RemoteAddr).Msg("webhook request with a wrong secret token refused")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				log.Warn().Int64("limit", mbe.Limit).Msg("webhook body too large")
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var u tgbotapi.Update
		if err := json.Unmarshal(body, &u); err != nil || u.UpdateID == 0 {
			log.Error().Err(err).Int("bytes", len(body)).Msg("malformed webhook update refused")
			http.Error(w, "malformed update", http.StatusBadRequest)
			return
		}
		if err := handle(r.Context(), u, body); err != nil {
			if quiet == nil || !quiet(err) {
				log.Error().Err(err).Int("update_id", u.UpdateID).Msg("handle update")
			}
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// ChatOf returns the chat an update comes from, 0 when none.
func ChatOf(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return u.CallbackQuery.From.ID
	}
	return 0
}
