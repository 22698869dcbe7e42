package telegram

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Albums: Telegram sends each item of an album (one media_group_id) as its
// own update. Each item is stored (Albums.AddAlbumPart) as it arrives, so
// that its update can be confirmed, and once no item has come for
// AlbumWait the album is flushed as one message of the ticket, with its
// captions. Before a chat's next message (or a part of another album) is
// handled, the chat's pending album is flushed at once (flushBefore), so
// that order is kept.
//
// A flush closes the album (Albums.CloseAlbum: no part joins it after) and
// delivers its parts under the album's inbound mark, so that one replica
// flushes it at a time, a crashed flush is taken over within seconds, a
// flush repeated after a crash stores the message once (the request ID
// "tg:a<media_group_id>"), and an album whose flush keeps failing is given
// up after MaxAttempts: its parts become an inbound dead letter and the
// customer is told. A part that comes after its album closed is not lost:
// it becomes a message of its own, with its caption. Only the holder of
// the "telegram-albums" lease looks for due albums.

// albumPart is one item of an album as stored.
type albumPart struct {
	Message     int                  `json:"m"`
	Caption     string               `json:"c,omitempty"`
	Attachments []tickets.Attachment `json:"a,omitempty"`
	ReplyTo     int                  `json:"r,omitempty"`
	From        *tgbotapi.User       `json:"f,omitempty"`
}

// bufferAlbum stores album item m and reports whether the album takes it;
// false means the album was flushed without it, and m must be handled as
// a message of its own.
func (b *Bot) bufferAlbum(ctx context.Context, t *turn, m *tgbotapi.Message) (bool, error) {
	p := albumPart{Message: m.MessageID, Caption: m.Caption, Attachments: attachmentsOf(m), From: m.From}
	if m.ReplyToMessage != nil {
		p.ReplyTo = m.ReplyToMessage.MessageID
	}
	raw, _ := json.Marshal(p)
	a := Album{Chat: t.chat, Group: m.MediaGroupID}
	taken, err := b.store.AddAlbumPart(ctx, a, m.MessageID, raw, b.now().Add(b.cfg.AlbumWait))
	if err != nil || !taken {
		return false, err
	}
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return true, nil
}

// flushBefore flushes, at once, the chat's pending album unless it is
// group (the album of the message about to be handled), so that what a
// customer sends after an album never overtakes it: neither in the ticket
// nor in the form, whose description would otherwise submit the ticket
// without the album. The caller holds the chat's lock.
func (b *Bot) flushBefore(ctx context.Context, chat int64, group string) error {
	a, ok, err := b.store.PendingAlbum(ctx, chat)
	if err != nil || !ok || a.Group == group {
		return err
	}
	return b.flushAlbum(ctx, a, true)
}

// flushAlbum delivers album a, once, holding the chat's lock (locked says
// the caller holds it already). It returns inbound.ErrBusy while another
// replica flushes it. Once begun, a flush is carried to the end even when
// ctx ends meanwhile (bounded by UpdateTimeout), as updates are.
func (b *Bot) flushAlbum(ctx context.Context, a Album, locked bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.UpdateTimeout)
	defer cancel()
	if !locked {
		l := b.chatLock(a.Chat)
		l.Lock()
		defer l.Unlock()
	}
	var parts []albumPart
	load := func(ctx context.Context) (bool, error) {
		raws, ok, err := b.store.CloseAlbum(ctx, a, b.now().Add(b.cfg.LeaseTTL))
		if err != nil || !ok {
			return false, err
		}
		parts = decodeParts(raws)
		return true, nil
	}
	it := inbound.Item{
		Namespace: nsAlbum, ID: albumID(a),
		DeadLetter: func() inbound.DeadLetter {
			raw, _ := json.Marshal(parts)
			return inbound.DeadLetter{Chat: itoa(a.Chat), Content: albumContent(parts), Raw: raw}
		},
		Tell: func(ctx context.Context) error {
			if parts == nil {
				if _, err := load(ctx); err != nil {
					return err
				}
			}
			if len(parts) == 0 {
				return nil
			}
			return b.tellLost(ctx, "a"+a.Group, parts[0].From, a.Chat, func(tx *texts) string { return tx.LostAlbum })
		},
	}
	err := b.inbound.Handle(ctx, it, func(ctx context.Context) error {
		if ok, err := load(ctx); err != nil || !ok {
			return err
		}
		if len(parts) > 0 {
			if err := b.deliverAlbum(ctx, a, parts); err != nil {
				return err
			}
		}
		return b.store.FinishAlbum(ctx, a)
	})
	if err != nil {
		return err
	}
	// Handled now, before, or given up: it is no longer due.
	return b.store.FinishAlbum(ctx, a)
}

func albumID(a Album) string { return itoa(a.Chat) + ":" + a.Group }

func decodeParts(raws [][]byte) []albumPart {
	parts := make([]albumPart, 0, len(raws))
	for _, r := range raws {
		var p albumPart
		if json.Unmarshal(r, &p) == nil && p.From != nil {
			parts = append(parts, p)
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Message < parts[j].Message })
	return parts
}

// deliverAlbum turns an album's parts into one message: its captions and
// its files.
func (b *Bot) deliverAlbum(ctx context.Context, a Album, parts []albumPart) error {
	ctx, t, err := b.newTurn(ctx, "a"+a.Group, parts[0].From, a.Chat)
	if err != nil {
		return err
	}
	// Its parts were counted against the flood budget as they arrived
	// (handle): the album is not counted again.
	var captions []string
	var atts []tickets.Attachment
	replyTo := 0
	for _, p := range parts {
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
	if err := t.input(ctx, strings.Join(captions, "\n"), atts, replyTo, parts[0].Message); err != nil {
		return err
	}
	return t.finish(ctx)
}

// albumLoop flushes the albums that are due while this process holds the
// albums lease. It looks every AlbumWait, since another replica may have
// buffered an album, and sooner when this one did.
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
		due, err := b.store.DueAlbums(ctx, b.now(), 100)
		if err != nil && ctx.Err() == nil {
			b.log.Error().Err(err).Msg("list due albums")
		}
		for _, a := range due {
			// An album that fails is retried later (and given up after
			// MaxAttempts); it does not hold up the others.
			if err := b.flushAlbum(ctx, a, false); err != nil && ctx.Err() == nil {
				b.log.Warn().Err(err).Int64("chat", a.Chat).Str("media_group_id", a.Group).Msg("flush album")
			}
		}
		wait := b.cfg.AlbumWait
		if next, ok, err := b.store.NextAlbumDue(ctx); err == nil && ok {
			wait = min(wait, max(next.Sub(b.now()), 10*time.Millisecond))
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
