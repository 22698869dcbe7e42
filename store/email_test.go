package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestEmailCursors: a folder without a cursor reads as the zero Cursor;
// Advance records one, never moves it back within a UIDVALIDITY (a late
// write of an intake that lost its lease), and starts over on a new
// UIDVALIDITY.
func TestEmailCursors(t *testing.T) {
	e := newEnv(t)
	s := store.NewEmail(e.store)
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	get := func(mb string) email.Cursor {
		t.Helper()
		c, err := s.Cursor(ctx, mb)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := get("INBOX"); c != (email.Cursor{}) {
		t.Fatalf("no cursor yet = %+v; want zero", c)
	}
	advance := func(c email.Cursor) {
		t.Helper()
		if err := s.Advance(ctx, "INBOX", c); err != nil {
			t.Fatal(err)
		}
	}
	advance(email.Cursor{UIDValidity: 7, UID: 10, Received: at})
	advance(email.Cursor{UIDValidity: 7, UID: 4, Received: at.Add(-time.Hour)})
	if c := get("INBOX"); c.UIDValidity != 7 || c.UID != 10 || !c.Received.Equal(at) {
		t.Errorf("cursor = %+v; want UIDVALIDITY 7, UID 10, kept against a late write", c)
	}
	advance(email.Cursor{UIDValidity: 9, UID: 2, Received: at.Add(time.Hour)})
	if c := get("INBOX"); c.UIDValidity != 9 || c.UID != 2 {
		t.Errorf("cursor = %+v; want the new UIDVALIDITY's", c)
	}
	if c := get("Soporte/Ventas"); c != (email.Cursor{}) {
		t.Errorf("another folder's cursor = %+v; want zero", c)
	}
}

// TestEmailCountOpened counts a sender's new tickets per hour, once per
// mail.
func TestEmailCountOpened(t *testing.T) {
	e := newEnv(t)
	s := store.NewEmail(e.store)
	ctx := context.Background()
	hour := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	count := func(sender, mail string, w time.Time) int64 {
		t.Helper()
		n, err := s.CountOpened(ctx, sender, mail, w)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("a@x.co", "m1", hour); n != 1 {
		t.Errorf("first = %d", n)
	}
	if n := count("a@x.co", "m1", hour); n != 1 {
		t.Errorf("the same mail again = %d; want its first count", n)
	}
	if n := count("a@x.co", "m2", hour); n != 2 {
		t.Errorf("second mail = %d", n)
	}
	if n := count("b@x.co", "m3", hour); n != 1 {
		t.Errorf("another sender = %d", n)
	}
	if n := count("a@x.co", "m4", hour.Add(time.Hour)); n != 1 {
		t.Errorf("the next hour = %d", n)
	}
}

// TestEmailTicketFields: what an e-mail ticket adds to the record (its
// opening mail, the terms version) and a flagged note survive the store.
func TestEmailTicketFields(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := tickets.Customer{Platform: "email", UserID: "carla@example.com", ChatID: "carla@example.com", Name: "Carla"}
	tk, _, err := e.svc.ReceiveMail(ctx, tickets.Mail{Sender: c, Authenticated: true, Subject: "Hola", Text: "Ayuda", Ref: "a1@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.store.Get(ctx, tk.Number)
	if err != nil || got.Ref != "a1@example.com" || got.Intake != tickets.IntakeEmail {
		t.Fatalf("stored ticket = %+v, %v", got, err)
	}
	other := tickets.Customer{Platform: "email", UserID: "x@evil.example", Name: "X"}
	_, o, err := e.svc.ReceiveMail(ctx, tickets.Mail{Sender: other, Ticket: tk.Number, Authenticated: true, Text: "cierren"})
	if err != nil || o != tickets.MailUnverified {
		t.Fatalf("ReceiveMail = %s, %v", o, err)
	}
	msgs, err := e.store.Messages(ctx, tk.Number, 0, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Unverified != "x@evil.example" || msgs[0].Kind != tickets.MessageNote {
		t.Fatalf("messages = %+v, %v", msgs, err)
	}
}
