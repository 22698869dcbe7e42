package botapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
)

// Error is an error of a Bot API call with the token removed from its
// text (the library's transport errors carry URLs with the token).
type Error struct {
	msg        string
	Code       int // the Bot API's error_code; 0 for transport errors
	RetryAfter int // seconds, on 429
	err        error
}

func (e *Error) Error() string { return e.msg }

// Unwrap gives access to context errors; the library's own errors are not
// exposed, since their text may hold the token.
func (e *Error) Unwrap() error { return e.err }

// Redact returns err as an *Error with the token replaced by "<token>",
// keeping the Bot API's error code and retry_after.
func (c *Client) Redact(err error) error { return redactErr(err, c.token) }

func redactErr(err error, token string) error {
	if err == nil {
		return nil
	}
	e := &Error{msg: redact(err.Error(), token)}
	var te *tgbotapi.Error
	var tv tgbotapi.Error
	switch {
	case errors.As(err, &te):
		e.Code, e.RetryAfter = te.Code, te.RetryAfter
	case errors.As(err, &tv):
		e.Code, e.RetryAfter = tv.Code, tv.RetryAfter
	}
	switch {
	case errors.Is(err, context.Canceled):
		e.err = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		e.err = context.DeadlineExceeded
	}
	return e
}

// Redact removes token from s, plain or URL-escaped.
func Redact(s, token string) string {
	if token == "" {
		return s
	}
	s = strings.ReplaceAll(s, token, "<token>")
	if esc := url.PathEscape(token); esc != token {
		s = strings.ReplaceAll(s, esc, "<token>")
	}
	return s
}

func redact(s, token string) string { return Redact(s, token) }

// SendError maps a failed call (an *Error) to what delivery understands: a
// blocked customer or a deleted chat is permanent, 429 waits for
// retry_after, other 4xx cannot succeed on retry, and 5xx or transport
// errors are transient.
func SendError(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	desc := strings.ToLower(e.msg)
	switch {
	case e.Code == 429:
		after := time.Duration(e.RetryAfter) * time.Second
		if after <= 0 {
			after = time.Second
		}
		return delivery.RetryAfter(after, err)
	case e.Code == 403 && strings.Contains(desc, "blocked"):
		return delivery.Permanent(ReasonBlocked, err)
	case e.Code == 403 && strings.Contains(desc, "deactivated"):
		return delivery.Permanent(ReasonDeactivated, err)
	case e.Code == 403:
		return delivery.Permanent(ReasonForbidden, err)
	case e.Code == 400 && strings.Contains(desc, "chat not found"):
		return delivery.Permanent(ReasonChatNotFound, err)
	case e.Code == 401:
		return delivery.Permanent("unauthorized", err)
	case e.Code >= 400 && e.Code < 500:
		return delivery.Permanent("bad_request", err)
	}
	return err
}

// The reasons of permanent failures that make a customer unreachable.
const (
	ReasonBlocked      = "blocked"
	ReasonChatNotFound = "chat_not_found"
	ReasonDeactivated  = "deactivated"
	ReasonForbidden    = "forbidden"
)

// Unreachable reports whether a permanent failure's reason means the
// customer's chat refuses the bot.
func Unreachable(reason string) bool {
	switch reason {
	case ReasonBlocked, ReasonChatNotFound, ReasonDeactivated, ReasonForbidden:
		return true
	}
	return false
}

// UploadCode restores the error code that telegram-bot-api v5.5.1 leaves
// out of the errors of multipart uploads (UploadFiles sets only the
// description), from the description's standard prefix, so that a 403
// (blocked), 400 or 413 (refused file) and 429 are classified as for
// other sends.
func UploadCode(err error) error {
	var te *tgbotapi.Error
	if !errors.As(err, &te) || te.Code != 0 {
		return err
	}
	for _, p := range []struct {
		prefix string
		code   int
	}{
		{"Bad Request", 400}, {"Unauthorized", 401}, {"Forbidden", 403}, {"Not Found", 404},
		{"Request Entity Too Large", 413}, {"Too Many Requests", 429},
	} {
		if strings.HasPrefix(te.Message, p.prefix) {
			fixed := *te
			fixed.Code = p.code
			return &fixed
		}
	}
	return err
}

// LogBridge is the library's logger: it writes to log at debug level,
// with token redacted.
type LogBridge struct {
	Log   zerolog.Logger
	Token string
}

// Println implements tgbotapi.BotLogger.
func (l LogBridge) Println(v ...any) {
	l.Log.Debug().Str("source", "tgbotapi").Msg(Redact(strings.TrimSuffix(fmt.Sprintln(v...), "\n"), l.Token))
}

// Printf implements tgbotapi.BotLogger.
func (l LogBridge) Printf(format string, v ...any) {
	l.Log.Debug().Str("source", "tgbotapi").Msg(Redact(fmt.Sprintf(format, v...), l.Token))
}
