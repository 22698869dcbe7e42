package telegram

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Albums: Telegram sends each item of an album (one media_group_id) as its
// own update. Each item is stored in State as it arrives (so its update can
// be confirmed), and once no item has come for AlbumWait the album is
// flushed as one message of the ticket, with its caption. A list of
// buffered albums in State lets another process, or this one after a
// restart, flush what was left.

const (
	albumTTL   = 24 * time.Hour
	albumIndex = "tg:albums"
)

type album struct {
	User     int64          `json:"u"`
	Chat     int64          `json:"c"`
	Group    string         `json:"g"`
	Name     string         `json:"nm,omitempty"`
	Language string         `json:"l,omitempty"`
	Parts    []albumPart    `json:"p"`
	From     *tgbotapi.User `json:"f,omitempty"`
}

type albumPart struct {
	Message     int                  `json:"m"`
	Caption     string               `json:"c,omitempty"`
	Attachments []tickets.Attachment `json:"a,omitempty"`
	ReplyTo     int                  `json:"r,omitempty"`
}

func albumKey(chat int64, group string) string {
	return "tg:album:" + strconv.FormatInt(chat, 10) + ":" + group
}

// bufferAlbum stores one album item and schedules the album's flush.
func (b *Bot) bufferAlbum(t *turn, m *tgbotapi.Message) error {
	b.albumMu.Lock()
	defer b.albumMu.Unlock()
	ctx := t.ctx
	key := albumKey(t.chat, m.MediaGroupID)
	var a album
	if v, ok, err := b.state.Value(ctx, key); err != nil {
		return err
	} else if ok {
		_ = json.Unmarshal([]byte(v), &a)
	}
	if a.Group == "" {
		a = album{User: t.user, Chat: t.chat, Group: m.MediaGroupID, From: m.From}
	}
	for _, p := range a.Parts {
		if p.Message == m.MessageID {
			return nil // handled before
		}
	}
	part := albumPart{Message: m.MessageID, Caption: m.Caption, Attachments: attachmentsOf(m)}
	if m.ReplyToMessage != nil {
		part.ReplyTo = m.ReplyToMessage.MessageID
	}
	a.Parts = append(a.Parts, part)
	raw, _ := json.Marshal(a)
	if err := b.state.SetValue(ctx, key, string(raw), albumTTL); err != nil {
		return err
	}
	idx, err := b.albumIndex(ctx)
	if err != nil {
		return err
	}
	idx[key] = time.Now().Add(b.cfg.AlbumWait).UnixMilli()
	if err := b.saveAlbumIndex(ctx, idx); err != nil {
		return err
	}
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return nil
}

func (b *Bot) albumIndex(ctx context.Context) (map[string]int64, error) {
	idx := map[string]int64{}
	v, ok, err := b.state.Value(ctx, albumIndex)
	if err != nil || !ok {
		return idx, err
	}
	_ = json.Unmarshal([]byte(v), &idx)
	return idx, nil
}

func (b *Bot) saveAlbumIndex(ctx context.Context, idx map[string]int64) error {
	if len(idx) == 0 {
		return b.state.DeleteValue(ctx, albumIndex)
	}
	raw, _ := json.Marshal(idx)
	return b.state.SetValue(ctx, albumIndex, string(raw), albumTTL)
}

// flushAlbums flushes the albums that are due and returns when the next
// one will be (zero when none waits).
func (b *Bot) flushAlbums(ctx context.Context) (time.Time, error) {
	b.albumMu.Lock()
	idx, err := b.albumIndex(ctx)
	b.albumMu.Unlock()
	if err != nil {
		return time.Time{}, err
	}
	now := time.Now().UnixMilli()
	var due []string
	var next int64
	for k, at := range idx {
		if at <= now {
			due = append(due, k)
		} else if next == 0 || at < next {
			next = at
		}
	}
	sort.Strings(due)
	for _, k := range due {
		if err := b.flushAlbum(ctx, k); err != nil {
			return time.Now().Add(time.Second), err
		}
	}
	if next == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(next), nil
}

// flushAlbum turns the buffered album key into one message: the form in
// progress takes it, or a ticket.
func (b *Bot) flushAlbum(ctx context.Context, key string) error {
	v, ok, err := b.state.Value(ctx, key)
	if err != nil {
		return err
	}
	var a album
	if ok {
		ok = json.Unmarshal([]byte(v), &a) == nil && a.From != nil && len(a.Parts) > 0
	}
	if ok {
		l := b.chatLock(a.Chat)
		l.Lock()
		err = b.deliverAlbum(ctx, a)
		l.Unlock()
		if err != nil {
			return err
		}
	}
	b.albumMu.Lock()
	defer b.albumMu.Unlock()
	idx, err := b.albumIndex(ctx)
	if err != nil {
		return err
	}
	if cur, _, err := b.state.Value(ctx, key); err != nil {
		return err
	} else if cur != v {
		return nil // an item arrived meanwhile: the album is due again later
	}
	delete(idx, key)
	if err := b.saveAlbumIndex(ctx, idx); err != nil {
		return err
	}
	return b.state.DeleteValue(ctx, key)
}

func (b *Bot) deliverAlbum(ctx context.Context, a album) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.UpdateTimeout)
	defer cancel()
	sort.Slice(a.Parts, func(i, j int) bool { return a.Parts[i].Message < a.Parts[j].Message })
	t, err := b.newTurn(ctx, "a"+a.Group, a.From, a.Chat)
	if err != nil {
		return err
	}
	if over, err := b.flooded(ctx, t); err != nil || over {
		if err == nil {
			err = t.finish(ctx)
		}
		return err
	}
	var captions []string
	var atts []tickets.Attachment
	replyTo := 0
	for _, p := range a.Parts {
		if c := strings.TrimSpace(p.Caption); c != "" {
			captions = append(captions, c)
		}
		atts = append(atts, p.Attachments...)
		if replyTo == 0 {
			replyTo = p.ReplyTo
		}
	}
	if len(atts) > tickets.MaxAttachments {
		atts = atts[:tickets.MaxAttachments] // Telegram albums hold at most 10
	}
	if err := t.input(strings.Join(captions, "\n"), atts, replyTo, a.Parts[0].Message); err != nil {
		return err
	}
	return t.finish(ctx)
}

// albumLoop flushes albums until ctx ends.
func (b *Bot) albumLoop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-b.wake:
		}
		next, err := b.flushAlbums(ctx)
		if err != nil && ctx.Err() == nil {
			b.log.Error().Err(err).Msg("flush albums")
		}
		wait := 30 * time.Second // a safety net; buffering wakes the loop
		if !next.IsZero() {
			wait = min(wait, max(time.Until(next), 10*time.Millisecond))
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}
