package tickets

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Observer is told about every Service operation and every event it emits;
// cmd uses it for metrics. The zero Config uses one that does nothing.
type Observer interface {
	Observe(op string, d time.Duration, err error)
	Emitted(e Event)
}

type nopObserver struct{}

func (nopObserver) Observe(string, time.Duration, error) {}
func (nopObserver) Emitted(Event)                        {}

// Config tunes a Service. The zero value is usable: default priority policy,
// no terms required, a one-hour estimate window and the system clock.
type Config struct {
	Policy Policy
	// TermsVersion is the version of the terms customers must have accepted
	// before opening a chat ticket; "" requires none.
	TermsVersion string
	// PrivacyVersion is the version of the privacy notice under which
	// customers authorize the processing of their personal data (Ley 1581
	// de 2012), accepted with the terms; "" requires none.
	PrivacyVersion string
	// Erasers delete what the adapters keep about a customer whose data is
	// erased (Forget); none by default.
	Erasers []Eraser
	// EstimateWindow is how far back claims are counted to estimate waits.
	EstimateWindow time.Duration
	// MaxActiveTickets caps a customer's active tickets (cap.go); 0 sets
	// no cap.
	MaxActiveTickets int
	// Retention is how long a finished ticket is kept whole; 0 means
	// DefaultRetention and KeepForever disables the sweep (retention.go).
	Retention time.Duration
	Clock     Clock
	Observer  Observer
}

// Service is the one entry point of the adapters: it enforces the ticket
// lifecycle, the queue policy and who may do what, and makes every change
// through the Store with the Event that describes it.
type Service struct {
	store    Store
	queue    Queue
	profiles Profiles
	archive  Retention // s.store's, when it keeps a finished index
	cfg      Config

	ridPrefix string        // random, per Service
	ridSeq    atomic.Uint64 // request ids made by this Service
}

// NewService returns a Service over the given storage.
func NewService(store Store, queue Queue, profiles Profiles, cfg Config) *Service {
	if cfg.Policy.matrix == nil {
		cfg.Policy = DefaultPolicy()
	}
	if cfg.EstimateWindow <= 0 {
		cfg.EstimateWindow = time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	var b [9]byte
	_, _ = rand.Read(b[:])
	archive, _ := store.(Retention)
	return &Service{store: store, queue: queue, profiles: profiles, archive: archive, cfg: cfg,
		ridPrefix: base64.RawURLEncoding.EncodeToString(b[:]) + "."}
}

type requestIDKey struct{}

// WithRequestID returns a context whose Service calls use id to make their
// writes idempotent: an adapter that derives id from the inbound update (a
// Telegram update_id, a Slack event_id) turns a redelivered update into a
// no-op. Without one, each call gets a fresh random id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// explicitRequestID reports whether ctx carries a request id given by the
// caller (WithRequestID), which a retry of the same request carries again.
func explicitRequestID(ctx context.Context) bool {
	id, ok := ctx.Value(requestIDKey{}).(string)
	return ok && id != ""
}

// requestID returns the request id of ctx, or a fresh one: this Service's
// random prefix and a counter, unique across processes without a random
// read per call.
func (s *Service) requestID(ctx context.Context) string {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok && id != "" {
		return id
	}
	return s.ridPrefix + strconv.FormatUint(s.ridSeq.Add(1), 36)
}

// TermsVersion returns the version of the terms customers must accept.
func (s *Service) TermsVersion() string { return s.cfg.TermsVersion }

// Policy returns the priority policy in force.
func (s *Service) Policy() Policy { return s.cfg.Policy }

func (s *Service) observe(op string, start time.Time, err *error) {
	s.cfg.Observer.Observe(op, time.Since(start), *err)
}

// Profile returns what is remembered of customer c: a customer never seen
// has a zero Profile with CustomerKey set. Errors: EINTERNAL.
func (s *Service) Profile(ctx context.Context, c Customer) (p Profile, err error) {
	defer s.observe("profile", time.Now(), &err)
	p, err = s.profiles.Profile(ctx, c.Key())
	if err != nil {
		return Profile{}, wrapInternal("read profile", err)
	}
	p.CustomerKey = c.Key()
	return p, nil
}

// SetLanguage records the language customer c chose ("es" or "en").
// Errors: EINVALID, EINTERNAL.
func (s *Service) SetLanguage(ctx context.Context, c Customer, lang string) (p Profile, err error) {
	defer s.observe("set_language", time.Now(), &err)
	if lang != "es" && lang != "en" {
		return Profile{}, Errorf(EINVALID, "unsupported language %q", lang)
	}
	if p, err = s.Profile(ctx, c); err != nil {
		return Profile{}, err
	}
	p.Language = lang
	if err := s.profiles.SaveProfile(ctx, p); err != nil {
		return Profile{}, wrapInternal("save profile", err)
	}
	return p, nil
}

// Get returns ticket number if a may see it. A customer asking for another
// customer's ticket gets ErrNotFound. Errors: ENOTFOUND, EINTERNAL.
func (s *Service) Get(ctx context.Context, a Actor, number int64) (t Ticket, err error) {
	defer s.observe("get", time.Now(), &err)
	return s.get(ctx, a, number)
}

func (s *Service) get(ctx context.Context, a Actor, number int64) (Ticket, error) {
	if number <= 0 {
		return Ticket{}, ErrNotFound
	}
	t, err := s.store.Get(ctx, number)
	if err != nil {
		return Ticket{}, wrapInternal("get ticket", err)
	}
	if !visible(a, t) {
		return Ticket{}, ErrNotFound
	}
	return t, nil
}

func visible(a Actor, t Ticket) bool {
	switch a.Role {
	case RoleAgent, RoleSystem:
		return true
	case RoleCustomer:
		return a.ID != "" && t.Customer.Key() == a.ID
	}
	return false
}

// MessageInput is one conversation message to add.
type MessageInput struct {
	Kind        MessageKind // ignored for customers (always MessageCustomer)
	Text        string
	Attachments []Attachment
	Ref         string
}

// AddMessage adds a message to ticket number. A customer writes to their own
// active ticket (whatever in.Kind says, it is a customer message); their
// message to a ticket waiting on them gives it back to its agent (waiting →
// claimed). An agent replies (delivered to the customer) only on a claimed
// or waiting ticket they own (PermissionReply); any agent may add an
// internal note, on any ticket (PermissionNote). Errors: ENOTFOUND,
// EINVALID, ECONFLICT (another agent owns it), EFORBIDDEN, EINTERNAL.
func (s *Service) AddMessage(ctx context.Context, a Actor, number int64, in MessageInput) (t Ticket, m Message, err error) {
	defer s.observe("add_message", time.Now(), &err)
	if a.Role == RoleCustomer {
		in.Kind = MessageCustomer
	}
	in.Text = strings.TrimSpace(in.Text)
	if in.Text == "" && len(in.Attachments) == 0 {
		return Ticket{}, Message{}, Errorf(EINVALID, "the message is empty").withReason(ReasonEmpty, 0)
	}
	if err := checkText(in.Text, len(in.Attachments)); err != nil {
		return Ticket{}, Message{}, err
	}
	var added Message
	t, err = s.mutate(ctx, a, number, func(t *Ticket, c *Change) error {
		m := &Message{Kind: in.Kind, Author: a, Text: in.Text, Attachments: in.Attachments, Ref: in.Ref, At: c.Event.At}
		switch in.Kind {
		case MessageCustomer:
			if a.Role != RoleCustomer {
				return Errorf(EFORBIDDEN, "only the customer writes customer messages")
			}
			if !t.Status.Active() {
				return Errorf(EINVALID, "ticket #%d is %s; reopen it to continue the conversation", t.Number, t.Status).withReason(ReasonInactive, t.Status)
			}
			c.Event.Kind = EventMessage
			if t.Status == StatusWaiting {
				t.Status = StatusClaimed
			}
		case MessageReply:
			if err := checkPermission(a, *t, PermissionReply); err != nil {
				return err
			}
			c.Event.Kind = EventReply
		case MessageNote:
			if err := checkPermission(a, *t, PermissionNote); err != nil {
				return err
			}
			c.Event.Kind = EventNote
		default:
			return Errorf(EINVALID, "unknown message kind")
		}
		t.Messages++
		m.ID = t.Messages
		c.Message = m
		c.Event.MessageID = m.ID
		added = *m
		return nil
	})
	if err != nil {
		return Ticket{}, Message{}, err
	}
	return t, added, nil
}

// Claim gives ticket number to agent a. Claiming an open ticket races
// safely: exactly one agent wins, the others get ECONFLICT naming the
// holder. The owner claiming a ticket waiting on the customer takes it back
// to claimed; the owner claiming a claimed ticket changes nothing. With
// takeover an agent takes a claimed or waiting ticket another agent owns
// (it is claimed after). Errors: EFORBIDDEN, ENOTFOUND, ECONFLICT, EINVALID
// (a resolved or closed ticket), EINTERNAL.
func (s *Service) Claim(ctx context.Context, a Actor, number int64, takeover bool) (t Ticket, err error) {
	defer s.observe("claim", time.Now(), &err)
	if err := requireAgent(a); err != nil {
		return Ticket{}, err
	}
	return s.mutate(ctx, a, number, func(t *Ticket, c *Change) error {
		cl, err := decideClaim(a, *t, takeover, c.Event.At)
		if err != nil {
			return err
		}
		*t, c.Event = cl.ticket, cl.event
		if cl.dequeue {
			c.Queue, c.CountsAsClaim = QueueRemove, true
		}
		return nil
	})
}

// ClaimNext gives agent a the first ticket of the queue (see QueueScore):
// the oldest of the highest priority, chat before e-mail of the same
// priority. The claim is decided here, by the claim rule of Claim, and the
// Store applies it to the head of the queue. A repeated call with the same
// request ID returns the ticket the first call claimed. Errors:
// EFORBIDDEN, ErrQueueEmpty, EINTERNAL.
func (s *Service) ClaimNext(ctx context.Context, a Actor) (t Ticket, err error) {
	defer s.observe("claim_next", time.Now(), &err)
	now := s.cfg.Clock.Now().UTC().Truncate(time.Millisecond)
	// Every queued ticket is open and unowned: the claim of the head is
	// the claim of such a ticket, decided here, applied by the store.
	cl, err := decideClaim(a, Ticket{Status: StatusOpen}, false, now)
	if err != nil {
		return Ticket{}, err
	}
	ev := cl.event
	ev.Number, ev.Priority = 0, 0
	t, err = s.store.ClaimNext(ctx, NextClaim{
		RequestID: s.requestID(ctx),
		From:      ev.From,
		To:        ev.To,
		Agent:     cl.ticket.Assignee,
		At:        now,
		Event:     ev,
	})
	if err != nil {
		return Ticket{}, wrapInternal("claim next", err)
	}
	// A repeated request gets the ticket its first call claimed, updated
	// then, not now: that claim was reported already.
	if t.UpdatedAt.Equal(now) {
		ev.Number, ev.Priority = t.Number, t.Priority
		s.cfg.Observer.Emitted(ev)
	}
	return t, nil
}

// Release gives a claimed or waiting ticket back to the queue, unowned, at
// its original arrival position. Only the owner releases. Errors:
// EFORBIDDEN, ENOTFOUND, ECONFLICT, EINVALID, EINTERNAL.
func (s *Service) Release(ctx context.Context, a Actor, number int64) (Ticket, error) {
	return s.transition(ctx, "release", a, number, ActionRelease, EventReleased)
}

// SetWaiting marks a claimed ticket as waiting on the customer. Only the
// owner does. Errors: EFORBIDDEN, ENOTFOUND, ECONFLICT, EINVALID, EINTERNAL.
func (s *Service) SetWaiting(ctx context.Context, a Actor, number int64) (Ticket, error) {
	return s.transition(ctx, "wait", a, number, ActionWait, EventWaiting)
}

// Resolve marks a claimed or waiting ticket resolved. Only the owner
// resolves. Errors: EFORBIDDEN, ENOTFOUND, ECONFLICT, EINVALID, EINTERNAL.
func (s *Service) Resolve(ctx context.Context, a Actor, number int64) (Ticket, error) {
	return s.transition(ctx, "resolve", a, number, ActionResolve, EventResolved)
}

// Close closes a resolved ticket: its customer confirms, or any agent
// closes. Errors: EFORBIDDEN, ENOTFOUND, EINVALID, EINTERNAL.
func (s *Service) Close(ctx context.Context, a Actor, number int64) (Ticket, error) {
	return s.transition(ctx, "close", a, number, ActionClose, EventClosed)
}

// Reopen puts a resolved or closed ticket back in the queue, unowned, at its
// original arrival position. Its customer or any agent may reopen; a
// customer at the cap of active tickets may not (ReasonActiveCap). Errors:
// EFORBIDDEN, ENOTFOUND, EINVALID, EINTERNAL.
func (s *Service) Reopen(ctx context.Context, a Actor, number int64) (Ticket, error) {
	return s.transition(ctx, "reopen", a, number, ActionReopen, EventReopened)
}

func (s *Service) transition(ctx context.Context, op string, a Actor, number int64, action Action, kind EventKind) (t Ticket, err error) {
	defer s.observe(op, time.Now(), &err)
	return s.mutate(ctx, a, number, func(t *Ticket, c *Change) error {
		to, err := checkTransition(a, *t, action)
		if err != nil {
			return err
		}
		if err := s.capReopen(ctx, a, action, t.Customer.Key()); err != nil {
			return err
		}
		if to == StatusOpen {
			t.Assignee = Agent{}
			c.Queue = QueueAdd
		}
		t.Status = to
		c.Event.Kind = kind
		return nil
	})
}

// SetPriority changes the priority of an active ticket; a queued ticket
// moves to its new place (keeping its arrival time). Any agent changes it
// while it is queued, only the owner once it is claimed
// (PermissionPriority); the same priority again changes nothing. Errors:
// EFORBIDDEN, EINVALID, ENOTFOUND, ECONFLICT, EINTERNAL.
func (s *Service) SetPriority(ctx context.Context, a Actor, number int64, p Priority) (t Ticket, err error) {
	defer s.observe("set_priority", time.Now(), &err)
	if err := requireAgent(a); err != nil {
		return Ticket{}, err
	}
	if !p.Valid() {
		return Ticket{}, Errorf(EINVALID, "priority must be P1 to P%d", MaxPriority)
	}
	return s.mutate(ctx, a, number, func(t *Ticket, c *Change) error {
		if err := checkPermission(a, *t, PermissionPriority); err != nil {
			return err
		}
		if t.Priority == p {
			return errUnchanged
		}
		c.Event.OldPriority = t.Priority
		t.Priority = p
		if t.Status == StatusOpen {
			c.Queue = QueueAdd
		}
		c.Event.Kind = EventPriority
		return nil
	})
}

// errUnchanged makes mutate return the ticket as it is, writing nothing.
var errUnchanged = errors.New("unchanged")

// maxAttempts bounds the optimistic retries of one change under contention.
const maxAttempts = 8

// mutate reads ticket number, lets decide change it (and fill in the
// event's kind, queue op and message), and writes it conditionally on the
// version read, retrying when someone else changed the ticket meanwhile.
func (s *Service) mutate(ctx context.Context, a Actor, number int64, decide func(t *Ticket, c *Change) error) (Ticket, error) {
	rid := s.requestID(ctx)
	for attempt := 0; ; attempt++ {
		cur, err := s.get(ctx, a, number)
		if err != nil {
			return Ticket{}, err
		}
		if !cur.Erased.IsZero() {
			return Ticket{}, ErrErased
		}
		now := s.cfg.Clock.Now().UTC().Truncate(time.Millisecond)
		next := cur
		c := Change{RequestID: rid, PreviousAssignee: cur.Assignee.ID, Event: Event{Number: number, From: cur.Status, Actor: a, At: now}}
		if err := decide(&next, &c); err != nil {
			if errors.Is(err, errUnchanged) {
				return cur, nil
			}
			// A request handled again after its reply was lost (a crash, an
			// outage, a redelivered update) finds the ticket already
			// changed, and the rules may refuse to change it again: it
			// succeeded the first time, so it succeeds now.
			if explicitRequestID(ctx) {
				if done, aerr := s.store.Applied(ctx, number, rid); aerr == nil && done {
					return cur, nil
				}
			}
			return Ticket{}, err
		}
		next.Version = cur.Version + 1
		next.UpdatedAt = now
		c.Ticket = next
		c.Event.To = next.Status
		c.Event.Priority = next.Priority
		t, err := s.store.Apply(ctx, c)
		if err == nil {
			// A store that recognised a repeated request returns the
			// ticket as it is, without writing: no new event then.
			if t.Version == next.Version {
				s.cfg.Observer.Emitted(c.Event)
			}
			return t, nil
		}
		if !errors.Is(err, ErrVersionConflict) || attempt+1 >= maxAttempts {
			return Ticket{}, wrapInternal("apply change", err)
		}
		if err := ctx.Err(); err != nil {
			return Ticket{}, wrapInternal("apply change", err)
		}
	}
}

func requireAgent(a Actor) error {
	if a.Role != RoleAgent || a.ID == "" {
		return Errorf(EFORBIDDEN, "only agents can do this")
	}
	return nil
}

func requireOwner(a Actor, t Ticket) error {
	if err := requireAgent(a); err != nil {
		return err
	}
	if !t.Claimed() {
		return Errorf(EINVALID, "ticket #%d is not claimed; claim it first", t.Number)
	}
	if t.Assignee.ID != a.ID {
		return holderConflict(t)
	}
	return nil
}

// wrapInternal passes *Error values through and wraps anything else as
// EINTERNAL.
func wrapInternal(what string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return Internal(what, err)
}
