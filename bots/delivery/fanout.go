package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/colombiainformatica/ticketbot/internal/backoff"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// pending is an event set aside: it failed to be planned, and it holds
// back the later events of its ticket until it succeeds or is buried.
type pending struct {
	e        tickets.Event
	failures int
	cause    error
	next     time.Time // when to try it again
}

// fanout turns events into queued messages while this worker holds the
// fan-out lease (ctx ends when it is lost).
func (w *Worker) fanout(ctx context.Context) {
	var bo backoff.Backoff
	for {
		err := w.q.Join(ctx)
		if err == nil {
			break
		}
		w.log.Warn().Err(err).Msg("join consumer group")
		if !backoff.Sleep(ctx, bo.Next()) {
			return
		}
	}
	f := &fan{w: w, backlog: map[int64][]*pending{}, held: map[string]bool{}}
	// A new leader first takes every pending event, oldest first, so that
	// messages keep their order.
	catchUp := true
	var lastClaim, lastTrim time.Time
	for ctx.Err() == nil {
		now := w.opts.Now()
		if catchUp || now.Sub(lastClaim) >= w.opts.ClaimIdle {
			idle := w.opts.ClaimIdle
			if catchUp {
				idle = 0
			}
			if err := f.reclaim(ctx, idle); err != nil {
				if ctx.Err() == nil {
					w.log.Warn().Err(err).Msg("claim pending events")
				}
				backoff.Sleep(ctx, bo.Next())
				continue
			}
			catchUp, lastClaim = false, now
		}
		if now.Sub(lastTrim) >= trimEvery {
			if err := w.q.TrimEvents(ctx, now.Add(-w.opts.KeepEvents)); err != nil && ctx.Err() == nil {
				w.log.Warn().Err(err).Msg("trim events")
			}
			lastTrim = now
		}
		next := f.retry(ctx)
		block := time.Second
		if !next.IsZero() {
			block = min(block, max(next.Sub(w.opts.Now()), time.Millisecond))
		}
		evs, err := w.q.ReadEvents(ctx, w.opts.Consumer, readBatch, block)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn().Err(err).Msg("read events")
			}
			catchUp = true // the group may be gone with the data: join again
			backoff.Sleep(ctx, bo.Next())
			if err := w.q.Join(ctx); err != nil && ctx.Err() == nil {
				w.log.Warn().Err(err).Msg("join consumer group")
			}
			continue
		}
		bo.Reset()
		for _, e := range evs {
			f.handle(ctx, e)
		}
	}
}

// fan is the fan-out's state while it leads: the events set aside, per
// ticket, in stream order.
type fan struct {
	w       *Worker
	backlog map[int64][]*pending
	held    map[string]bool // event ids in the backlog
}

// reclaim takes the events pending for minIdle and handles them, oldest
// first; events already in the backlog are left where they are.
func (f *fan) reclaim(ctx context.Context, minIdle time.Duration) error {
	evs, err := f.w.q.ClaimEvents(ctx, f.w.opts.Consumer, minIdle, 10*readBatch)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if !f.held[e.ID] {
			f.handle(ctx, e)
		}
	}
	return nil
}

// handle plans event e and queues its messages, unless an earlier event of
// its ticket is set aside: then e waits behind it. A failure sets e aside.
func (f *fan) handle(ctx context.Context, e tickets.Event) {
	if e.Kind == "" {
		f.bury(ctx, &pending{e: e, cause: fmt.Errorf("the event cannot be decoded")})
		return
	}
	if q := f.backlog[e.Number]; len(q) > 0 {
		f.setAside(e, nil)
		return
	}
	if err := f.w.fan(ctx, e); err != nil {
		if ctx.Err() != nil {
			return // stays pending: the next leader takes it
		}
		f.setAside(e, err)
	}
}

func (f *fan) setAside(e tickets.Event, cause error) {
	p := &pending{e: e, cause: cause, next: f.w.opts.Now()}
	if cause != nil {
		p.failures = 1
		p.next = f.w.opts.Now().Add(backoff.Delay(100*time.Millisecond, 5*time.Second, 1))
		f.w.log.Warn().Err(cause).Str("event", e.ID).Int64("ticket", e.Number).
			Msg("event not planned; its ticket's later events wait, the others go on")
	}
	f.backlog[e.Number] = append(f.backlog[e.Number], p)
	f.held[e.ID] = true
}

// retry tries again the backlog heads that are due, and returns when the
// next one will be (zero when none waits).
func (f *fan) retry(ctx context.Context) time.Time {
	var next time.Time
	for n, q := range f.backlog {
		for len(q) > 0 && ctx.Err() == nil {
			p := q[0]
			if f.w.opts.Now().Before(p.next) {
				break
			}
			err := f.w.fan(ctx, p.e)
			if err != nil && ctx.Err() != nil {
				return time.Time{}
			}
			if err != nil {
				p.failures++
				p.cause = err
				if p.failures >= f.w.opts.MaxPlanAttempts && f.w.q.Ping(ctx) == nil {
					if !f.bury(ctx, p) {
						break
					}
				} else {
					p.next = f.w.opts.Now().Add(backoff.Delay(100*time.Millisecond, 5*time.Second, p.failures))
					break
				}
			}
			delete(f.held, p.e.ID)
			q = q[1:]
		}
		if len(q) == 0 {
			delete(f.backlog, n)
			continue
		}
		f.backlog[n] = q
		if next.IsZero() || q[0].next.Before(next) {
			next = q[0].next
		}
	}
	return next
}

// bury moves p's event to the event dead letters; it reports whether it did.
func (f *fan) bury(ctx context.Context, p *pending) bool {
	cause := "unknown"
	if p.cause != nil {
		cause = p.cause.Error()
	}
	if err := f.w.q.BuryEvent(ctx, p.e, cause, f.w.opts.Now()); err != nil {
		if ctx.Err() == nil {
			f.w.log.Warn().Err(err).Str("event", p.e.ID).Msg("bury event")
		}
		p.next = f.w.opts.Now().Add(time.Second)
		return false
	}
	f.w.log.Error().Str("event", p.e.ID).Int64("ticket", p.e.Number).Int("failures", p.failures).Str("cause", cause).
		Msg("event could not be planned; kept as an event dead letter (ticketbot deadletters events)")
	return true
}

// fan plans e on every channel and queues the messages, acknowledging e.
func (w *Worker) fan(ctx context.Context, e tickets.Event) error {
	var msgs []Message
	for _, c := range w.order {
		pctx, cancel := context.WithTimeout(ctx, w.opts.SendTimeout)
		ms, err := c.Plan(pctx, e)
		cancel()
		if err != nil {
			return fmt.Errorf("plan on %s: %w", c.Platform(), err)
		}
		pf := c.Platform()
		for _, m := range ms {
			if m.Lane == "" {
				w.log.Error().Str("event", e.ID).Str("platform", pf).Str("key", m.Key).Msg("message without lane skipped")
				continue
			}
			m.EventID, m.Platform = e.ID, pf
			m.ID = e.ID + "/" + pf + "/" + m.Key
			m.Attempts, m.Throttled = 0, 0
			msgs = append(msgs, m)
		}
	}
	n, err := w.q.Enqueue(ctx, e.ID, msgs, w.opts.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		w.outbox.notify()
	}
	return nil
}
