package store

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

var (
	//go:embed cursor_advance.lua
	cursorAdvanceSource string

	cursorAdvanceScript = redis.NewScript(cursorAdvanceSource)
)

// emailCountKeep is how long the count a mail got is remembered: longer
// than the window it counts in.
const emailCountKeep = 2 * time.Hour

// Email is the Redis implementation of the e-mail adapter's storage
// (email.Storage): the intake's cursor per folder and the count of the
// tickets each sender opened in the hour.
type Email struct{ s *Store }

var _ email.Storage = (*Email)(nil)

// NewEmail returns the e-mail storage of s's desk.
func NewEmail(s *Store) *Email { return &Email{s: s} }

// Cursor implements email.Cursors.
func (e *Email) Cursor(ctx context.Context, mailbox string) (email.Cursor, error) {
	v, err := e.s.rdb.HGetAll(ctx, e.s.keys.emailCursor(mailbox)).Result()
	if err != nil {
		return email.Cursor{}, fmt.Errorf("read the cursor of %s: %w", mailbox, err)
	}
	if len(v) == 0 {
		return email.Cursor{}, nil
	}
	uv, err1 := strconv.ParseUint(v["v"], 10, 32)
	uid, err2 := strconv.ParseUint(v["u"], 10, 32)
	at, err3 := strconv.ParseInt(v["at"], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return email.Cursor{}, fmt.Errorf("the cursor of %s is corrupt: %v", mailbox, v)
	}
	return email.Cursor{UIDValidity: uint32(uv), UID: uint32(uid), Received: fromMS(at)}, nil
}

// Advance implements email.Cursors. Within one UIDVALIDITY the cursor
// never moves back.
func (e *Email) Advance(ctx context.Context, mailbox string, c email.Cursor) error {
	err := cursorAdvanceScript.Run(ctx, e.s.rdb, []string{e.s.keys.emailCursor(mailbox)},
		c.UIDValidity, c.UID, ms(c.Received)).Err()
	if err != nil {
		return fmt.Errorf("advance the cursor of %s: %w", mailbox, err)
	}
	return nil
}

// CountOpened implements email.Storage.
func (e *Email) CountOpened(ctx context.Context, sender, mail string, window time.Time) (int64, error) {
	k := e.s.keys
	n, err := floodCountScript.Run(ctx, e.s.rdb, []string{k.emailCounted(mail), k.emailOpened(sender, window.Unix()/3600)},
		time.Hour.Milliseconds(), emailCountKeep.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("count the tickets of %s: %w", sender, err)
	}
	return n, nil
}
