package telegram

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
)

// apiError is an error of a Bot API call with the token removed from its
// text (the library's transport errors carry URLs with the token).
type apiError struct {
	msg        string
	code       int // the Bot API's error_code; 0 for transport errors
	retryAfter int // seconds, on 429
	err        error
}

func (e *apiError) Error() string { return e.msg }

// Unwrap gives access to context errors; the library's own errors are not
// exposed, since their text may hold the token.
func (e *apiError) Unwrap() error { return e.err }

// redactErr returns err with every occurrence of token replaced by
// "<token>", keeping the Bot API's error code and retry_after.
func redactErr(err error, token string) error {
	if err == nil {
		return nil
	}
	e := &apiError{msg: redact(err.Error(), token)}
	var te *tgbotapi.Error
	var tv tgbotapi.Error
	switch {
	case errors.As(err, &te):
		e.code, e.retryAfter = te.Code, te.RetryAfter
	case errors.As(err, &tv):
		e.code, e.retryAfter = tv.Code, tv.RetryAfter
	}
	switch {
	case errors.Is(err, context.Canceled):
		e.err = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		e.err = context.DeadlineExceeded
	}
	return e
}

func redact(s, token string) string {
	if token == "" {
		return s
	}
	s = strings.ReplaceAll(s, token, "<token>")
	if esc := url.PathEscape(token); esc != token {
		s = strings.ReplaceAll(s, esc, "<token>")
	}
	return s
}

// sendError maps a failed send to what delivery understands: a blocked
// customer or a deleted chat is permanent, 429 waits for retry_after, other
// 4xx cannot succeed on retry, and 5xx or transport errors are transient.
func sendError(err error) error {
	var e *apiError
	if !errors.As(err, &e) {
		return err
	}
	desc := strings.ToLower(e.msg)
	switch {
	case e.code == 429:
		after := time.Duration(e.retryAfter) * time.Second
		if after <= 0 {
			after = time.Second
		}
		return delivery.RetryAfter(after, err)
	case e.code == 403 && strings.Contains(desc, "blocked"):
		return delivery.Permanent(reasonBlocked, err)
	case e.code == 403 && strings.Contains(desc, "deactivated"):
		return delivery.Permanent(reasonDeactivated, err)
	case e.code == 403:
		return delivery.Permanent(reasonForbidden, err)
	case e.code == 400 && strings.Contains(desc, "chat not found"):
		return delivery.Permanent(reasonChatNotFound, err)
	case e.code == 401:
		return delivery.Permanent("unauthorized", err)
	case e.code >= 400 && e.code < 500:
		return delivery.Permanent("bad_request", err)
	}
	return err
}

// The reasons of permanent failures that make a customer unreachable.
const (
	reasonBlocked      = "blocked"
	reasonChatNotFound = "chat_not_found"
	reasonDeactivated  = "deactivated"
	reasonForbidden    = "forbidden"
)

func unreachableReason(reason string) bool {
	switch reason {
	case reasonBlocked, reasonChatNotFound, reasonDeactivated, reasonForbidden:
		return true
	}
	return false
}

// logBridge is the library's logger: it writes to zerolog at debug level,
// with the token redacted.
type logBridge struct {
	log   zerolog.Logger
	token string
}

func (l logBridge) Println(v ...any) {
	l.log.Debug().Str("source", "tgbotapi").Msg(redact(strings.TrimSuffix(fmt.Sprintln(v...), "\n"), l.token))
}

func (l logBridge) Printf(format string, v ...any) {
	l.log.Debug().Str("source", "tgbotapi").Msg(redact(fmt.Sprintf(format, v...), l.token))
}

func b64(p []byte) string { return base64.RawURLEncoding.EncodeToString(p) }
