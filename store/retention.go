package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/tickets"
)

var (
	//go:embed expire.lua
	expireSource string
	expireScript = redis.NewScript(expireSource)
)

var _ tickets.Retention = (*Store)(nil)

// Finished implements tickets.Retention.
func (s *Store) Finished(ctx context.Context, before time.Time, limit int) ([]tickets.FinishedTicket, error) {
	if limit <= 0 {
		return nil, nil
	}
	zs, err := s.rdb.ZRangeByScoreWithScores(ctx, s.keys.finished(), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(before.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("list finished tickets: %w", err)
	}
	out := make([]tickets.FinishedTicket, 0, len(zs))
	for _, z := range zs {
		m, _ := z.Member.(string)
		n, err := strconv.ParseInt(m, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, tickets.FinishedTicket{Number: n, At: fromMS(int64(z.Score))})
	}
	return out, nil
}

// The codes of expire.lua's reply.
const (
	expireSkipped  = 0
	expireDone     = 1
	expireConflict = 2
)

// Expire implements tickets.Retention. It reads the ticket's record and
// conversation to name every key that holds its content (the Slack posts
// and files of each entry), then runs expire.lua, which checks that the
// record is still that version.
func (s *Store) Expire(ctx context.Context, row tickets.StatsRow, version int64, before time.Time) (bool, error) {
	n := row.Number
	k := s.keys
	var get *redis.StringCmd
	var msgs *redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, k.ticket(n))
		msgs = p.LRange(ctx, k.messages(n), 0, -1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, fmt.Errorf("read ticket %d to expire: %w", n, err)
	}
	var t tickets.Ticket
	deleted := []string{k.messages(n)}
	if js, err := get.Bytes(); err == nil {
		if t, err = decodeTicket(n, js); err != nil {
			return false, err
		}
		deleted = k.slackPostParts(deleted, n, "0")
		deleted = k.slackPostParts(deleted, n, "rating")
		for i := range t.Attachments {
			deleted = append(deleted, k.slackFile(n, 0, i+1))
		}
		for _, raw := range msgs.Val() {
			m, err := decodeMessage([]byte(raw))
			if err != nil {
				return false, err
			}
			deleted = k.slackPostParts(deleted, n, itoa(m.ID))
			for i := range m.Attachments {
				deleted = append(deleted, k.slackFile(n, m.ID, i+1))
			}
		}
	}
	keys := append([]string{k.ticket(n), k.finished(), k.stats(monthName(row.Finished)),
		k.customer(t.Customer.Key()), k.profile(t.Customer.Key()), k.agent(t.Assignee.ID),
		k.slackCard(n), k.tgRefs(n), k.queue()}, deleted...)
	args := append([]any{member(n), version, before.UnixMilli(), int(tickets.StatusResolved), int(tickets.StatusClosed),
		k.slackThreadPrefix(), k.tgRefPrefix(), n}, statsIncrements(row)...)
	code, err := expireScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("expire ticket %d: %w", n, err)
	}
	switch code {
	case expireDone:
		return true, nil
	case expireSkipped:
		return false, nil
	case expireConflict:
		return false, tickets.ErrVersionConflict
	}
	return false, fmt.Errorf("expire ticket %d: unexpected reply %d", n, code)
}

// Statistics implements tickets.Retention: one HGETALL per month, in one
// pipelined round trip.
func (s *Store) Statistics(ctx context.Context, from, to time.Time) ([]tickets.MonthStats, error) {
	var months []time.Time
	for m := tickets.MonthOf(from); !m.After(tickets.MonthOf(to)); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	cmds := make([]*redis.MapStringStringCmd, len(months))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range months {
			cmds[i] = p.HGetAll(ctx, s.keys.stats(monthName(m)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read statistics: %w", err)
	}
	var out []tickets.MonthStats
	for i, m := range months {
		if h := cmds[i].Val(); len(h) > 0 {
			out = append(out, decodeMonth(m, h))
		}
	}
	return out, nil
}
