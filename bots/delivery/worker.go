package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Defaults of Options.
const (
	DefaultSenders      = 8
	DefaultClaimIdle    = 30 * time.Second
	DefaultLeaseTTL     = 30 * time.Second
	DefaultSendTimeout  = 10 * time.Second
	DefaultMaxAttempts  = 8
	DefaultMaxThrottled = 50
	DefaultRetryBase    = time.Second
	DefaultRetryMax     = 5 * time.Minute
	DefaultPoll         = 250 * time.Millisecond
	DefaultFanoutTTL    = 10 * time.Second
	DefaultKeepEvents   = 24 * time.Hour
	DefaultHeadroom     = 0.05
)

const (
	readBatch     = 100
	trimEvery     = time.Minute
	maxRetryAfter = time.Hour
	maxGiveUps    = 3 // an event given up this often is left pending, not retried at once
)

// Options tune a Worker. The zero value is usable.
type Options struct {
	// Consumer names this worker in the consumer group and the fan-out
	// lease; default hostname-pid-random, unique per process.
	Consumer string
	// Senders is the number of goroutines sending (default 8).
	Senders int
	// ClaimIdle is how long an event may stay pending (read, not yet
	// queued) before it is read again: its reader died or failed
	// (default 30 s).
	ClaimIdle time.Duration
	// LeaseTTL bounds how long one send holds its target; after it another
	// sender may send the target's head message again (default 30 s, at
	// least SendTimeout plus 5 s).
	LeaseTTL time.Duration
	// SendTimeout bounds one Channel.Send (default 10 s).
	SendTimeout time.Duration
	// MaxAttempts is the retry budget of transient failures: a message
	// that failed this often is dead-lettered (default 8).
	MaxAttempts int
	// MaxThrottled is the budget of 429 answers for one message (default 50).
	MaxThrottled int
	// RetryBase and RetryMax shape the backoff after a transient failure:
	// RetryBase doubled per attempt, at most RetryMax, with jitter
	// (defaults 1 s and 5 min).
	RetryBase, RetryMax time.Duration
	// Poll is how often idle senders look for due messages other workers
	// queued; this worker's own enqueues wake them at once (default 250 ms).
	Poll time.Duration
	// FanoutTTL is the fan-out lease: another worker takes over turning
	// events into messages this long after the holder died (default 10 s).
	FanoutTTL time.Duration
	// KeepEvents is how long acknowledged events stay in the stream
	// (default 24 h).
	KeepEvents time.Duration
	// Headroom is the fraction of Limits.PerSecond left unused, so that
	// network jitter never pushes a burst over the platform's own window
	// (default 0.05; negative means none).
	Headroom float64
	Logger   zerolog.Logger
	Metrics  Metrics
}

func (o *Options) defaults() {
	if o.Consumer == "" {
		host, _ := os.Hostname()
		var b [3]byte
		_, _ = rand.Read(b[:])
		o.Consumer = host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
	}
	if o.Senders <= 0 {
		o.Senders = DefaultSenders
	}
	if o.ClaimIdle <= 0 {
		o.ClaimIdle = DefaultClaimIdle
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = DefaultSendTimeout
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.LeaseTTL < o.SendTimeout+5*time.Second {
		o.LeaseTTL = o.SendTimeout + 5*time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxThrottled <= 0 {
		o.MaxThrottled = DefaultMaxThrottled
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.FanoutTTL <= 0 {
		o.FanoutTTL = DefaultFanoutTTL
	}
	if o.KeepEvents <= 0 {
		o.KeepEvents = DefaultKeepEvents
	}
	if o.Headroom == 0 {
		o.Headroom = DefaultHeadroom
	}
	if o.Headroom < 0 {
		o.Headroom = 0
	}
	if o.Metrics == nil {
		o.Metrics = nopMetrics{}
	}
}

// Enqueuer takes messages for delivery. The adapters send the answers to a
// user's own action (form prompts, command answers) through it; both
// *Worker and *Inline implement it.
type Enqueuer interface {
	Enqueue(ctx context.Context, msgs ...Message) error
}

var (
	_ Enqueuer = (*Worker)(nil)
	_ Enqueuer = (*Inline)(nil)
)

// Worker turns the desk's events into chat messages and sends them: one
// fan-out loop (run by one worker of all replicas at a time, under a lease)
// plans every event on every Channel and queues the messages per target;
// Options.Senders goroutines send them, in order per target, within each
// platform's Limits, across replicas.
type Worker struct {
	q        Queue
	channels map[string]Channel
	order    []Channel
	rates    map[string]time.Duration
	opts     Options
	log      zerolog.Logger
	metrics  Metrics
	wake     chan struct{}
}

// New returns a Worker delivering through q to channels.
func New(q Queue, channels []Channel, opts Options) *Worker {
	opts.defaults()
	w := &Worker{
		q: q, channels: map[string]Channel{}, rates: map[string]time.Duration{},
		opts: opts, metrics: opts.Metrics,
		log:  opts.Logger.With().Str("component", "delivery").Logger(),
		wake: make(chan struct{}, opts.Senders),
	}
	for _, c := range channels {
		pf := c.Platform()
		w.channels[pf] = c
		w.order = append(w.order, c)
		if ps := c.Limits().PerSecond; ps > 0 {
			w.rates[pf] = time.Duration(float64(time.Second) / (ps * (1 - opts.Headroom)))
		}
	}
	return w
}

// Consumer returns the name of the worker in the consumer group.
func (w *Worker) Consumer() string { return w.opts.Consumer }

// Run delivers until ctx ends, then lets the sends in flight finish (each
// within SendTimeout) and records them, and returns once its goroutines
// stopped. Redis outages are waited out.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { w.fanout(ctx) })
	for range w.opts.Senders {
		wg.Go(func() { w.sender(ctx) })
	}
	wg.Wait()
	return nil
}

// Enqueue queues msgs for sending, in order per target, with the same
// deduplication and limits as the messages of events. Each message needs
// an ID derived from what caused it (for example the inbound update's id
// and a key), so that a re-processed update enqueues it once, a Platform
// with a Channel and a Target.
func (w *Worker) Enqueue(ctx context.Context, msgs ...Message) error {
	for _, m := range msgs {
		if m.ID == "" || m.Target == "" {
			return fmt.Errorf("enqueue message %q: id and target are required", m.ID)
		}
		if _, ok := w.channels[m.Platform]; !ok {
			return fmt.Errorf("enqueue message %s: no channel for platform %q", m.ID, m.Platform)
		}
	}
	n, err := w.q.Enqueue(ctx, "", msgs, time.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		w.notify()
	}
	return nil
}

func (w *Worker) notify() {
	for range w.opts.Senders {
		select {
		case w.wake <- struct{}{}:
		default:
			return
		}
	}
}

// sleep waits d or until ctx ends; it reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// pause is the backoff after an error of the queue itself (Redis down).
type pause struct{ d time.Duration }

func (p *pause) next() time.Duration {
	switch {
	case p.d == 0:
		p.d = 50 * time.Millisecond
	case p.d < 2*time.Second:
		p.d *= 2
	}
	return p.d/2 + mrand.N(p.d/2+1)
}

func (p *pause) reset() { p.d = 0 }

// fanout turns events into queued messages while this worker holds the
// fan-out lease.
func (w *Worker) fanout(ctx context.Context) {
	id := w.opts.Consumer
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = w.q.Resign(rctx, id)
	}()
	var (
		leader            bool
		catchUp           bool
		lastClaim, lastTr time.Time
		bo                pause
		giveUps           = map[string]int{}
	)
	block := min(time.Second, w.opts.FanoutTTL/3)
	for ctx.Err() == nil {
		ok, err := w.q.Lead(ctx, id, w.opts.FanoutTTL)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn().Err(err).Msg("fan-out lease")
			}
			leader = false
			sleep(ctx, bo.next())
			continue
		}
		if !ok {
			if leader {
				w.log.Info().Msg("fan-out lease lost")
			}
			leader = false
			sleep(ctx, min(time.Second, w.opts.FanoutTTL/4))
			continue
		}
		if !leader {
			if err := w.q.Join(ctx); err != nil {
				w.log.Warn().Err(err).Msg("join consumer group")
				sleep(ctx, bo.next())
				continue
			}
			w.log.Info().Str("consumer", id).Msg("fan-out lease taken")
			leader, catchUp = true, true
		}
		now := time.Now()
		if catchUp || now.Sub(lastClaim) >= w.opts.ClaimIdle/2 {
			// A new leader (or one that gave up events) first takes every
			// pending event, oldest first, so messages keep their order;
			// later, events pending for ClaimIdle.
			idle := w.opts.ClaimIdle
			if catchUp {
				idle = 0
			}
			done, err := w.reclaim(ctx, idle, giveUps)
			if err != nil {
				if ctx.Err() == nil {
					w.log.Warn().Err(err).Msg("claim pending events")
				}
				sleep(ctx, bo.next())
				continue
			}
			catchUp = !done
			lastClaim = now
		}
		if now.Sub(lastTr) >= trimEvery {
			if err := w.q.TrimEvents(ctx, now.Add(-w.opts.KeepEvents)); err != nil && ctx.Err() == nil {
				w.log.Warn().Err(err).Msg("trim events")
			}
			lastTr = now
		}
		evs, err := w.q.ReadEvents(ctx, id, readBatch, block)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn().Err(err).Msg("read events")
			}
			leader = false // join again: the group may be gone with the data
			sleep(ctx, bo.next())
			continue
		}
		bo.reset()
		for _, e := range evs {
			if !w.handle(ctx, e, giveUps) {
				catchUp = true // the rest stays pending: take it again, in order
				break
			}
		}
	}
}

// reclaim takes the events pending for minIdle and handles them, oldest
// first. It reports false when one was given up on.
func (w *Worker) reclaim(ctx context.Context, minIdle time.Duration, giveUps map[string]int) (bool, error) {
	for {
		evs, err := w.q.ClaimEvents(ctx, w.opts.Consumer, minIdle, readBatch)
		if err != nil {
			return false, err
		}
		handled := 0
		for _, e := range evs {
			if giveUps[e.ID] >= maxGiveUps && minIdle == 0 {
				continue // left pending: retried every ClaimIdle, not blocking the others
			}
			if !w.handle(ctx, e, giveUps) {
				return false, nil
			}
			handled++
		}
		if len(evs) < readBatch || handled == 0 {
			return true, nil
		}
	}
}

// handle plans event e and queues its messages, retrying in place (so
// later events wait and order holds) for up to ClaimIdle. It reports false
// when it gave up or ctx ended; e then stays pending.
func (w *Worker) handle(ctx context.Context, e tickets.Event, giveUps map[string]int) bool {
	start := time.Now()
	var bo pause
	for {
		err := w.fan(ctx, e)
		if err == nil {
			delete(giveUps, e.ID)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if time.Since(start) >= w.opts.ClaimIdle {
			giveUps[e.ID]++
			w.log.Error().Err(err).Str("event", e.ID).Int64("ticket", e.Number).Int("times", giveUps[e.ID]).
				Msg("event not delivered yet; it stays pending and is retried")
			return false
		}
		w.log.Warn().Err(err).Str("event", e.ID).Msg("plan event; retrying")
		if !sleep(ctx, bo.next()) {
			return false
		}
		if ok, err := w.q.Lead(ctx, w.opts.Consumer, w.opts.FanoutTTL); err == nil && !ok {
			return false // another worker took over and will deliver it
		}
	}
}

// fan plans e on every channel and queues the messages, acknowledging e.
func (w *Worker) fan(ctx context.Context, e tickets.Event) error {
	var msgs []Message
	if e.Kind == "" {
		w.log.Error().Str("event", e.ID).Msg("undecodable event skipped")
	} else {
		for _, c := range w.order {
			pctx, cancel := context.WithTimeout(ctx, w.opts.SendTimeout)
			ms, err := c.Plan(pctx, e)
			cancel()
			if err != nil {
				return fmt.Errorf("plan on %s: %w", c.Platform(), err)
			}
			pf := c.Platform()
			for _, m := range ms {
				if m.Target == "" {
					w.log.Error().Str("event", e.ID).Str("platform", pf).Str("key", m.Key).Msg("message without target skipped")
					continue
				}
				m.EventID, m.Platform = e.ID, pf
				m.ID = e.ID + "/" + pf + "/" + m.Key
				m.Attempts, m.Throttled = 0, 0
				msgs = append(msgs, m)
			}
		}
	}
	n, err := w.q.Enqueue(ctx, e.ID, msgs, time.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		w.notify()
	}
	return nil
}

// sender sends due messages until ctx ends.
func (w *Worker) sender(ctx context.Context) {
	var bo pause
	for ctx.Err() == nil {
		l, wait, err := w.q.Take(ctx, time.Now(), w.opts.LeaseTTL, w.rates)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn().Err(err).Msg("take a message")
			}
			sleep(ctx, bo.next())
			continue
		}
		bo.reset()
		if !l.Leased() {
			d := w.opts.Poll
			if wait >= 0 && wait < d {
				d = max(wait, time.Millisecond)
			}
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
			case <-w.wake:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		w.send(ctx, l)
	}
}

// send sends a leased message and records the outcome right away: the
// time between the platform's answer and the record is the only window in
// which a crash repeats a message. A send in flight when ctx ends is
// finished, not abandoned.
func (w *Worker) send(ctx context.Context, l Lease) {
	m := l.Message
	start := time.Now()
	c, ok := w.channels[m.Platform]
	if !ok {
		w.bury(ctx, l, c, "no_channel", fmt.Errorf("no channel for platform %q", m.Platform), start)
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.opts.SendTimeout)
	err := c.Send(sctx, m)
	cancel()
	now := time.Now()
	lim := c.Limits()
	log := w.log.With().Str("message", m.ID).Str("platform", m.Platform).Str("target", m.Target).Logger()
	if err == nil {
		if !w.record(ctx, start, func(rctx context.Context) error {
			return w.q.Done(rctx, l, now.Add(lim.PerTarget), lim.PerTarget)
		}) {
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
			w.bury(ctx, l, c, "throttled", err, start)
			return
		}
		after := min(max(ra.After, lim.PerTarget), maxRetryAfter)
		log.Debug().Dur("after", after).Msg("rate limited by the platform")
		w.record(ctx, start, func(rctx context.Context) error { return w.q.Retry(rctx, l, m, now.Add(after)) })
		return
	}
	if p, ok := IsPermanent(err); ok {
		w.bury(ctx, l, c, p.Reason, err, start)
		return
	}
	m.Attempts++
	if m.Attempts >= w.opts.MaxAttempts {
		w.bury(ctx, l, c, "attempts", err, start)
		return
	}
	w.metrics.Retried(m.Platform, "error")
	after := w.backoff(m.Attempts)
	log.Warn().Err(err).Int("attempts", m.Attempts).Dur("after", after).Msg("send failed; retrying")
	w.record(ctx, start, func(rctx context.Context) error { return w.q.Retry(rctx, l, m, now.Add(after)) })
}

func (w *Worker) backoff(attempts int) time.Duration {
	d := w.opts.RetryBase
	for i := 1; i < attempts && d < w.opts.RetryMax; i++ {
		d *= 2
	}
	d = min(d, w.opts.RetryMax)
	return d/2 + mrand.N(d/2+1)
}

func (w *Worker) bury(ctx context.Context, l Lease, c Channel, reason string, err error, start time.Time) {
	m := l.Message
	now := time.Now()
	d := DeadLetter{Message: m, Reason: reason, Error: err.Error(), At: now.UTC()}
	if !w.record(ctx, start, func(rctx context.Context) error { return w.q.Bury(rctx, l, d, now) }) {
		return
	}
	w.metrics.DeadLettered(m.Platform, reason)
	w.log.Warn().Err(err).Str("message", m.ID).Str("platform", m.Platform).Str("target", m.Target).
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
// the lease holds; it reports whether it succeeded.
func (w *Worker) record(ctx context.Context, leased time.Time, f func(context.Context) error) bool {
	rctx := context.WithoutCancel(ctx)
	var bo pause
	for {
		err := f(rctx)
		if err == nil {
			return true
		}
		if time.Since(leased)+bo.d >= w.opts.LeaseTTL {
			w.log.Error().Err(err).Msg("send not recorded; the message will be sent again")
			return false
		}
		time.Sleep(bo.next()) // not ctx: the record must outlive a shutdown request
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
