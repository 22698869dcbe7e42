package delivery

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/colombiainformatica/ticketbot/internal/backoff"
)

// sender sends due messages until ctx ends. Each sender looks at the
// buckets in its own rotating order, so every bucket gets its turn.
func (w *Worker) sender(ctx context.Context, i int) {
	var bo backoff.Backoff
	buckets := slices.Clone(w.buckets)
	for turn := i; ctx.Err() == nil; turn++ {
		order := buckets
		if n := len(buckets); n > 1 {
			k := turn % n
			order = append(slices.Clone(buckets[k:]), buckets[:k]...)
		}
		wake := w.outbox.wake.wait()
		l, wait, err := w.q.Take(ctx, w.takeID(), w.opts.Now(), w.opts.LeaseTTL, order)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn().Err(err).Msg("take a message")
			}
			backoff.Sleep(ctx, bo.Next())
			continue
		}
		bo.Reset()
		if !l.Leased() {
			d := w.opts.Poll
			if wait >= 0 && wait < d {
				d = max(wait, time.Millisecond)
			}
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
			case <-wake:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		w.send(ctx, l)
	}
}

func (w *Worker) takeID() string {
	return w.opts.Consumer + "." + strconv.FormatUint(w.takes.Add(1), 36)
}

// send sends a leased message, renewing its lease meanwhile, and records
// the outcome right away: the time between the platform's answer and the
// record is the only window in which a crash repeats a message. A send in
// flight when ctx ends is finished, not abandoned.
func (w *Worker) send(ctx context.Context, l Lease) {
	m := l.Message
	start := w.opts.Now()
	c, ok := w.channels[m.Platform]
	if !ok {
		w.bury(ctx, l, nil, "no_channel", fmt.Errorf("no channel for platform %q", m.Platform))
		return
	}
	// The lease is kept until the outcome is recorded.
	stop := w.keepLease(context.WithoutCancel(ctx), l)
	defer stop()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.opts.SendTimeout)
	err := c.Send(sctx, m)
	cancel()
	now := w.opts.Now()
	lim := c.Limits()
	log := w.log.With().Str("message", m.ID).Str("platform", m.Platform).Str("lane", m.Lane).Logger()
	if err == nil {
		gap := time.Duration(0)
		if m.Paced {
			gap = lim.LaneGap
		}
		if !w.record(ctx, start, func(rctx context.Context) error { return w.q.Done(rctx, l, gap, now) }) {
			return
		}
		w.metrics.Delivered(m.Platform, lag(m, now))
		if h, ok := c.(SentHandler); ok {
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.opts.SendTimeout)
			if err := h.Sent(hctx, m); err != nil {
				log.Error().Err(err).Msg("after send")
			}
			cancel()
		}
		return
	}
	if ra, ok := IsRetryAfter(err); ok {
		w.metrics.Retried(m.Platform, "rate_limited")
		m.Throttled++
		if m.Throttled > w.opts.MaxThrottled {
			w.bury(ctx, l, c, "throttled", err)
			return
		}
		after := min(max(ra.After, time.Second), maxRetryAfter)
		log.Debug().Dur("after", after).Msg("rate limited by the platform")
		w.record(ctx, start, func(rctx context.Context) error { return w.q.Retry(rctx, l, m, now.Add(after), false) })
		return
	}
	if p, ok := IsPermanent(err); ok {
		w.bury(ctx, l, c, p.Reason, err)
		return
	}
	m.Attempts++
	if m.Attempts >= w.opts.MaxAttempts {
		w.bury(ctx, l, c, "attempts", err)
		return
	}
	w.metrics.Retried(m.Platform, "error")
	after := backoff.Delay(w.opts.RetryBase, w.opts.RetryMax, m.Attempts)
	log.Warn().Err(err).Int("attempts", m.Attempts).Dur("after", after).Msg("send failed; retrying")
	w.record(ctx, start, func(rctx context.Context) error { return w.q.Retry(rctx, l, m, now.Add(after), true) })
}

// keepLease renews l every third of LeaseTTL until the returned stop is
// called.
func (w *Worker) keepLease(ctx context.Context, l Lease) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(w.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.opts.LeaseTTL/3)
			ok, err := w.q.Renew(rctx, l, w.opts.LeaseTTL, w.opts.Now())
			cancel()
			if err == nil && !ok {
				w.log.Warn().Str("message", l.Message.ID).Msg("send lease lost: the message may be sent twice")
				return
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

func (w *Worker) bury(ctx context.Context, l Lease, c Channel, reason string, err error) {
	m := l.Message
	now := w.opts.Now()
	d := DeadLetter{Message: m, Reason: reason, Error: err.Error(), At: now.UTC()}
	if !w.record(ctx, now, func(rctx context.Context) error { return w.q.Bury(rctx, l, d, now) }) {
		return
	}
	w.metrics.DeadLettered(m.Platform, reason)
	w.log.Warn().Err(err).Str("message", m.ID).Str("platform", m.Platform).Str("lane", m.Lane).
		Str("reason", reason).Int("attempts", m.Attempts).Msg("message dead-lettered")
	if h, ok := c.(FailureHandler); ok {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.opts.SendTimeout)
		if err := h.Failed(hctx, m, reason); err != nil {
			w.log.Error().Err(err).Str("message", m.ID).Msg("after dead letter")
		}
		cancel()
	}
}

// record runs a completion, retrying through a Redis outage for as long as
// the lease would have held; it reports whether it succeeded.
func (w *Worker) record(ctx context.Context, leased time.Time, f func(context.Context) error) bool {
	rctx := context.WithoutCancel(ctx)
	var bo backoff.Backoff
	for {
		err := f(rctx)
		if err == nil {
			return true
		}
		if w.opts.Now().Sub(leased) >= w.opts.LeaseTTL+w.opts.SendTimeout {
			w.log.Error().Err(err).Msg("send not recorded; the message will be sent again")
			return false
		}
		time.Sleep(bo.Next()) // not ctx: the record must outlive a shutdown request
	}
}

// lag returns the time from m's event to now, -1 when unknown.
func lag(m Message, now time.Time) time.Duration {
	ms, _, ok := strings.Cut(m.EventID, "-")
	if !ok {
		return -1
	}
	v, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return -1
	}
	return now.Sub(time.UnixMilli(v))
}
