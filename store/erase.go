package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/tickets"
)

var (
	//go:embed erase.lua
	eraseSource string
	eraseScript = redis.NewScript(eraseSource)
)

// eraseBatch bounds each read of the event log and each XDEL of
// ForgetCustomer.
const eraseBatch = 500

// Erase implements tickets.Store.
func (s *Store) Erase(ctx context.Context, e tickets.Erasure) (tickets.Ticket, error) {
	t := e.Ticket
	tj, err := encodeTicket(t)
	if err != nil {
		return tickets.Ticket{}, err
	}
	ej, err := encodeEvent(e.Event)
	if err != nil {
		return tickets.Ticket{}, err
	}
	k := s.keys
	agent := k.customer(e.CustomerKey)
	if e.Assignee != "" {
		agent = k.agent(e.Assignee)
	}
	res, err := eraseScript.Run(ctx, s.rdb,
		[]string{k.ticket(t.Number), k.messages(t.Number), k.queue(), k.customer(e.CustomerKey), agent, k.events(), k.tgRefs(t.Number)},
		t.Version-1, tj, member(t.Number), ej,
	).Slice()
	return writeReply(t, res, err, "erase")
}

// ForgetCustomer implements tickets.Profiles: the profile is deleted, the
// event log is read in batches and the customer's own events deleted
// (XDEL; delivery skips an entry deleted while pending), and the event
// dead letters of their events are deleted.
func (s *Store) ForgetCustomer(ctx context.Context, customerKey string) error {
	k := s.keys
	if err := s.rdb.Del(ctx, k.profile(customerKey)).Err(); err != nil {
		return fmt.Errorf("delete profile: %w", err)
	}
	for start := "-"; ; {
		msgs, err := s.rdb.XRangeN(ctx, k.events(), start, "+", eraseBatch).Result()
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		var ids []string
		for _, m := range msgs {
			raw, _ := m.Values["e"].(string)
			if eventBy(raw, customerKey) {
				ids = append(ids, m.ID)
			}
		}
		if len(ids) > 0 {
			if err := s.rdb.XDel(ctx, k.events(), ids...).Err(); err != nil {
				return fmt.Errorf("delete events: %w", err)
			}
		}
		if len(msgs) < eraseBatch {
			break
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
	dead, err := s.rdb.HGetAll(ctx, k.eventDead()).Result()
	if err != nil {
		return fmt.Errorf("read event dead letters: %w", err)
	}
	for id, raw := range dead {
		var d eventDeadLetter
		if json.Unmarshal([]byte(raw), &d) != nil || !eventBy(d.E, customerKey) {
			continue
		}
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HDel(ctx, k.eventDead(), id)
			p.ZRem(ctx, k.eventDeadLog(), id)
			return nil
		})
		if err != nil {
			return fmt.Errorf("delete event dead letter %s: %w", id, err)
		}
	}
	return nil
}

// eventBy reports whether the event record raw was caused by customerKey.
func eventBy(raw, customerKey string) bool {
	var r eventRecord
	return json.Unmarshal([]byte(raw), &r) == nil && r.AI == customerKey && r.AR == int(tickets.RoleCustomer)
}
