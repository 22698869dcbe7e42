// Package backoff paces retries: capped exponential backoff with jitter,
// and a sleep that ends early when its context does. Every retry loop of
// the product (a failing Redis, a failing platform call, an update or an
// event to try again) uses it, so they all back off the same way.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff counts failures in a row and says how long to wait after each:
// Base doubled per failure, at most Max, with jitter (a random point in the
// upper half of the interval), so that replicas failing together do not
// retry together. The zero value waits 50 ms doubling to 2 s.
type Backoff struct {
	Base, Max time.Duration
	failures  int
}

// Next counts a failure and returns how long to wait before trying again.
func (b *Backoff) Next() time.Duration {
	b.failures++
	return Delay(b.base(), b.max(), b.failures)
}

// Reset forgets the failures: the next Next waits Base again.
func (b *Backoff) Reset() { b.failures = 0 }

// Failures returns the failures counted since the last Reset.
func (b *Backoff) Failures() int { return b.failures }

func (b *Backoff) base() time.Duration {
	if b.Base <= 0 {
		return 50 * time.Millisecond
	}
	return b.Base
}

func (b *Backoff) max() time.Duration {
	if b.Max <= 0 {
		return 2 * time.Second
	}
	return max(b.Max, b.base())
}

// Delay returns the wait after the attempt-th failure in a row (1-based):
// base doubled attempt-1 times, at most limit, with jitter in its upper
// half. It is Backoff's rule for callers that keep the count themselves
// (for example in a stored message).
func Delay(base, limit time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// Sleep waits d or until ctx ends, and reports whether it waited the whole
// time (false: ctx ended).
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
