package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Value returns the adapter value name and whether it exists. Adapters keep
// small state here (a Slack card's ts, a Telegram form draft, the polling
// offset), under the desk's prefix and hash tag.
func (s *Store) Value(ctx context.Context, name string) (string, bool, error) {
	v, err := s.rdb.Get(ctx, s.keys.value(name)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read value %s: %w", name, err)
	}
	return v, true, nil
}

// SetValue stores value under name; ttl 0 keeps it until deleted.
func (s *Store) SetValue(ctx context.Context, name, value string, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.keys.value(name), value, ttl).Err(); err != nil {
		return fmt.Errorf("write value %s: %w", name, err)
	}
	return nil
}

// SetValueNX stores value under name only if name has no value, and reports
// whether it did.
func (s *Store) SetValueNX(ctx context.Context, name, value string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.keys.value(name), value, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("write value %s: %w", name, err)
	}
	return ok, nil
}

// DeleteValue removes name.
func (s *Store) DeleteValue(ctx context.Context, name string) error {
	if err := s.rdb.Del(ctx, s.keys.value(name)).Err(); err != nil {
		return fmt.Errorf("delete value %s: %w", name, err)
	}
	return nil
}

// leaseScript takes or renews lease KEYS[1] for holder ARGV[1] for ARGV[2]
// milliseconds; it returns 1 when holder has the lease afterwards.
var leaseScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`)

// releaseScript gives lease KEYS[1] up if holder ARGV[1] has it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// Lease takes the named lease for holder, or renews it if holder already
// has it, for ttl; it reports whether holder has it. Only one holder has a
// lease at a time; another takes it over once ttl passes without renewal
// (the holder died).
func (s *Store) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	n, err := leaseScript.Run(ctx, s.rdb, []string{s.keys.value("lease:" + name)}, holder, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("take lease %s: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease gives up the named lease if holder has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.keys.value("lease:" + name)}, holder).Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// incrScript increments counter KEYS[1] and sets its expiry (ARGV[1] ms)
// when it is new, in one step.
var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n`)

// Incr adds one to the counter name and returns its value; a new counter
// expires after ttl (a fixed window, for flood limits).
func (s *Store) Incr(ctx context.Context, name string, ttl time.Duration) (int64, error) {
	n, err := incrScript.Run(ctx, s.rdb, []string{s.keys.value(name)}, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("increment %s: %w", name, err)
	}
	return n, nil
}
