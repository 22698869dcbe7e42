package email_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/internal/mailtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// desk is the product's storage and core on a test's Redis prefix.
type desk struct {
	st  *store.Store
	svc *tickets.Service
}

func newDesk(rdb redis.UniversalClient, prefix string, obs tickets.Observer) *desk {
	st := store.New(rdb, store.Options{Prefix: prefix})
	return &desk{st: st, svc: tickets.NewService(st, st, st, tickets.Config{TermsVersion: "v1", Observer: obs})}
}

// sink is a MailSender that keeps what it is given.
type sink struct {
	mu   sync.Mutex
	sent []*email.Outgoing
}

func (s *sink) SendMail(_ context.Context, o *email.Outgoing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, o)
	return nil
}

// botConfig is a Bot's configuration for the test's dovecot.
func botConfig(addr, user, password string, poll time.Duration) email.Config {
	return email.Config{
		IMAP: email.IMAPConfig{Addr: addr, Security: email.SecurityNone, Username: user, Password: password,
			PollInterval: poll, Backlog: true, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
		SMTP:     email.SMTPConfig{Addr: "127.0.0.1:1", Security: email.SecurityNone},
		From:     email.Address{Name: "Soporte", Address: "soporte@colombiainformatica.com"},
		IDSecret: []byte("a secret for the test's message ids"), MaxNewPerHour: 1000,
		LeaseTTL: 300 * time.Millisecond,
	}
}

// alwaysLease is a lease store that grants every holder every lease: two
// intakes then read one folder at once, as an intake that lost its lease
// and the one that took over would for a moment.
type alwaysLease struct{}

func (alwaysLease) Acquire(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}
func (alwaysLease) Release(context.Context, string, string) error { return nil }
func (alwaysLease) Wait(ctx context.Context, _ string, d time.Duration) error {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	return nil
}

// ownCursors gives a Bot cursors of its own over the shared storage, so
// that two Bots both read every mail.
type ownCursors struct {
	email.Storage
	mu  sync.Mutex
	cur map[string]email.Cursor
}

func (c *ownCursors) Cursor(_ context.Context, mb string) (email.Cursor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur[mb], nil
}

func (c *ownCursors) Advance(_ context.Context, mb string, cur email.Cursor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur[mb] = cur
	return nil
}

func (c *ownCursors) uid(mb string) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur[mb].UID
}

func newBot(t testing.TB, d *desk, cfg email.Config, st email.Storage, leases email.Deps) *email.Bot {
	t.Helper()
	leases.Service, leases.Storage, leases.Marks = d.svc, st, store.NewInbound(d.st)
	if leases.Leases == nil {
		leases.Leases = store.NewLeases(d.st)
	}
	leases.Outbox = delivery.NewInline()
	if leases.Sender == nil {
		leases.Sender = &sink{}
	}
	b, err := email.New(cfg, leases)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func personMail(i int) []byte {
	return fmt.Appendf(nil, "From: Cliente %d <c%d@example.com>\r\nTo: soporte@colombiainformatica.com\r\n"+
		"Subject: Pedido %d\r\nMessage-ID: <m%d@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHola %d\r\n", i, i, i, i, i)
}

// countTickets returns how many tickets exist, by number from 1.
func countTickets(t testing.TB, svc *tickets.Service, max int) int {
	t.Helper()
	n := 0
	for i := 1; i <= max; i++ {
		if _, err := svc.Get(context.Background(), tickets.SystemActor, int64(i)); err == nil {
			n++
		}
	}
	return n
}

// TestExactlyOnceAcrossOverlap: two intakes read the same folder at once,
// one woken by IDLE and one polling a server without IDLE (a proxy hides
// it), each with cursors of its own, as a lease changing hands or IDLE and
// the poll seeing the same mail would: every mail opens exactly one
// ticket.
func TestExactlyOnceAcrossOverlap(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	proxy := mailtest.StartIMAPProxy(t, srv.Addr)
	proxy.HideIDLE(true)
	rdb, prefix := redistest.Client(t)
	d := newDesk(rdb, prefix, nil)
	shared := store.NewEmail(d.st)
	const mails = 12
	for i := 1; i <= mails/2; i++ {
		srv.Append(t, "INBOX", personMail(i))
	}
	a := &ownCursors{Storage: shared, cur: map[string]email.Cursor{}}
	b := &ownCursors{Storage: shared, cur: map[string]email.Cursor{}}
	botA := newBot(t, d, botConfig(srv.Addr, srv.User, srv.Password, time.Minute), a, email.Deps{Leases: alwaysLease{}})
	botB := newBot(t, d, botConfig(proxy.Addr, srv.User, srv.Password, 30*time.Millisecond), b, email.Deps{Leases: alwaysLease{}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, bot := range []*email.Bot{botA, botB} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = bot.Run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()
	var last uint32
	for i := mails/2 + 1; i <= mails; i++ {
		last = srv.Append(t, "INBOX", personMail(i))
	}
	eventually(t, "both intakes at the last mail", func() bool { return a.uid("INBOX") >= last && b.uid("INBOX") >= last })
	if n := countTickets(t, d.svc, 2*mails); n != mails {
		t.Errorf("%d tickets for %d mails read twice each; want exactly one each", n, mails)
	}
}

// TestHelperProcess is not a test: it is the e-mail intake process that
// TestExactlyOnceAcrossKill starts (re-executing the test binary). With
// EMAIL_KILL set it kills itself with SIGKILL as soon as a mail opened a
// ticket: after the ticket is stored, before the mail is marked done and
// the cursor passes it.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("EMAIL_HELPER") != "1" {
		t.Skip("helper process for the crash test")
	}
	opt, err := redis.ParseURL(os.Getenv("EMAIL_REDIS"))
	if err != nil {
		t.Fatal(err)
	}
	var obs tickets.Observer
	if os.Getenv("EMAIL_KILL") == "1" {
		obs = killOnOpen{}
	}
	d := newDesk(redis.NewClient(opt), os.Getenv("EMAIL_PREFIX"), obs)
	cfg := botConfig(os.Getenv("EMAIL_IMAP"), os.Getenv("EMAIL_USER"), os.Getenv("EMAIL_PASSWORD"), time.Minute)
	cfg.IMAP.Backlog = false
	bot := newBot(t, d, cfg, store.NewEmail(d.st), email.Deps{})
	_ = bot.Run(context.Background()) // until killed
}

// killOnOpen kills the process when a ticket is opened.
type killOnOpen struct{}

func (killOnOpen) Observe(string, time.Duration, error) {}
func (killOnOpen) Emitted(e tickets.Event) {
	if e.Kind == tickets.EventOpened {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
}

func startHelper(t *testing.T, srv *mailtest.IMAP, redisURL, prefix string, kill bool) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	k := "0"
	if kill {
		k = "1"
	}
	cmd.Env = append(os.Environ(), "EMAIL_HELPER=1", "EMAIL_REDIS="+redisURL, "EMAIL_PREFIX="+prefix, "EMAIL_KILL="+k,
		"EMAIL_IMAP="+srv.Addr, "EMAIL_USER="+srv.User, "EMAIL_PASSWORD="+srv.Password)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// TestExactlyOnceAcrossKill: the intake process is killed with SIGKILL
// between storing the ticket a mail opened and recording the mail (its
// inbound mark and the folder's cursor); the process that takes over reads
// the mail again and opens no second ticket.
func TestExactlyOnceAcrossKill(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	url := redistest.URL(t)
	rdb, prefix := redistest.Client(t)
	d := newDesk(rdb, prefix, nil)
	cursors := store.NewEmail(d.st)
	ctx := context.Background()
	waitCursor := func(what string, cond func(email.Cursor) bool) {
		t.Helper()
		eventually(t, what, func() bool {
			c, err := cursors.Cursor(ctx, "INBOX")
			return err == nil && cond(c)
		})
	}
	first := startHelper(t, srv, url, prefix, true)
	waitCursor("the first intake", func(c email.Cursor) bool { return c.UIDValidity != 0 })
	uid := srv.Append(t, "INBOX", personMail(1))
	done := make(chan error, 1)
	go func() { done <- first.Wait() }()
	select {
	case err := <-done:
		if ws, ok := first.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("the helper ended with %v; want killed after opening the ticket", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the helper was not killed: the mail opened no ticket")
	}
	if n := countTickets(t, d.svc, 3); n != 1 {
		t.Fatalf("%d tickets after the kill; want the one stored before it", n)
	}
	if c, _ := cursors.Cursor(ctx, "INBOX"); c.UID >= uid {
		t.Fatalf("the cursor passed the mail (UID %d) before the kill: %+v", uid, c)
	}
	startHelper(t, srv, url, prefix, false)
	waitCursor("the mail handled again", func(c email.Cursor) bool { return c.UID >= uid })
	if n := countTickets(t, d.svc, 3); n != 1 {
		t.Errorf("%d tickets after the mail was read again; want 1", n)
	}
	ts, err := d.svc.CustomerTickets(ctx, tickets.SystemActor, "email:c1@example.com", 0, 10)
	if err != nil || len(ts) != 1 {
		t.Errorf("the customer's tickets: %d, %v", len(ts), err)
	}
}

// eventually waits up to 30 s for cond, checked every 10 ms: what it
// waits for (a cursor in Redis, another process's progress) sends no
// signal.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("waiting for %s: timed out", what)
		case <-tick.C:
		}
	}
}
