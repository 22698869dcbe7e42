package telegram

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Namespaces of the bot's inbound items (inbound.Marks).
const (
	nsUpdate = "telegram"
	nsAlbum  = "telegram-album"
)

// The flood counters' lifetimes: a minute's counter lives floodTTL, the
// count an update got is remembered countedTTL for its retries.
const (
	floodTTL   = 2 * time.Minute
	countedTTL = 10 * time.Minute
)

// HandleUpdate handles one update, once: a duplicate of an update already
// handled is skipped. It returns nil once everything the update caused is
// stored (the Service's changes and the outbound messages, in the outbox),
// or once the update was given up after repeated failures (kept as an
// inbound dead letter, its customer asked to send it again); after another
// error the same update may be handed in again. Both the polling loop and
// the webhook call it.
func (b *Bot) HandleUpdate(ctx context.Context, u tgbotapi.Update) error {
	raw, _ := json.Marshal(u)
	return b.handleRaw(ctx, u, raw)
}

// handleRaw is HandleUpdate with the update as Telegram sent it, for its
// dead letter.
func (b *Bot) handleRaw(ctx context.Context, u tgbotapi.Update, raw json.RawMessage) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.UpdateTimeout)
	defer cancel()
	chat := botapi.ChatOf(u)
	if chat != 0 {
		l := b.chatLock(chat)
		l.Lock()
		defer l.Unlock()
	}
	key := "u" + strconv.Itoa(u.UpdateID)
	from := senderOf(u)
	it := inbound.Item{
		Namespace: nsUpdate, ID: strconv.Itoa(u.UpdateID),
		DeadLetter: func() inbound.DeadLetter {
			return inbound.DeadLetter{Chat: strconv.FormatInt(chat, 10), Content: updateContent(u), Raw: raw}
		},
	}
	if chat > 0 {
		it.Tell = func(ctx context.Context) error {
			return b.tellLost(ctx, key, from, chat, func(tx *texts) string { return tx.LostMessage })
		}
	}
	return b.inbound.Handle(ctx, it, func(ctx context.Context) error { return b.handle(ctx, key, u) })
}

func senderOf(u tgbotapi.Update) *tgbotapi.User {
	switch {
	case u.Message != nil:
		return u.Message.From
	case u.CallbackQuery != nil:
		return u.CallbackQuery.From
	}
	return nil
}

// handle handles update u, whose turn key is key.
func (b *Bot) handle(ctx context.Context, key string, u tgbotapi.Update) error {
	switch {
	case u.Message != nil:
		m := u.Message
		if m.Chat == nil || m.From == nil || !m.Chat.IsPrivate() || m.From.IsBot {
			return nil // customers talk to the bot in private chats only
		}
		if err := b.flushBefore(ctx, m.Chat.ID, m.MediaGroupID); err != nil {
			return err
		}
		ctx, t, err := b.newTurn(ctx, key, m.From, m.Chat.ID)
		if err != nil {
			return err
		}
		// Every update counts, album parts too: a part over the limit is
		// refused like a text, never buffered.
		if over, err := b.flooded(ctx, t); err != nil || over {
			if err == nil {
				err = t.finish(ctx)
			}
			return err
		}
		if err := t.message(ctx, m); err != nil {
			return err
		}
		return t.finish(ctx)
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		if q.From == nil {
			return nil
		}
		chat := q.From.ID
		if q.Message != nil && q.Message.Chat != nil {
			chat = q.Message.Chat.ID
		}
		ctx, t, err := b.newTurn(ctx, key, q.From, chat)
		if err != nil {
			return err
		}
		t.answer = &callbackAnswer{id: q.ID}
		if over, err := b.flooded(ctx, t); err != nil || over {
			if err == nil {
				err = t.finish(ctx)
			}
			return err
		}
		if err := t.callback(ctx, q); err != nil {
			return err
		}
		return t.finish(ctx)
	}
	return nil // other kinds of updates are not for this bot
}

// flooded counts the update (an album part too) against the user's
// budget of the current minute and reports whether it is over; the first update over the
// budget in a window gets an explanation. What was handled before is kept.
// An update is counted once: its retries reuse the count it got.
func (b *Bot) flooded(ctx context.Context, t *turn) (bool, error) {
	n, err := b.store.CountFlood(ctx, t.user, t.key, b.now(), floodTTL, countedTTL)
	if err != nil {
		return false, err
	}
	if n <= int64(b.cfg.FloodLimit) {
		return false, nil
	}
	if t.answer != nil {
		t.answer.text = plainText(t.tx.Flood)
	} else if n == int64(b.cfg.FloodLimit)+1 { // one explanation per window
		t.sayf("%s", t.tx.Flood)
	}
	b.log.Info().Int64("user", t.user).Int64("count", n).Msg("flood limit")
	return true, nil
}

// newTurn starts the turn key of user from in chat: who speaks, in which
// language. The context it returns carries the turn's request ID, so that
// every Service write of the turn is idempotent.
func (b *Bot) newTurn(ctx context.Context, key string, from *tgbotapi.User, chat int64) (context.Context, *turn, error) {
	c := customerOf(from, chat)
	t := &turn{b: b, key: key, user: from.ID, chat: chat}
	p, err := b.svc.Profile(ctx, c)
	if err != nil {
		return ctx, nil, err
	}
	lang := p.Language
	if lang == "" {
		lang = languageOf(from.LanguageCode)
	}
	if lang == "" {
		lang = b.cfg.DefaultLanguage
	}
	t.cust, t.actor, t.profile = c, tickets.CustomerActor(c), p
	t.setLanguage(lang)
	return tickets.WithRequestID(ctx, "tg:"+key), t, nil
}

// customerOf is the customer user from writing in chat.
func customerOf(from *tgbotapi.User, chat int64) tickets.Customer {
	name := strings.TrimSpace(from.FirstName + " " + from.LastName)
	if name == "" {
		name = from.UserName
	}
	return tickets.Customer{
		Platform: Platform,
		UserID:   strconv.FormatInt(from.ID, 10),
		ChatID:   strconv.FormatInt(chat, 10),
		Name:     name,
	}
}
