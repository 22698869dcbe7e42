package tickets

import (
	"context"
	"strconv"
	"time"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Page limits.
const (
	DefaultPageSize = 10
	MaxPageSize     = 100
)

func pageLimit(limit int) int {
	if limit <= 0 {
		return DefaultPageSize
	}
	if limit > MaxPageSize {
		return MaxPageSize
	}
	return limit
}

// Conversation returns the last limit messages of ticket number that a may
// read, oldest first (limit 0 means DefaultPageSize, at most MaxPageSize).
// Customers never see internal notes: for them the messages come from the
// last 4×limit entries, so many notes can make the answer shorter than
// limit. Errors: ENOTFOUND, EINTERNAL.
func (s *Service) Conversation(ctx context.Context, a Actor, number int64, limit int) (msgs []Message, err error) {
	defer s.observe("conversation", time.Now(), &err)
	if _, err := s.get(ctx, a, number); err != nil {
		return nil, err
	}
	limit = pageLimit(limit)
	fetch := limit
	if a.Role == RoleCustomer {
		fetch = limit * 4 // room for internal notes that are filtered out
	}
	all, err := s.store.LastMessages(ctx, number, fetch)
	if err != nil {
		return nil, wrapInternal("read conversation", err)
	}
	for _, m := range all {
		if a.Role == RoleCustomer && m.Kind == MessageNote {
			continue
		}
		msgs = append(msgs, m)
	}
	if len(msgs) > limit {
		msgs = msgs[len(msgs)-limit:]
	}
	return msgs, nil
}

// Message returns message id of ticket number if a may read it: a customer
// asking for an internal note gets ENOTFOUND, as for a message that does
// not exist. Errors: ENOTFOUND, EINTERNAL.
func (s *Service) Message(ctx context.Context, a Actor, number, id int64) (m Message, err error) {
	defer s.observe("message", time.Now(), &err)
	if _, err := s.get(ctx, a, number); err != nil {
		return Message{}, err
	}
	if id <= 0 {
		// Message ids start at 1; asking after id-1 < 0 would read the
		// first message instead.
		return Message{}, Errorf(ENOTFOUND, "message not found")
	}
	msgs, err := s.store.Messages(ctx, number, id-1, 1)
	if err != nil {
		return Message{}, wrapInternal("read message", err)
	}
	if len(msgs) == 0 || (a.Role == RoleCustomer && msgs[0].Kind == MessageNote) {
		return Message{}, Errorf(ENOTFOUND, "message not found")
	}
	return msgs[0], nil
}

// CustomerTickets returns a page of customer customerKey's tickets, newest
// first. A customer may only list their own. Errors: EFORBIDDEN, EINTERNAL.
func (s *Service) CustomerTickets(ctx context.Context, a Actor, customerKey string, offset, limit int) (ts []Ticket, err error) {
	defer s.observe("customer_tickets", time.Now(), &err)
	if a.Role == RoleCustomer && a.ID != customerKey {
		return nil, Errorf(EFORBIDDEN, "customers see only their own tickets")
	}
	ts, err = s.queue.ByCustomer(ctx, customerKey, max(offset, 0), pageLimit(limit))
	return ts, wrapNil("list customer tickets", err)
}

// ActiveTickets returns the customer's tickets that are still open,
// claimed or waiting, newest first, among their MaxPageSize newest tickets;
// adapters route free text with it. Errors: EFORBIDDEN, EINTERNAL.
func (s *Service) ActiveTickets(ctx context.Context, a Actor, customerKey string) ([]Ticket, error) {
	all, err := s.CustomerTickets(ctx, a, customerKey, 0, MaxPageSize)
	if err != nil {
		return nil, err
	}
	var active []Ticket
	for _, t := range all {
		if t.Status.Active() {
			active = append(active, t)
		}
	}
	return active, nil
}

// AgentTickets returns a page of the tickets agentID owns, oldest claim
// first. Only agents list them. Errors: EFORBIDDEN, EINTERNAL.
func (s *Service) AgentTickets(ctx context.Context, a Actor, agentID string, offset, limit int) (ts []Ticket, err error) {
	defer s.observe("agent_tickets", time.Now(), &err)
	if err := requireAgent(a); err != nil {
		return nil, err
	}
	ts, err = s.queue.ByAgent(ctx, agentID, max(offset, 0), pageLimit(limit))
	return ts, wrapNil("list agent tickets", err)
}

// QueueEntry is a queued ticket with its 1-based position.
type QueueEntry struct {
	Position int64
	Ticket   Ticket
}

// QueuePage returns a page of the queue in order and the queue length.
// Only agents see the queue. Errors: EFORBIDDEN, EINTERNAL.
func (s *Service) QueuePage(ctx context.Context, a Actor, offset, limit int) (entries []QueueEntry, total int64, err error) {
	defer s.observe("queue_page", time.Now(), &err)
	if err := requireAgent(a); err != nil {
		return nil, 0, err
	}
	offset = max(offset, 0)
	ts, total, err := s.queue.Page(ctx, offset, pageLimit(limit))
	if err != nil {
		return nil, 0, wrapInternal("read queue", err)
	}
	entries = make([]QueueEntry, len(ts))
	for i, t := range ts {
		entries[i] = QueueEntry{Position: int64(offset + i + 1), Ticket: t}
	}
	return entries, total, nil
}

// QueueLengths returns the number of queued tickets by priority, for
// metrics; it asks for no actor. Errors: EINTERNAL.
func (s *Service) QueueLengths(ctx context.Context) (map[Priority]int64, error) {
	m, err := s.queue.Lengths(ctx)
	return m, wrapNil("read queue lengths", err)
}

// Estimate is a guess of the wait before an agent claims a ticket, from the
// recent pace of claims. It is an estimate, never a promise (policy §5):
// adapters must show it labelled as such.
type Estimate struct {
	// Known is false when there is no basis for a guess (no recent claims)
	// or when the policy forbids one (e-mail intake has no ETA).
	Known bool
	// NoETA is set for intakes that never show an estimate (policy §3).
	NoETA bool
	Wait  time.Duration
	// ClaimsPerHour is the pace the estimate comes from.
	ClaimsPerHour float64
}

// Placement is a ticket with its place in the queue.
type Placement struct {
	Ticket   Ticket
	Position int64 // 1-based; 0 when the ticket is not queued
	Length   int64 // queue length
	Estimate Estimate
}

// Position returns ticket number with its place in the queue and a wait
// estimate, for a customer who owns it or an agent. Errors: ENOTFOUND,
// EINTERNAL.
func (s *Service) Position(ctx context.Context, a Actor, number int64) (p Placement, err error) {
	defer s.observe("position", time.Now(), &err)
	if number <= 0 {
		return Placement{}, ErrNotFound
	}
	slot, err := s.queue.Position(ctx, number, s.cfg.Clock.Now().Add(-s.cfg.EstimateWindow))
	if err != nil {
		return Placement{}, wrapInternal("read position", err)
	}
	if !visible(a, slot.Ticket) {
		return Placement{}, ErrNotFound
	}
	p = Placement{Ticket: slot.Ticket, Position: slot.Position, Length: slot.Length}
	if slot.Position > 0 {
		p.Estimate = s.estimate(slot)
	}
	return p, nil
}

// estimate guesses the wait of a queued ticket: its position divided by the
// pace of claims over the estimate window.
func (s *Service) estimate(slot Slot) Estimate {
	if slot.Ticket.Intake == IntakeEmail {
		return Estimate{NoETA: true}
	}
	if slot.RecentClaims == 0 {
		return Estimate{}
	}
	perHour := float64(slot.RecentClaims) / s.cfg.EstimateWindow.Hours()
	wait := time.Duration(float64(slot.Position) / perHour * float64(time.Hour))
	return Estimate{Known: true, Wait: wait.Round(time.Minute), ClaimsPerHour: perHour}
}

func wrapNil(what string, err error) error {
	if err == nil {
		return nil
	}
	return wrapInternal(what, err)
}
