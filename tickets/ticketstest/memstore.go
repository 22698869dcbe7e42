package ticketstest

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// MemStore is an in-memory tickets.Store, tickets.Queue and
// tickets.Profiles for tests; the real store is Redis. It follows the
// documented contracts, checked by Run against both: conditional writes on
// the version, request IDs that turn a repeated write into a no-op, the
// queue ordered by Ticket.Score() then ticket number, and the customer and
// agent indexes. It also lets a test read what was written (Events,
// Changes, Len) and step into a write (OnApply).
//
// Request IDs are remembered per operation: Create and ClaimNext by the ID
// alone, Apply by ticket number and ID. Nothing expires.
type MemStore struct {
	mu       sync.Mutex
	next     int64
	tickets  map[int64]tickets.Ticket
	messages map[int64][]tickets.Message
	queued   map[int64]place // the queue: where each queued ticket was put
	// byCustomer holds ticket numbers in creation order; byAgent the time
	// each owned ticket was claimed.
	byCustomer map[string][]int64
	byAgent    map[string]map[int64]time.Time
	created    map[string]int64      // Create request ID → number
	applied    map[applyKey]struct{} // Apply (number, request ID)
	nextClaims map[string]int64      // ClaimNext request ID → number
	claims     []time.Time           // when queued tickets were claimed
	profiles   map[string]tickets.Profile
	finished   map[int64]time.Time               // finished tickets: when they finished (retention.go)
	stats      map[time.Time]*tickets.MonthStats // by month

	events  []tickets.Event  // the event log, in order
	changes []tickets.Change // every Change that Apply wrote

	// beforeApply, when set, runs at the start of every Apply outside the
	// lock, so a test can make a concurrent change win the race.
	beforeApply func(c tickets.Change)
}

type applyKey struct {
	number    int64
	requestID string
}

var (
	_ tickets.Store    = (*MemStore)(nil)
	_ tickets.Queue    = (*MemStore)(nil)
	_ tickets.Profiles = (*MemStore)(nil)
)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{
		tickets:    map[int64]tickets.Ticket{},
		messages:   map[int64][]tickets.Message{},
		queued:     map[int64]place{},
		byCustomer: map[string][]int64{},
		byAgent:    map[string]map[int64]time.Time{},
		created:    map[string]int64{},
		applied:    map[applyKey]struct{}{},
		nextClaims: map[string]int64{},
		profiles:   map[string]tickets.Profile{},
		finished:   map[int64]time.Time{},
		stats:      map[time.Time]*tickets.MonthStats{},
	}
}

// copyTicket returns t with its slices copied, so callers never share
// memory with the store.
func copyTicket(t tickets.Ticket) tickets.Ticket {
	t.Attachments = slices.Clone(t.Attachments)
	return t
}

func copyMessage(m tickets.Message) tickets.Message {
	m.Attachments = slices.Clone(m.Attachments)
	return m
}

// Create implements tickets.Store.
func (s *MemStore) Create(_ context.Context, t tickets.Ticket, ev tickets.Event, requestID string) (tickets.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.created[requestID]; ok {
		return copyTicket(s.tickets[n]), nil
	}
	s.next++
	t = copyTicket(t)
	t.Number, t.Version = s.next, 1
	s.tickets[t.Number] = t
	s.queued[t.Number] = placeOf(t)
	key := t.Customer.Key()
	s.byCustomer[key] = append(s.byCustomer[key], t.Number)
	ev.Number = t.Number
	s.events = append(s.events, ev)
	s.created[requestID] = t.Number
	return copyTicket(t), nil
}

// Get implements tickets.Store.
func (s *MemStore) Get(_ context.Context, number int64) (tickets.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[number]
	if !ok {
		return tickets.Ticket{}, tickets.ErrNotFound
	}
	return copyTicket(t), nil
}

// Apply implements tickets.Store.
func (s *MemStore) Apply(_ context.Context, c tickets.Change) (tickets.Ticket, error) {
	s.mu.Lock()
	before := s.beforeApply
	s.mu.Unlock()
	if before != nil {
		before(c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	number := c.Ticket.Number
	cur, ok := s.tickets[number]
	if !ok {
		return tickets.Ticket{}, tickets.ErrNotFound
	}
	key := applyKey{number, c.RequestID}
	if _, ok := s.applied[key]; ok {
		return copyTicket(cur), nil
	}
	if cur.Version != c.Ticket.Version-1 {
		return tickets.Ticket{}, tickets.ErrVersionConflict
	}
	t := copyTicket(c.Ticket)
	s.tickets[number] = t
	s.indexFinished(cur.Status, t, c.Event.At)
	if c.Message != nil {
		m := copyMessage(*c.Message)
		m.ID = int64(len(s.messages[number]) + 1)
		s.messages[number] = append(s.messages[number], m)
	}
	switch c.Queue {
	case tickets.QueueAdd:
		s.queued[number] = placeOf(t)
	case tickets.QueueRemove:
		delete(s.queued, number)
	}
	if c.CountsAsClaim {
		s.claims = append(s.claims, c.Event.At)
	}
	if c.PreviousAssignee != t.Assignee.ID {
		if c.PreviousAssignee != "" {
			delete(s.byAgent[c.PreviousAssignee], number)
		}
		if t.Assignee.ID != "" {
			s.indexAgent(t.Assignee.ID, number, c.Event.At)
		}
	}
	s.events = append(s.events, c.Event)
	s.changes = append(s.changes, c)
	s.applied[key] = struct{}{}
	return copyTicket(t), nil
}

func (s *MemStore) indexAgent(agentID string, number int64, at time.Time) {
	if s.byAgent[agentID] == nil {
		s.byAgent[agentID] = map[int64]time.Time{}
	}
	s.byAgent[agentID][number] = at
}

// place is where a ticket was queued: its score and priority then. A
// change that keeps the ticket queued (QueueKeep) moves neither.
type place struct {
	score    float64
	priority tickets.Priority
}

func placeOf(t tickets.Ticket) place { return place{t.Score(), t.Priority} }

// queue returns the queued tickets in queue order: by the score each had
// when it was queued, then by number; s.mu must be held.
func (s *MemStore) queue() []tickets.Ticket {
	var q []tickets.Ticket
	for n := range s.queued {
		q = append(q, s.tickets[n])
	}
	slices.SortFunc(q, func(a, b tickets.Ticket) int {
		return cmp.Or(cmp.Compare(s.queued[a.Number].score, s.queued[b.Number].score), cmp.Compare(a.Number, b.Number))
	})
	return q
}

// ClaimNext implements tickets.Store.
func (s *MemStore) ClaimNext(_ context.Context, c tickets.NextClaim) (tickets.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.nextClaims[c.RequestID]; ok {
		return copyTicket(s.tickets[n]), nil
	}
	for _, t := range s.queue() {
		if t.Status != c.From {
			// Not a queued ticket: skipped, never changed, and dropped
			// from the queue, where it does not belong.
			delete(s.queued, t.Number)
			continue
		}
		t.Status, t.Assignee = c.To, c.Agent
		t.Version++
		t.UpdatedAt = c.At
		s.tickets[t.Number] = t
		delete(s.queued, t.Number)
		s.indexAgent(c.Agent.ID, t.Number, c.At)
		s.claims = append(s.claims, c.At)
		ev := c.Event
		ev.Number, ev.Priority = t.Number, t.Priority
		s.events = append(s.events, ev)
		s.nextClaims[c.RequestID] = t.Number
		return copyTicket(t), nil
	}
	return tickets.Ticket{}, tickets.ErrQueueEmpty
}

// Messages implements tickets.Store.
func (s *MemStore) Messages(_ context.Context, number, after int64, limit int) ([]tickets.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []tickets.Message
	for _, m := range s.messages[number] {
		if m.ID > after && len(out) < limit {
			out = append(out, copyMessage(m))
		}
	}
	return out, nil
}

// LastMessages implements tickets.Store.
func (s *MemStore) LastMessages(_ context.Context, number int64, n int) ([]tickets.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.messages[number]
	all = all[max(len(all)-n, 0):]
	out := make([]tickets.Message, len(all))
	for i, m := range all {
		out[i] = copyMessage(m)
	}
	return out, nil
}

// Page implements tickets.Queue.
func (s *MemStore) Page(_ context.Context, offset, limit int) ([]tickets.Ticket, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue()
	page := q[min(offset, len(q)):min(offset+limit, len(q))]
	out := make([]tickets.Ticket, len(page))
	for i, t := range page {
		out[i] = copyTicket(t)
	}
	return out, int64(len(q)), nil
}

// Position implements tickets.Queue.
func (s *MemStore) Position(_ context.Context, number int64, claimsSince time.Time) (tickets.Slot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[number]
	if !ok {
		return tickets.Slot{}, tickets.ErrNotFound
	}
	q := s.queue()
	slot := tickets.Slot{Ticket: copyTicket(t), Length: int64(len(q))}
	for i, qt := range q {
		if qt.Number == number {
			slot.Position = int64(i + 1)
		}
	}
	for _, at := range s.claims {
		if !at.Before(claimsSince) {
			slot.RecentClaims++
		}
	}
	return slot, nil
}

// ByCustomer implements tickets.Queue.
func (s *MemStore) ByCustomer(_ context.Context, customerKey string, offset, limit int) ([]tickets.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	numbers := slices.Clone(s.byCustomer[customerKey])
	slices.Reverse(numbers)
	return s.page(numbers, offset, limit), nil
}

// ByAgent implements tickets.Queue.
func (s *MemStore) ByAgent(_ context.Context, agentID string, offset, limit int) ([]tickets.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	owned := s.byAgent[agentID]
	var numbers []int64
	for n := range owned {
		numbers = append(numbers, n)
	}
	slices.SortFunc(numbers, func(a, b int64) int {
		return cmp.Or(owned[a].Compare(owned[b]), cmp.Compare(a, b))
	})
	return s.page(numbers, offset, limit), nil
}

// page returns the tickets numbers[offset:offset+limit]; s.mu must be held.
func (s *MemStore) page(numbers []int64, offset, limit int) []tickets.Ticket {
	numbers = numbers[min(offset, len(numbers)):min(offset+limit, len(numbers))]
	out := make([]tickets.Ticket, len(numbers))
	for i, n := range numbers {
		out[i] = copyTicket(s.tickets[n])
	}
	return out
}

// Lengths implements tickets.Queue.
func (s *MemStore) Lengths(context.Context) (map[tickets.Priority]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[tickets.Priority]int64{}
	for _, p := range s.queued {
		m[p.priority]++
	}
	return m, nil
}

// Profile implements tickets.Profiles.
func (s *MemStore) Profile(_ context.Context, customerKey string) (tickets.Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.profiles[customerKey]
	if !ok {
		return tickets.Profile{CustomerKey: customerKey}, nil
	}
	return p, nil
}

// SaveProfile implements tickets.Profiles.
func (s *MemStore) SaveProfile(_ context.Context, p tickets.Profile) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles[p.CustomerKey] = p
	return nil
}

// OnApply makes f run at the start of every Apply, before the store looks
// at the change and outside its lock, so a test can make a concurrent
// change win the race; nil removes it.
func (s *MemStore) OnApply(f func(c tickets.Change)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeApply = f
}

// Events returns a copy of the event log: every event written so far, in
// order.
func (s *MemStore) Events() []tickets.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// Len returns how many tickets were created.
func (s *MemStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tickets)
}

// Applied implements tickets.Store.
func (s *MemStore) Applied(_ context.Context, number int64, requestID string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.applied[applyKey{number, requestID}]
	return ok, nil
}

// Changes returns a copy of the changes Apply wrote, in order (a repeated
// request is not written again).
func (s *MemStore) Changes() []tickets.Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.changes)
}
