package mailtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Stage is a step of an SMTP transaction where FaultSMTP can misbehave.
type Stage int

// The stages of an SMTP transaction.
const (
	StageConnect Stage = iota + 1 // the greeting
	StageMail                     // MAIL FROM
	StageRcpt                     // RCPT TO
	StageData                     // the end of DATA
)

// Fault is what FaultSMTP does at a stage: answer with Code (and the
// enhanced code, "5.1.1"), or close the connection without an answer
// (Drop), after waiting Delay (or until the client goes away).
type Fault struct {
	Stage    Stage
	Code     int
	Enhanced string
	Message  string
	Drop     bool
	Delay    time.Duration
}

// FaultSMTP is an in-process SMTP server (emersion/go-smtp) for fault
// injection: it refuses, stalls or drops connections as told, and
// otherwise accepts every mail from a client that authenticated with
// PLAIN as User/Password or with XOAUTH2 carrying a token Tokens accepts.
type FaultSMTP struct {
	Addr           string
	User, Password string

	srv *smtp.Server
	ln  net.Listener

	mu       sync.Mutex
	faults   []Fault // one-shot, in order
	always   *Fault  // every session, after the one-shot faults
	tokens   map[string]string
	received []Accepted
	arrived  chan struct{} // signalled on each accepted mail
	closed   chan struct{} // closed at cleanup
}

// Accepted is a mail FaultSMTP accepted.
type Accepted struct {
	From string
	To   []string
	Auth string // "PLAIN user" or "XOAUTH2 user"
	Raw  []byte
}

// StartFaultSMTP starts a FaultSMTP without TLS on a free port for tb,
// closed at cleanup.
func StartFaultSMTP(tb testing.TB) *FaultSMTP {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	s := &FaultSMTP{Addr: ln.Addr().String(), User: smtpUser, Password: smtpPassword, ln: ln,
		tokens: map[string]string{}, arrived: make(chan struct{}, 1), closed: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "fault.example.test"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.MaxMessageBytes = 64 << 20
	go func() { _ = s.srv.Serve(ln) }()
	tb.Cleanup(func() {
		close(s.closed)
		_ = s.srv.Close()
	})
	return s
}

// Inject queues a one-shot fault: the next session that reaches f.Stage
// (after earlier queued faults were used) meets it.
func (s *FaultSMTP) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// Always makes every session meet f (nil: none) once the one-shot faults
// are used.
func (s *FaultSMTP) Always(f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always = f
}

// AllowToken makes XOAUTH2 accept token for user.
func (s *FaultSMTP) AllowToken(user, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = user
}

// Received returns the mails accepted so far.
func (s *FaultSMTP) Received() []Accepted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Accepted(nil), s.received...)
}

// Arrived is signalled (buffered, 1) each time a mail is accepted.
func (s *FaultSMTP) Arrived() <-chan struct{} { return s.arrived }

// fault takes the fault for stage, if any.
func (s *FaultSMTP) fault(stage Stage) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Stage == stage {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			return &f
		}
	}
	if s.always != nil && s.always.Stage == stage {
		f := *s.always
		return &f
	}
	return nil
}

// errDropped makes the session end without an answer (its connection was
// closed).
var errDropped = errors.New("mailtest: connection dropped")

// apply plays the fault for stage on conn: waits, then drops or answers.
func (s *FaultSMTP) apply(stage Stage, conn net.Conn) error {
	f := s.fault(stage)
	if f == nil {
		return nil
	}
	if f.Delay > 0 {
		s.stall(f.Delay)
	}
	if f.Drop {
		_ = conn.Close()
		return errDropped
	}
	if f.Code == 0 {
		return nil
	}
	e := &smtp.SMTPError{Code: f.Code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: f.Message}
	if f.Enhanced != "" {
		var a, b, c int
		if _, err := fmt.Sscanf(f.Enhanced, "%d.%d.%d", &a, &b, &c); err == nil {
			e.EnhancedCode = smtp.EnhancedCode{a, b, c}
		}
	}
	if e.Message == "" {
		e.Message = "injected fault"
	}
	return e
}

// stall waits d, or until the server is closed.
func (s *FaultSMTP) stall(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.closed:
	}
}

func (s *FaultSMTP) newSession(c *smtp.Conn) (smtp.Session, error) {
	if err := s.apply(StageConnect, c.Conn()); err != nil {
		return nil, err
	}
	return &faultSession{srv: s, conn: c.Conn()}, nil
}

type faultSession struct {
	srv  *FaultSMTP
	conn net.Conn
	auth string
	from string
	to   []string
}

var _ smtp.AuthSession = (*faultSession)(nil)

func (f *faultSession) AuthMechanisms() []string { return []string{sasl.Plain, "XOAUTH2"} }

func (f *faultSession) Auth(mech string) (sasl.Server, error) {
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if user != f.srv.User || pass != f.srv.Password {
				return smtp.ErrAuthFailed
			}
			f.auth = "PLAIN " + user
			return nil
		}), nil
	case "XOAUTH2":
		return &xoauth2Server{check: func(user, token string) error {
			f.srv.mu.Lock()
			owner, ok := f.srv.tokens[token]
			f.srv.mu.Unlock()
			if !ok || owner != user {
				return smtp.ErrAuthFailed
			}
			f.auth = "XOAUTH2 " + user
			return nil
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (f *faultSession) Mail(from string, _ *smtp.MailOptions) error {
	if f.auth == "" {
		return smtp.ErrAuthRequired
	}
	if err := f.srv.apply(StageMail, f.conn); err != nil {
		return err
	}
	f.from = from
	return nil
}

func (f *faultSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := f.srv.apply(StageRcpt, f.conn); err != nil {
		return err
	}
	f.to = append(f.to, to)
	return nil
}

func (f *faultSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := f.srv.apply(StageData, f.conn); err != nil {
		return err
	}
	f.srv.mu.Lock()
	f.srv.received = append(f.srv.received, Accepted{From: f.from, To: f.to, Auth: f.auth, Raw: raw})
	f.srv.mu.Unlock()
	select {
	case f.srv.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (f *faultSession) Reset() { f.from, f.to = "", nil }

func (f *faultSession) Logout() error { return nil }

// xoauth2Server is the server side of XOAUTH2 (Google's and Microsoft's
// SASL mechanism): one message "user=U\x01auth=Bearer T\x01\x01"; a refusal
// sends a JSON challenge, which the client answers with an empty line.
type xoauth2Server struct {
	check  func(user, token string) error
	failed error
}

func (x *xoauth2Server) Next(response []byte) (challenge []byte, done bool, err error) {
	if x.failed != nil {
		return nil, true, x.failed
	}
	if response == nil {
		return []byte{}, false, nil
	}
	var user, token string
	for _, field := range bytes.Split(response, []byte{1}) {
		switch k, v, _ := strings.Cut(string(field), "="); k {
		case "user":
			user = v
		case "auth":
			token = strings.TrimPrefix(v, "Bearer ")
		}
	}
	if err := x.check(user, token); err != nil {
		x.failed = err
		return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
	}
	return nil, true, nil
}
