package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

var (
	//go:embed enqueue.lua
	enqueueSource string
	//go:embed lease_target.lua
	leaseTargetSource string
	//go:embed complete.lua
	completeSource string
	//go:embed replay.lua
	replaySource string

	enqueueScript     = redis.NewScript(enqueueSource)
	leaseTargetScript = redis.NewScript(leaseTargetSource)
	completeScript    = redis.NewScript(completeSource)
	replayScript      = redis.NewScript(replaySource)
)

const (
	// DeliveryGroup is the consumer group delivery reads the events stream
	// with.
	DeliveryGroup = "delivery"
	// markerTTL is how long a message id is remembered: redelivered events
	// and repeated direct messages within it are sent once.
	markerTTL = 7 * 24 * time.Hour
	// takeCandidates bounds how many due targets one Take looks at.
	takeCandidates = 32
	fanoutLease    = "delivery-fanout"
)

// Outbox is the Redis implementation of delivery.Queue: the desk's events
// stream read by the consumer group "delivery", per-target outboxes, a
// sorted set of the targets that are due, shared per-platform rates and
// the dead letters, all under the desk's hash tag (see keys.go).
type Outbox struct {
	s            *Store
	consumerIdle time.Duration // tests shorten it; consumerIdle when 0
}

var _ delivery.Queue = (*Outbox)(nil)

// NewOutbox returns the delivery queue of s's desk.
func NewOutbox(s *Store) *Outbox { return &Outbox{s: s} }

// Load makes sure the delivery scripts are in Redis's script cache.
func (o *Outbox) Load(ctx context.Context) error {
	for _, sc := range []*redis.Script{enqueueScript, leaseTargetScript, completeScript, replayScript} {
		if err := sc.Load(ctx, o.s.rdb).Err(); err != nil {
			return fmt.Errorf("load delivery script: %w", err)
		}
	}
	return nil
}

func (o *Outbox) key(s string) string { return o.s.keys.delivery(s) }
func (o *Outbox) prefix() string      { return o.s.keys.delivery("") }

// Join implements delivery.Queue.
func (o *Outbox) Join(ctx context.Context) error {
	err := o.s.rdb.XGroupCreateMkStream(ctx, o.s.keys.events(), DeliveryGroup, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create consumer group: %w", err)
	}
	return o.pruneConsumers(ctx)
}

// consumerIdle is how long a consumer of the group may stay idle, with
// nothing pending, before it is deleted: consumer names are per process, so
// without pruning every restart would leave one behind.
const consumerIdle = time.Hour

func (o *Outbox) idleConsumer() time.Duration {
	if o.consumerIdle > 0 {
		return o.consumerIdle
	}
	return consumerIdle
}

// pruneConsumers deletes the group's consumers that have nothing pending
// and have been idle for consumerIdle (processes that are gone). A consumer
// with pending entries is kept: its entries are reclaimed, not dropped.
func (o *Outbox) pruneConsumers(ctx context.Context) error {
	cs, err := o.s.rdb.XInfoConsumers(ctx, o.s.keys.events(), DeliveryGroup).Result()
	if err != nil {
		return fmt.Errorf("list consumers: %w", err)
	}
	for _, c := range cs {
		if c.Pending == 0 && c.Idle >= o.idleConsumer() {
			if err := o.s.rdb.XGroupDelConsumer(ctx, o.s.keys.events(), DeliveryGroup, c.Name).Err(); err != nil {
				return fmt.Errorf("delete consumer %s: %w", c.Name, err)
			}
		}
	}
	return nil
}

// Lead implements delivery.Queue.
func (o *Outbox) Lead(ctx context.Context, holder string, ttl time.Duration) (bool, error) {
	return o.s.Lease(ctx, fanoutLease, holder, ttl)
}

// Resign implements delivery.Queue.
func (o *Outbox) Resign(ctx context.Context, holder string) error {
	return o.s.ReleaseLease(ctx, fanoutLease, holder)
}

// ReadEvents implements delivery.Queue.
func (o *Outbox) ReadEvents(ctx context.Context, consumer string, count int, block time.Duration) ([]tickets.Event, error) {
	res, err := o.s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: DeliveryGroup, Consumer: consumer, Streams: []string{o.s.keys.events(), ">"},
		Count: int64(count), Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	var out []tickets.Event
	for _, st := range res {
		out = append(out, decodeEntries(st.Messages)...)
	}
	return out, nil
}

func decodeEntries(msgs []redis.XMessage) []tickets.Event {
	out := make([]tickets.Event, 0, len(msgs))
	for _, m := range msgs {
		js, _ := m.Values["e"].(string)
		ev, err := DecodeEvent(m.ID, []byte(js))
		if err != nil {
			ev = tickets.Event{ID: m.ID}
		}
		out = append(out, ev)
	}
	return out
}

// ClaimEvents implements delivery.Queue.
func (o *Outbox) ClaimEvents(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]tickets.Event, error) {
	var out []tickets.Event
	start := "0-0"
	for len(out) < count {
		msgs, next, err := o.s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: o.s.keys.events(), Group: DeliveryGroup, Consumer: consumer,
			MinIdle: minIdle, Start: start, Count: int64(count - len(out)),
		}).Result()
		if err != nil {
			return nil, fmt.Errorf("claim pending events: %w", err)
		}
		out = append(out, decodeEntries(msgs)...)
		if next == "0-0" || next == "" {
			break
		}
		start = next
	}
	return out, nil
}

// TrimEvents implements delivery.Queue.
func (o *Outbox) TrimEvents(ctx context.Context, before time.Time) error {
	key := o.s.keys.events()
	groups, err := o.s.rdb.XInfoGroups(ctx, key).Result()
	if err != nil {
		return fmt.Errorf("trim events: %w", err)
	}
	if len(groups) == 0 {
		return nil
	}
	minID := strconv.FormatInt(before.UnixMilli(), 10) + "-0"
	for _, g := range groups {
		keep := g.LastDeliveredID
		if g.Pending > 0 {
			p, err := o.s.rdb.XPending(ctx, key, g.Name).Result()
			if err != nil {
				return fmt.Errorf("trim events: %w", err)
			}
			keep = p.Lower
		}
		if streamIDLess(keep, minID) {
			minID = keep
		}
	}
	if minID == "0-0" || minID == "" {
		return nil
	}
	if err := o.s.rdb.XTrimMinID(ctx, key, minID).Err(); err != nil {
		return fmt.Errorf("trim events: %w", err)
	}
	return nil
}

// streamIDLess compares stream ids "ms-seq".
func streamIDLess(a, b string) bool {
	am, as := splitStreamID(a)
	bm, bs := splitStreamID(b)
	if am != bm {
		return am < bm
	}
	return as < bs
}

func splitStreamID(id string) (uint64, uint64) {
	ms, seq, _ := strings.Cut(id, "-")
	m, _ := strconv.ParseUint(ms, 10, 64)
	s, _ := strconv.ParseUint(seq, 10, 64)
	return m, s
}

func targetMember(m delivery.Message) string { return m.Platform + ":" + m.Target }

// Enqueue implements delivery.Queue.
func (o *Outbox) Enqueue(ctx context.Context, eventID string, msgs []delivery.Message, now time.Time) (int, error) {
	if eventID == "" && len(msgs) == 0 {
		return 0, nil
	}
	args := make([]any, 0, 5+4*len(msgs))
	args = append(args, now.UnixMilli(), o.prefix(), int64(markerTTL/time.Second), DeliveryGroup, eventID)
	for _, m := range msgs {
		if m.ID == "" || m.Platform == "" || m.Target == "" {
			return 0, fmt.Errorf("enqueue message %q: id, platform and target are required", m.ID)
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return 0, fmt.Errorf("encode message %s: %w", m.ID, err)
		}
		args = append(args, targetMember(m), m.ID, m.Coalesce, raw)
	}
	n, err := enqueueScript.Run(ctx, o.s.rdb, []string{o.key("ready"), o.s.keys.events()}, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("enqueue messages of event %q: %w", eventID, err)
	}
	return n, nil
}

// Take implements delivery.Queue.
func (o *Outbox) Take(ctx context.Context, now time.Time, ttl time.Duration, rates map[string]time.Duration) (delivery.Lease, time.Duration, error) {
	args := []any{now.UnixMicro(), ttl.Milliseconds(), o.prefix(), takeCandidates}
	pfs := make([]string, 0, len(rates))
	for pf := range rates {
		pfs = append(pfs, pf)
	}
	sort.Strings(pfs)
	for _, pf := range pfs {
		if iv := rates[pf].Microseconds(); iv > 0 {
			args = append(args, pf, iv)
		}
	}
	res, err := leaseTargetScript.Run(ctx, o.s.rdb, []string{o.key("ready")}, args...).Slice()
	if err != nil {
		return delivery.Lease{}, 0, fmt.Errorf("take a message: %w", err)
	}
	code, _ := res[0].(int64)
	if code != 1 {
		wait, _ := res[1].(int64)
		if wait < 0 {
			return delivery.Lease{}, -1, nil
		}
		return delivery.Lease{}, time.Duration(wait) * time.Millisecond, nil
	}
	raw, _ := res[2].(string)
	var m delivery.Message
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return delivery.Lease{}, 0, fmt.Errorf("decode message of %v: %w", res[1], err)
	}
	return delivery.Lease{Message: m, Token: raw}, 0, nil
}

func (o *Outbox) complete(ctx context.Context, mode string, l delivery.Lease, now, next time.Time, gap time.Duration, data []byte) error {
	m := l.Message
	err := completeScript.Run(ctx, o.s.rdb, []string{o.key("ready"), o.key("dead"), o.key("deadlog")},
		mode, now.UnixMilli(), o.prefix(), targetMember(m), l.Token, m.ID, next.UnixMilli(), gap.Milliseconds(),
		data, int64(markerTTL/time.Second),
	).Err()
	if err != nil {
		return fmt.Errorf("complete message %s (%s): %w", m.ID, mode, err)
	}
	return nil
}

// Done implements delivery.Queue.
func (o *Outbox) Done(ctx context.Context, l delivery.Lease, next time.Time, gap time.Duration) error {
	return o.complete(ctx, "done", l, time.Now(), next, gap, nil)
}

// Retry implements delivery.Queue.
func (o *Outbox) Retry(ctx context.Context, l delivery.Lease, m delivery.Message, at time.Time) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode message %s: %w", m.ID, err)
	}
	return o.complete(ctx, "retry", l, time.Now(), at, 0, raw)
}

// Bury implements delivery.Queue.
func (o *Outbox) Bury(ctx context.Context, l delivery.Lease, d delivery.DeadLetter, now time.Time) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode dead letter %s: %w", d.Message.ID, err)
	}
	return o.complete(ctx, "dead", l, now, now, 0, raw)
}

// DeadLetters implements delivery.DeadLetterQueue.
func (o *Outbox) DeadLetters(ctx context.Context, offset, limit int) ([]delivery.DeadLetter, int64, error) {
	if limit <= 0 {
		return nil, 0, nil
	}
	var ids *redis.StringSliceCmd
	var total *redis.IntCmd
	_, err := o.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		ids = p.ZRange(ctx, o.key("deadlog"), int64(offset), int64(offset+limit-1))
		total = p.ZCard(ctx, o.key("deadlog"))
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list dead letters: %w", err)
	}
	if len(ids.Val()) == 0 {
		return nil, total.Val(), nil
	}
	vals, err := o.s.rdb.HMGet(ctx, o.key("dead"), ids.Val()...).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("list dead letters: %w", err)
	}
	out := make([]delivery.DeadLetter, 0, len(vals))
	for i, v := range vals {
		js, ok := v.(string)
		if !ok {
			continue // replayed meanwhile
		}
		var d delivery.DeadLetter
		if err := json.Unmarshal([]byte(js), &d); err != nil {
			return nil, 0, fmt.Errorf("decode dead letter %s: %w", ids.Val()[i], err)
		}
		out = append(out, d)
	}
	return out, total.Val(), nil
}

// Replay implements delivery.DeadLetterQueue.
func (o *Outbox) Replay(ctx context.Context, id string, now time.Time) (bool, error) {
	js, err := o.s.rdb.HGet(ctx, o.key("dead"), id).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("replay dead letter %s: %w", id, err)
	}
	var d delivery.DeadLetter
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		return false, fmt.Errorf("decode dead letter %s: %w", id, err)
	}
	m := d.Message
	m.Attempts, m.Throttled = 0, 0
	raw, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("encode message %s: %w", id, err)
	}
	n, err := replayScript.Run(ctx, o.s.rdb, []string{o.key("ready"), o.key("dead"), o.key("deadlog")},
		now.UnixMilli(), o.prefix(), id, targetMember(m), raw).Int()
	if err != nil {
		return false, fmt.Errorf("replay dead letter %s: %w", id, err)
	}
	return n == 1, nil
}
