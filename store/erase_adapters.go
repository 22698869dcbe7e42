package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/inbound"
)

// The adapters' side of a customer's erasure (tickets.Eraser): keys named
// after a user, a chat or an address, found by SCAN (on every master of a
// Cluster), and the dead letters that name them.

// EraseChat implements telegram.Storage.
func (t *Telegram) EraseChat(ctx context.Context, user, chat int64) error {
	s, k := t.s, t.s.keys
	if err := s.rdb.Del(ctx, k.tgDraft(user), k.tgComment(user), k.tgAlbumLast(chat)).Err(); err != nil {
		return fmt.Errorf("erase forms of %d: %w", user, err)
	}
	for _, p := range []string{k.tgFloodPattern(user), k.tgRefPattern(chat), k.tgPendingPattern(user), k.tgAlbumPattern(chat), k.tgAlbumMarkPattern(chat)} {
		if err := s.deleteMatching(ctx, p); err != nil {
			return err
		}
	}
	prefix := strconv.FormatInt(chat, 10) + ":"
	members, err := s.rdb.ZRange(ctx, k.tgAlbumsDue(), 0, -1).Result()
	if err != nil {
		return fmt.Errorf("read due albums: %w", err)
	}
	for _, m := range members {
		if len(m) > len(prefix) && m[:len(prefix)] == prefix {
			if err := s.rdb.ZRem(ctx, k.tgAlbumsDue(), m).Err(); err != nil {
				return fmt.Errorf("drop album %s: %w", m, err)
			}
		}
	}
	if err := s.eraseInboundDead(ctx, strconv.FormatInt(chat, 10)); err != nil {
		return err
	}
	return s.eraseLane(ctx, "telegram:"+strconv.FormatInt(chat, 10))
}

// EraseSender deletes what is kept about the e-mail sender addr: their
// counters, inbound dead letters and delivery lane.
func (e *Email) EraseSender(ctx context.Context, addr string) error {
	if err := e.s.deleteMatching(ctx, e.s.keys.emailOpenedPattern(addr)); err != nil {
		return err
	}
	if err := e.s.eraseInboundDead(ctx, addr); err != nil {
		return err
	}
	return e.s.eraseLane(ctx, "email:"+addr)
}

// deleteMatching deletes every key matching pattern, in batches.
func (s *Store) deleteMatching(ctx context.Context, pattern string) error {
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
		}
		if err := iter.Err(); err != nil {
			return fmt.Errorf("scan %s: %w", pattern, err)
		}
		for len(batch) > 0 {
			n := min(len(batch), 500)
			// Keys of one desk share a slot: one DEL per batch works on a Cluster too.
			if err := s.rdb.Del(ctx, batch[:n]...).Err(); err != nil {
				return fmt.Errorf("delete %s: %w", pattern, err)
			}
			batch = batch[n:]
		}
		return nil
	}
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, scan)
	case *redis.Client:
		return scan(ctx, c)
	}
	// A Ring or another client: its keys of the desk are on one node.
	iter := s.rdb.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		if err := s.rdb.Del(ctx, iter.Val()).Err(); err != nil {
			return fmt.Errorf("delete %s: %w", iter.Val(), err)
		}
	}
	return iter.Err()
}

// eraseLane deletes delivery lane's messages, state and dead letters.
func (s *Store) eraseLane(ctx context.Context, lane string) error {
	k := s.keys
	if err := s.rdb.Del(ctx, k.deliveryLane(lane)...).Err(); err != nil {
		return fmt.Errorf("erase lane %s: %w", lane, err)
	}
	var ready []string
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, k.deliveryReadyPattern(), 100).Iterator()
		for iter.Next(ctx) {
			ready = append(ready, iter.Val())
		}
		return iter.Err()
	}
	var err error
	if c, ok := s.rdb.(*redis.ClusterClient); ok {
		err = c.ForEachMaster(ctx, scan)
	} else if c, ok := s.rdb.(*redis.Client); ok {
		err = scan(ctx, c)
	}
	if err != nil {
		return fmt.Errorf("scan ready sets: %w", err)
	}
	for _, r := range ready {
		if err := s.rdb.ZRem(ctx, r, lane).Err(); err != nil {
			return fmt.Errorf("drop lane %s from %s: %w", lane, r, err)
		}
	}
	return s.dropDead(ctx, k.dead(), k.deadLog(), func(raw string) bool {
		var d delivery.DeadLetter
		return json.Unmarshal([]byte(raw), &d) == nil && d.Message.Platform+":"+d.Message.Lane == lane
	})
}

// eraseInboundDead deletes the inbound dead letters that came from chat.
func (s *Store) eraseInboundDead(ctx context.Context, chat string) error {
	return s.dropDead(ctx, s.keys.inboundDead(), s.keys.inboundDeadLog(), func(raw string) bool {
		var d inbound.DeadLetter
		return json.Unmarshal([]byte(raw), &d) == nil && d.Chat == chat
	})
}

// dropDead deletes the dead letters of hash (and their ids from log) that
// match says.
func (s *Store) dropDead(ctx context.Context, hash, log string, match func(raw string) bool) error {
	all, err := s.rdb.HGetAll(ctx, hash).Result()
	if err != nil {
		return fmt.Errorf("read dead letters: %w", err)
	}
	for id, raw := range all {
		if !match(raw) {
			continue
		}
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HDel(ctx, hash, id)
			p.ZRem(ctx, log, id)
			return nil
		})
		if err != nil {
			return fmt.Errorf("delete dead letter %s: %w", id, err)
		}
	}
	return nil
}
