package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Message is one outbound chat message that an event means. Channels build
// them in Plan; delivery stores them (as JSON) until they are sent.
type Message struct {
	// ID is unique per message: the event's ID and Key; set by delivery.
	ID      string `json:"id"`
	EventID string `json:"ev"`
	// Platform names the Channel that sends the message.
	Platform string `json:"pf"`
	// Lane is the unit of order: messages of one lane are sent one at a
	// time, in the order they were queued, and one that keeps failing
	// holds back only its own lane (a Telegram chat; a Slack ticket, whose
	// card comes before its thread).
	Lane string `json:"tg"`
	// Bucket is the platform's budget the message spends, one of its
	// Limits.Buckets ("" is the platform's default bucket, named as the
	// platform). Pace and order are apart: lanes of one bucket share its
	// rate, and each bucket is paced on its own, so no bucket waits behind
	// another's backlog.
	Bucket string `json:"b,omitempty"`
	// Paced says the message counts against its lane's own spacing,
	// Limits.LaneGap (Telegram: sends to a chat; edits do not).
	Paced bool `json:"pc,omitempty"`
	// Key tells apart the messages one event means on one platform
	// ("customer", "card", "thread").
	Key    string `json:"k"`
	Number int64  `json:"n"` // the ticket
	// Kind and Payload are the Channel's own: what to send and its data.
	Kind    string          `json:"kd"`
	Payload json.RawMessage `json:"p,omitempty"`
	// Coalesce, when set, merges messages: while a message with the same
	// Coalesce value waits (not yet taken for sending) in its lane, a new
	// one is dropped, because the waiting one renders the latest state
	// when it is sent (for example a Slack card update).
	Coalesce string `json:"co,omitempty"`
	// Attempts counts failed sends so far; set by delivery.
	Attempts int `json:"at,omitempty"`
	// Throttled counts the platform's requests to wait (429) so far; they
	// are not failures and have a budget of their own; set by delivery.
	Throttled int `json:"th,omitempty"`
}

// BucketName returns the bucket m spends: its Bucket, or the platform's
// default bucket.
func (m Message) BucketName() string {
	if m.Bucket != "" {
		return m.Bucket
	}
	return m.Platform
}

// Channel is the outbound side of a chat adapter.
type Channel interface {
	// Platform returns the name messages carry in Message.Platform.
	Platform() string
	// Plan returns the messages event e means on this platform, possibly
	// none. It must be deterministic for an event: a redelivered event is
	// planned again.
	Plan(ctx context.Context, e tickets.Event) ([]Message, error)
	// Send sends m. It returns nil once the platform accepted it, a
	// *RetryAfterError when the platform asked to wait, a *PermanentError
	// when retrying cannot help, and any other error for a transient
	// failure (retried with capped exponential backoff and jitter).
	Send(ctx context.Context, m Message) error
	// Limits returns the platform's rate limits, which delivery respects
	// before the platform has to refuse.
	Limits() Limits
}

// Limits are a platform's sending limits.
type Limits struct {
	// LaneGap is the least time between two paced messages of one lane
	// (Telegram: 1 s per private chat).
	LaneGap time.Duration
	// Buckets gives each budget of the platform the least interval
	// between two messages that spend it, over all lanes and replicas
	// (Telegram "telegram": 1/30 s; Slack "slack", posts to the queue
	// channel: 1 s; "slack.update": 1.2 s). A bucket with interval 0, or
	// the default bucket when it is not listed, is not limited.
	Buckets map[string]time.Duration
}

// SentHandler is implemented by Channels that act once a message is out
// (for example recording that a reply reached the customer).
type SentHandler interface {
	Sent(ctx context.Context, m Message) error
}

// FailureHandler is implemented by Channels that act when a message is
// dead-lettered (for example flagging a customer who blocked the bot).
type FailureHandler interface {
	Failed(ctx context.Context, m Message, reason string) error
}

// RetryAfterError says the platform asked to wait After before sending
// again (Telegram retry_after, Slack Retry-After).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter wraps err as a *RetryAfterError.
func RetryAfter(after time.Duration, err error) error {
	return &RetryAfterError{After: after, Err: err}
}

// PermanentError says the message can never be sent (the bot was blocked,
// the chat deleted, the token revoked, the message invalid). Reason is a
// short stable word for agents and metrics ("blocked", "chat_not_found").
type PermanentError struct {
	Reason string
	Err    error
}

func (e *PermanentError) Error() string {
	return fmt.Sprintf("permanent failure (%s): %v", e.Reason, e.Err)
}
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a *PermanentError.
func Permanent(reason string, err error) error { return &PermanentError{Reason: reason, Err: err} }

// IsPermanent reports whether err is a *PermanentError and returns it.
func IsPermanent(err error) (*PermanentError, bool) {
	var p *PermanentError
	return p, errors.As(err, &p)
}

// IsRetryAfter reports whether err is a *RetryAfterError and returns it.
func IsRetryAfter(err error) (*RetryAfterError, bool) {
	var r *RetryAfterError
	return r, errors.As(err, &r)
}
