package mailtest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/internal/testproc"
	"github.com/gorilla/websocket"
)

// SMTPSecurity says how the SMTP server takes connections.
type SMTPSecurity int

// The SMTP servers StartSMTP can start.
const (
	// SMTPPlain takes plain connections and AUTH over them (tests only).
	SMTPPlain SMTPSecurity = iota + 1
	// SMTPStartTLS requires STARTTLS before anything else, as port 587 does.
	SMTPStartTLS
	// SMTPImplicitTLS takes TLS connections only, as port 465 does.
	SMTPImplicitTLS
)

// SMTP is a mailpit of the test's own: a real SMTP server that requires
// authentication as User with Password, keeps every mail it accepts, and
// answers an HTTP API from which the test reads them.
type SMTP struct {
	// Addr is the SMTP listener's host:port.
	Addr string
	// User and Password are the only credentials accepted.
	User, Password string

	api  string // the HTTP API's base URL
	dir  string
	cert *certificate
	proc *testproc.Proc
	mu   sync.Mutex
}

// The credentials every SMTP server accepts.
const (
	smtpUser     = "envios@example.test"
	smtpPassword = "clave-smtp-de-prueba"
)

// MailpitVersion is the mailpit that .ci/run installs (go install
// github.com/axllent/mailpit@MailpitVersion).
const MailpitVersion = "v1.33.1"

// StartSMTP starts a mailpit for tb with the given security, stopped at
// cleanup. The binary is found on PATH or in $(go env GOPATH)/bin; without
// it the test is skipped, or fails under CI=true.
func StartSMTP(tb testing.TB, sec SMTPSecurity) *SMTP {
	tb.Helper()
	bin, err := mailpitBinary()
	if err != nil {
		unavailable(tb, "mailpit (go install github.com/axllent/mailpit@"+MailpitVersion+")", err)
	}
	dir := tb.TempDir()
	s := &SMTP{User: smtpUser, Password: smtpPassword, dir: dir}
	if s.cert, err = selfSigned(dir); err != nil {
		tb.Fatalf("mailtest: certificate: %v", err)
	}
	auth := filepath.Join(dir, "smtp-auth")
	if err := os.WriteFile(auth, []byte(s.User+":"+s.Password+"\n"), 0o600); err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	for range 5 {
		err = s.start(bin, sec, auth)
		if !errors.Is(err, testproc.ErrPortTaken) {
			break
		}
	}
	if err != nil {
		tb.Fatalf("mailtest: start mailpit: %v", err)
	}
	tb.Cleanup(s.stop)
	return s
}

func mailpitBinary() (string, error) {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			return "", fmt.Errorf("mailpit is not on PATH and go env GOPATH failed: %w", err)
		}
		gopath = strings.TrimSpace(string(out))
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "mailpit")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("mailpit is neither on PATH nor in $(go env GOPATH)/bin")
}

func (s *SMTP) start(bin string, sec SMTPSecurity, authFile string) error {
	ports, err := testproc.FreePorts(2)
	if err != nil {
		return err
	}
	smtpPort, httpPort := ports[0], ports[1]
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(smtpPort))
	s.api = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort))
	args := []string{
		"--smtp", s.Addr, "--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)),
		"--database", filepath.Join(s.dir, "mailpit.db"),
		"--disable-version-check", "--smtp-disable-rdns", "--quiet",
		"--smtp-auth-file", authFile,
		"--max", "0", "--max-message-size", "60",
	}
	switch sec {
	case SMTPPlain:
		args = append(args, "--smtp-auth-allow-insecure")
	case SMTPStartTLS:
		args = append(args, "--smtp-tls-cert", s.cert.certFile, "--smtp-tls-key", s.cert.keyFile, "--smtp-require-starttls")
	case SMTPImplicitTLS:
		args = append(args, "--smtp-tls-cert", s.cert.certFile, "--smtp-tls-key", s.cert.keyFile, "--smtp-require-tls")
	default:
		return fmt.Errorf("unknown SMTPSecurity %d", sec)
	}
	hc := &http.Client{Timeout: 250 * time.Millisecond}
	logFile := filepath.Join(s.dir, "mailpit.log")
	p, err := testproc.Start(testproc.Spec{
		Name: "mailpit on " + s.Addr, Path: bin, Args: args, Output: logFile, UID: -1,
		Ready:   func(int) error { return s.ready(hc) },
		Timeout: 15 * time.Second,
		Log:     func() string { return testproc.Tail(4, logFile) },
	})
	if err != nil {
		return err
	}
	s.proc = p
	return nil
}

// ready reports whether both the API and the SMTP listener answer.
func (s *SMTP) ready(hc *http.Client) error {
	resp, err := hc.Get(s.api + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s", resp.Status)
	}
	conn, err := net.DialTimeout("tcp", s.Addr, 250*time.Millisecond)
	if err != nil {
		return err
	}
	return conn.Close()
}

func (s *SMTP) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	s.proc.Kill()
	s.proc = nil
}

// TLSConfig returns a client TLS configuration that trusts the server's
// self-signed certificate.
func (s *SMTP) TLSConfig() *tls.Config { return s.cert.clientConfig() }

// Received is a mail the server accepted.
type Received struct {
	ID        string    // mailpit's ID
	MessageID string    // without angle brackets
	Subject   string    //
	Username  string    // the SMTP AUTH user that sent it
	Created   time.Time // when the server received it
	// Raw is the mail as received, with the Received and Return-Path
	// headers the server added on top.
	Raw []byte
}

type summary struct {
	ID        string
	MessageID string
	Subject   string
	Username  string
	Created   time.Time
}

// Messages returns every mail received so far, oldest first.
func (s *SMTP) Messages(tb testing.TB) []Received {
	tb.Helper()
	out, err := s.messages(context.Background())
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	return out
}

func (s *SMTP) messages(ctx context.Context) ([]Received, error) {
	var list struct {
		Messages []summary `json:"messages"`
	}
	if err := s.getJSON(ctx, "/api/v1/messages?limit=1000", &list); err != nil {
		return nil, err
	}
	out := make([]Received, 0, len(list.Messages))
	for i := len(list.Messages) - 1; i >= 0; i-- { // the API lists newest first
		m := list.Messages[i]
		raw, err := s.get(ctx, "/api/v1/message/"+url.PathEscape(m.ID)+"/raw")
		if err != nil {
			return nil, err
		}
		out = append(out, Received{ID: m.ID, MessageID: m.MessageID, Subject: m.Subject,
			Username: m.Username, Created: m.Created, Raw: raw})
	}
	return out, nil
}

// WaitMessages waits until the server holds at least n mails and returns
// them all, failing tb after timeout. It follows the server's event stream
// (a websocket), so it wakes when a mail arrives rather than polling.
func (s *SMTP) WaitMessages(tb testing.TB, n int, timeout time.Duration) []Received {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(s.api, "http") + "/api/events"
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		tb.Fatalf("mailtest: mailpit events: %v", err)
	}
	defer ws.Close()
	stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
	defer stop()
	events := make(chan struct{}, 1)
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				close(events)
				return
			}
			select {
			case events <- struct{}{}:
			default:
			}
		}
	}()
	for {
		got, err := s.messages(ctx)
		if err == nil && len(got) >= n {
			return got
		}
		select {
		case _, ok := <-events:
			if ok {
				continue
			}
		case <-ctx.Done():
		}
		tb.Fatalf("mailtest: waited %s for %d mails; the server has %d (%v)", timeout, n, len(got), err)
		return nil
	}
}

// Clear deletes every mail the server holds.
func (s *SMTP) Clear(tb testing.TB) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodDelete, s.api+"/api/v1/messages", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("mailtest: clear: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("mailtest: clear: %s", resp.Status)
	}
}

func (s *SMTP) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.api+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mailpit GET %s: %s: %s", path, resp.Status, b)
	}
	return b, nil
}

func (s *SMTP) getJSON(ctx context.Context, path string, v any) error {
	b, err := s.get(ctx, path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
