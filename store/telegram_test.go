package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/store"
)

// TestAlbums: parts are buffered once each while the album is open; the
// album is due after its last part; closing takes the parts (again on a
// retry) and a part after the close comes alone; finishing forgets the
// content but still knows a repeated part.
func TestAlbums(t *testing.T) {
	e := newEnv(t)
	tg := store.NewTelegram(e.store)
	ctx := context.Background()
	a := telegram.Album{Chat: 42, Group: "g1"}
	at := time.UnixMilli(1_800_000_000_000)
	add := func(msg int, due time.Time) bool {
		t.Helper()
		ok, err := tg.AddAlbumPart(ctx, a, msg, []byte(fmt.Sprintf(`{"m":%d}`, msg)), due)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !add(1, at.Add(time.Second)) || !add(2, at.Add(2*time.Second)) || !add(2, at.Add(2*time.Second)) {
		t.Fatal("an open album refused a part")
	}
	if p, ok, err := tg.PendingAlbum(ctx, 42); err != nil || !ok || p != a {
		t.Fatalf("PendingAlbum = %v %v %v", p, ok, err)
	}
	if due, _ := tg.DueAlbums(ctx, at.Add(1500*time.Millisecond), 10); len(due) != 0 {
		t.Fatalf("due before its last part's wait: %v", due)
	}
	due, err := tg.DueAlbums(ctx, at.Add(2*time.Second), 10)
	if err != nil || len(due) != 1 || due[0] != a {
		t.Fatalf("DueAlbums = %v, %v", due, err)
	}
	for range 2 { // a retried close gets the same parts
		parts, ok, err := tg.CloseAlbum(ctx, a, at.Add(10*time.Second))
		if err != nil || !ok || len(parts) != 2 {
			t.Fatalf("CloseAlbum = %q %v %v; want the 2 parts", parts, ok, err)
		}
	}
	if due, _ := tg.DueAlbums(ctx, at.Add(5*time.Second), 10); len(due) != 0 {
		t.Fatalf("a closed album is due again before its retry: %v", due)
	}
	if add(3, at.Add(3*time.Second)) {
		t.Fatal("a closed album took a new part")
	}
	if !add(2, at) {
		t.Fatal("a part the album has is not recognised after the close")
	}
	if err := tg.FinishAlbum(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := tg.CloseAlbum(ctx, a, at); ok {
		t.Fatal("a finished album was closed again")
	}
	if _, ok, _ := tg.PendingAlbum(ctx, 42); ok {
		t.Fatal("a finished album is still the chat's pending album")
	}
	if !add(1, at) || add(4, at) {
		t.Fatal("after finishing, a repeated part must be known and a new one come alone")
	}
	if v, _ := e.rdb.HGet(ctx, e.store.Key("tg:al:42:g1"), "m:1").Result(); v != "" {
		t.Fatalf("a finished album keeps its parts' content: %q", v)
	}
}

// TestFloodCountsATurnOnce: retries of a turn get the count it got.
func TestFloodCountsATurnOnce(t *testing.T) {
	e := newEnv(t)
	tg := store.NewTelegram(e.store)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 30, 0, time.UTC)
	for i, turn := range []string{"u1", "u2", "u1", "u3", "u2"} {
		n, err := tg.CountFlood(ctx, 7, turn, now, time.Minute, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{1, 2, 1, 3, 2}[i]; n != want {
			t.Fatalf("turn %s counted %d, want %d", turn, n, want)
		}
	}
	if n, _ := tg.CountFlood(ctx, 7, "u9", now.Add(time.Minute), time.Minute, time.Minute); n != 1 {
		t.Fatalf("the next minute starts at %d, want 1", n)
	}
}
