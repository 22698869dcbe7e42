package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/internal/backoff"
	"github.com/colombiainformatica/ticketbot/internal/lease"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Defaults of Options.
const (
	DefaultSenders         = 8
	DefaultClaimIdle       = 30 * time.Second
	DefaultLeaseTTL        = 3 * time.Second
	DefaultSendTimeout     = 10 * time.Second
	DefaultMaxAttempts     = 10
	DefaultMaxThrottled    = 50
	DefaultMaxPlanAttempts = 5
	DefaultRetryBase       = time.Second
	DefaultRetryMax        = 5 * time.Minute
	DefaultPoll            = 250 * time.Millisecond
	DefaultFanoutTTL       = lease.DefaultTTL
	DefaultKeepEvents      = 24 * time.Hour
	DefaultHeadroom        = 0.05
)

const (
	readBatch     = 100
	trimEvery     = time.Minute
	maxRetryAfter = time.Hour
	// FanoutLease names the lease of the worker that turns events into
	// messages.
	FanoutLease = "delivery-fanout"
)

// Options tune a Worker. The zero value is usable.
type Options struct {
	// Consumer names this worker in the consumer group and the fan-out
	// lease; default hostname-pid-random, unique per process.
	Consumer string
	// Senders is the number of goroutines sending (default 8).
	Senders int
	// ClaimIdle is how long an event may stay pending (read, not yet
	// queued) under another consumer before the fan-out takes it over
	// (default 30 s; a new fan-out worker takes every pending event at
	// once).
	ClaimIdle time.Duration
	// LeaseTTL is how long a send holds its lane without renewal: the
	// lease is renewed every third of it while the send is in flight, so
	// it is also the most a crash delays the lane (default 3 s).
	LeaseTTL time.Duration
	// SendTimeout bounds one Channel.Send (default 10 s).
	SendTimeout time.Duration
	// MaxAttempts is the retry budget of transient failures: a message
	// that failed this often is dead-lettered (default 8).
	MaxAttempts int
	// MaxThrottled is the budget of 429 answers for one message (default 50).
	MaxThrottled int
	// MaxPlanAttempts is how often an event may fail to be planned, while
	// the queue itself answers, before it becomes an event dead letter
	// (default 5). Meanwhile it holds back only its own ticket's events.
	MaxPlanAttempts int
	// RetryBase and RetryMax shape the backoff after a transient failure:
	// RetryBase doubled per attempt, at most RetryMax, with jitter
	// (defaults 1 s and 5 min).
	RetryBase, RetryMax time.Duration
	// Poll is how often idle senders look for due messages other workers
	// queued; this worker's own enqueues wake them at once (default 250 ms).
	Poll time.Duration
	// FanoutTTL is the fan-out lease: another worker takes over turning
	// events into messages this long after the holder died (default 3 s);
	// a worker that stops releases it at once.
	FanoutTTL time.Duration
	// KeepEvents is how long acknowledged events stay in the stream
	// (default 24 h).
	KeepEvents time.Duration
	// Headroom is the fraction of each bucket's rate left unused, so that
	// network jitter never pushes a burst over the platform's own window
	// (default 0.05; negative means none).
	Headroom float64
	Logger   zerolog.Logger
	Metrics  Metrics
	// Now tells the time (time.Now when nil).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Consumer == "" {
		host, _ := os.Hostname()
		var b [3]byte
		_, _ = rand.Read(b[:])
		o.Consumer = host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
	}
	setDefault(&o.Senders, DefaultSenders)
	setDefault(&o.MaxAttempts, DefaultMaxAttempts)
	setDefault(&o.MaxThrottled, DefaultMaxThrottled)
	setDefault(&o.MaxPlanAttempts, DefaultMaxPlanAttempts)
	setDefault(&o.ClaimIdle, DefaultClaimIdle)
	setDefault(&o.SendTimeout, DefaultSendTimeout)
	setDefault(&o.LeaseTTL, DefaultLeaseTTL)
	setDefault(&o.RetryBase, DefaultRetryBase)
	setDefault(&o.RetryMax, DefaultRetryMax)
	setDefault(&o.Poll, DefaultPoll)
	setDefault(&o.FanoutTTL, DefaultFanoutTTL)
	setDefault(&o.KeepEvents, DefaultKeepEvents)
	if o.Headroom == 0 {
		o.Headroom = DefaultHeadroom
	}
	o.Headroom = max(o.Headroom, 0)
	if o.Metrics == nil {
		o.Metrics = nopMetrics{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Enqueuer takes messages for delivery. The adapters send the answers to a
// user's own action (form prompts, command answers) through it; *Outbox
// and *Inline implement it.
type Enqueuer interface {
	Enqueue(ctx context.Context, msgs ...Message) error
}

var (
	_ Enqueuer = (*Outbox)(nil)
	_ Enqueuer = (*Inline)(nil)
)

// Outbox queues messages for the Workers to send. The adapters are built
// with it before the Worker that sends through them.
type Outbox struct {
	q         Queue
	platforms map[string]bool
	now       func() time.Time
	wake      signal // this process's enqueues wake its idle senders
}

// NewOutbox returns an Outbox over q for messages of the given platforms
// (those a Worker will have a Channel for).
func NewOutbox(q Queue, platforms ...string) *Outbox {
	o := &Outbox{q: q, platforms: map[string]bool{}, now: time.Now}
	for _, p := range platforms {
		o.platforms[p] = true
	}
	return o
}

// Enqueue queues msgs for sending, in order per lane, with the same
// deduplication and limits as the messages of events. Each message needs
// an ID derived from what caused it (for example the inbound update's id
// and a key), so that a re-processed update enqueues it once, a Platform
// and a Lane.
func (o *Outbox) Enqueue(ctx context.Context, msgs ...Message) error {
	for _, m := range msgs {
		if m.ID == "" || m.Platform == "" || m.Lane == "" {
			return fmt.Errorf("enqueue message %q: id, platform and lane are required", m.ID)
		}
		if !o.platforms[m.Platform] {
			return fmt.Errorf("enqueue message %s: no channel for platform %q", m.ID, m.Platform)
		}
	}
	n, err := o.q.Enqueue(ctx, "", msgs, o.now())
	if err != nil {
		return err
	}
	if n > 0 {
		o.notify()
	}
	return nil
}

func (o *Outbox) notify() { o.wake.broadcast() }

// signal wakes every goroutine waiting on it at once.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next broadcast.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// Worker turns the desk's events into chat messages and sends them: one
// fan-out loop (run by one worker of all replicas at a time, under a lease)
// plans every event on every Channel and queues the messages per lane;
// Options.Senders goroutines send them, in order per lane, within each
// platform's Limits, across replicas.
type Worker struct {
	q        Queue
	outbox   *Outbox
	holder   lease.Holder
	channels map[string]Channel
	order    []Channel
	buckets  []Bucket
	opts     Options
	log      zerolog.Logger
	metrics  Metrics
	takes    atomic.Uint64
}

// New returns a Worker sending what outbox queues, and the messages of
// the desk's events, to channels; leases keeps its fan-out lease.
func New(outbox *Outbox, leases lease.Store, channels []Channel, opts Options) *Worker {
	opts.defaults()
	w := &Worker{
		q: outbox.q, outbox: outbox, channels: map[string]Channel{},
		opts: opts, metrics: opts.Metrics,
		log: opts.Logger.With().Str("component", "delivery").Logger(),
	}
	outbox.now = opts.Now
	w.holder = lease.Holder{Store: leases, Name: FanoutLease, ID: opts.Consumer, TTL: opts.FanoutTTL, Log: w.log}
	seen := map[string]bool{}
	for _, c := range channels {
		pf := c.Platform()
		w.channels[pf] = c
		w.order = append(w.order, c)
		lim := c.Limits()
		names := []string{pf}
		for name := range lim.Buckets {
			names = append(names, name)
		}
		sort.Strings(names[1:])
		for _, name := range names {
			if seen[name] {
				continue
			}
			seen[name] = true
			iv := lim.Buckets[name]
			if iv > 0 && opts.Headroom > 0 {
				iv = time.Duration(float64(iv) / (1 - opts.Headroom))
			}
			w.buckets = append(w.buckets, Bucket{Name: name, Interval: iv})
		}
	}
	return w
}

// Consumer returns the name of the worker in the consumer group.
func (w *Worker) Consumer() string { return w.opts.Consumer }

// Enqueue queues msgs through the Worker's Outbox.
func (w *Worker) Enqueue(ctx context.Context, msgs ...Message) error {
	return w.outbox.Enqueue(ctx, msgs...)
}

// Run delivers until ctx ends, then lets the sends in flight finish (each
// within SendTimeout) and records them, releases its leases and returns
// once its goroutines stopped. Redis outages are waited out.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { w.holder.Run(ctx, w.fanout) })
	for i := range w.opts.Senders {
		wg.Go(func() { w.sender(ctx, i) })
	}
	wg.Wait()
	return nil
}

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
