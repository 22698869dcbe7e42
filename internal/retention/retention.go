// Package retention runs the sweep that deletes the personal content of
// tickets finished longer than the retention ago (tickets.Service.Sweep),
// on one replica at a time: a Runner holds the lease "retention" while it
// works, first finishes the backfill of the finished index (tickets
// finished before the index existed), then sweeps in bounded batches every
// interval. Everything it needs to resume (the index, the backfill's
// cursor) is in the store, so a restart or another replica carries on
// where it stopped.
package retention

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/internal/lease"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Lease is the name of the lease the sweeping replica holds.
const Lease = "retention"

// Defaults of Options.
const (
	DefaultInterval = time.Minute
	DefaultBatch    = 100
)

// Sweeper sweeps a batch (tickets.Service).
type Sweeper interface {
	Sweep(ctx context.Context, limit int) (tickets.SweepResult, error)
}

// Backfiller indexes the tickets finished before the finished index
// existed, a batch at a time, and says when it is done (store.Store).
type Backfiller interface {
	Backfill(ctx context.Context, batch int) (indexed int, done bool, err error)
}

// Options configure a Runner.
type Options struct {
	Interval time.Duration // between sweeps; DefaultInterval when 0
	Batch    int           // tickets per Sweep call; DefaultBatch when 0
	Holder   string        // names this process in the lease; random when ""
	LeaseTTL time.Duration // lease.DefaultTTL when 0
	// Expired is told how many tickets each batch expired (a metric).
	Expired func(n int)
	Log     zerolog.Logger
}

// Runner sweeps while it holds the retention lease.
type Runner struct {
	svc    Sweeper
	bf     Backfiller
	holder lease.Holder
	opts   Options
	filled bool // the backfill finished (in this process)
}

// New returns a Runner; bf may be nil when there is nothing to backfill.
func New(svc Sweeper, bf Backfiller, leases lease.Store, opts Options) *Runner {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Holder == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		opts.Holder = hex.EncodeToString(b[:])
	}
	if opts.Expired == nil {
		opts.Expired = func(int) {}
	}
	r := &Runner{svc: svc, bf: bf, opts: opts, filled: bf == nil}
	r.holder = lease.Holder{Store: leases, Name: Lease, ID: opts.Holder, TTL: opts.LeaseTTL, Log: opts.Log}
	return r
}

// Run sweeps until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	r.holder.Run(ctx, r.work)
	return nil
}

// work runs while the lease is held: a round at once, then one every
// interval.
func (r *Runner) work(ctx context.Context) {
	tick := time.NewTicker(r.opts.Interval)
	defer tick.Stop()
	for {
		r.Round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// maxBatches bounds a round, so that tickets that keep changing while
// they are swept cannot keep it busy: the next round carries on.
const maxBatches = 1000

// Round backfills what is left and sweeps every due ticket, a batch at a
// time, until nothing is due or ctx ends; it reports how many tickets it
// expired. Run calls it under the lease; a test may call it directly.
func (r *Runner) Round(ctx context.Context) int {
	for !r.filled && ctx.Err() == nil {
		n, done, err := r.bf.Backfill(ctx, 10*r.opts.Batch)
		if err != nil {
			r.opts.Log.Warn().Err(err).Msg("backfill the finished index")
			return 0
		}
		if n > 0 {
			r.opts.Log.Info().Int("indexed", n).Msg("finished tickets of earlier versions indexed")
		}
		r.filled = done
	}
	total := 0
	for batch := 0; batch < maxBatches && ctx.Err() == nil; batch++ {
		res, err := r.svc.Sweep(ctx, r.opts.Batch)
		if err != nil {
			if ctx.Err() == nil {
				r.opts.Log.Warn().Err(err).Msg("sweep finished tickets")
			}
			break
		}
		total += res.Expired
		r.opts.Expired(res.Expired)
		if !res.More || res.Expired+res.Skipped == 0 {
			break
		}
	}
	if total > 0 {
		r.opts.Log.Info().Int("expired", total).Msg("finished tickets past the retention expired")
	}
	return total
}
