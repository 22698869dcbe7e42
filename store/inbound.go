package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/inbound"
)

var (
	//go:embed caplog.lua
	caplogSource string
	//go:embed mark_begin.lua
	markBeginSource string
	//go:embed mark_end.lua
	markEndSource string

	markBeginScript = redis.NewScript(markBeginSource)
	markEndScript   = redis.NewScript(caplogSource + markEndSource)
)

// Inbound is the Redis implementation of inbound.Marks: the marks of the
// items people send (Telegram updates, Slack events, mails) and the
// inbound dead letters, bounded by the store's dead-letter retention and
// cap.
type Inbound struct{ s *Store }

var _ inbound.Marks = (*Inbound)(nil)

// NewInbound returns the inbound marks of s's desk.
func NewInbound(s *Store) *Inbound { return &Inbound{s: s} }

// Begin implements inbound.Marks.
func (in *Inbound) Begin(ctx context.Context, ns, id, token string, busy time.Duration) (inbound.State, inbound.Mark, error) {
	m := inbound.Mark{Namespace: ns, ID: id, Token: token}
	res, err := markBeginScript.Run(ctx, in.s.rdb, []string{in.s.keys.mark(ns, id)}, token, busy.Milliseconds()).Slice()
	if err != nil {
		return 0, m, fmt.Errorf("mark %s %s: %w", ns, id, err)
	}
	code, _ := res[0].(int64)
	switch code {
	case 3:
		return inbound.Done, m, nil
	case 2:
		return inbound.Busy, m, nil
	case 1:
		n, _ := res[1].(int64)
		m.Failures = int(n)
		m.LastError, _ = res[2].(string)
		return inbound.New, m, nil
	}
	return 0, m, fmt.Errorf("mark %s %s: unexpected reply %v", ns, id, res)
}

func (in *Inbound) end(ctx context.Context, mode string, m inbound.Mark, d time.Duration, args ...any) (int, error) {
	k := in.s.keys
	argv := append([]any{mode, m.Token, d.Milliseconds()}, args...)
	n, err := markEndScript.Run(ctx, in.s.rdb, []string{k.mark(m.Namespace, m.ID), k.inboundDead(), k.inboundDeadLog()}, argv...).Int()
	if err != nil {
		return 0, fmt.Errorf("%s mark %s %s: %w", mode, m.Namespace, m.ID, err)
	}
	return n, nil
}

// Renew implements inbound.Marks.
func (in *Inbound) Renew(ctx context.Context, m inbound.Mark, busy time.Duration) (bool, error) {
	n, err := in.end(ctx, "renew", m, busy)
	return n == 1, err
}

// Done implements inbound.Marks.
func (in *Inbound) Done(ctx context.Context, m inbound.Mark, keep time.Duration) error {
	_, err := in.end(ctx, "done", m, keep)
	return err
}

// Fail implements inbound.Marks.
func (in *Inbound) Fail(ctx context.Context, m inbound.Mark, cause string, keep time.Duration) error {
	_, err := in.end(ctx, "fail", m, keep, cause)
	return err
}

// Release implements inbound.Marks.
func (in *Inbound) Release(ctx context.Context, m inbound.Mark, keep time.Duration) error {
	_, err := in.end(ctx, "release", m, keep)
	return err
}

// GiveUp implements inbound.Marks.
func (in *Inbound) GiveUp(ctx context.Context, m inbound.Mark, d inbound.DeadLetter, keep time.Duration) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode dead letter %s %s: %w", m.Namespace, m.ID, err)
	}
	_, err = in.end(ctx, "giveup", m, keep, raw, m.Namespace+":"+m.ID, d.At.UnixMilli(),
		in.s.deadKeep().Milliseconds(), in.s.deadCap())
	return err
}

// DeadLetters returns up to limit inbound dead letters from offset,
// newest first, and how many there are.
func (in *Inbound) DeadLetters(ctx context.Context, offset, limit int) ([]inbound.DeadLetter, int64, error) {
	raws, total, err := in.s.readLog(ctx, in.s.keys.inboundDead(), in.s.keys.inboundDeadLog(), offset, limit, true)
	if err != nil {
		return nil, 0, fmt.Errorf("list inbound dead letters: %w", err)
	}
	out := make([]inbound.DeadLetter, 0, len(raws))
	for _, r := range raws {
		var d inbound.DeadLetter
		if err := json.Unmarshal([]byte(r), &d); err != nil {
			return nil, 0, fmt.Errorf("decode inbound dead letter: %w", err)
		}
		out = append(out, d)
	}
	return out, total, nil
}

// readLog reads a page of a dead-letter log (a HASH of JSON and a ZSET of
// its ids by time), oldest first or newest first; entries removed meanwhile
// are skipped.
func (s *Store) readLog(ctx context.Context, hash, zset string, offset, limit int, newest bool) ([]string, int64, error) {
	if limit <= 0 {
		return nil, 0, nil
	}
	var ids *redis.StringSliceCmd
	var total *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if newest {
			ids = p.ZRevRange(ctx, zset, int64(offset), int64(offset+limit-1))
		} else {
			ids = p.ZRange(ctx, zset, int64(offset), int64(offset+limit-1))
		}
		total = p.ZCard(ctx, zset)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if len(ids.Val()) == 0 {
		return nil, total.Val(), nil
	}
	vals, err := s.rdb.HMGet(ctx, hash, ids.Val()...).Result()
	if err != nil {
		return nil, 0, err
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if js, ok := v.(string); ok {
			out = append(out, js)
		}
	}
	return out, total.Val(), nil
}
