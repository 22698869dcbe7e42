package telegram

import (
	"context"
	"fmt"

	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// turn is the handling of one update (or of one buffered album): who
// speaks, in which language, and the messages the bot answers with, which
// are enqueued together at the end with IDs derived from the update. The
// context (with the turn's request ID) is passed to each method, never
// kept.
type turn struct {
	b       *Bot
	key     string // "u<update_id>" or "a<media_group_id>"
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

func (t *turn) setLanguage(lang string) {
	t.lang, t.tx = lang, textsFor(lang)
	t.cust.Language = lang
}

// say queues r (split if long) with keyboard kb on its last part; ticket,
// when not 0, is remembered for the sent messages so replies reach it.
func (t *turn) say(r *botapi.Rich, kb [][]button, ticket int64) {
	for _, m := range planText(t.chat, ticket, "", r, kb) {
		t.add(m)
	}
}

// sayf queues one message of trusted markup.
func (t *turn) sayf(format string, args ...any) {
	t.say((&botapi.Rich{}).Markup(format, args...), nil, 0)
}

// edit queues an edit of message id to r (one message's worth) with
// keyboard kb (nil removes the keyboard): the answer to a button press in
// one Bot API call. Without a message to edit, r is sent instead.
func (t *turn) edit(id int, r *botapi.Rich, kb [][]button) {
	texts := r.Messages(botapi.MaxText)
	if id <= 0 || len(texts) != 1 {
		t.say(r, kb, 0)
		return
	}
	t.add(newMessage(t.chat, 0, "", kindEdit, payload{Chat: t.chat, Edit: id, Text: texts[0], Keyboard: kb}))
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
		if _, err := t.b.api.Bot(ctx).Request(c); err != nil {
			// An answer only stops the client's spinner; an old query
			// cannot be answered any more.
			t.b.log.Debug().Err(t.b.api.Redact(err)).Msg("answer callback query")
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
		t.reply(t.tx.Refusal(number, err))
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

// answerText sets the toast of a button press, if this turn is one.
func (t *turn) answerText(s string) {
	if t.answer != nil {
		t.answer.text = s
	}
}

// plainText strips the markup of a short trusted text, for toasts.
func plainText(markup string) string {
	s := botapi.StripTags(markup)
	if len([]rune(s)) > 190 {
		s = string([]rune(s)[:190]) + "…"
	}
	return s
}
