package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// threadBatch bounds the keys of one MGET or DEL of Thread and
// ForgetThread.
const threadBatch = 1000

// maxPostParts is how many parts of one thread entry Thread reads: a
// 10,000-character text escaped at its worst.
const maxPostParts = 8

// noteTSPrefix marks a file record that holds the ts of the message that
// named a file not copied.
const noteTSPrefix = "ts:"

// nonCardKeep is how long a thread found not to be a card's is remembered.
const nonCardKeep = 24 * time.Hour

// Slack is the Redis implementation of the Slack adapter's storage
// (slack.Storage): where each ticket's card is and which ticket a thread
// belongs to, and which conversation entries and files were posted in a
// thread.
type Slack struct{ s *Store }

// NewSlack returns the Slack storage of s's desk.
func NewSlack(s *Store) *Slack { return &Slack{s: s} }

// Card returns where ticket n's card is, if it was posted.
func (sl *Slack) Card(ctx context.Context, n int64) (channel, ts string, ok bool, err error) {
	v, err := sl.s.rdb.Get(ctx, sl.s.keys.slackCard(n)).Result()
	if errors.Is(err, redis.Nil) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("read card of #%d: %w", n, err)
	}
	channel, ts, ok = strings.Cut(v, " ")
	return channel, ts, ok, nil
}

// SaveCard records that ticket n's card is message ts of channel, both
// ways (the card of the ticket, the ticket of the thread), in one step.
func (sl *Slack) SaveCard(ctx context.Context, n int64, channel, ts string) error {
	k := sl.s.keys
	_, err := sl.s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, k.slackThread(channel, ts), n, 0)
		p.Set(ctx, k.slackCard(n), channel+" "+ts, 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("record card of #%d: %w", n, err)
	}
	return nil
}

// ThreadTicket returns the ticket whose card starts thread ts of channel:
// known is false when the thread was never looked at, and n is 0 for a
// thread known not to be a card's.
func (sl *Slack) ThreadTicket(ctx context.Context, channel, ts string) (n int64, known bool, err error) {
	v, err := sl.s.rdb.Get(ctx, sl.s.keys.slackThread(channel, ts)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read thread %s/%s: %w", channel, ts, err)
	}
	n, _ = strconv.ParseInt(v, 10, 64)
	return n, true, nil
}

// SaveThread records that thread ts of channel is ticket n's card's, or
// with n 0 that it is not a card's (remembered for a day).
func (sl *Slack) SaveThread(ctx context.Context, channel, ts string, n int64) error {
	ttl := time.Duration(0)
	if n == 0 {
		ttl = nonCardKeep
	}
	if err := sl.s.rdb.Set(ctx, sl.s.keys.slackThread(channel, ts), n, ttl).Err(); err != nil {
		return fmt.Errorf("record thread %s/%s: %w", channel, ts, err)
	}
	return nil
}

// Posted returns the ts of what entry of ticket n was posted in its thread
// (a conversation entry's id, "0" the full description, "rating"), if it was.
func (sl *Slack) Posted(ctx context.Context, n int64, entry string) (string, bool, error) {
	v, err := sl.s.rdb.Get(ctx, sl.s.keys.slackPost(n, entry)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read post %s of #%d: %w", entry, n, err)
	}
	return v, true, nil
}

// SavePosted records that entry of ticket n was posted in its thread as ts.
func (sl *Slack) SavePosted(ctx context.Context, n int64, entry, ts string) error {
	if err := sl.s.rdb.Set(ctx, sl.s.keys.slackPost(n, entry), ts, 0).Err(); err != nil {
		return fmt.Errorf("record post %s of #%d: %w", entry, n, err)
	}
	return nil
}

// FileCopied reports whether attachment i of entry id of ticket n was
// copied (or explained) in the thread.
func (sl *Slack) FileCopied(ctx context.Context, n, id int64, i int) (bool, error) {
	c, err := sl.s.rdb.Exists(ctx, sl.s.keys.slackFile(n, id, i)).Result()
	if err != nil {
		return false, fmt.Errorf("read file %d/%d of #%d: %w", id, i, n, err)
	}
	return c == 1, nil
}

// SaveFileCopied records that attachment i of entry id of ticket n is in
// the thread as Slack file fileID, or named in message noteTS (stored as
// "ts:<ts>"; "done" in records of earlier versions).
func (sl *Slack) SaveFileCopied(ctx context.Context, n, id int64, i int, fileID, noteTS string) error {
	v := fileID
	switch {
	case noteTS != "":
		v = noteTSPrefix + noteTS
	case v == "":
		v = "done"
	}
	if err := sl.s.rdb.Set(ctx, sl.s.keys.slackFile(n, id, i), v, 0).Err(); err != nil {
		return fmt.Errorf("record file %d/%d of #%d: %w", id, i, n, err)
	}
	return nil
}

// threadKeys returns the post and file keys ticket n's thread may have,
// for a conversation of messages entries.
func (sl *Slack) threadKeys(n, messages int64) (posts, files []string) {
	k := sl.s.keys
	posts = k.slackPostParts(posts, n, "rating")
	for id := int64(0); id <= messages; id++ {
		posts = k.slackPostParts(posts, n, strconv.FormatInt(id, 10))
		for i := 1; i <= tickets.MaxAttachments; i++ {
			files = append(files, k.slackFile(n, id, i))
		}
	}
	return posts, files
}

// slackPostParts appends to keys the keys of every part thread entry e of
// ticket n may have been posted in (a long entry is split over up to
// maxPostParts posts).
func (k keys) slackPostParts(keys []string, n int64, e string) []string {
	keys = append(keys, k.slackPost(n, e))
	for part := 2; part <= maxPostParts; part++ {
		keys = append(keys, k.slackPost(n, e+"."+strconv.Itoa(part)))
	}
	return keys
}

// Thread implements slack.Storage: MGET of the keys a thread can have,
// in batches.
func (sl *Slack) Thread(ctx context.Context, n, messages int64) (posts, files []string, err error) {
	pk, fk := sl.threadKeys(n, messages)
	all := append(pk, fk...)
	for lo := 0; lo < len(all); lo += threadBatch {
		hi := min(lo+threadBatch, len(all))
		vals, err := sl.s.rdb.MGet(ctx, all[lo:hi]...).Result()
		if err != nil {
			return nil, nil, fmt.Errorf("read thread of #%d: %w", n, err)
		}
		for i, v := range vals {
			s, _ := v.(string)
			switch {
			case s == "" || s == "done":
			case lo+i < len(pk):
				posts = append(posts, s)
			case strings.HasPrefix(s, noteTSPrefix):
				posts = append(posts, strings.TrimPrefix(s, noteTSPrefix))
			default:
				files = append(files, s)
			}
		}
	}
	return posts, files, nil
}

// ForgetThread implements slack.Storage.
func (sl *Slack) ForgetThread(ctx context.Context, n, messages int64) error {
	pk, fk := sl.threadKeys(n, messages)
	all := append(pk, fk...)
	for lo := 0; lo < len(all); lo += threadBatch {
		if err := sl.s.rdb.Del(ctx, all[lo:min(lo+threadBatch, len(all))]...).Err(); err != nil {
			return fmt.Errorf("forget thread of #%d: %w", n, err)
		}
	}
	return nil
}
