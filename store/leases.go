package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/internal/lease"
)

var (
	//go:embed lease_acquire.lua
	leaseAcquireSource string
	//go:embed lease_release.lua
	leaseReleaseSource string

	leaseAcquireScript = redis.NewScript(leaseAcquireSource)
	leaseReleaseScript = redis.NewScript(leaseReleaseSource)
)

// Leases is the Redis implementation of lease.Store: named leases shared
// by every replica of a desk.
type Leases struct{ s *Store }

var _ lease.Store = (*Leases)(nil)

// NewLeases returns the leases of s's desk.
func NewLeases(s *Store) *Leases { return &Leases{s: s} }

// Acquire implements lease.Store.
func (l *Leases) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	n, err := leaseAcquireScript.Run(ctx, l.s.rdb, []string{l.s.keys.lease(name)}, holder, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("take lease %s: %w", name, err)
	}
	return n == 1, nil
}

// Release implements lease.Store.
func (l *Leases) Release(ctx context.Context, name, holder string) error {
	k := l.s.keys
	if err := leaseReleaseScript.Run(ctx, l.s.rdb, []string{k.lease(name), k.leaseFree(name)}, holder).Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// Wait implements lease.Store with a blocking pop of the release tokens.
func (l *Leases) Wait(ctx context.Context, name string, d time.Duration) error {
	err := l.s.rdb.BLPop(ctx, max(d, 10*time.Millisecond), l.s.keys.leaseFree(name)).Err()
	if err == nil || errors.Is(err, redis.Nil) {
		return nil
	}
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("wait for lease %s: %w", name, err)
}
