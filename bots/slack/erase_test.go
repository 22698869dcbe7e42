package slack

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// someFiles opens every file but "tg-gone", which its platform no longer has.
type someFiles struct{ bytesFiles }

func (f someFiles) OpenFile(ctx context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error) {
	if a.FileID == "tg-gone" {
		return nil, a, delivery.Permanent("file_not_found", errors.New("gone"))
	}
	return f.bytesFiles.OpenFile(ctx, a)
}

// TestErasedTicketInSlack: after the customer's data is erased, the card
// says "Closed and deleted at the customer's request" without the customer
// or the text, the app's own thread messages about them are replaced, the
// files it copied are deleted with files.delete, and its records of them
// are gone; the card has no buttons.
func TestErasedTicketInSlack(t *testing.T) {
	h := newHarness(t)
	h.bot.files = someFiles{bytesFiles{name: "cedula.png", data: []byte("PNG of an identity card")}}
	tk := h.open("No puedo entrar, mi usuario es maria.gomez", tickets.NatureAccess, tickets.UrgencyHigh)
	cust := tickets.CustomerActor(h.get(tk.Number).Customer)
	if _, _, err := h.svc.AddMessage(h.ctx, cust, tk.Number, tickets.MessageInput{Text: "adjunto mi cédula 5550123",
		Attachments: []tickets.Attachment{{Kind: "photo", FileID: "tg-photo-1"}, {Kind: "document", FileID: "tg-gone", Name: "recibo-5550123.pdf"}}}); err != nil {
		t.Fatal(err)
	}
	// A text long enough, once escaped, to be posted in several messages.
	long := strings.Repeat("<", 9000) + " fin 5550123"
	if _, _, err := h.svc.AddMessage(h.ctx, cust, tk.Number, tickets.MessageInput{Text: long}); err != nil {
		t.Fatal(err)
	}
	h.pump()
	parent := h.cardTS(tk.Number)
	var fileIDs []string
	var posted int
	for _, m := range h.fake.Thread(queue, parent) {
		for _, f := range m.Files {
			fileIDs = append(fileIDs, f.ID)
		}
		if strings.Contains(string(m.Blocks), "5550123") {
			posted++ // the message, and the note naming the file not copied
		}
	}
	before := len(h.fake.Thread(queue, parent))
	if len(fileIDs) != 1 || posted != 3 || before < 6 {
		t.Fatalf("before: %d files, %d posts with the text, %d thread messages", len(fileIDs), posted, before)
	}

	if _, err := h.svc.Forget(h.ctx, tickets.SystemActor, cust.ID); err != nil {
		t.Fatal(err)
	}
	evs := h.pump()
	if !hasKind(evs, tickets.EventClosed) || !hasKind(evs, tickets.EventErased) {
		t.Fatalf("events = %v", kinds(evs))
	}
	card := h.card(tk.Number)
	if !strings.Contains(string(card.Blocks), "Closed and deleted at the customer's request") {
		t.Errorf("card = %s", card.Blocks)
	}
	for _, secret := range []string{"María", "maria.gomez", "5550123", "actions"} {
		if strings.Contains(string(card.Blocks), secret) || strings.Contains(card.Text, secret) {
			t.Errorf("the erased card still holds %q: %s", secret, card.Blocks)
		}
	}
	replaced := 0
	for _, m := range h.fake.Thread(queue, parent) {
		if !m.IsBot() {
			continue
		}
		for _, secret := range []string{"María", "maria.gomez", "5550123", "cédula"} {
			if strings.Contains(string(m.Blocks), secret) || strings.Contains(m.Text, secret) {
				t.Errorf("a thread message still holds %q: %q %s", secret, m.Text, m.Blocks)
			}
		}
		if m.Text == ErasedText {
			replaced++
		}
		if len(m.Files) > 0 {
			t.Errorf("a file is left in the thread: %+v", m.Files)
		}
	}
	if replaced != before-1 {
		t.Errorf("%d thread messages replaced; want every one but the file's (%d)", replaced, before-1)
	}
	for _, id := range fileIDs {
		if !h.fake.FileDeleted(id) {
			t.Errorf("file %s was not deleted", id)
		}
	}
	if posts, files, err := h.bot.store.Thread(h.ctx, tk.Number, 10); err != nil || len(posts)+len(files) != 0 {
		t.Errorf("records left: posts %v files %v, %v", posts, files, err)
	}
	// Erasing again (a redelivered event) changes nothing and fails nothing.
	if err := h.bot.sendErase(h.ctx, tk.Number); err != nil {
		t.Errorf("erase again: %v", err)
	}
	if strings.Contains(string(h.card(tk.Number).Blocks), actReopen) {
		t.Error("the erased card offers to reopen")
	}
}
