package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Albums: Telegram sends each item of an album (one media_group_id) as its
// own update. Each item is stored in State as it arrives, so that its
// update can be confirmed, and once no item has come for AlbumWait the
// album is flushed as one message of the ticket, with its caption.
//
// Every step is an atomic operation of State, so replicas (and a process
// restarted halfway) agree without an in-process lock. With A the album's
// prefix "tg:album:<chat>:<media_group_id>" (names built in keys.go):
//
//	A:n          counter: the slots handed out to parts (Incr)
//	A:m:<msg>    the part of message msg, with its slot (SetValueNX)
//	A:s:<k>      slot k: the message id of its part, or "-" once the
//	             flush has closed it empty (SetValueNX: one writer wins)
//	A:at         when the last part arrived (unix ms)
//	A:reg        the album is in the index below
//	A:f          the flush has begun
//	A:c          the flush takes slots 1..c (SetValueNX: decided once)
//	A:d          the album was delivered (or given up)
//	A:tries      counter: failed flushes
//	lease A      the flusher working on it
//
// A flush that fails is retried (A:tries counts the failures) without
// holding up the other albums; after maxAttempts the album's parts become
// an inbound dead letter (see deadletter.go) and the customer is told.
//
// Before a chat's next message (or a part of another album) is handled,
// the chat's last album, "tg:album:<chat>:last", is flushed at once
// (flushBefore), so that order is kept.
//
// A part whose slot the flush takes is in the album; a part that comes
// later (its slot is above c, or the flush closed its slot first) is not
// lost: it becomes a message of its own, with its caption. A part that
// finds the flush begun but c not yet written is retried (errBusy). The
// flush delivers with the request ID "tg:a<media_group_id>", so a flush
// repeated after a crash, or by another replica, stores the message once.
//
// The index lists albums by the 10-second bucket of their first part:
// "tg:albums:<bucket>" counts the entries, "tg:albums:<bucket>:<i>" holds
// "<chat>:<media_group_id>", and "tg:albums:cursor" is the first bucket
// that may hold an album not yet delivered. Only the holder of the
// "telegram-albums" lease scans it.

const (
	albumTTL     = 24 * time.Hour
	albumBucket  = 10 * time.Second
	albumClosed  = "-"
	albumMaxScan = int64(albumTTL / albumBucket)
	// albumSkew keeps the cursor this far behind the clock, so that an
	// album registered by a replica whose clock is a little late is still
	// scanned.
	albumSkew = time.Minute
)

// albumRef names one album: the chat and the media_group_id.
type albumRef struct {
	Chat  int64
	Group string
}

func (a albumRef) String() string { return strconv.FormatInt(a.Chat, 10) + ":" + a.Group }

func (a albumRef) key(suffix string) string { return keyAlbum(a, suffix) }

func parseAlbumRef(s string) (albumRef, bool) {
	chat, group, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(chat, 10, 64)
	if !ok || err != nil || group == "" {
		return albumRef{}, false
	}
	return albumRef{Chat: n, Group: group}, true
}

// albumPart is one item of an album as stored in A:m:<msg>.
type albumPart struct {
	Slot        int64                `json:"k"`
	Message     int                  `json:"m"`
	Caption     string               `json:"c,omitempty"`
	Attachments []tickets.Attachment `json:"a,omitempty"`
	ReplyTo     int                  `json:"r,omitempty"`
	From        *tgbotapi.User       `json:"f,omitempty"`
}

// bufferAlbum stores album item m and reports whether the album takes it;
// false means the album was flushed without it, and m must be handled as
// a message of its own.
func (b *Bot) bufferAlbum(t *turn, m *tgbotapi.Message) (bool, error) {
	ctx := t.ctx
	a := albumRef{Chat: t.chat, Group: m.MediaGroupID}
	msg := strconv.Itoa(m.MessageID)
	part, err := b.albumPartSlot(ctx, a, m)
	if err != nil {
		return false, err
	}
	slot := a.key("s:" + strconv.FormatInt(part.Slot, 10))
	won, err := b.state.SetValueNX(ctx, slot, msg, albumTTL)
	if err != nil {
		return false, err
	}
	if !won { // handled before, or closed by the flush
		v, _, err := b.state.Value(ctx, slot)
		if err != nil {
			return false, err
		}
		if v != msg {
			return false, nil
		}
	}
	if c, closed, err := b.state.Value(ctx, a.key("c")); err != nil {
		return false, err
	} else if closed {
		n, _ := strconv.ParseInt(c, 10, 64)
		return part.Slot <= n, nil
	}
	if _, flushing, err := b.state.Value(ctx, a.key("f")); err != nil {
		return false, err
	} else if flushing {
		return false, errBusy // the flush decides in a moment which parts it takes
	}
	// The flush has not begun: it will read the counter after this part's
	// slot was handed out, and take it.
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	if err := b.state.SetValue(ctx, a.key("at"), now, albumTTL); err != nil {
		return false, err
	}
	if err := b.registerAlbum(ctx, a); err != nil {
		return false, err
	}
	if err := b.state.SetValue(ctx, keyLastAlbum(a.Chat), a.Group, albumTTL); err != nil {
		return false, err
	}
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return true, nil
}

// flushBefore flushes, at once, the chat's last buffered album unless it
// is group (the album of the message about to be handled), so that what a
// customer sends after an album never overtakes it: neither in the ticket
// nor in the form, whose description would otherwise submit the ticket
// without the album. The caller holds the chat's lock. Flushing an album
// already delivered does nothing.
func (b *Bot) flushBefore(ctx context.Context, chat int64, group string) error {
	last, ok, err := b.state.Value(ctx, keyLastAlbum(chat))
	if err != nil || !ok || last == group {
		return err
	}
	_, err = b.flushAlbumOrGiveUp(ctx, albumRef{Chat: chat, Group: last}, true, true)
	return err
}

// albumPartSlot stores the part of message m, once, and returns it with
// its slot.
func (b *Bot) albumPartSlot(ctx context.Context, a albumRef, m *tgbotapi.Message) (albumPart, error) {
	name := a.key("m:" + strconv.Itoa(m.MessageID))
	var p albumPart
	if v, ok, err := b.state.Value(ctx, name); err != nil {
		return p, err
	} else if ok && json.Unmarshal([]byte(v), &p) == nil && p.Slot > 0 {
		return p, nil
	}
	slot, err := b.state.Incr(ctx, a.key("n"), albumTTL)
	if err != nil {
		return p, err
	}
	p = albumPart{Slot: slot, Message: m.MessageID, Caption: m.Caption, Attachments: attachmentsOf(m), From: m.From}
	if m.ReplyToMessage != nil {
		p.ReplyTo = m.ReplyToMessage.MessageID
	}
	raw, _ := json.Marshal(p)
	won, err := b.state.SetValueNX(ctx, name, string(raw), albumTTL)
	if err != nil || won {
		return p, err
	}
	// A duplicate of this update got there first: its slot counts.
	v, _, err := b.state.Value(ctx, name)
	if err != nil {
		return p, err
	}
	if json.Unmarshal([]byte(v), &p) != nil || p.Slot <= 0 {
		return p, fmt.Errorf("telegram: malformed album part %s", name)
	}
	return p, nil
}

// registerAlbum adds a to the index, once (a crash in between registers
// it twice, which is harmless).
func (b *Bot) registerAlbum(ctx context.Context, a albumRef) error {
	if _, ok, err := b.state.Value(ctx, a.key("reg")); err != nil || ok {
		return err
	}
	bucket := time.Now().UnixMilli() / albumBucket.Milliseconds()
	i, err := b.state.Incr(ctx, keyAlbumBucket(bucket), albumTTL+albumSkew)
	if err != nil {
		return err
	}
	if err := b.state.SetValue(ctx, keyAlbumEntry(bucket, i), a.String(), albumTTL+albumSkew); err != nil {
		return err
	}
	return b.state.SetValue(ctx, a.key("reg"), "1", albumTTL)
}

// flushAlbums flushes the albums that are due, if this process holds the
// albums lease, and returns when the next one will be (zero when none
// waits).
func (b *Bot) flushAlbums(ctx context.Context) (time.Time, error) {
	if ok, err := b.state.Lease(ctx, leaseAlbums, b.holder, b.cfg.LeaseTTL); err != nil || !ok {
		return time.Time{}, err
	}
	size := albumBucket.Milliseconds()
	now := time.Now().UnixMilli() / size
	first := now - albumMaxScan
	stored, ok, err := b.state.Value(ctx, keyAlbumCursor)
	if err != nil {
		return time.Time{}, err
	}
	if c, _ := strconv.ParseInt(stored, 10, 64); ok && c > first {
		first = c
	}
	cursor := now - albumSkew.Milliseconds()/size
	var next time.Time
	for bucket := first; bucket <= now; bucket++ {
		name := keyAlbumBucket(bucket)
		v, ok, err := b.state.Value(ctx, name)
		if err != nil {
			return next, err
		}
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		for i := int64(1); i <= n; i++ {
			ref, ok, err := b.state.Value(ctx, keyAlbumEntry(bucket, i))
			if err != nil {
				return next, err
			}
			a, valid := parseAlbumRef(ref)
			if !ok || !valid {
				continue
			}
			// An album that fails is retried later (and given up after
			// maxAttempts); it does not hold up the others.
			due, err := b.flushAlbumOrGiveUp(ctx, a, false, false)
			if err != nil && ctx.Err() != nil {
				return next, err
			}
			if !due.IsZero() {
				cursor = min(cursor, bucket)
				if next.IsZero() || due.Before(next) {
					next = due
				}
			}
		}
	}
	if c := strconv.FormatInt(cursor, 10); c != stored {
		if err := b.state.SetValue(ctx, keyAlbumCursor, c, 0); err != nil {
			return next, err
		}
	}
	return next, nil
}

// flushAlbum delivers album a if it is due (at once when force) and
// returns zero, or returns when it will be due. locked says the caller
// holds the chat's lock. With force, an album another replica is flushing
// is errBusy.
func (b *Bot) flushAlbum(ctx context.Context, a albumRef, force, locked bool) (time.Time, error) {
	if _, done, err := b.state.Value(ctx, a.key("d")); err != nil || done {
		return time.Time{}, err
	}
	_, began, err := b.state.Value(ctx, a.key("f"))
	if err != nil {
		return time.Time{}, err
	}
	if !began && !force {
		v, _, err := b.state.Value(ctx, a.key("at"))
		if err != nil {
			return time.Time{}, err
		}
		at, _ := strconv.ParseInt(v, 10, 64)
		if due := time.UnixMilli(at).Add(b.cfg.AlbumWait); time.Now().Before(due) {
			return due, nil
		}
	}
	release, err := b.albumLease(ctx, a)
	if err != nil {
		if errors.Is(err, errBusy) && !force {
			return time.Now().Add(b.cfg.AlbumWait), nil // another replica flushes it
		}
		return time.Time{}, err
	}
	defer release()
	// Once begun, a flush is carried to the end even when ctx ends
	// meanwhile (deliverAlbum bounds it by UpdateTimeout), as updates
	// are: a stop halfway through the sends would leave the album
	// undelivered-looking and its next flush would answer the customer
	// twice.
	ctx = context.WithoutCancel(ctx)
	parts, err := b.closeAlbum(ctx, a)
	if err != nil {
		return time.Time{}, err
	}
	return time.Time{}, b.inChat(a.Chat, locked, func() error {
		// Checked again under the chat's lock: the album loop and a
		// message of the chat may both have come to flush it.
		if _, done, err := b.state.Value(ctx, a.key("d")); err != nil || done {
			return err
		}
		if len(parts) > 0 {
			if err := b.deliverAlbum(ctx, a, parts); err != nil {
				return err
			}
		}
		mctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return b.state.SetValue(mctx, a.key("d"), "1", albumTTL)
	})
}

// albumLease takes album a's flush lease, or returns errBusy when another
// replica has it, and returns its release.
func (b *Bot) albumLease(ctx context.Context, a albumRef) (release func(), err error) {
	lease := a.key("lease")
	if ok, err := b.state.Lease(ctx, lease, b.holder, b.cfg.UpdateTimeout+5*time.Second); err != nil {
		return nil, err
	} else if !ok {
		return nil, errBusy
	}
	return func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = b.state.ReleaseLease(rctx, lease, b.holder)
	}, nil
}

// inChat runs f holding chat's lock, unless the caller holds it already.
func (b *Bot) inChat(chat int64, locked bool, f func() error) error {
	if !locked {
		l := b.chatLock(chat)
		l.Lock()
		defer l.Unlock()
	}
	return f()
}

// closeAlbum closes album a, if the flush has not yet, and returns the
// parts it takes: from here on a part either has a slot up to c, and is
// taken, or is a message of its own.
func (b *Bot) closeAlbum(ctx context.Context, a albumRef) ([]albumPart, error) {
	if err := b.state.SetValue(ctx, a.key("f"), "1", albumTTL); err != nil {
		return nil, err
	}
	v, _, err := b.state.Value(ctx, a.key("n"))
	if err != nil {
		return nil, err
	}
	if _, err := b.state.SetValueNX(ctx, a.key("c"), v, albumTTL); err != nil {
		return nil, err
	}
	v, _, err = b.state.Value(ctx, a.key("c"))
	if err != nil {
		return nil, err
	}
	c, _ := strconv.ParseInt(v, 10, 64)
	var parts []albumPart
	for k := int64(1); k <= c; k++ {
		slot := a.key("s:" + strconv.FormatInt(k, 10))
		msg, ok, err := b.state.Value(ctx, slot)
		if err != nil {
			return nil, err
		}
		if !ok { // handed out, not filled yet: close it; its part comes on its own
			won, err := b.state.SetValueNX(ctx, slot, albumClosed, albumTTL)
			if err != nil {
				return nil, err
			}
			if won {
				continue
			}
			if msg, _, err = b.state.Value(ctx, slot); err != nil {
				return nil, err
			}
		}
		if msg == albumClosed {
			continue
		}
		raw, ok, err := b.state.Value(ctx, a.key("m:"+msg))
		if err != nil {
			return nil, err
		}
		var p albumPart
		if ok && json.Unmarshal([]byte(raw), &p) == nil && p.From != nil {
			parts = append(parts, p)
		}
	}
	return parts, nil
}

// flushAlbumOrGiveUp is flushAlbum counting the album's failures: after
// maxAttempts (while State answers) the album is given up as an inbound
// dead letter. On an error it returns when to try again.
func (b *Bot) flushAlbumOrGiveUp(ctx context.Context, a albumRef, force, locked bool) (time.Time, error) {
	due, err := b.flushAlbum(ctx, a, force, locked)
	if err == nil || ctx.Err() != nil {
		return due, err
	}
	retry := time.Now().Add(b.cfg.AlbumWait)
	if errors.Is(err, errBusy) {
		return retry, err
	}
	n, ierr := b.state.Incr(ctx, a.key("tries"), albumTTL)
	if ierr != nil || n < maxAttempts || !b.stateUp(ctx) {
		b.log.Warn().Err(err).Int64("chat", a.Chat).Str("media_group_id", a.Group).Int64("attempts", n).Msg("flush album")
		return retry.Add(b.cfg.AlbumWait * time.Duration(min(n, 16))), err
	}
	if gerr := b.giveUpAlbum(ctx, a, err, locked); gerr != nil {
		return retry, errors.Join(err, gerr)
	}
	return time.Time{}, nil
}

// giveUpAlbum keeps album a, whose flush failed with cause too often, as a
// dead letter, marks it delivered and tells its customer.
func (b *Bot) giveUpAlbum(ctx context.Context, a albumRef, cause error, locked bool) error {
	release, err := b.albumLease(ctx, a)
	if err != nil {
		return err
	}
	defer release()
	parts, err := b.closeAlbum(ctx, a)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(parts)
	if err != nil {
		return err
	}
	key := "a" + a.Group
	return b.inChat(a.Chat, locked, func() error {
		if _, done, err := b.state.Value(ctx, a.key("d")); err != nil || done {
			return err
		}
		d := DeadLetter{Key: key, Album: a.Group, Chat: a.Chat, Raw: raw, Error: redact(cause.Error(), b.cfg.Token), At: time.Now()}
		if err := b.saveDeadLetter(ctx, d); err != nil {
			return err
		}
		if err := b.state.SetValue(ctx, a.key("d"), "1", albumTTL); err != nil {
			return err
		}
		b.log.Error().Err(cause).Int64("chat", a.Chat).Str("media_group_id", a.Group).Int("parts", len(parts)).
			Msg("album given up after repeated failures; kept as an inbound dead letter")
		if len(parts) > 0 {
			if err := b.tellLost(ctx, key, parts[0].From, a.Chat, func(tx *texts) string { return tx.LostAlbum }); err != nil {
				b.log.Error().Err(err).Str("media_group_id", a.Group).Msg("tell the customer an album was lost")
			}
		}
		return nil
	})
}

func (b *Bot) deliverAlbum(ctx context.Context, a albumRef, parts []albumPart) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.UpdateTimeout)
	defer cancel()
	sort.Slice(parts, func(i, j int) bool { return parts[i].Message < parts[j].Message })
	t, err := b.newTurn(ctx, "a"+a.Group, parts[0].From, a.Chat)
	if err != nil {
		return err
	}
	// The album counts against the flood budget, but its parts were
	// accepted when they arrived: it is stored even over the limit.
	if _, err := b.flooded(ctx, t); err != nil {
		return err
	}
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
	if err := t.input(strings.Join(captions, "\n"), atts, replyTo, parts[0].Message); err != nil {
		return err
	}
	return t.finish(ctx)
}

// albumLoop flushes albums until ctx ends. It looks at the index every
// AlbumWait, since another replica may have buffered an album, and sooner
// when this one did.
func (b *Bot) albumLoop(ctx context.Context) {
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := b.state.ReleaseLease(rctx, leaseAlbums, b.holder); err != nil {
			b.log.Warn().Err(err).Msg("release albums lease")
		}
	}()
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
		wait := min(b.cfg.AlbumWait, b.cfg.LeaseTTL/3)
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
