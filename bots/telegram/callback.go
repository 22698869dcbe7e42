package telegram

import (
	"context"
	"crypto/hmac"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Callback data is "act:arg:tag", where tag is an HMAC of the user it was
// made for, act and arg under a key derived from the bot token. Data that
// another user presses, that was forged or that lost its meaning (an old
// form, an old terms version) is answered as expired and changes nothing.
// Every action is still authorized by the Service against the presser
// (callback_query.from.id), never by what the data says.
const (
	actTerms    = "t" // arg: termsTag(version)
	actLanguage = "l" // arg: "es" or "en"
	actNature   = "n" // arg: draft nonce "." nature index
	actUrgency  = "u" // arg: draft nonce "." urgency index
	actStatus   = "s" // arg: ticket number
	actClose    = "c" // arg: ticket number
	actReopen   = "o" // arg: ticket number
	actRate     = "r" // arg: ticket number "." stars
	actRoute    = "m" // arg: ticket number "." pending message's turn
	actAddTo    = "w" // arg: ticket number (at the cap of active tickets)
	actForget   = "x" // arg: when the confirmation expires (Unix seconds, base 36)
)

// data returns the callback data of act with arg for user.
func (b *Bot) data(user int64, act, arg string) string {
	return act + ":" + arg + ":" + b.sign(user, act, arg)
}

// parseData checks data pressed by user and returns its act and arg.
func (b *Bot) parseData(user int64, data string) (act, arg string, ok bool) {
	first := strings.IndexByte(data, ':')
	last := strings.LastIndexByte(data, ':')
	if first <= 0 || last <= first {
		return "", "", false
	}
	act, arg, tag := data[:first], data[first+1:last], data[last+1:]
	if !hmac.Equal([]byte(tag), []byte(b.sign(user, act, arg))) {
		return "", "", false
	}
	return act, arg, true
}

// callback handles a button press.
func (t *turn) callback(ctx context.Context, q *tgbotapi.CallbackQuery) error {
	act, arg, ok := t.b.parseData(t.user, q.Data)
	if !ok {
		t.answer.text = t.tx.Expired
		t.b.log.Info().Int64("user", t.user).Msg("callback data refused")
		return nil
	}
	msgID := 0
	if q.Message != nil {
		msgID = q.Message.MessageID
	}
	num, rest, _ := strings.Cut(arg, ".")
	n, _ := strconv.ParseInt(num, 10, 64)
	switch act {
	case actTerms:
		return t.acceptTerms(ctx, arg)
	case actLanguage:
		return t.setLanguageTo(ctx, arg)
	case actNature, actUrgency:
		return t.choose(ctx, act, num, rest, msgID)
	case actStatus:
		return t.status(ctx, n)
	case actClose, actReopen:
		var err error
		if act == actClose {
			_, err = t.b.svc.Close(ctx, t.actor, n)
		} else {
			_, err = t.b.svc.Reopen(ctx, t.actor, n)
		}
		if err != nil {
			return t.fail(n, err)
		}
		t.answer.text = t.tx.Done // the status push tells the rest
		return nil
	case actRate:
		stars, _ := strconv.Atoi(rest)
		return t.rate(ctx, n, stars)
	case actRoute:
		return t.routeChosen(ctx, n, rest, msgID)
	case actAddTo:
		return t.addTo(ctx, n)
	case actForget:
		return t.forget(ctx, arg, msgID)
	}
	t.answer.text = t.tx.Expired
	return nil
}
