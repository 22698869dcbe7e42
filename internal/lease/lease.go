// Package lease holds the named leases that make one replica at a time do
// a job that must not run twice (the Telegram poller, the delivery
// fan-out, the album flusher, the mailbox poller). A Holder takes its lease,
// runs the job while it holds it, renews it every third of its lifetime
// and stops the job when it is lost. Leases are short (3 s by default), so
// another replica takes over within seconds of a crash; and a holder
// releases its lease when its job stops, waking the replica that waits
// for it, so a rolling deploy waits for nothing.
package lease

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/internal/backoff"
)

// DefaultTTL is a lease's lifetime without renewal: the most a crash of
// its holder delays the job.
const DefaultTTL = 3 * time.Second

// Store keeps leases, shared by every replica; the store package
// implements it on Redis.
type Store interface {
	// Acquire takes lease name for holder for ttl, or extends it when
	// holder has it already, and reports whether holder has it.
	Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// Release gives lease name up if holder has it, and wakes a Wait on it.
	Release(ctx context.Context, name, holder string) error
	// Wait returns when lease name is released, after at most d, or when
	// ctx ends; an error only when the store cannot be asked.
	Wait(ctx context.Context, name string, d time.Duration) error
}

// Holder holds one named lease for a job. The zero TTL is DefaultTTL.
type Holder struct {
	Store Store
	Name  string
	// ID names this holder (this process) in the lease.
	ID  string
	TTL time.Duration
	Log zerolog.Logger
}

func (h *Holder) ttl() time.Duration {
	if h.TTL <= 0 {
		return DefaultTTL
	}
	return h.TTL
}

// Run runs job each time it takes the lease, until ctx ends. job's context
// ends when the lease is lost (not renewed within its TTL, or taken by
// another holder) or when ctx ends; job must then return. Run releases the
// lease after job returns (unless it was lost) and returns once ctx ended
// and job returned.
func (h *Holder) Run(ctx context.Context, job func(ctx context.Context)) {
	ttl := h.ttl()
	var bo backoff.Backoff
	for ctx.Err() == nil {
		ok, err := h.Store.Acquire(ctx, h.Name, h.ID, ttl)
		if err != nil {
			if ctx.Err() == nil {
				h.Log.Warn().Err(err).Str("lease", h.Name).Msg("take lease")
			}
			backoff.Sleep(ctx, bo.Next())
			continue
		}
		bo.Reset()
		if !ok {
			// Someone else holds it: wait for its release, or for its
			// expiry after a crash (checked every third of the TTL).
			if err := h.Store.Wait(ctx, h.Name, ttl/3); err != nil && ctx.Err() == nil {
				backoff.Sleep(ctx, ttl/3)
			}
			continue
		}
		h.Log.Info().Str("lease", h.Name).Str("holder", h.ID).Msg("lease taken")
		if lost := h.hold(ctx, job); lost {
			h.Log.Warn().Str("lease", h.Name).Msg("lease lost")
			continue
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		if err := h.Store.Release(rctx, h.Name, h.ID); err != nil {
			h.Log.Warn().Err(err).Str("lease", h.Name).Msg("release lease")
		}
		cancel()
	}
}

// hold runs job while renewing the lease; it reports whether the lease
// was lost (rather than job returning or ctx ending).
func (h *Holder) hold(ctx context.Context, job func(ctx context.Context)) (lost bool) {
	ttl := h.ttl()
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		job(jctx)
	}()
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	held := time.Now()
	for {
		select {
		case <-done:
			return lost
		case <-tick.C:
		}
		if lost || ctx.Err() != nil {
			continue // wait for job to return
		}
		rctx, rcancel := context.WithTimeout(ctx, ttl/3)
		ok, err := h.Store.Acquire(rctx, h.Name, h.ID, ttl)
		rcancel()
		switch {
		case err == nil && ok:
			held = time.Now()
		case err == nil:
			lost = true
		case time.Since(held) >= ttl-ttl/3:
			// It may expire before the next renewal: stop rather than
			// run twice.
			h.Log.Warn().Err(err).Str("lease", h.Name).Msg("renew lease")
			lost = true
		}
		if lost {
			cancel()
		}
	}
}
