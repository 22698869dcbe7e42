package store

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
)

// TestEraseChatAndSender: the adapters' erasure deletes every key and dead
// letter that names the Telegram user and chat, or the e-mail sender, and
// nothing of anyone else.
func TestEraseChatAndSender(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	s := New(rdb, Options{Prefix: prefix})
	ctx := context.Background()
	k := s.keys
	write := func(user int64, addr string) {
		u := itoa(user)
		for _, key := range []string{k.tgDraft(user), k.tgComment(user), k.tgFlood(user, 29000000), k.tgRef(user, 7),
			k.tgPendingOf(user, "u99"), k.tgAlbum(albumMember(user, "g1")), k.tgAlbumLast(user),
			k.emailOpened(addr, 480000), k.mark("telegram-album", albumMember(user, "g1"))} {
			if err := rdb.Set(ctx, key, "x-"+u, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		for _, lane := range []string{"telegram:" + u, "email:" + addr} {
			rdb.RPush(ctx, k.deliveryLane(lane)[0], `{"text":"hola"}`)
			rdb.Set(ctx, k.deliveryLane(lane)[2], "1", 0)
			rdb.ZAdd(ctx, k.delivery()+"ready:telegram", redisZ(lane))
			id := "dead-" + lane
			platform, l, _ := strings.Cut(lane, ":")
			raw, _ := json.Marshal(delivery.DeadLetter{Message: delivery.Message{ID: id, Platform: platform, Lane: l}, Reason: "attempts"})
			rdb.HSet(ctx, k.dead(), id, raw)
			rdb.ZAdd(ctx, k.deadLog(), redisZ(id))
		}
		rdb.ZAdd(ctx, k.tgAlbumsDue(), redisZ(albumMember(user, "g1")))
		rdb.HSet(ctx, k.inboundDead(), "telegram:"+u, `{"ns":"telegram","id":"`+u+`","chat":"`+u+`"}`)
		rdb.HSet(ctx, k.inboundDead(), "email:"+addr, `{"ns":"email","id":"m1","chat":"`+addr+`"}`)
	}
	write(501, "ana@example.com")
	write(502, "bob@example.com")
	if err := NewTelegram(s).EraseChat(ctx, 501, 501); err != nil {
		t.Fatal(err)
	}
	if err := NewEmail(s).EraseSender(ctx, "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	var left []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		dump := strings.TrimPrefix(key, prefix) // the random prefix may hold any digits
		switch rdb.Type(ctx, key).Val() {
		case "hash":
			for f, v := range rdb.HGetAll(ctx, key).Val() {
				dump += " " + f + "=" + v
			}
		case "zset":
			dump += " " + strings.Join(rdb.ZRange(ctx, key, 0, -1).Val(), " ")
		default:
			dump += " " + rdb.Get(ctx, key).Val()
		}
		left = append(left, dump)
	}
	sort.Strings(left)
	all := strings.Join(left, "\n")
	for _, gone := range []string{"501", "ana@example.com"} {
		if strings.Contains(all, gone) {
			t.Errorf("%s is still stored:\n%s", gone, all)
		}
	}
	for _, kept := range []string{"kv:tg:draft:502", "kv:tg:ref:502:7", "kv:tg:pend:502:u99", "tg:al:502:g1", "in:telegram-album:502:g1", "email:opened:bob@example.com",
		"dl:q:telegram:502", "dl:q:email:bob@example.com", "dead-telegram:502", `telegram:502={"ns"`, "email:bob@example.com="} {
		if !strings.Contains(all, kept) {
			t.Errorf("%s was deleted too:\n%s", kept, all)
		}
	}
}

func redisZ(member string) redis.Z { return redis.Z{Score: 1, Member: member} }

// TestEraseSenderWithGlobCharacters: an address may hold '*' or '?'; its
// erasure deletes its own counters and never another sender's.
func TestEraseSenderWithGlobCharacters(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	s := New(rdb, Options{Prefix: prefix})
	ctx := context.Background()
	for _, addr := range []string{"a*@example.com", "ab@example.com", "a?c@example.com", "axc@example.com"} {
		if err := rdb.Set(ctx, s.keys.emailOpened(addr, 480000), "1", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, addr := range []string{"a*@example.com", "a?c@example.com"} {
		if err := NewEmail(s).EraseSender(ctx, addr); err != nil {
			t.Fatal(err)
		}
	}
	for addr, want := range map[string]int64{"a*@example.com": 0, "a?c@example.com": 0, "ab@example.com": 1, "axc@example.com": 1} {
		if got := rdb.Exists(ctx, s.keys.emailOpened(addr, 480000)).Val(); got != want {
			t.Errorf("counter of %s: exists %d after erasing a* and a?c; want %d", addr, got, want)
		}
	}
}
