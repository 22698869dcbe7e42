package delivery

import (
	"context"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Queue is the storage delivery works on: the desk's events stream read
// through a consumer group, the per-lane outboxes, the rate buckets and
// the dead letters. cmd provides the Redis implementation (store.Outbox).
// Every write must be safe to repeat: a client may retry a command whose
// reply was lost.
type Queue interface {
	DeadLetterQueue

	// Ping checks that the queue answers: a failure to plan an event is
	// held against the event only while it does.
	Ping(ctx context.Context) error
	// Join creates the consumer group on the events stream if needed, so
	// that events written before the first worker ran are delivered too.
	Join(ctx context.Context) error
	// ReadEvents returns up to count events the group has not read yet,
	// oldest first, waiting up to block for the first one; they stay
	// pending for consumer until enqueued or buried. An entry that cannot
	// be decoded comes back as an Event with only its ID set.
	ReadEvents(ctx context.Context, consumer string, count int, block time.Duration) ([]tickets.Event, error)
	// ClaimEvents hands consumer up to count pending events that no
	// consumer touched for minIdle (their reader died or failed), oldest
	// first.
	ClaimEvents(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]tickets.Event, error)
	// TrimEvents drops the events every consumer group has acknowledged
	// that are older than before. Unread and pending events are kept.
	TrimEvents(ctx context.Context, before time.Time) error
	// BuryEvent keeps event e, which could not be planned (cause says
	// why), as an event dead letter and acknowledges it, in one step.
	BuryEvent(ctx context.Context, e tickets.Event, cause string, now time.Time) error

	// Enqueue appends msgs to their lanes' outboxes in one atomic step
	// and, when eventID is not "", acknowledges that event in the same
	// step. A message whose ID was enqueued before is skipped, and so is a
	// message whose Coalesce value still waits, untaken, in its lane. It
	// returns how many messages were appended.
	Enqueue(ctx context.Context, eventID string, msgs []Message, now time.Time) (int, error)
	// Take leases the head message of one due lane (its time came) whose
	// bucket allows a send now, for ttl: no other Take returns that lane
	// before the lease ends or is completed. buckets lists every bucket
	// with its least interval between sends (0: not limited), shared by
	// every worker, in the order to look at them (callers rotate it, so
	// that no bucket waits behind another). id names the take: a take
	// repeated with the same id (a client retry) returns the same lease.
	// With nothing to send now it returns a zero Lease and how long until
	// something may be (a guess, or -1 when all outboxes are empty).
	Take(ctx context.Context, id string, now time.Time, ttl time.Duration, buckets []Bucket) (Lease, time.Duration, error)
	// Renew extends l for ttl while its send is in flight; it reports
	// false when l is no longer held (it expired and the lane was taken).
	Renew(ctx context.Context, l Lease, ttl time.Duration, now time.Time) (bool, error)
	// Done removes l's message from its lane once it was sent and records
	// it as sent; when gap is positive, the lane's next paced message waits
	// gap, even if it is enqueued later.
	Done(ctx context.Context, l Lease, gap time.Duration, now time.Time) error
	// Retry keeps l's message at the head of its lane, stored as m (with
	// its new attempt counts), and makes the lane due at at. With refund,
	// the send failed before the platform counted it (a 5xx, a timeout):
	// its share of the bucket's rate is given back, so that a message
	// that keeps failing does not use up the budget of the others.
	Retry(ctx context.Context, l Lease, m Message, at time.Time, refund bool) error
	// Bury moves l's message to the dead letters as d and makes the lane
	// due at now for its next message.
	Bury(ctx context.Context, l Lease, d DeadLetter, now time.Time) error
}

// Bucket is a rate budget with the least interval between two sends that
// spend it (0: not limited).
type Bucket struct {
	Name     string
	Interval time.Duration
}

// DeadLetterQueue holds what delivery gave up on: messages it could not
// send and events it could not plan. Both are bounded (store.Options).
type DeadLetterQueue interface {
	// DeadLetters returns up to limit dead letters from offset, oldest
	// first, and how many there are.
	DeadLetters(ctx context.Context, offset, limit int) ([]DeadLetter, int64, error)
	// Replay moves the dead letter of message id back to the end of its
	// lane with its attempts reset, and reports whether there was one.
	Replay(ctx context.Context, id string, now time.Time) (bool, error)
	// EventDeadLetters returns up to limit event dead letters from
	// offset, oldest first, and how many there are.
	EventDeadLetters(ctx context.Context, offset, limit int) ([]EventDeadLetter, int64, error)
	// ReplayEvent puts the event dead letter id back into the events
	// stream, to be planned again, and reports whether there was one.
	ReplayEvent(ctx context.Context, id string) (bool, error)
}

// Lease is a message taken for sending. Token is the queue's own: it lets
// Renew, Done, Retry and Bury check that the message is still the one
// taken.
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

// EventDeadLetter is an event delivery could not plan (a corrupt record, a
// ticket deleted by hand, an entry that cannot be decoded): it was
// acknowledged, so that the events after it go on and the stream trims.
type EventDeadLetter struct {
	ID     string    `json:"id"`
	Number int64     `json:"n,omitempty"`
	Kind   string    `json:"k,omitempty"`
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
