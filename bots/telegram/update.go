package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// errBusy says another goroutine or replica is handling the same update
// right now; it is retried later.
var errBusy = errors.New("update is being handled elsewhere")

// doneTTL is how long a handled update_id is remembered: Telegram keeps
// unconfirmed updates for 24 hours.
const doneTTL = 48 * time.Hour

// floodTTL is how long a minute's flood counter lives, and countedTTL how
// long the count an update got is remembered for its retries.
const (
	floodTTL   = 2 * time.Minute
	countedTTL = 10 * time.Minute
)

// HandleUpdate handles one update, once: a duplicate of an update already
// handled is skipped. It returns nil once everything the update caused is
// stored (the Service's changes and the outbound messages, in the outbox);
// after an error nothing is marked, and the same update may be handed in
// again. Both the polling loop and the webhook call it.
func (b *Bot) HandleUpdate(ctx context.Context, u tgbotapi.Update) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.UpdateTimeout)
	defer cancel()
	if chat := chatOf(u); chat != 0 {
		l := b.chatLock(chat)
		l.Lock()
		defer l.Unlock()
	}
	// The marker is "busy" while the update is handled and "done" after:
	// a crash in between leaves "busy", which expires, so the update is
	// handled again when Telegram redelivers it (every write it makes is
	// idempotent), never lost.
	name := keyUpdate(u.UpdateID)
	ok, err := b.state.SetValueNX(ctx, name, "busy", b.cfg.UpdateTimeout+5*time.Second)
	if err != nil {
		return err
	}
	if !ok {
		v, _, err := b.state.Value(ctx, name)
		if err != nil {
			return err
		}
		if v == "done" {
			b.log.Debug().Int("update_id", u.UpdateID).Msg("duplicate update skipped")
			return nil
		}
		return errBusy
	}
	// The marker is written even when ctx ended meanwhile: what it
	// records happened.
	mctx, mcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer mcancel()
	if err := b.handle(ctx, u); err != nil {
		if derr := b.state.DeleteValue(mctx, name); derr != nil {
			b.log.Warn().Err(derr).Int("update_id", u.UpdateID).Msg("clear update marker")
		}
		return err
	}
	return b.state.SetValue(mctx, name, "done", doneTTL)
}

func chatOf(u tgbotapi.Update) int64 {
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

// turn is the handling of one update (or of one buffered album): who
// speaks, in which language, and the messages the bot answers with, which
// are enqueued together at the end with IDs derived from the update.
type turn struct {
	b       *Bot
	ctx     context.Context // carries the request ID derived from key
	key     string          // "u<update_id>" or "a<media_group_id>"
	user    int64
	chat    int64
	cust    tickets.Customer
	actor   tickets.Actor
	profile tickets.Profile
	tx      *texts
	lang    string
	msgs    []delivery.Message
	answer  *callbackAnswer
}

type callbackAnswer struct {
	id, text string
}

func (b *Bot) newTurn(ctx context.Context, key string, from *tgbotapi.User, chat int64) (*turn, error) {
	name := strings.TrimSpace(from.FirstName + " " + from.LastName)
	if name == "" {
		name = from.UserName
	}
	c := tickets.Customer{
		Platform: Platform,
		UserID:   strconv.FormatInt(from.ID, 10),
		ChatID:   strconv.FormatInt(chat, 10),
		Name:     name,
	}
	t := &turn{b: b, ctx: tickets.WithRequestID(ctx, "tg:"+key), key: key, user: from.ID, chat: chat}
	p, err := b.svc.Profile(ctx, c)
	if err != nil {
		return nil, err
	}
	lang := p.Language
	if lang == "" {
		lang = languageOf(from.LanguageCode)
	}
	if lang == "" {
		lang = b.cfg.DefaultLanguage
	}
	c.Language = lang
	t.cust, t.actor, t.profile = c, tickets.CustomerActor(c), p
	t.setLanguage(lang)
	return t, nil
}

func (t *turn) setLanguage(lang string) {
	t.lang, t.tx = lang, textsFor(lang)
	t.cust.Language = lang
}

// say queues r (split if long) with keyboard kb on its last part; ticket,
// when not 0, is remembered for the sent messages so replies reach it.
func (t *turn) say(r *rich, kb [][]button, ticket int64) {
	for _, m := range planText(t.chat, ticket, "", r, kb) {
		t.add(m)
	}
}

// sayf queues one message of trusted markup.
func (t *turn) sayf(format string, args ...any) {
	t.say((&rich{}).markup(format, args...), nil, 0)
}

// edit queues an edit of message id to markup, removing its keyboard.
func (t *turn) edit(id int, markup string) {
	if id <= 0 {
		return
	}
	t.add(newMessage(t.chat, 0, "", kindEdit, payload{Chat: t.chat, Edit: id, Text: markup}))
}

func (t *turn) add(m delivery.Message) {
	m.ID = fmt.Sprintf("tg:%s:%d", t.key, len(t.msgs)+1)
	m.Key = m.ID
	t.msgs = append(t.msgs, m)
}

// finish enqueues the turn's messages and answers its button press.
func (t *turn) finish(ctx context.Context) error {
	if len(t.msgs) > 0 {
		if err := t.b.outbox.Enqueue(ctx, t.msgs...); err != nil {
			if p, ok := delivery.IsPermanent(err); ok {
				// Only a synchronous outbox sends here; the chat refuses
				// messages for good, which retrying the update cannot fix.
				t.b.log.Warn().Str("reason", p.Reason).Int64("chat", t.chat).Msg("answer not deliverable")
			} else {
				return err
			}
		}
	}
	if t.answer != nil {
		c := tgbotapi.NewCallback(t.answer.id, t.answer.text)
		if _, err := t.b.client(ctx).Request(c); err != nil {
			// An answer only stops the client's spinner; an old query
			// cannot be answered any more.
			t.b.log.Debug().Err(redactErr(err, t.b.cfg.Token)).Msg("answer callback query")
		}
	}
	return nil
}

// fail turns err into a reply: the errors of the core that a customer can
// act upon become a message in their language; internal errors are
// returned, so the update is handled again.
func (t *turn) fail(number int64, err error) error {
	switch tickets.ErrorCode(err) {
	case tickets.ENOTFOUND:
		t.reply(fmt.Sprintf(t.tx.NotFoundF, number))
	case tickets.ETERMS:
		t.askTerms(true)
	case tickets.EINVALID, tickets.ECONFLICT, tickets.EFORBIDDEN:
		t.reply(t.tx.refusal(number, err))
	default:
		return err
	}
	return nil
}

// reply answers a button press with a toast, or a message with a message.
func (t *turn) reply(markup string) {
	if t.answer != nil {
		t.answer.text = plainText(markup)
		return
	}
	t.sayf("%s", markup)
}

// plainText strips the markup of a short trusted text, for toasts.
func plainText(markup string) string {
	s := stripTags(markup)
	if len([]rune(s)) > 190 {
		s = string([]rune(s)[:190]) + "…"
	}
	return s
}

func (b *Bot) handle(ctx context.Context, u tgbotapi.Update) error {
	key := "u" + strconv.Itoa(u.UpdateID)
	switch {
	case u.Message != nil:
		m := u.Message
		if m.Chat == nil || m.From == nil || !m.Chat.IsPrivate() || m.From.IsBot {
			return nil // customers talk to the bot in private chats only
		}
		if err := b.flushBefore(ctx, m.Chat.ID, m.MediaGroupID); err != nil {
			return err
		}
		t, err := b.newTurn(ctx, key, m.From, m.Chat.ID)
		if err != nil {
			return err
		}
		if m.MediaGroupID == "" { // an album counts once, when it is flushed
			if over, err := b.flooded(ctx, t); err != nil || over {
				if err == nil {
					err = t.finish(ctx)
				}
				return err
			}
		}
		if err := t.message(m); err != nil {
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
		t, err := b.newTurn(ctx, key, q.From, chat)
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
		if err := t.callback(q); err != nil {
			return err
		}
		return t.finish(ctx)
	}
	return nil // other kinds of updates are not for this bot
}

// flooded counts the update (or album) against the user's budget of the
// current minute and reports whether it is over; the first update over the
// budget in a window gets an explanation. What was handled before is kept.
// An update is counted once: its retries reuse the count it got.
func (b *Bot) flooded(ctx context.Context, t *turn) (bool, error) {
	counted := keyCounted(t.key)
	v, ok, err := b.state.Value(ctx, counted)
	if err != nil {
		return false, err
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	if !ok || n <= 0 {
		window := time.Now().Unix() / 60
		if n, err = b.state.Incr(ctx, keyFlood(t.user, window), floodTTL); err != nil {
			return false, err
		}
		if err := b.state.SetValue(ctx, counted, strconv.FormatInt(n, 10), countedTTL); err != nil {
			return false, err
		}
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
