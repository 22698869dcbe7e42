package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/telegram"
)

var (
	//go:embed album_add.lua
	albumAddSource string
	//go:embed album_close.lua
	albumCloseSource string
	//go:embed album_finish.lua
	albumFinishSource string
	//go:embed flood_count.lua
	floodCountSource string

	albumAddScript    = redis.NewScript(albumAddSource)
	albumCloseScript  = redis.NewScript(albumCloseSource)
	albumFinishScript = redis.NewScript(albumFinishSource)
	floodCountScript  = redis.NewScript(floodCountSource)
)

// albumKeep is how long an album is kept: long enough for every part
// Telegram may still redeliver.
const albumKeep = 24 * time.Hour

// Telegram is the Redis implementation of the Telegram adapter's storage
// (telegram.Storage): the polling offset, form drafts and what waits for a
// customer's answer, which ticket a bot message is about, flood counts and
// buffered albums.
type Telegram struct{ s *Store }

var _ telegram.Storage = (*Telegram)(nil)

// NewTelegram returns the Telegram storage of s's desk.
func NewTelegram(s *Store) *Telegram { return &Telegram{s: s} }

// Offset implements telegram.Storage.
func (t *Telegram) Offset(ctx context.Context) (int, error) {
	v, err := t.s.rdb.Get(ctx, t.s.keys.tgOffset()).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read polling offset: %w", err)
	}
	n, _ := strconv.Atoi(v)
	return n, nil
}

// SaveOffset implements telegram.Storage.
func (t *Telegram) SaveOffset(ctx context.Context, offset int) error {
	if err := t.s.rdb.Set(ctx, t.s.keys.tgOffset(), offset, 0).Err(); err != nil {
		return fmt.Errorf("store polling offset: %w", err)
	}
	return nil
}

// Form implements telegram.Storage.
func (t *Telegram) Form(ctx context.Context, f telegram.FormKey) ([]byte, bool, error) {
	v, err := t.s.rdb.Get(ctx, t.formKey(f)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", f, err)
	}
	return v, true, nil
}

// SaveForm implements telegram.Storage.
func (t *Telegram) SaveForm(ctx context.Context, f telegram.FormKey, v []byte, ttl time.Duration) error {
	if f.Kind == telegram.FormPending && f.User == 0 {
		// Only keys of earlier versions lack the user (read and deleted,
		// never written): a pending message must be found by its
		// customer's erasure.
		return fmt.Errorf("write %s: a pending message needs its user", f)
	}
	if err := t.s.rdb.Set(ctx, t.formKey(f), v, ttl).Err(); err != nil {
		return fmt.Errorf("write %s: %w", f, err)
	}
	return nil
}

// DeleteForm implements telegram.Storage.
func (t *Telegram) DeleteForm(ctx context.Context, f telegram.FormKey) error {
	if err := t.s.rdb.Del(ctx, t.formKey(f)).Err(); err != nil {
		return fmt.Errorf("delete %s: %w", f, err)
	}
	return nil
}

func (t *Telegram) formKey(f telegram.FormKey) string {
	switch f.Kind {
	case telegram.FormDraft:
		return t.s.keys.tgDraft(f.User)
	case telegram.FormComment:
		return t.s.keys.tgComment(f.User)
	}
	if f.User != 0 {
		return t.s.keys.tgPendingOf(f.User, f.Turn)
	}
	return t.s.keys.tgPending(f.Turn)
}

// TicketOf implements telegram.Storage.
func (t *Telegram) TicketOf(ctx context.Context, chat int64, msg int) (int64, bool, error) {
	v, err := t.s.rdb.Get(ctx, t.s.keys.tgRef(chat, msg)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read message ref: %w", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n > 0, nil
}

// RememberMessage implements telegram.Storage.
func (t *Telegram) RememberMessage(ctx context.Context, chat int64, msg int, ticket int64, ttl time.Duration) error {
	// The ticket's index of its references lives as long as the latest,
	// so that retention (expire.lua) finds them all.
	k := t.s.keys
	_, err := t.s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, k.tgRef(chat, msg), ticket, ttl)
		p.SAdd(ctx, k.tgRefs(ticket), refMember(chat, msg))
		if ttl > 0 {
			p.PExpire(ctx, k.tgRefs(ticket), ttl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remember message ref: %w", err)
	}
	return nil
}

// CountFlood implements telegram.Storage.
func (t *Telegram) CountFlood(ctx context.Context, user int64, turn string, window time.Time, ttl, remember time.Duration) (int64, error) {
	k := t.s.keys
	n, err := floodCountScript.Run(ctx, t.s.rdb, []string{k.tgCounted(turn), k.tgFlood(user, window.Unix()/60)},
		ttl.Milliseconds(), remember.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("count flood of %d: %w", user, err)
	}
	return n, nil
}

// AddAlbumPart implements telegram.Storage.
func (t *Telegram) AddAlbumPart(ctx context.Context, a telegram.Album, msg int, part []byte, due time.Time) (bool, error) {
	k := t.s.keys
	m := albumMember(a.Chat, a.Group)
	n, err := albumAddScript.Run(ctx, t.s.rdb, []string{k.tgAlbum(m), k.tgAlbumsDue(), k.tgAlbumLast(a.Chat)},
		m, msg, part, due.UnixMilli(), albumKeep.Milliseconds(), a.Group).Int()
	if err != nil {
		return false, fmt.Errorf("buffer album part %s/%d: %w", m, msg, err)
	}
	return n == 1, nil
}

// DueAlbums implements telegram.Storage.
func (t *Telegram) DueAlbums(ctx context.Context, now time.Time, limit int) ([]telegram.Album, error) {
	ms, err := t.s.rdb.ZRangeByScore(ctx, t.s.keys.tgAlbumsDue(), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("list due albums: %w", err)
	}
	out := make([]telegram.Album, 0, len(ms))
	for _, m := range ms {
		chat, group, _ := strings.Cut(m, ":")
		n, err := strconv.ParseInt(chat, 10, 64)
		if err != nil || group == "" {
			continue
		}
		out = append(out, telegram.Album{Chat: n, Group: group})
	}
	return out, nil
}

// NextAlbumDue implements telegram.Storage.
func (t *Telegram) NextAlbumDue(ctx context.Context) (time.Time, bool, error) {
	zs, err := t.s.rdb.ZRangeWithScores(ctx, t.s.keys.tgAlbumsDue(), 0, 0).Result()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read the next due album: %w", err)
	}
	if len(zs) == 0 {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(int64(zs[0].Score)), true, nil
}

// PendingAlbum implements telegram.Storage.
func (t *Telegram) PendingAlbum(ctx context.Context, chat int64) (telegram.Album, bool, error) {
	g, err := t.s.rdb.Get(ctx, t.s.keys.tgAlbumLast(chat)).Result()
	if errors.Is(err, redis.Nil) {
		return telegram.Album{}, false, nil
	}
	if err != nil {
		return telegram.Album{}, false, fmt.Errorf("read the chat's album: %w", err)
	}
	return telegram.Album{Chat: chat, Group: g}, true, nil
}

// CloseAlbum implements telegram.Storage.
func (t *Telegram) CloseAlbum(ctx context.Context, a telegram.Album, retry time.Time) ([][]byte, bool, error) {
	k := t.s.keys
	m := albumMember(a.Chat, a.Group)
	res, err := albumCloseScript.Run(ctx, t.s.rdb, []string{k.tgAlbum(m), k.tgAlbumsDue()}, m, retry.UnixMilli()).Slice()
	if err != nil {
		return nil, false, fmt.Errorf("close album %s: %w", m, err)
	}
	if code, _ := res[0].(int64); code != 1 {
		return nil, false, nil
	}
	parts := make([][]byte, 0, len(res)-1)
	for _, r := range res[1:] {
		s, _ := r.(string)
		parts = append(parts, []byte(s))
	}
	return parts, true, nil
}

// FinishAlbum implements telegram.Storage.
func (t *Telegram) FinishAlbum(ctx context.Context, a telegram.Album) error {
	k := t.s.keys
	m := albumMember(a.Chat, a.Group)
	err := albumFinishScript.Run(ctx, t.s.rdb, []string{k.tgAlbum(m), k.tgAlbumsDue(), k.tgAlbumLast(a.Chat)},
		m, a.Group, albumKeep.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("finish album %s: %w", m, err)
	}
	return nil
}
