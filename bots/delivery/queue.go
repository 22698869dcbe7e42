package delivery

import (
	"context"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Queue is the storage delivery works on: the desk's events stream read
// through a consumer group, the per-target outboxes and the dead letters.
// cmd provides the Redis implementation (store.Outbox). Every write must be
// safe to repeat: a client may retry a command whose reply was lost.
type Queue interface {
	DeadLetterQueue

	// Join creates the consumer group on the events stream if needed, so
	// that events written before the first worker ran are delivered too.
	Join(ctx context.Context) error
	// Lead takes or renews the fan-out lease for holder for ttl and
	// reports whether holder has it: one worker at a time turns events
	// into messages, which keeps them in order per target.
	Lead(ctx context.Context, holder string, ttl time.Duration) (bool, error)
	// Resign gives the fan-out lease up if holder has it.
	Resign(ctx context.Context, holder string) error
	// ReadEvents returns up to count events the group has not read yet,
	// oldest first, waiting up to block for the first one; they stay
	// pending for consumer until enqueued. An entry that cannot be decoded
	// comes back as an Event with only its ID set.
	ReadEvents(ctx context.Context, consumer string, count int, block time.Duration) ([]tickets.Event, error)
	// ClaimEvents hands consumer up to count pending events that no
	// consumer touched for minIdle (their reader died or failed), oldest
	// first.
	ClaimEvents(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]tickets.Event, error)
	// TrimEvents drops the events every consumer group has acknowledged
	// that are older than before. Unread and pending events are kept.
	TrimEvents(ctx context.Context, before time.Time) error

	// Enqueue appends msgs to their targets' outboxes in one atomic step
	// and, when eventID is not "", acknowledges that event in the same
	// step. A message whose ID was enqueued before is skipped, and so is a
	// message whose Coalesce value still waits, untaken, in its target's
	// outbox. It returns how many messages were appended.
	Enqueue(ctx context.Context, eventID string, msgs []Message, now time.Time) (int, error)
	// Take leases the head message of one due target (its time came) whose
	// platform's rate allows a send now, for ttl: no other Take returns
	// that target before the lease ends or the lease is completed. rates
	// gives each rate-limited platform its least interval between sends,
	// shared by every worker. With nothing to send now it returns a zero
	// Lease and how long until something may be (a guess, or -1 when all
	// outboxes are empty).
	Take(ctx context.Context, now time.Time, ttl time.Duration, rates map[string]time.Duration) (Lease, time.Duration, error)
	// Done removes l's message from its outbox once it was sent, records
	// it as sent and makes the target due again at next if more messages
	// wait. gap is the least time before the target's next message even
	// if it is enqueued later.
	Done(ctx context.Context, l Lease, next time.Time, gap time.Duration) error
	// Retry keeps l's message at the head of its outbox, stored as m (with
	// its new attempt counts), and makes the target due at at.
	Retry(ctx context.Context, l Lease, m Message, at time.Time) error
	// Bury moves l's message to the dead letters as d and makes the target
	// due at now for its next message.
	Bury(ctx context.Context, l Lease, d DeadLetter, now time.Time) error
}

// DeadLetterQueue holds the messages delivery gave up on.
type DeadLetterQueue interface {
	// DeadLetters returns up to limit dead letters from offset, oldest
	// first, and how many there are.
	DeadLetters(ctx context.Context, offset, limit int) ([]DeadLetter, int64, error)
	// Replay moves the dead letter of message id back to the end of its
	// target's outbox with its attempts reset, and reports whether there
	// was one.
	Replay(ctx context.Context, id string, now time.Time) (bool, error)
}

// Lease is a message taken for sending. Token is the queue's own: it lets
// Done, Retry and Bury check that the message is still the one taken.
type Lease struct {
	Message Message
	Token   string
}

// Leased reports whether l holds a message.
func (l Lease) Leased() bool { return l.Token != "" }

// DeadLetter is a message delivery gave up on.
type DeadLetter struct {
	Message Message `json:"m"`
	// Reason is a short stable word: the PermanentError's reason,
	// "attempts" past the retry budget, "throttled" past the rate-limit
	// budget.
	Reason string    `json:"r"`
	Error  string    `json:"e"`
	At     time.Time `json:"at"`
}

// Metrics is told what delivery does; cmd wires it to Prometheus. The
// zero Options use one that does nothing.
type Metrics interface {
	// Delivered counts a message sent; lag is the time from its event to
	// the send, or -1 when unknown (direct messages).
	Delivered(platform string, lag time.Duration)
	// Retried counts a failed send that will be retried; reason is
	// "rate_limited" (the platform answered 429) or "error".
	Retried(platform, reason string)
	// DeadLettered counts a message moved to the dead letters.
	DeadLettered(platform, reason string)
}

type nopMetrics struct{}

func (nopMetrics) Delivered(string, time.Duration) {}
func (nopMetrics) Retried(string, string)          {}
func (nopMetrics) DeadLettered(string, string)     {}
