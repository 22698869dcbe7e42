package ticketstest

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

var _ tickets.Retention = (*MemStore)(nil)

// indexFinished keeps the finished index as Apply changes a ticket from
// status from to t: a change into resolved or closed (from another status)
// indexes it at at, a change out of them removes it.
func (s *MemStore) indexFinished(from tickets.Status, t tickets.Ticket, at time.Time) {
	switch {
	case !t.Status.Finished():
		delete(s.finished, t.Number)
	case t.Status != from:
		s.finished[t.Number] = at
	}
}

// Finished implements tickets.Retention.
func (s *MemStore) Finished(_ context.Context, before time.Time, limit int) ([]tickets.FinishedTicket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []tickets.FinishedTicket
	for n, at := range s.finished {
		if !at.After(before) {
			out = append(out, tickets.FinishedTicket{Number: n, At: at})
		}
	}
	slices.SortFunc(out, func(a, b tickets.FinishedTicket) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Number, b.Number))
	})
	if len(out) > limit {
		out = out[:max(limit, 0)]
	}
	return out, nil
}

// Expire implements tickets.Retention.
func (s *MemStore) Expire(_ context.Context, row tickets.StatsRow, version int64, before time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := row.Number
	t, ok := s.tickets[n]
	at, indexed := s.finished[n]
	if !ok || !t.Status.Finished() {
		delete(s.finished, n)
		return false, nil
	}
	if t.Version != version {
		return false, tickets.ErrVersionConflict
	}
	if !indexed || at.After(before) {
		return false, nil
	}
	delete(s.tickets, n)
	delete(s.messages, n)
	delete(s.finished, n)
	delete(s.queued, n)
	for _, a := range s.byAgent {
		delete(a, n)
	}
	key := t.Customer.Key()
	s.byCustomer[key] = slices.DeleteFunc(s.byCustomer[key], func(m int64) bool { return m == n })
	if len(s.byCustomer[key]) == 0 {
		delete(s.byCustomer, key)
		if p, ok := s.profiles[key]; ok && !p.TermsAccepted.After(at) && !p.PrivacyAccepted.After(at) {
			delete(s.profiles, key)
		}
	}
	month := tickets.MonthOf(row.Finished)
	if s.stats[month] == nil {
		s.stats[month] = &tickets.MonthStats{Month: month}
	}
	s.stats[month].Add(row)
	return true, nil
}

// Statistics implements tickets.Retention.
func (s *MemStore) Statistics(_ context.Context, from, to time.Time) ([]tickets.MonthStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []tickets.MonthStats
	for _, m := range slices.SortedFunc(maps.Keys(s.stats), time.Time.Compare) {
		if m.Before(tickets.MonthOf(from)) || m.After(tickets.MonthOf(to)) {
			continue
		}
		st := *s.stats[m]
		st.ByNature, st.ByUrgency, st.ByPriority = maps.Clone(st.ByNature), maps.Clone(st.ByUrgency), maps.Clone(st.ByPriority)
		st.ByIntake, st.ByStatus, st.ByStars = maps.Clone(st.ByIntake), maps.Clone(st.ByStatus), maps.Clone(st.ByStars)
		out = append(out, st)
	}
	return out, nil
}
