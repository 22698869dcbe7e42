package tickets

import (
	"context"
	"time"
)

// Store keeps tickets and their conversations. Every method that changes a
// ticket also appends the given Event to the desk's event log in the same
// atomic step. Implementations decide nothing about whether a change is
// allowed: the Service has decided before calling them.
type Store interface {
	// Create assigns the next ticket number to t, stores it with Version 1,
	// queues it at t.Score(), indexes it under its customer and appends
	// event (with the number filled in). requestID makes the call
	// idempotent: the Service sets t.OpenRequest to it, the store keeps it
	// with the ticket like every other field and recognises a repeated
	// Create by it; a repeated call with the same requestID returns the
	// ticket the first call created, as it is now, and writes nothing.
	Create(ctx context.Context, t Ticket, event Event, requestID string) (Ticket, error)
	// Get returns ticket number. Errors: ErrNotFound.
	Get(ctx context.Context, number int64) (Ticket, error)
	// Apply writes c.Ticket over the stored ticket if the stored version is
	// still c.Ticket.Version-1, appends c.Message (when not nil) and
	// c.Event, and moves the queue and agent indexes as c says. c.Ticket is
	// the whole new state, OpenRequest included: the store keeps nothing of
	// the record it replaces. Repeating a call with the same c.RequestID
	// after it succeeded is a no-op that succeeds and returns the ticket as
	// it is now, whatever changed since. Errors: ErrNotFound,
	// ErrVersionConflict.
	Apply(ctx context.Context, c Change) (Ticket, error)
	// ClaimNext takes the first ticket of the queue (lowest score, equal
	// scores to the lower number) and applies to it the claim c, decided by
	// the Service, in one atomic step: its status becomes c.To, its
	// assignee c.Agent, UpdatedAt c.At and its version increases; it leaves
	// the queue, joins c.Agent's index at c.At and counts as a claim made
	// at c.At (Queue.Position); c.Event, with the ticket's Number and
	// Priority filled in, is appended. A head whose status is not c.From is
	// skipped, never changed (it does not belong in the queue; the store
	// may drop it from there). A repeated call with the same c.RequestID
	// returns the ticket the first call claimed, as it is now, and writes
	// nothing. Errors: ErrQueueEmpty.
	ClaimNext(ctx context.Context, c NextClaim) (Ticket, error)
	// Applied reports whether a change of ticket number with requestID was
	// written (and is still remembered), so that a request handled again
	// after its reply was lost succeeds instead of being judged anew.
	Applied(ctx context.Context, number int64, requestID string) (bool, error)
	// Messages returns up to limit conversation entries of ticket number,
	// starting after message id after (0 for the first), oldest first.
	Messages(ctx context.Context, number, after int64, limit int) ([]Message, error)
	// LastMessages returns the last n conversation entries, oldest first.
	LastMessages(ctx context.Context, number int64, n int) ([]Message, error)
	// Erase writes e.Ticket over the stored ticket if the stored version
	// is still e.Ticket.Version-1, deletes its conversation, takes it out
	// of the queue, of the index of customer e.CustomerKey and of agent
	// e.Assignee's, and appends e.Event, in one atomic step. A ticket
	// erased already is returned as it is and nothing is written. Errors:
	// ErrNotFound, ErrVersionConflict.
	Erase(ctx context.Context, e Erasure) (Ticket, error)
}

// Change is one conditional update of a ticket, decided by the Service.
type Change struct {
	RequestID string
	Ticket    Ticket // the new state; Version is the new version (stored version + 1)
	// PreviousAssignee is who owned the ticket before the change, so the
	// store can move the agent index.
	PreviousAssignee string
	Queue            QueueOp
	Message          *Message // appended to the conversation; its ID is assigned by the store
	Event            Event
	// CountsAsClaim says the change takes the ticket off the queue for an
	// agent: the store counts it for wait estimates (see Queue.Position).
	CountsAsClaim bool
}

// QueueOp says what a change does to the ticket's place in the queue.
type QueueOp uint8

// The queue operations of a Change.
const (
	QueueKeep   QueueOp = iota // no change
	QueueAdd                   // (re)queue at Ticket.Score()
	QueueRemove                // take it out of the queue
)

// NextClaim describes the claim ClaimNext applies to the head of the queue,
// as the core decided it for a queued ticket.
type NextClaim struct {
	RequestID string
	From      Status // the status a queued ticket has (StatusOpen); the store skips a head in any other status
	To        Status // the status the claim leads to (from Transition)
	Agent     Agent
	At        time.Time
	// Event is the claimed event without Number and Priority, which the store fills from the ticket it takes.
	Event Event
}

// Queue reads the queue and the indexes.
type Queue interface {
	// Page returns up to limit queued tickets in queue order starting at
	// offset (0-based), and the queue length.
	Page(ctx context.Context, offset, limit int) ([]Ticket, int64, error)
	// Position reads ticket number's Slot in one round trip, counting the
	// claims made since claimsSince. Errors: ErrNotFound.
	Position(ctx context.Context, number int64, claimsSince time.Time) (Slot, error)
	// ByCustomer returns the customer's tickets, newest first.
	ByCustomer(ctx context.Context, customerKey string, offset, limit int) ([]Ticket, error)
	// ByAgent returns the tickets the agent owns, oldest claim first.
	ByAgent(ctx context.Context, agentID string, offset, limit int) ([]Ticket, error)
	// Lengths returns the number of queued tickets by priority.
	Lengths(ctx context.Context) (map[Priority]int64, error)
}

// Slot is a ticket with its place in the queue and the recent pace of
// claims, as Queue.Position reads them.
type Slot struct {
	Ticket       Ticket
	Position     int64 // 1-based; 0 when the ticket is not queued
	Length       int64 // queue length
	RecentClaims int64 // claims made since the time asked for
}

// Profiles keeps what the product remembers of customers.
type Profiles interface {
	// Profile returns the customer's profile; a customer never seen has a
	// zero Profile with CustomerKey set, not an error.
	Profile(ctx context.Context, customerKey string) (Profile, error)
	// SaveProfile stores p.
	SaveProfile(ctx context.Context, p Profile) error
	// ForgetCustomer deletes the customer's profile, the events they
	// caused (Actor.ID is customerKey) from the desk's event log and the
	// event dead letters of such events.
	ForgetCustomer(ctx context.Context, customerKey string) error
}

// Clock tells the time; tests use a fixed one.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
