package mailhost

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/email"
)

const (
	support  = "soporte@example.org"
	customer = "cliente@example.com"
)

func startHost(t *testing.T) *Host {
	t.Helper()
	h, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	for addr, pw := range map[string]string{support: "support-pw", customer: "customer-pw"} {
		if err := h.AddAccount(addr, pw); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func sender(t *testing.T, h *Host, user, password string) *email.Sender {
	t.Helper()
	s, err := email.NewSender(email.SMTPConfig{Addr: h.SMTPAddr(), Security: email.SecurityNone,
		Username: user, Password: password, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mail(from, to, subject, id string) *email.Outgoing {
	return &email.Outgoing{From: email.Address{Address: from}, To: []email.Address{{Address: to}},
		Subject: subject, MessageID: id, Text: "hola"}
}

// TestSubmission sends with the e-mail adapter's own SMTP sender: a wrong
// password is refused (and is not the mail's fault: transient); another
// sender's address and a recipient that is not local are refused for
// good; the right login delivers to the recipient's INBOX.
func TestSubmission(t *testing.T) {
	h := startHost(t)
	ctx := context.Background()

	err := sender(t, h, support, "wrong").SendMail(ctx, mail(support, customer, "x", "1@example.org"))
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("wrong password: %v, want a refused login (535)", err)
	}
	var perm *delivery.PermanentError
	if errors.As(err, &perm) {
		t.Errorf("a refused login is permanent (%v); the adapter should retry it", err)
	}
	good := sender(t, h, support, "support-pw")
	err = good.SendMail(ctx, mail(customer, support, "forged", "2@example.org"))
	if !errors.As(err, &perm) || !strings.Contains(err.Error(), "553") {
		t.Errorf("sending as another account: %v, want a permanent 553", err)
	}
	err = good.SendMail(ctx, mail(support, "nadie@elsewhere.example", "relay", "3@example.org"))
	if !errors.As(err, &perm) || !strings.Contains(err.Error(), "550") {
		t.Errorf("relaying: %v, want a permanent 550", err)
	}
	if ms, _ := h.Messages(customer, Inbox); len(ms) != 0 {
		t.Fatalf("refused mails were delivered: %d", len(ms))
	}

	if err := good.SendMail(ctx, mail(support, customer, "Ticket #7", "4@example.org")); err != nil {
		t.Fatal(err)
	}
	ms, err := h.Messages(customer, Inbox)
	if err != nil || len(ms) != 1 {
		t.Fatalf("customer INBOX: %d mails, %v", len(ms), err)
	}
	m, err := email.Parse(bytes.NewReader(ms[0].Raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Ticket #7" || m.MessageID != "4@example.org" || m.Get("Return-Path") != "<"+support+">" {
		t.Errorf("delivered mail: subject %q, id %q, return-path %q", m.Subject, m.MessageID, m.Get("Return-Path"))
	}
	if ms[0].Seen() {
		t.Error("a new mail is seen")
	}
	if err := h.SetSeen(customer, Inbox, ms[0].UID, true); err != nil {
		t.Fatal(err)
	}
	if ms, _ := h.Messages(customer, Inbox); !ms[0].Seen() {
		t.Error("SetSeen did not set \\Seen")
	}
}

type memCursors struct {
	mu sync.Mutex
	m  map[string]email.Cursor
}

func (c *memCursors) Cursor(_ context.Context, mb string) (email.Cursor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[mb], nil
}

func (c *memCursors) Advance(_ context.Context, mb string, cur email.Cursor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[mb] = cur
	return nil
}

// TestIdleWakesIntake runs the e-mail adapter's intake with an hour's
// poll interval: a mail delivered after it caught up reaches it at once,
// which only IDLE (the server's EXISTS) can do.
func TestIdleWakesIntake(t *testing.T) {
	h := startHost(t)
	got := make(chan email.Incoming, 10)
	in, err := email.NewIntake(email.IMAPConfig{
		Addr: h.IMAPAddr(), Security: email.SecurityNone, Username: support, Password: "support-pw",
		PollInterval: time.Hour, Backlog: true, Timeout: 5 * time.Second, Log: zerolog.New(zerolog.NewTestWriter(t)),
	}, &memCursors{m: map[string]email.Cursor{}}, func(_ context.Context, inc email.Incoming) error {
		got <- inc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	defer func() { cancel(); <-done }()

	good := sender(t, h, customer, "customer-pw")
	for i, id := range []string{"first@example.com", "second@example.com", "third@example.com"} {
		if err := good.SendMail(context.Background(), mail(customer, support, "n", id)); err != nil {
			t.Fatal(err)
		}
		select {
		case inc := <-got:
			m, err := email.Parse(bytes.NewReader(inc.Raw))
			if err != nil || m.MessageID != id || inc.UID != uint32(i+1) {
				t.Fatalf("mail %d: UID %d, %v, %v", i+1, inc.UID, m, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("mail %d did not reach the intake within 10s (poll interval 1h): no IDLE wake-up", i+1)
		}
	}
}

func dialIMAP(t *testing.T, h *Host, user, password string) *client.Client {
	t.Helper()
	c, err := client.Dial(h.IMAPAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Logout() })
	c.Timeout = 5 * time.Second
	if err := c.Login(user, password); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAppend stores a mail in Sent with IMAP APPEND, as a mail client
// keeps what it sent, and reads it back over IMAP; a wrong IMAP password
// is refused; the watchers hear of the new mail.
func TestAppend(t *testing.T) {
	h := startHost(t)
	c, err := client.Dial(h.IMAPAddr())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(customer, "nope"); err == nil {
		t.Error("a wrong IMAP password was accepted")
	}
	_ = c.Logout()

	changes, stop := h.Watch()
	defer stop()
	c = dialIMAP(t, h, customer, "customer-pw")
	raw := "From: cliente@example.com\r\nTo: soporte@example.org\r\nSubject: Guardado\r\nMessage-ID: <s1@example.com>\r\n\r\nhola\r\n"
	if err := c.Append(Sent, []string{imap.SeenFlag}, time.Now(), bytes.NewBufferString(raw)); err != nil {
		t.Fatal(err)
	}
	select {
	case ch := <-changes:
		if ch.Address != customer || ch.Folder != Sent || ch.UID != 1 {
			t.Errorf("change %+v", ch)
		}
	case <-time.After(5 * time.Second):
		t.Error("no change announced for the APPEND")
	}
	if _, err := c.Select(Sent, true); err != nil {
		t.Fatal(err)
	}
	set := new(imap.SeqSet)
	set.AddNum(1)
	msgs := make(chan *imap.Message, 1)
	if err := c.UidFetch(set, []imap.FetchItem{imap.FetchEnvelope, imap.FetchFlags}, msgs); err != nil {
		t.Fatal(err)
	}
	m := <-msgs
	if m == nil || m.Envelope.Subject != "Guardado" || len(m.Flags) != 1 || m.Flags[0] != imap.SeenFlag {
		t.Fatalf("fetched %+v", m)
	}
	if err := c.Append("Papelera", nil, time.Now(), bytes.NewBufferString(raw)); err == nil {
		t.Error("APPEND to a folder that does not exist succeeded")
	}
	if ms, _ := h.Messages(support, Inbox); len(ms) != 0 {
		t.Error("APPEND to the customer's Sent reached the support INBOX")
	}
}

// TestClose ends the servers with a client in IDLE: Close returns, the
// client sees its connection end, the watchers' channels close and the
// Host refuses new mail.
func TestClose(t *testing.T) {
	h := startHost(t)
	changes, _ := h.Watch()
	c := dialIMAP(t, h, support, "support-pw")
	if _, err := c.Select(Inbox, true); err != nil {
		t.Fatal(err)
	}
	stopIdle := make(chan struct{})
	idled := make(chan error, 1)
	go func() { idled <- c.Idle(stopIdle, nil) }()

	closed := make(chan struct{})
	go func() { _ = h.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return within 10s with a client in IDLE")
	}
	select {
	case <-c.LoggedOut():
	case <-time.After(5 * time.Second):
		t.Error("the IDLE client's connection is still open after Close")
	}
	close(stopIdle)
	<-idled
	if _, open := <-changes; open {
		t.Error("a watcher's channel is open after Close")
	}
	if _, err := h.Append(support, Inbox, []byte("Subject: x\r\n\r\nx"), nil, time.Time{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if _, err := client.Dial(h.IMAPAddr()); err == nil {
		t.Error("the IMAP server accepts connections after Close")
	}
}
