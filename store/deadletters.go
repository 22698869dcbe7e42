package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// DeadLetters implements delivery.DeadLetterQueue.
func (o *Delivery) DeadLetters(ctx context.Context, offset, limit int) ([]delivery.DeadLetter, int64, error) {
	raws, total, err := o.s.readLog(ctx, o.s.keys.dead(), o.s.keys.deadLog(), offset, limit, false)
	if err != nil {
		return nil, 0, fmt.Errorf("list dead letters: %w", err)
	}
	out := make([]delivery.DeadLetter, 0, len(raws))
	for _, r := range raws {
		var d delivery.DeadLetter
		if err := json.Unmarshal([]byte(r), &d); err != nil {
			return nil, 0, fmt.Errorf("decode dead letter: %w", err)
		}
		out = append(out, d)
	}
	return out, total, nil
}

// Replay implements delivery.DeadLetterQueue.
func (o *Delivery) Replay(ctx context.Context, id string, now time.Time) (bool, error) {
	js, err := o.s.rdb.HGet(ctx, o.s.keys.dead(), id).Result()
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
	k := o.s.keys
	n, err := replayScript.Run(ctx, o.s.rdb, []string{k.dead(), k.deadLog()},
		now.UnixMilli(), o.prefix(), id, laneOf(m), m.BucketName(), raw, paced(m)).Int()
	if err != nil {
		return false, fmt.Errorf("replay dead letter %s: %w", id, err)
	}
	return n == 1, nil
}

// eventDeadLetter is an event dead letter as stored: what the listing
// shows, and the stream entry's fields to put it back.
type eventDeadLetter struct {
	delivery.EventDeadLetter
	E string `json:"raw_e"`
	N string `json:"raw_n,omitempty"`
}

// BuryEvent implements delivery.Queue.
func (o *Delivery) BuryEvent(ctx context.Context, e tickets.Event, cause string, now time.Time) error {
	d := eventDeadLetter{EventDeadLetter: delivery.EventDeadLetter{
		ID: e.ID, Number: e.Number, Kind: string(e.Kind), Error: cause, At: now.UTC(),
	}}
	// The entry's own fields, read again, so that a replay puts back
	// exactly what was written (even when it cannot be decoded).
	msgs, err := o.s.rdb.XRangeN(ctx, o.s.keys.events(), e.ID, e.ID, 1).Result()
	if err != nil {
		return fmt.Errorf("read event %s: %w", e.ID, err)
	}
	if len(msgs) == 1 {
		d.E, _ = msgs[0].Values["e"].(string)
		d.N, _ = msgs[0].Values["n"].(string)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode event dead letter %s: %w", e.ID, err)
	}
	k := o.s.keys
	err = buryEventScript.Run(ctx, o.s.rdb, []string{k.events(), k.eventDead(), k.eventDeadLog()},
		DeliveryGroup, e.ID, raw, now.UnixMilli(), o.s.deadKeep().Milliseconds(), o.s.deadCap()).Err()
	if err != nil {
		return fmt.Errorf("bury event %s: %w", e.ID, err)
	}
	return nil
}

// EventDeadLetters implements delivery.DeadLetterQueue.
func (o *Delivery) EventDeadLetters(ctx context.Context, offset, limit int) ([]delivery.EventDeadLetter, int64, error) {
	raws, total, err := o.s.readLog(ctx, o.s.keys.eventDead(), o.s.keys.eventDeadLog(), offset, limit, false)
	if err != nil {
		return nil, 0, fmt.Errorf("list event dead letters: %w", err)
	}
	out := make([]delivery.EventDeadLetter, 0, len(raws))
	for _, r := range raws {
		var d eventDeadLetter
		if err := json.Unmarshal([]byte(r), &d); err != nil {
			return nil, 0, fmt.Errorf("decode event dead letter: %w", err)
		}
		out = append(out, d.EventDeadLetter)
	}
	return out, total, nil
}

// ReplayEvent implements delivery.DeadLetterQueue.
func (o *Delivery) ReplayEvent(ctx context.Context, id string) (bool, error) {
	js, err := o.s.rdb.HGet(ctx, o.s.keys.eventDead(), id).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("replay event %s: %w", id, err)
	}
	var d eventDeadLetter
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		return false, fmt.Errorf("decode event dead letter %s: %w", id, err)
	}
	k := o.s.keys
	n, err := replayEventScript.Run(ctx, o.s.rdb, []string{k.events(), k.eventDead(), k.eventDeadLog()}, id, d.E, d.N).Int()
	if err != nil {
		return false, fmt.Errorf("replay event %s: %w", id, err)
	}
	return n == 1, nil
}
