package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
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
	//go:embed take.lua
	takeSource string
	//go:embed renew.lua
	renewSource string
	//go:embed complete.lua
	completeSource string
	//go:embed replay.lua
	replaySource string
	//go:embed bury_event.lua
	buryEventSource string
	//go:embed replay_event.lua
	replayEventSource string
	//go:embed migrate_ready.lua
	migrateReadySource string

	enqueueScript      = redis.NewScript(enqueueSource)
	takeScript         = redis.NewScript(takeSource)
	renewScript        = redis.NewScript(renewSource)
	completeScript     = redis.NewScript(caplogSource + completeSource)
	replayScript       = redis.NewScript(replaySource)
	buryEventScript    = redis.NewScript(caplogSource + buryEventSource)
	replayEventScript  = redis.NewScript(replayEventSource)
	migrateReadyScript = redis.NewScript(migrateReadySource)

	outboxScripts = []*redis.Script{enqueueScript, takeScript, renewScript, completeScript, replayScript,
		buryEventScript, replayEventScript, migrateReadyScript}
)

const (
	// DeliveryGroup is the consumer group delivery reads the events stream
	// with.
	DeliveryGroup = "delivery"
	// markerTTL is how long a message id is remembered: redelivered events
	// and repeated direct messages within it are sent once.
	markerTTL = 7 * 24 * time.Hour
	// takeScan bounds how many due lanes of one bucket one Take looks at.
	takeScan = 16
)

// Delivery is the Redis implementation of delivery.Queue: the desk's events
// stream read by the consumer group "delivery", per-lane outboxes, one
// sorted set of due lanes per rate bucket, shared per-bucket rates and the
// dead letters, all under the desk's hash tag (see keys.go).
type Delivery struct {
	s            *Store
	consumerIdle time.Duration // tests shorten it; consumerIdle when 0
}

var _ delivery.Queue = (*Delivery)(nil)

// NewDelivery returns the delivery queue of s's desk.
func NewDelivery(s *Store) *Delivery { return &Delivery{s: s} }

// Load makes sure the delivery scripts are in Redis's script cache.
func (o *Delivery) Load(ctx context.Context) error {
	for _, sc := range outboxScripts {
		if err := sc.Load(ctx, o.s.rdb).Err(); err != nil {
			return fmt.Errorf("load delivery script: %w", err)
		}
	}
	return nil
}

func (o *Delivery) prefix() string { return o.s.keys.delivery() }

// Join implements delivery.Queue.
func (o *Delivery) Join(ctx context.Context) error {
	err := o.s.rdb.XGroupCreateMkStream(ctx, o.s.keys.events(), DeliveryGroup, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create consumer group: %w", err)
	}
	if err := o.migrate(ctx); err != nil {
		return err
	}
	return o.pruneConsumers(ctx)
}

// migrate moves the lanes an earlier version queued in its single ready
// set into the per-bucket ready sets.
func (o *Delivery) migrate(ctx context.Context) error {
	for {
		n, err := migrateReadyScript.Run(ctx, o.s.rdb, []string{o.s.keys.legacyReady()}, o.prefix(), 500).Int()
		if err != nil {
			return fmt.Errorf("migrate the ready set: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
}

// consumerIdle is how long a consumer of the group may stay idle, with
// nothing pending, before it is deleted: consumer names are per process, so
// without pruning every restart would leave one behind.
const consumerIdle = time.Hour

func (o *Delivery) idleConsumer() time.Duration {
	if o.consumerIdle > 0 {
		return o.consumerIdle
	}
	return consumerIdle
}

// pruneConsumers deletes the group's consumers that have nothing pending
// and have been idle for consumerIdle (processes that are gone). A consumer
// with pending entries is kept: its entries are reclaimed, not dropped.
func (o *Delivery) pruneConsumers(ctx context.Context) error {
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

// ReadEvents implements delivery.Queue.
func (o *Delivery) ReadEvents(ctx context.Context, consumer string, count int, block time.Duration) ([]tickets.Event, error) {
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
		out = append(out, decodeEntry(m))
	}
	return out
}

// decodeEntry decodes one entry of the events stream; an entry that
// cannot be decoded comes back with only its ID (delivery buries it).
func decodeEntry(m redis.XMessage) tickets.Event {
	js, _ := m.Values["e"].(string)
	ev, err := decodeEvent(m.ID, []byte(js))
	if err != nil {
		return tickets.Event{ID: m.ID}
	}
	if n, ok := m.Values["n"].(string); ok {
		if v, err := strconv.ParseInt(n, 10, 64); err == nil {
			ev.Number = v
		}
	}
	if p, ok := m.Values["p"].(string); ok {
		if v, err := strconv.Atoi(p); err == nil {
			ev.Priority = tickets.Priority(v)
		}
	}
	return ev
}

// ClaimEvents implements delivery.Queue.
func (o *Delivery) ClaimEvents(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]tickets.Event, error) {
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
func (o *Delivery) TrimEvents(ctx context.Context, before time.Time) error {
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

// laneOf is a message's lane as the outbox names it: "<platform>:<lane>".
func laneOf(m delivery.Message) string { return m.Platform + ":" + m.Lane }

func paced(m delivery.Message) string {
	if m.Paced {
		return "1"
	}
	return ""
}

// Enqueue implements delivery.Queue.
func (o *Delivery) Enqueue(ctx context.Context, eventID string, msgs []delivery.Message, now time.Time) (int, error) {
	if eventID == "" && len(msgs) == 0 {
		return 0, nil
	}
	args := make([]any, 0, 5+6*len(msgs))
	args = append(args, now.UnixMilli(), o.prefix(), int64(markerTTL/time.Second), DeliveryGroup, eventID)
	for _, m := range msgs {
		if m.ID == "" || m.Platform == "" || m.Lane == "" {
			return 0, fmt.Errorf("enqueue message %q: id, platform and lane are required", m.ID)
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return 0, fmt.Errorf("encode message %s: %w", m.ID, err)
		}
		args = append(args, laneOf(m), m.BucketName(), m.ID, m.Coalesce, paced(m), raw)
	}
	n, err := enqueueScript.Run(ctx, o.s.rdb, []string{o.s.keys.events()}, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("enqueue messages of event %q: %w", eventID, err)
	}
	return n, nil
}

// takeLease is what a delivery.Lease's Token holds: the take, the bucket the
// lane was taken in and the head message as it was stored.
type takeLease struct {
	take, bucket, raw string
	interval          int64 // the bucket's interval, µs, for a refund
}

func (l takeLease) token() string {
	return l.take + " " + l.bucket + " " + strconv.FormatInt(l.interval, 10) + "\n" + l.raw
}

func parseLease(dl delivery.Lease) (takeLease, error) {
	head, raw, ok := strings.Cut(dl.Token, "\n")
	f := strings.Fields(head)
	if !ok || len(f) != 3 {
		return takeLease{}, fmt.Errorf("lease of message %s: malformed token", dl.Message.ID)
	}
	iv, _ := strconv.ParseInt(f[2], 10, 64)
	return takeLease{take: f[0], bucket: f[1], raw: raw, interval: iv}, nil
}

// Take implements delivery.Queue.
func (o *Delivery) Take(ctx context.Context, id string, now time.Time, ttl time.Duration, buckets []delivery.Bucket) (delivery.Lease, time.Duration, error) {
	args := make([]any, 0, 5+2*len(buckets))
	args = append(args, now.UnixMicro(), ttl.Milliseconds(), o.prefix(), id, takeScan)
	for _, b := range buckets {
		args = append(args, b.Name, b.Interval.Microseconds())
	}
	res, err := takeScript.Run(ctx, o.s.rdb, []string{o.s.keys.take(id)}, args...).Slice()
	if err != nil {
		return delivery.Lease{}, 0, fmt.Errorf("take a message: %w", err)
	}
	if code, _ := res[0].(int64); code != 1 {
		wait, _ := res[1].(int64)
		if wait < 0 {
			return delivery.Lease{}, -1, nil
		}
		return delivery.Lease{}, time.Duration(wait) * time.Millisecond, nil
	}
	bucket, _ := res[2].(string)
	raw, _ := res[3].(string)
	iv, _ := res[4].(int64)
	var m delivery.Message
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return delivery.Lease{}, 0, fmt.Errorf("decode message of %v: %w", res[1], err)
	}
	return delivery.Lease{Message: m, Token: takeLease{take: id, bucket: bucket, raw: raw, interval: iv}.token()}, 0, nil
}

// Renew implements delivery.Queue.
func (o *Delivery) Renew(ctx context.Context, dl delivery.Lease, ttl time.Duration, now time.Time) (bool, error) {
	l, err := parseLease(dl)
	if err != nil {
		return false, err
	}
	n, err := renewScript.Run(ctx, o.s.rdb, []string{o.s.keys.take(l.take)},
		o.prefix(), laneOf(dl.Message), l.bucket, l.take, ttl.Milliseconds(), now.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("renew the lease of message %s: %w", dl.Message.ID, err)
	}
	return n == 1, nil
}

func (o *Delivery) complete(ctx context.Context, mode string, dl delivery.Lease, now time.Time, at int64, data []byte, refund int64) error {
	l, err := parseLease(dl)
	if err != nil {
		return err
	}
	m := dl.Message
	k := o.s.keys
	err = completeScript.Run(ctx, o.s.rdb, []string{k.dead(), k.deadLog()},
		mode, now.UnixMilli(), o.prefix(), laneOf(m), l.bucket, l.raw, m.ID, at, data,
		int64(markerTTL/time.Second), l.take, o.s.deadKeep().Milliseconds(), o.s.deadCap(), refund,
	).Err()
	if err != nil {
		return fmt.Errorf("complete message %s (%s): %w", m.ID, mode, err)
	}
	return nil
}

// Done implements delivery.Queue.
func (o *Delivery) Done(ctx context.Context, l delivery.Lease, gap time.Duration, now time.Time) error {
	return o.complete(ctx, "done", l, now, gap.Milliseconds(), nil, 0)
}

// Retry implements delivery.Queue.
func (o *Delivery) Retry(ctx context.Context, l delivery.Lease, m delivery.Message, at time.Time, refund bool) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode message %s: %w", m.ID, err)
	}
	var iv int64
	if refund {
		tl, err := parseLease(l)
		if err != nil {
			return err
		}
		iv = tl.interval
	}
	return o.complete(ctx, "retry", l, time.Now(), at.UnixMilli(), raw, iv)
}

// Bury implements delivery.Queue.
func (o *Delivery) Bury(ctx context.Context, l delivery.Lease, d delivery.DeadLetter, now time.Time) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode dead letter %s: %w", d.Message.ID, err)
	}
	return o.complete(ctx, "dead", l, now, 0, raw, 0)
}

// Ping implements delivery.Queue.
func (o *Delivery) Ping(ctx context.Context) error { return o.s.Ping(ctx) }
