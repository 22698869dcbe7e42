package email_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap"
	"golang.org/x/oauth2"

	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/internal/mailtest"
)

// memCursors is an in-memory Cursors, as the Redis one will behave.
type memCursors struct {
	mu       sync.Mutex
	m        map[string]email.Cursor
	err      error             // returned by Advance while set
	advanced chan email.Cursor // each cursor recorded (buffered; dropped when full)
}

func newMemCursors() *memCursors {
	return &memCursors{m: map[string]email.Cursor{}, advanced: make(chan email.Cursor, 100)}
}

func (c *memCursors) Cursor(_ context.Context, mailbox string) (email.Cursor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[mailbox], nil
}

func (c *memCursors) Advance(_ context.Context, mailbox string, cur email.Cursor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	c.m[mailbox] = cur
	select {
	case c.advanced <- cur:
	default:
	}
	return nil
}

func (c *memCursors) get(mailbox string) email.Cursor {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[mailbox]
}

// recorder is a Handler that records what it is handed and can fail.
type recorder struct {
	mu   sync.Mutex
	got  []email.Incoming
	at   []time.Time
	ch   chan email.Incoming
	fail func(email.Incoming) error
}

func newRecorder() *recorder { return &recorder{ch: make(chan email.Incoming, 100)} }

func (r *recorder) handle(_ context.Context, in email.Incoming) error {
	r.mu.Lock()
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(in); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.got = append(r.got, in)
	r.at = append(r.at, time.Now())
	r.mu.Unlock()
	r.ch <- in
	return nil
}

// next waits for the next mail handled.
func (r *recorder) next(t *testing.T, timeout time.Duration) email.Incoming {
	t.Helper()
	select {
	case in := <-r.ch:
		return in
	case <-time.After(timeout):
		t.Fatalf("no mail handled within %s", timeout)
		return email.Incoming{}
	}
}

// none checks that nothing more is handled within d.
func (r *recorder) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case in := <-r.ch:
		t.Fatalf("mail UID %d (%s) handled again or unexpectedly", in.UID, in.MessageID)
	case <-time.After(d):
	}
}

func testMail(id, subject, body string) []byte {
	return crlf(fmt.Sprintf("From: Ana <ana@example.test>\nTo: soporte@example.test\nSubject: %s\nMessage-ID: <%s>\nDate: Mon, 30 Nov 2026 10:00:00 -0500\n\n%s\n", subject, id, body))
}

type intakeOpts struct {
	addr     string
	mailbox  string
	fromNow  bool // no backlog: start after the newest mail
	tokens   oauth2.TokenSource
	poll     time.Duration
	maxSize  int64
	security email.Security
}

// runIntake runs an intake until the test ends (or stop is called) and
// returns stop, which waits for Run to return and fails if it errs.
func runIntake(t *testing.T, srv *mailtest.IMAP, cur email.Cursors, rec *recorder, o intakeOpts) (stop func()) {
	t.Helper()
	if o.addr == "" {
		o.addr = srv.Addr
	}
	if o.poll == 0 {
		o.poll = time.Hour // only IDLE (or the first sync) may find mail
	}
	if o.security == 0 {
		o.security = email.SecurityNone
	}
	password := srv.Password
	if o.tokens != nil {
		password = ""
	}
	in, err := email.NewIntake(email.IMAPConfig{
		Addr: o.addr, Security: o.security, TLSConfig: srv.TLSConfig(),
		Username: srv.User, Password: password, TokenSource: o.tokens, Mailbox: o.mailbox, Backlog: !o.fromNow,
		PollInterval: o.poll, MaxSize: o.maxSize,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, Timeout: 10 * time.Second,
	}, cur, rec.handle)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestIntakeHandlesEachMailOnce(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	a, b := testMail("a@example.test", "uno", "primero"), testMail("b@example.test", "dos", "segundo")
	uidA := srv.Append(t, "INBOX", a)
	srv.Append(t, "INBOX", b)
	cur, rec := newMemCursors(), newRecorder()
	stop := runIntake(t, srv, cur, rec, intakeOpts{})

	got := []email.Incoming{rec.next(t, 10*time.Second), rec.next(t, 10*time.Second)}
	if got[0].UID != uidA || got[1].UID != uidA+1 || !bytes.Equal(got[0].Raw, a) || !bytes.Equal(got[1].Raw, b) {
		t.Fatalf("handled %d %q, %d %q", got[0].UID, got[0].Raw, got[1].UID, got[1].Raw)
	}
	if got[0].MessageID != "a@example.test" || got[0].Subject != "uno" || got[0].From.Address != "ana@example.test" ||
		got[0].Size != int64(len(a)) || got[0].Received.IsZero() || got[0].TooLarge || got[0].Resync {
		t.Errorf("envelope of the first mail: %+v", got[0])
	}
	c := srv.Append(t, "INBOX", testMail("c@example.test", "tres", "tercero"))
	if in := rec.next(t, 10*time.Second); in.UID != c || in.MessageID != "c@example.test" {
		t.Errorf("third mail: %d %s", in.UID, in.MessageID)
	}
	stop()
	if cur := cur.get("INBOX"); cur.UID != c || cur.UIDValidity == 0 {
		t.Errorf("cursor after three mails: %+v", cur)
	}

	// A new intake on the same cursors (a restart, another replica) hands
	// over only what is new.
	rec2 := newRecorder()
	runIntake(t, srv, cur, rec2, intakeOpts{})
	d := srv.Append(t, "INBOX", testMail("d@example.test", "cuatro", "cuarto"))
	if in := rec2.next(t, 10*time.Second); in.UID != d {
		t.Errorf("after a restart the first mail handled is UID %d; want %d", in.UID, d)
	}
	rec2.none(t, 300*time.Millisecond)

	for _, m := range srv.Messages(t, "INBOX") {
		if m.Seen() {
			t.Errorf("mail UID %d was marked \\Seen", m.UID)
		}
	}
	if n := len(srv.Messages(t, "INBOX")); n != 4 {
		t.Errorf("the mailbox holds %d mails; want all 4 (nothing deleted or moved)", n)
	}
}

func TestIntakeStartsAfterNewest(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	srv.Append(t, "INBOX", testMail("old@example.test", "viejo", "x"))
	cur, rec := newMemCursors(), newRecorder()
	runIntake(t, srv, cur, rec, intakeOpts{fromNow: true})
	select { // the first run records where it starts
	case <-cur.advanced:
	case <-time.After(10 * time.Second):
		t.Fatal("the intake did not start")
	}
	uid := srv.Append(t, "INBOX", testMail("new@example.test", "nuevo", "x"))
	if in := rec.next(t, 10*time.Second); in.UID != uid {
		t.Errorf("handled UID %d (%s); want only the new mail %d", in.UID, in.MessageID, uid)
	}
	rec.none(t, 300*time.Millisecond)
}

func TestIntakeIdleWakesWithinASecond(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	cur, rec := newMemCursors(), newRecorder()
	runIntake(t, srv, cur, rec, intakeOpts{poll: time.Hour})
	var worst time.Duration
	for i := range 5 {
		srv.Append(t, "INBOX", testMail(fmt.Sprintf("idle%d@example.test", i), "idle", "x"))
		sent := time.Now() // the mail is in the mailbox
		rec.next(t, 5*time.Second)
		if d := time.Since(sent); d > worst {
			worst = d
		}
	}
	t.Logf("append to handler, worst of 5 with IDLE: %s", worst)
	if worst > time.Second {
		t.Errorf("IDLE took %s to bring a mail; want under a second", worst)
	}
}

func TestIntakeTooLarge(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	cur, rec := newMemCursors(), newRecorder()
	runIntake(t, srv, cur, rec, intakeOpts{maxSize: 4000})
	big := testMail("big@example.test", "grande", strings.Repeat("0123456789abcdef\n", 500))
	small := testMail("small@example.test", "chico", "x")
	srv.Append(t, "INBOX", big)
	srv.Append(t, "INBOX", small)
	in := rec.next(t, 10*time.Second)
	if !in.TooLarge || in.Raw != nil || in.Size != int64(len(big)) || in.MessageID != "big@example.test" {
		t.Fatalf("the big mail: TooLarge %v, %d raw bytes, size %d, id %s", in.TooLarge, len(in.Raw), in.Size, in.MessageID)
	}
	if !bytes.Contains(in.Header, []byte("Subject: grande")) || bytes.Contains(in.Header, []byte("0123456789")) {
		t.Errorf("the big mail's Header = %q; want the header only", in.Header)
	}
	m, err := email.Parse(bytes.NewReader(in.Header))
	if err != nil || m.From.Address != "ana@example.test" || m.MessageID != "big@example.test" {
		t.Errorf("the header parses to %+v, %v", m, err)
	}
	if in := rec.next(t, 10*time.Second); in.TooLarge || !bytes.Equal(in.Raw, small) {
		t.Errorf("the small mail after it: %+v", in)
	}
}

func TestIntakeRetriesAfterHandlerError(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	cur, rec := newMemCursors(), newRecorder()
	var mu sync.Mutex
	failures := 0
	rec.fail = func(in email.Incoming) error {
		mu.Lock()
		defer mu.Unlock()
		if in.MessageID == "flaky@example.test" && failures < 2 {
			failures++
			return errors.New("store unavailable")
		}
		return nil
	}
	runIntake(t, srv, cur, rec, intakeOpts{})
	flaky := srv.Append(t, "INBOX", testMail("flaky@example.test", "falla", "x"))
	after := srv.Append(t, "INBOX", testMail("after@example.test", "despues", "x"))
	if in := rec.next(t, 10*time.Second); in.UID != flaky {
		t.Fatalf("first handled UID %d; want the failing mail %d first, in order", in.UID, flaky)
	}
	if in := rec.next(t, 10*time.Second); in.UID != after {
		t.Fatalf("then UID %d; want %d", in.UID, after)
	}
	mu.Lock()
	defer mu.Unlock()
	if failures != 2 {
		t.Errorf("the handler failed %d times; want 2", failures)
	}
	rec.none(t, 200*time.Millisecond)
}

func TestIntakeCursorErrorRehandles(t *testing.T) {
	// A crash between the handler and the cursor (here: the cursor cannot
	// be written) offers the mail again: the handler must deduplicate.
	srv := mailtest.StartIMAP(t)
	cur, rec := newMemCursors(), newRecorder()
	runIntake(t, srv, cur, rec, intakeOpts{})
	first := rec.next // readability
	select {          // the intake has started
	case <-cur.advanced:
	case <-time.After(10 * time.Second):
		t.Fatal("the intake did not start")
	}
	cur.mu.Lock()
	cur.err = errors.New("redis down")
	cur.mu.Unlock()
	uid := srv.Append(t, "INBOX", testMail("dup@example.test", "dup", "x"))
	if in := first(t, 10*time.Second); in.UID != uid {
		t.Fatalf("handled %d", in.UID)
	}
	if in := rec.next(t, 10*time.Second); in.UID != uid {
		t.Fatalf("after the cursor failed, handled %d; want %d again", in.UID, uid)
	}
	cur.mu.Lock()
	cur.err = nil
	cur.mu.Unlock()
	// Once the cursor can be written the mail stops coming back. The
	// handler records a mail before the intake advances the cursor, so the
	// wait listens to both: a last handling may be followed by no other.
	deadline := time.After(10 * time.Second)
	for cur.get("INBOX").UID != uid {
		select {
		case <-rec.ch:
		case <-cur.advanced:
		case <-deadline:
			t.Fatal("the cursor never advanced")
		}
	}
	rec.none(t, 300*time.Millisecond)
}

func TestIntakeUIDValidityChange(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	const box = "Soporte"
	earlier := time.Now().Add(-time.Hour)
	srv.AppendAt(t, box, testMail("a@example.test", "a", "x"), earlier.Add(-time.Hour))
	srv.AppendAt(t, box, testMail("b@example.test", "b", "x"), earlier)
	cur, rec := newMemCursors(), newRecorder()
	stop := runIntake(t, srv, cur, rec, intakeOpts{mailbox: box})
	rec.next(t, 10*time.Second)
	if in := rec.next(t, 10*time.Second); in.MessageID != "b@example.test" {
		t.Fatalf("second mail %s", in.MessageID)
	}
	stop()
	before := cur.get(box)

	// The folder is rebuilt: new UIDVALIDITY, the old mails back with new
	// UIDs, and a mail that arrived meanwhile.
	c := srv.Client(t)
	if err := c.Delete(box); err != nil {
		t.Fatal(err)
	}
	srv.AppendAt(t, box, testMail("a@example.test", "a", "x"), earlier.Add(-time.Hour))
	srv.AppendAt(t, box, testMail("b@example.test", "b", "x"), earlier)
	srv.Append(t, box, testMail("c@example.test", "c", "x"))
	st, err := c.Status(box, []imap.StatusItem{imap.StatusUidValidity})
	if err != nil {
		t.Fatal(err)
	}
	if st.UidValidity == before.UIDValidity {
		t.Fatalf("the rebuilt folder kept UIDVALIDITY %d", st.UidValidity)
	}
	rec2 := newRecorder()
	runIntake(t, srv, cur, rec2, intakeOpts{mailbox: box})
	var ids []string
	var resync []bool
	// b arrived in the same second as the last mail handled, so it may be
	// offered again (flagged); a must not be; c must be.
	for {
		in := rec2.next(t, 10*time.Second)
		ids, resync = append(ids, in.MessageID), append(resync, in.Resync)
		if in.MessageID == "c@example.test" {
			break
		}
	}
	rec2.none(t, 300*time.Millisecond)
	if slices.Contains(ids, "a@example.test") {
		t.Errorf("after the UIDVALIDITY change %v were handled; a is older than the cursor", ids)
	}
	for i, r := range resync {
		if !r {
			t.Errorf("mail %s after the change is not flagged Resync", ids[i])
		}
	}
	if after := cur.get(box); after.UIDValidity != st.UidValidity {
		t.Errorf("cursor UIDVALIDITY %d; want the new %d", after.UIDValidity, st.UidValidity)
	}
}

func TestIntakeWithoutIdlePolls(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	proxy := mailtest.StartIMAPProxy(t, srv.Addr)
	proxy.HideIDLE(true)
	cur, rec := newMemCursors(), newRecorder()
	runIntake(t, srv, cur, rec, intakeOpts{addr: proxy.Addr, poll: 300 * time.Millisecond})
	for i := range 3 {
		uid := srv.Append(t, "INBOX", testMail(fmt.Sprintf("p%d@example.test", i), "poll", "x"))
		if in := rec.next(t, 5*time.Second); in.UID != uid {
			t.Fatalf("handled %d; want %d", in.UID, uid)
		}
	}
	if n := proxy.Connections(); n != 1 {
		t.Errorf("%d connections; polling should keep one", n)
	}
}

func TestIntakeSilentIdlePollCatches(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	proxy := mailtest.StartIMAPProxy(t, srv.Addr)
	cur, rec := newMemCursors(), newRecorder()
	runIntake(t, srv, cur, rec, intakeOpts{addr: proxy.Addr, poll: 500 * time.Millisecond})
	first := srv.Append(t, "INBOX", testMail("first@example.test", "x", "x"))
	if in := rec.next(t, 5*time.Second); in.UID != first {
		t.Fatalf("handled %d", in.UID)
	}
	proxy.MuteUpdates(true) // IDLE stays up but never tells of new mail
	uid := srv.Append(t, "INBOX", testMail("silent@example.test", "x", "x"))
	if in := rec.next(t, 5*time.Second); in.UID != uid {
		t.Fatalf("handled %d; want %d", in.UID, uid)
	}
}

func TestIntakeReconnectsWithBackoff(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	proxy := mailtest.StartIMAPProxy(t, srv.Addr)
	cur, rec := newMemCursors(), newRecorder()
	runIntake(t, srv, cur, rec, intakeOpts{addr: proxy.Addr})
	first := srv.Append(t, "INBOX", testMail("first@example.test", "x", "x"))
	rec.next(t, 5*time.Second)

	// The server goes away: every connection dropped, new ones refused.
	proxy.Refuse(true)
	proxy.DropAll()
	var attempts []time.Time
	for len(attempts) < 5 {
		select {
		case at := <-proxy.Refused():
			attempts = append(attempts, at)
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d reconnection attempts", len(attempts))
		}
	}
	firstGap, lastGap := attempts[1].Sub(attempts[0]), attempts[4].Sub(attempts[3])
	t.Logf("reconnection gaps: first %s, fourth %s", firstGap, lastGap)
	if lastGap <= firstGap {
		t.Errorf("the wait did not grow: first gap %s, fourth %s", firstGap, lastGap)
	}
	// Mail that arrives during the outage is handled once it ends.
	uid := srv.Append(t, "INBOX", testMail("during@example.test", "x", "x"))
	proxy.Refuse(false)
	if in := rec.next(t, 10*time.Second); in.UID != uid {
		t.Fatalf("after the outage handled %d; want %d", in.UID, uid)
	}
	rec.none(t, 300*time.Millisecond)
	if cur.get("INBOX").UID != uid || first >= uid {
		t.Errorf("cursor %+v", cur.get("INBOX"))
	}
}

func TestIntakeOverTLS(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	for _, tc := range []struct {
		name string
		addr string
		sec  email.Security
	}{
		{"implicit tls", srv.TLSAddr, email.SecurityTLS},
		{"starttls", srv.Addr, email.SecurityStartTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			box := strings.ReplaceAll(tc.name, " ", "-")
			uid := srv.Append(t, box, testMail(box+"@example.test", "tls", "x"))
			cur, rec := newMemCursors(), newRecorder()
			runIntake(t, srv, cur, rec, intakeOpts{addr: tc.addr, security: tc.sec, mailbox: box})
			if in := rec.next(t, 10*time.Second); in.UID != uid {
				t.Errorf("handled %d; want %d", in.UID, uid)
			}
		})
	}
}

func TestIntakeWrongPasswordKeepsTrying(t *testing.T) {
	srv := mailtest.StartIMAP(t)
	proxy := mailtest.StartIMAPProxy(t, srv.Addr)
	rec := newRecorder()
	in, err := email.NewIntake(email.IMAPConfig{Addr: proxy.Addr, Security: email.SecurityNone, Username: srv.User,
		Password: "wrong", MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}, newMemCursors(), rec.handle)
	if err != nil {
		t.Fatal(err)
	}
	srv.Append(t, "INBOX", testMail("x@example.test", "x", "x"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	for range 3 { // it tries again and again
		select {
		case <-proxy.Accepted():
		case <-time.After(10 * time.Second):
			t.Fatal("no new attempt")
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	rec.none(t, 0)
}

func TestNewIntakeRefusesBadConfig(t *testing.T) {
	h := func(context.Context, email.Incoming) error { return nil }
	for name, cfg := range map[string]email.IMAPConfig{
		"no port":     {Addr: "imap.example.test", Security: email.SecurityTLS, Username: "u"},
		"no security": {Addr: "imap.example.test:993", Username: "u"},
		"no user":     {Addr: "imap.example.test:993", Security: email.SecurityTLS},
	} {
		if _, err := email.NewIntake(cfg, newMemCursors(), h); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := email.NewIntake(email.IMAPConfig{Addr: "imap.example.test:993", Security: email.SecurityTLS, Username: "u"}, nil, h); err == nil {
		t.Error("nil Cursors accepted")
	}
}

func TestIntakeXOAUTH2(t *testing.T) {
	srv := mailtest.StartIMAP(t, mailtest.IMAPOAuth2())
	url, issued := tokenEndpoint(t, 3600)
	srv.AllowToken("at-1")
	ts, err := email.OAuth2Config{TokenURL: url, ClientID: "client-1", RefreshToken: "rt-1"}.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	uid := srv.Append(t, "INBOX", testMail("oauth@example.test", "oauth", "x"))
	cur, rec := newMemCursors(), newRecorder()
	runIntake(t, srv, cur, rec, intakeOpts{tokens: ts})
	if in := rec.next(t, 10*time.Second); in.UID != uid {
		t.Errorf("handled %d; want %d", in.UID, uid)
	}
	if n := issued.Load(); n != 1 {
		t.Errorf("%d tokens issued; want 1", n)
	}
}
