package tickets

import (
	"context"
	"errors"
	"time"
)

// DefaultRetention is how long a finished ticket is kept whole when the
// Config says nothing: two years.
const DefaultRetention = 730 * 24 * time.Hour

// KeepForever as Config.Retention keeps finished tickets whole forever:
// Sweep does nothing.
const KeepForever time.Duration = -1

// Retention is what a store does for the retention of finished tickets. A
// store that implements it next to Store keeps an index of the finished
// tickets (resolved or closed) by when they finished, written by Apply in
// the same step as the change that finishes or reopens a ticket.
type Retention interface {
	// Finished returns up to limit tickets that finished before before,
	// the earliest first.
	Finished(ctx context.Context, before time.Time, limit int) ([]FinishedTicket, error)
	// Expire deletes ticket row.Number's personal content (its record,
	// conversation, index entries and the adapters' per-ticket records,
	// and its customer's profile when this was their last ticket and they
	// accepted no terms since it finished) and adds row to the statistics
	// of its month, in one atomic step, if the ticket is still at version
	// and still finished before before. A ticket that no longer exists or
	// is no longer finished only leaves the finished index. It reports
	// whether the ticket was expired; a version that changed meanwhile is
	// ErrVersionConflict.
	Expire(ctx context.Context, row StatsRow, version int64, before time.Time) (bool, error)
	// Statistics returns the statistics of the months from from's to to's
	// (UTC), the months without a ticket left out, oldest first.
	Statistics(ctx context.Context, from, to time.Time) ([]MonthStats, error)
}

// FinishedTicket is an entry of the finished index.
type FinishedTicket struct {
	Number int64
	At     time.Time // when it finished (the last change into resolved or closed)
}

// StatsRow is what the desk's statistics keep of an expired ticket:
// nothing about the customer or the conversation.
type StatsRow struct {
	Number   int64
	Finished time.Time // the month it counts in
	Nature   Nature
	Urgency  Urgency
	Priority Priority
	Intake   Intake
	Status   Status // resolved or closed
	Stars    int    // 0 when not rated
	OpenFor  time.Duration
	Messages int64
}

// MonthStats are the statistics of the tickets that finished in a month
// and were expired since.
type MonthStats struct {
	Month       time.Time // its first instant, UTC
	Count       int64
	First, Last int64 // the lowest and highest ticket numbers
	ByNature    map[Nature]int64
	ByUrgency   map[Urgency]int64
	ByPriority  map[Priority]int64
	ByIntake    map[Intake]int64
	ByStatus    map[Status]int64
	ByStars     map[int]int64 // 0: not rated
	OpenTime    time.Duration // total time open, creation to finish
	Messages    int64
}

// Add counts r in m.
func (m *MonthStats) Add(r StatsRow) {
	if m.Count == 0 || r.Number < m.First {
		m.First = r.Number
	}
	if r.Number > m.Last {
		m.Last = r.Number
	}
	m.Count++
	inc(&m.ByNature, r.Nature)
	inc(&m.ByUrgency, r.Urgency)
	inc(&m.ByPriority, r.Priority)
	inc(&m.ByIntake, r.Intake)
	inc(&m.ByStatus, r.Status)
	inc(&m.ByStars, r.Stars)
	m.OpenTime += r.OpenFor
	m.Messages += r.Messages
}

func inc[K comparable](m *map[K]int64, k K) {
	if *m == nil {
		*m = map[K]int64{}
	}
	(*m)[k]++
}

// MonthOf returns the first instant (UTC) of t's month.
func MonthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// RowOf is the statistics row of ticket t, finished at finished.
func RowOf(t Ticket, finished time.Time) StatsRow {
	open := finished.Sub(t.CreatedAt)
	if open < 0 {
		open = 0
	}
	return StatsRow{
		Number: t.Number, Finished: finished.UTC(), Nature: t.Nature, Urgency: t.Urgency, Priority: t.Priority,
		Intake: t.Intake, Status: t.Status, Stars: t.Rating.Stars, OpenFor: open, Messages: t.Messages,
	}
}

// SweepResult says what one Sweep did.
type SweepResult struct {
	Expired int  // tickets whose personal content was deleted
	Skipped int  // index entries of tickets gone or reopened, dropped
	More    bool // the batch was full: more may be due
}

// Retention returns how long a finished ticket is kept whole, or
// KeepForever.
func (s *Service) Retention() time.Duration { return s.cfg.Retention }

// Sweep deletes the personal content of up to limit tickets that finished
// longer than the retention ago, keeping their statistics (Retention.Expire),
// and reports what it did. A ticket reopened meanwhile is left whole; one
// changed while it is swept is left for the next Sweep. It does nothing
// with KeepForever. Errors: EINTERNAL (also when the store keeps no
// finished index).
func (s *Service) Sweep(ctx context.Context, limit int) (res SweepResult, err error) {
	defer s.observe("sweep", time.Now(), &err)
	if s.cfg.Retention < 0 || limit <= 0 {
		return SweepResult{}, nil
	}
	if s.archive == nil {
		return SweepResult{}, Errorf(EINTERNAL, "the store keeps no finished index")
	}
	before := s.cfg.Clock.Now().Add(-s.cfg.Retention)
	due, err := s.archive.Finished(ctx, before, limit)
	if err != nil {
		return res, wrapInternal("list finished tickets", err)
	}
	res.More = len(due) == limit
	for _, f := range due {
		t, err := s.store.Get(ctx, f.Number)
		var row StatsRow
		switch {
		case errors.Is(err, ErrNotFound):
			row = StatsRow{Number: f.Number} // only leaves the index
		case err != nil:
			return res, wrapInternal("read finished ticket", err)
		default:
			row = RowOf(t, f.At)
		}
		ok, err := s.archive.Expire(ctx, row, t.Version, before)
		switch {
		case errors.Is(err, ErrVersionConflict):
			res.Skipped++ // changed while swept: the next Sweep sees it again if still due
		case err != nil:
			return res, wrapInternal("expire ticket", err)
		case ok:
			res.Expired++
		default:
			res.Skipped++
		}
	}
	return res, nil
}

// Statistics returns the statistics of the expired tickets that finished
// in the months from from's to to's. Tickets not yet expired are not
// counted: they are still whole, in the store. Errors: EINTERNAL.
func (s *Service) Statistics(ctx context.Context, from, to time.Time) (out []MonthStats, err error) {
	defer s.observe("statistics", time.Now(), &err)
	if s.archive == nil {
		return nil, Errorf(EINTERNAL, "the store keeps no statistics")
	}
	out, err = s.archive.Statistics(ctx, MonthOf(from), MonthOf(to))
	if err != nil {
		return nil, wrapInternal("read statistics", err)
	}
	return out, nil
}
