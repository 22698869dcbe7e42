package mailtest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/internal/testproc"
	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"
)

// IMAP is a dovecot of the test's own: a real IMAP server on 127.0.0.1,
// with one user (User, Password) whose mail is a maildir under a temporary
// directory. It listens without TLS on Addr and with implicit TLS (a
// self-signed certificate that TLSConfig trusts) on TLSAddr.
type IMAP struct {
	// Addr is the plain IMAP listener's host:port (STARTTLS offered).
	Addr string
	// TLSAddr is the implicit-TLS (imaps) listener's host:port.
	TLSAddr string
	// User and Password log in; User is also the mailbox's address.
	User, Password string

	dir      string
	cert     *certificate
	uid, gid int // the user dovecot runs as; -1 for the current one

	mu   sync.Mutex
	proc *testproc.Proc

	oauth2URL string          // the token introspection endpoint, with IMAPOAuth2
	tokenMu   sync.Mutex      //
	tokens    map[string]bool // the access tokens accepted for User
}

// IMAPOption changes how StartIMAP sets up the server.
type IMAPOption func(testing.TB, *IMAP)

// IMAPOAuth2 makes the server accept XOAUTH2 (and OAUTHBEARER) logins of
// User with the access tokens given to AllowToken: dovecot's oauth2 passdb
// asks a token introspection endpoint the helper serves.
func IMAPOAuth2() IMAPOption {
	return func(tb testing.TB, s *IMAP) {
		srv := httptest.NewServer(http.HandlerFunc(s.introspect))
		tb.Cleanup(srv.Close)
		s.oauth2URL = srv.URL + "/introspect"
	}
}

// AllowToken makes an IMAPOAuth2 server accept token for User.
func (s *IMAP) AllowToken(token string) {
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	s.tokens[token] = true
}

// introspect answers dovecot's RFC 7662 token introspection (POST token=).
func (s *IMAP) introspect(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	tok := r.Form.Get("token")
	s.tokenMu.Lock()
	ok := s.tokens[tok]
	s.tokenMu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		_, _ = w.Write([]byte(`{"active":false}`))
		return
	}
	_, _ = fmt.Fprintf(w, `{"active":true,"username":%q}`, s.User)
}

// The test account of every IMAP server.
const (
	imapUser     = "soporte@example.test"
	imapPassword = "clave-de-prueba"
)

// StartIMAP starts a dovecot for tb, stopped at cleanup. Dovecot runs as an
// unprivileged user: "nobody" when the test runs as root (as CI does),
// the current user otherwise. Without dovecot (Debian's dovecot-imapd) the
// test is skipped, or fails under CI=true.
func StartIMAP(tb testing.TB, opts ...IMAPOption) *IMAP {
	tb.Helper()
	bin, err := dovecotBinary()
	if err != nil {
		unavailable(tb, "dovecot (apt-get install dovecot-imapd)", err)
	}
	uid, gid, name, group, err := unprivileged()
	if err != nil {
		unavailable(tb, "an unprivileged user for dovecot", err)
	}
	dir, err := os.MkdirTemp(tempRoot(uid >= 0), "mailtest-imap-")
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	s := &IMAP{User: imapUser, Password: imapPassword, dir: dir, uid: uid, gid: gid, tokens: map[string]bool{}}
	for _, o := range opts {
		o(tb, s)
	}
	if s.cert, err = selfSigned(dir); err != nil {
		tb.Fatalf("mailtest: certificate: %v", err)
	}
	var lastErr error
	for range 5 {
		if lastErr = s.configure(name, group); lastErr != nil {
			break
		}
		lastErr = s.start(bin)
		if !errors.Is(lastErr, testproc.ErrPortTaken) {
			break
		}
	}
	if lastErr != nil {
		tb.Fatalf("mailtest: start dovecot: %v", lastErr)
	}
	tb.Cleanup(s.Stop)
	return s
}

// tempRoot returns where the server's directory goes: the usual temporary
// directory, unless another user must reach it (dovecot dropped to nobody)
// and one of its parents is closed to others (TMPDIR under /root), then
// /tmp.
func tempRoot(otherUser bool) string {
	dir := os.TempDir()
	if !otherUser {
		return dir
	}
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

func dovecotBinary() (string, error) {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p, nil
	}
	const debian = "/usr/sbin/dovecot" // not on a non-root user's PATH
	if _, err := os.Stat(debian); err != nil {
		return "", fmt.Errorf("dovecot is not on PATH nor at %s", debian)
	}
	return debian, nil
}

// unprivileged returns the user dovecot runs as: nobody for root, else the
// current user (uid -1: no change).
func unprivileged() (uid, gid int, name, group string, err error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return 0, 0, "", "", err
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			return 0, 0, "", "", err
		}
		return -1, -1, u.Username, g.Name, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return 0, 0, "", "", err
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return 0, 0, "", "", err
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, u.Username, g.Name, nil
}

// configure writes dovecot.conf and the passwd file with new free ports,
// and hands the directory to the server's user.
func (s *IMAP) configure(userName, groupName string) error {
	ports, err := testproc.FreePorts(2)
	if err != nil {
		return err
	}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	s.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	uid, gid := s.uid, s.gid
	if uid < 0 {
		uid, gid = os.Getuid(), os.Getgid()
	}
	d := s.dir
	conf := fmt.Sprintf(`# mailtest: a dovecot of one test, run as %[2]s.
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = mailtest-%[4]d
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
# Refuse a wrong password at once (the default waits 2 s), so tests of a
# refused login run fast; the anvil service below also turns off the
# growing penalty dovecot puts on an address after failures.
auth_failure_delay = 0
default_internal_user = %[2]s
default_internal_group = %[3]s
default_login_user = %[2]s
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:%[1]s/mail/%%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[6]d gid=%[7]d home=%[1]s/home/%%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[4]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[5]d
    ssl = yes
  }
  chroot =
}
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`, d, userName, groupName, ports[0], ports[1], uid, gid)
	for _, sub := range []string{"run", "state", "mail", "home"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(d, "dovecot.conf"), []byte(conf), 0o644); err != nil {
		return err
	}
	if s.oauth2URL != "" {
		conf += fmt.Sprintf(`auth_mechanisms = plain login xoauth2 oauthbearer
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = %[1]s/oauth2.conf
}
`, d)
		oconf := "introspection_mode = post\nintrospection_url = " + s.oauth2URL +
			"\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n"
		if err := os.WriteFile(filepath.Join(d, "oauth2.conf"), []byte(oconf), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "dovecot.conf"), []byte(conf), 0o644); err != nil {
			return err
		}
	}
	passwd := s.User + ":{PLAIN}" + s.Password + "\n"
	if err := os.WriteFile(filepath.Join(d, "passwd"), []byte(passwd), 0o600); err != nil {
		return err
	}
	if err := os.Chmod(d, 0o755); err != nil {
		return err
	}
	if s.uid >= 0 {
		return filepath.Walk(d, func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, s.uid, s.gid)
		})
	}
	return nil
}

// start runs dovecot in the foreground and waits until the test user can
// log in.
func (s *IMAP) start(bin string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	p, err := testproc.Start(testproc.Spec{
		Name: "dovecot on " + s.Addr, Path: bin, Args: []string{"-F", "-c", filepath.Join(s.dir, "dovecot.conf")},
		Output: filepath.Join(s.dir, "stderr.log"), UID: s.uid, GID: s.gid,
		Ready:   func(int) error { return s.tryLogin() },
		Timeout: 15 * time.Second,
		Log:     s.logTail,
	})
	if err != nil {
		return err
	}
	s.proc = p
	return nil
}

// tryLogin logs in and out once, with short timeouts.
func (s *IMAP) tryLogin() error {
	conn, err := net.DialTimeout("tcp", s.Addr, 250*time.Millisecond)
	if err != nil {
		return err
	}
	c, err := client.New(conn)
	if err != nil {
		conn.Close()
		return err
	}
	c.Timeout = 2 * time.Second
	defer c.Logout()
	return c.Login(s.User, s.Password)
}

// Stop kills dovecot (SIGKILL: an abrupt outage) and waits for it.
func (s *IMAP) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.proc.Kill()
	s.proc = nil
}

// Restart starts dovecot again on the same ports and mail after Stop.
func (s *IMAP) Restart(tb testing.TB) {
	tb.Helper()
	bin, err := dovecotBinary()
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	if err := s.start(bin); err != nil {
		tb.Fatalf("mailtest: restart dovecot: %v", err)
	}
}

// TLSConfig returns a client TLS configuration that trusts the server's
// self-signed certificate (for TLSAddr and STARTTLS on Addr).
func (s *IMAP) TLSConfig() *tls.Config { return s.cert.clientConfig() }

func (s *IMAP) logTail() string {
	return testproc.Tail(4, filepath.Join(s.dir, "stderr.log"), filepath.Join(s.dir, "dovecot.log"))
}

// Client returns a client logged in as the test user, logged out at
// cleanup: the test's own view of the mailbox (it may change flags, create
// or delete folders).
func (s *IMAP) Client(tb testing.TB) *client.Client {
	tb.Helper()
	c, err := client.Dial(s.Addr)
	if err != nil {
		tb.Fatalf("mailtest: dial %s: %v", s.Addr, err)
	}
	c.Timeout = 30 * time.Second
	if err := c.Login(s.User, s.Password); err != nil {
		c.Logout()
		tb.Fatalf("mailtest: login: %v", err)
	}
	tb.Cleanup(func() { _ = c.Logout() })
	return c
}

// Append stores raw in mailbox (created if missing; "INBOX" always exists),
// as a mail server delivering it would, and returns its UID.
func (s *IMAP) Append(tb testing.TB, mailbox string, raw []byte) uint32 {
	tb.Helper()
	return s.AppendAt(tb, mailbox, raw, time.Now())
}

// AppendAt is Append with the arrival time (INTERNALDATE) given.
func (s *IMAP) AppendAt(tb testing.TB, mailbox string, raw []byte, received time.Time) uint32 {
	tb.Helper()
	c := s.Client(tb)
	if mailbox != "INBOX" {
		if err := c.Create(mailbox); err != nil && !strings.Contains(err.Error(), "exists") {
			tb.Fatalf("mailtest: create %s: %v", mailbox, err)
		}
	}
	if err := c.Append(mailbox, nil, received, newLiteral(raw)); err != nil {
		tb.Fatalf("mailtest: append to %s: %v", mailbox, err)
	}
	st, err := c.Status(mailbox, []imap.StatusItem{imap.StatusUidNext})
	if err != nil {
		tb.Fatalf("mailtest: status %s: %v", mailbox, err)
	}
	_ = c.Logout()
	return st.UidNext - 1
}

// Stored is a mail as the server keeps it.
type Stored struct {
	UID   uint32
	Flags []string
	Raw   []byte
}

// Seen reports whether the mail has the \Seen flag.
func (m Stored) Seen() bool {
	for _, f := range m.Flags {
		if f == imap.SeenFlag {
			return true
		}
	}
	return false
}

// Messages returns every mail in mailbox, in UID order, read without
// changing any flag.
func (s *IMAP) Messages(tb testing.TB, mailbox string) []Stored {
	tb.Helper()
	c := s.Client(tb)
	defer c.Logout()
	mb, err := c.Select(mailbox, true)
	if err != nil {
		tb.Fatalf("mailtest: examine %s: %v", mailbox, err)
	}
	if mb.Messages == 0 {
		return nil
	}
	section := &imap.BodySectionName{Peek: true}
	seq := new(imap.SeqSet)
	seq.AddRange(1, 0)
	ch := make(chan *imap.Message, 16)
	errc := make(chan error, 1)
	go func() {
		errc <- c.Fetch(seq, []imap.FetchItem{imap.FetchUid, imap.FetchFlags, section.FetchItem()}, ch)
	}()
	var out []Stored
	for m := range ch {
		st := Stored{UID: m.Uid, Flags: m.Flags}
		if r := m.GetBody(section); r != nil {
			st.Raw, _ = io.ReadAll(r)
		}
		out = append(out, st)
	}
	if err := <-errc; err != nil {
		tb.Fatalf("mailtest: fetch %s: %v", mailbox, err)
	}
	return out
}

// literal is an imap.Literal over a byte slice.
type literal struct {
	*bytes.Reader
	n int
}

func newLiteral(b []byte) literal { return literal{bytes.NewReader(b), len(b)} }

func (l literal) Len() int { return l.n }

func unavailable(tb testing.TB, what string, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("mailtest: %s is required under CI: %v", what, err)
	}
	tb.Skipf("mailtest: no %s for this test: %v", what, err)
}
