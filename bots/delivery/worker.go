package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/internal/lease"
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
	DefaultHeadroom        = 0.04
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
	// (default 0.04; negative means none).
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
