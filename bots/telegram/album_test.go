package telegram_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

func photoUpdate(u telegramtest.User, id int, fileID, caption, group string) tgbotapi.Update {
	up := textUpdate(u, id, "")
	up.Message.Photo = []tgbotapi.PhotoSize{{FileID: fileID, FileUniqueID: fileID, Width: 10, Height: 10}}
	up.Message.Caption, up.Message.MediaGroupID = caption, group
	return up
}

func fileIDs(m tickets.Message) string {
	var ids []string
	for _, a := range m.Attachments {
		ids = append(ids, a.FileID)
	}
	return strings.Join(ids, ",")
}

// A part that arrives after its album was flushed is not lost: it becomes
// a message of its own, with its caption.
func TestAlbumPartAfterTheFlush(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Pantalla rota")
	e.fake.SendPhoto(maria, "p1", "Fotos del daño", "album-1")
	e.fake.SendPhoto(maria, "p2", "", "album-1")
	e.expect(maria, "Mensaje añadido al ticket #1")
	e.fake.SendPhoto(maria, "p3", "Una más", "album-1")
	e.expect(maria, "Mensaje añadido al ticket #1")
	c := e.conversation(1)
	if len(c) != 2 || c[0].Text != "Fotos del daño" || fileIDs(c[0]) != "p1,p2" || c[1].Text != "Una más" || fileIDs(c[1]) != "p3" {
		t.Fatalf("conversation = %+v, want the album and then the late part", c)
	}
}

// Parts of one album handled at once by two replicas all end up in the
// one message of the album.
func TestAlbumAcrossReplicas(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Pantalla rota")
	e.stop() // the parts are buffered with nobody flushing
	bots := []*telegram.Bot{e.newBot(e.cfg), e.newBot(e.cfg)}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			caption := ""
			if i == 0 {
				caption = "Diez fotos"
			}
			u := photoUpdate(maria, 4000+i, fmt.Sprintf("p%02d", i), caption, "album-x")
			for range 2 { // and every update twice
				if err := bots[i%2].HandleUpdate(context.Background(), u); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	e.stop = e.run(bots[0])
	e.expect(maria, "Mensaje añadido al ticket #1")
	c := e.conversation(1)
	if len(c) != 1 || c[0].Text != "Diez fotos" || fileIDs(c[0]) != "p00,p01,p02,p03,p04,p05,p06,p07,p08,p09" {
		t.Fatalf("conversation = %+v, want one message with the 10 photos", c)
	}
}

// hookStorage calls hook once, the first time an album is closed, right
// after the close.
type hookStorage struct {
	telegram.Storage
	once sync.Once
	hook func()
}

func (s *hookStorage) CloseAlbum(ctx context.Context, a telegram.Album, retry time.Time) ([][]byte, bool, error) {
	parts, ok, err := s.Storage.CloseAlbum(ctx, a, retry)
	if ok {
		s.once.Do(s.hook)
	}
	return parts, ok, err
}

// A part that arrives while its album is being flushed either joins it or
// becomes a message of its own; it is never lost.
func TestAlbumPartDuringTheFlush(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Pantalla rota")
	e.stop()
	other := e.newBot(e.cfg)
	late := make(chan error, 1)
	deps := e.deps()
	deps.Storage = &hookStorage{Storage: deps.Storage, hook: func() {
		// The flusher has just closed the album and taken its parts.
		late <- other.HandleUpdate(context.Background(), photoUpdate(maria, 5003, "p3", "Tarde", "album-y"))
	}}
	flusher, err := telegram.New(e.cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"p1", "p2"} {
		caption := ""
		if i == 0 {
			caption = "Dos fotos"
		}
		if err := other.HandleUpdate(context.Background(), photoUpdate(maria, 5001+i, id, caption, "album-y")); err != nil {
			t.Fatal(err)
		}
	}
	e.stop = e.run(flusher)
	select {
	case err := <-late:
		if err != nil {
			t.Fatalf("late part: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the flush never ran")
	}
	e.expect(maria, "Mensaje añadido al ticket #1")
	e.expect(maria, "Mensaje añadido al ticket #1")
	c := e.conversation(1)
	var got []string
	for _, m := range c {
		got = append(got, m.Text+":"+fileIDs(m))
	}
	if s := strings.Join(got, " | "); s != "Tarde:p3 | Dos fotos:p1,p2" && s != "Dos fotos:p1,p2,p3" {
		t.Fatalf("conversation = %s", s)
	}
}

// What a customer sends right after an album never overtakes it: the
// album is flushed before the next message is handled, without waiting
// for AlbumWait.
func TestMessageAfterAnAlbumKeepsItsPlace(t *testing.T) {
	e := newEnv(t, withConfig(func(c *telegram.Config) { c.AlbumWait = 2 * time.Second }))
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Pantalla rota")
	e.fake.SendPhoto(maria, "p1", "Fotos", "album-1")
	e.fake.SendPhoto(maria, "p2", "", "album-1")
	e.fake.SendText(maria, "Y esto después")
	e.expect(maria, "Mensaje añadido al ticket #1")
	e.expect(maria, "Mensaje añadido al ticket #1")
	var got []string
	for _, m := range e.conversation(1) {
		got = append(got, m.Text+":"+fileIDs(m))
	}
	if s := strings.Join(got, " | "); s != "Fotos:p1,p2 | Y esto después:" {
		t.Errorf("conversation = %s, want the album first", s)
	}
}

// An album sent during the form, right before the description, is part of
// the ticket the description submits.
func TestAlbumBeforeTheDescriptionJoinsTheTicket(t *testing.T) {
	e := newEnv(t, withConfig(func(c *telegram.Config) { c.AlbumWait = 2 * time.Second }))
	e.start()
	e.acceptTerms(maria)
	e.formTo(maria, "Falla", "Alta")
	e.fake.SendPhoto(maria, "p1", "", "album-f")
	e.fake.SendPhoto(maria, "p2", "", "album-f")
	e.fake.SendText(maria, "La pantalla se rompió")
	e.expect(maria, "Ticket #1 creado")
	tk := e.ticket(1)
	var ids []string
	for _, a := range tk.Attachments {
		ids = append(ids, a.FileID)
	}
	if tk.Description != "La pantalla se rompió" || strings.Join(ids, ",") != "p1,p2" {
		t.Errorf("ticket = %q with %v, want the album's photos attached", tk.Description, ids)
	}
	if c := e.conversation(1); len(c) != 0 {
		t.Errorf("conversation = %+v, want the album in the ticket, not after it", c)
	}
}

// A bot stopped while it delivers an album finishes the delivery first,
// as it does with updates: the customer's confirmation arrives before
// the stop returns, and the next bot neither flushes the album again nor
// answers twice.
func TestStopDuringAlbumFlushFinishesIt(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Pantalla rota")
	e.fake.SetLatency("sendMessage", 300*time.Millisecond)
	e.fake.SendPhoto(maria, "p1", "Fotos del daño", "album-1")
	e.fake.SendPhoto(maria, "p2", "", "album-1")
	// Once the album is stored its confirmation is on its way, slowly.
	waitFor(t, func() bool { return len(e.conversation(1)) == 1 })
	e.stop()
	if n := e.countMessages(maria, "Mensaje añadido al ticket #1"); n != 1 {
		t.Fatalf("confirmations when the stop returned = %d, want 1", n)
	}

	e.fake.SetLatency("sendMessage", 0)
	e.stop = e.run(e.newBot(e.cfg))
	e.fake.SendText(maria, "Sigue igual")
	waitFor(t, func() bool { return e.countMessages(maria, "Mensaje añadido al ticket #1") >= 2 })
	c := e.conversation(1)
	if len(c) != 2 || fileIDs(c[0]) != "p1,p2" || c[1].Text != "Sigue igual" {
		t.Fatalf("conversation = %+v, want the album once and the text", c)
	}
	if n := e.countMessages(maria, "Mensaje añadido al ticket #1"); n != 2 {
		t.Errorf("confirmations = %d, want one for the album and one for the text", n)
	}
}

// Album parts count against the flood limit as they arrive: 25 two-photo
// albums from one customer store no more than the limit lets through, and
// the customer is told once, as for text.
func TestAlbumFlood(t *testing.T) {
	// The flood window is the clock's minute: the test starts at the
	// beginning of one.
	base, start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC), time.Now()
	e := newEnv(t, withClock(func() time.Time { return base.Add(time.Since(start)) }))
	e.start()
	e.acceptTerms(maria)                            // 2 updates
	e.open(maria, "Falla", "Alta", "Pantalla rota") // 4 updates
	e.stop()                                        // each album is flushed by the next update, not by the timer
	for i := range 25 {
		group := fmt.Sprintf("album-%d", i)
		for j := range 2 {
			u := photoUpdate(maria, 7000+2*i+j, fmt.Sprintf("p%02d-%d", i, j), "", group)
			if err := e.bot.HandleUpdate(context.Background(), u); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The default limit is 20 updates a minute: 14 parts, 7 albums.
	c := e.conversation(1)
	files := 0
	for _, m := range c {
		files += len(m.Attachments)
	}
	if len(c) != 7 || files != 14 {
		t.Errorf("stored %d messages with %d files, want the 7 albums (14 parts) under the limit", len(c), files)
	}
	n := 0
	for _, m := range e.fake.Messages(maria.ID) {
		if strings.Contains(m.PlainText, "demasiados mensajes") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("flood warnings = %d, want 1 per window", n)
	}
}
