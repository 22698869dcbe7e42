package ticketstest

import (
	"context"
	"slices"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Erase implements tickets.Store.
func (s *MemStore) Erase(_ context.Context, e tickets.Erasure) (tickets.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	number := e.Ticket.Number
	cur, ok := s.tickets[number]
	if !ok {
		return tickets.Ticket{}, tickets.ErrNotFound
	}
	if !cur.Erased.IsZero() {
		return copyTicket(cur), nil
	}
	if cur.Version != e.Ticket.Version-1 {
		return tickets.Ticket{}, tickets.ErrVersionConflict
	}
	t := copyTicket(e.Ticket)
	s.tickets[number] = t
	delete(s.messages, number)
	delete(s.queued, number)
	if e.Assignee != "" {
		delete(s.byAgent[e.Assignee], number)
	}
	s.byCustomer[e.CustomerKey] = slices.DeleteFunc(s.byCustomer[e.CustomerKey], func(n int64) bool { return n == number })
	if len(s.byCustomer[e.CustomerKey]) == 0 {
		delete(s.byCustomer, e.CustomerKey)
	}
	s.events = append(s.events, e.Event)
	return copyTicket(t), nil
}

// ForgetCustomer implements tickets.Profiles.
func (s *MemStore) ForgetCustomer(_ context.Context, customerKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.profiles, customerKey)
	s.events = slices.DeleteFunc(s.events, func(e tickets.Event) bool { return e.Actor.ID == customerKey })
	return nil
}
