package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/oauth2"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
)

// Security says how a connection to a mail server is protected.
type Security uint8

// The ways to connect; the zero Security is invalid.
const (
	// SecurityStartTLS connects in plain and upgrades with STARTTLS before
	// anything else (SMTP submission on port 587, IMAP on 143); a server
	// that does not offer it is refused.
	SecurityStartTLS Security = iota + 1
	// SecurityTLS connects with TLS from the start (SMTP on 465, IMAP on
	// 993).
	SecurityTLS
	// SecurityNone sends everything, password included, in the clear: for
	// tests and local relays only.
	SecurityNone
)

// ParseSecurity reads "starttls", "tls" (or "ssl") or "none".
func ParseSecurity(s string) (Security, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "starttls":
		return SecurityStartTLS, nil
	case "tls", "ssl", "implicit":
		return SecurityTLS, nil
	case "none", "plain":
		return SecurityNone, nil
	}
	return 0, fmt.Errorf("email: security %q is not starttls, tls or none", s)
}

// SMTPConfig says how to reach the submission server.
type SMTPConfig struct {
	// Addr is the server's host:port ("smtp.gmail.com:587").
	Addr     string
	Security Security
	// TLSConfig, optional, is cloned; its ServerName defaults to Addr's host.
	TLSConfig *tls.Config
	// Username authenticates with Password (PLAIN, or LOGIN when the
	// server offers only that) or with TokenSource (XOAUTH2), which wins
	// when set. No Username: no authentication.
	Username    string
	Password    string
	TokenSource oauth2.TokenSource
	// LocalName is the EHLO name; default "localhost".
	LocalName string
	// Timeout bounds connecting and each command; the end of DATA may take
	// five times as long. Default 1 minute.
	Timeout time.Duration
}

// Sender sends mails by SMTP submission, one connection per mail.
type Sender struct {
	cfg SMTPConfig
}

// NewSender checks cfg and returns a Sender.
func NewSender(cfg SMTPConfig) (*Sender, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("email: SMTP address %q is not host:port", cfg.Addr)
	}
	if cfg.Security < SecurityStartTLS || cfg.Security > SecurityNone {
		return nil, errors.New("email: SMTP security must be starttls, tls or none")
	}
	if cfg.TokenSource != nil && cfg.Username == "" {
		return nil, errors.New("email: XOAUTH2 needs the mailbox's user name")
	}
	cfg.TLSConfig = tlsConfig(cfg.TLSConfig, host)
	if cfg.LocalName == "" {
		cfg.LocalName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	return &Sender{cfg: cfg}, nil
}

func tlsConfig(c *tls.Config, host string) *tls.Config {
	if c == nil {
		c = &tls.Config{}
	} else {
		c = c.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// SendMail composes o and sends it to its To and Cc recipients, from
// o.From's address; errors are classified as Send's.
func (s *Sender) SendMail(ctx context.Context, o *Outgoing) error {
	raw, err := o.Bytes()
	if err != nil {
		return delivery.Permanent("invalid_mail", err)
	}
	var to []string
	for _, a := range append(append([]Address(nil), o.To...), o.Cc...) {
		to = append(to, a.Address)
	}
	return s.Send(ctx, o.From.Address, to, bytes.NewReader(raw))
}

// Send delivers msg to the submission server for the recipients to, with
// from as the envelope sender. Its errors are classified for delivery: a
// 5xx answer to the mail (MAIL, RCPT, DATA) is a *delivery.PermanentError
// whose Reason carries the code ("smtp_550_5.1.1"); a 4xx answer, a
// refused login (the credentials, not the mail, are wrong: 530, 534, 535,
// 538, which a fixed configuration or a refreshed token cures), a network
// or TLS failure and a timeout are transient.
func (s *Sender) Send(ctx context.Context, from string, to []string, msg io.Reader) error {
	if len(to) == 0 {
		return delivery.Permanent("no_recipient", errors.New("email: no recipient"))
	}
	err := s.send(ctx, from, to, msg)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("email: smtp send: %w (%v)", ctx.Err(), err)
	}
	return classify(err)
}

// authError marks an SMTPError answering AUTH (or asking for it).
type authError struct{ err error }

func (e *authError) Error() string { return "smtp login: " + e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

func classify(err error) error {
	var ae *authError
	if errors.As(err, &ae) {
		return fmt.Errorf("email: %w", err)
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 && se.Code < 600 {
		switch se.Code {
		case 530, 534, 535, 538: // authentication required, too weak, failed, encryption needed
			return fmt.Errorf("email: smtp login refused: %w", err)
		}
		reason := "smtp_" + strconv.Itoa(se.Code)
		if e := se.EnhancedCode; e != smtp.EnhancedCodeNotSet && e != smtp.NoEnhancedCode && e[0] > 0 {
			reason += fmt.Sprintf("_%d.%d.%d", e[0], e[1], e[2])
		}
		return delivery.Permanent(reason, fmt.Errorf("email: smtp: %w", err))
	}
	return fmt.Errorf("email: smtp send: %w", err)
}

func (s *Sender) send(ctx context.Context, from string, to []string, msg io.Reader) error {
	d := net.Dialer{Timeout: s.cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	// The context's end closes the connection, which unblocks any command.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer conn.Close()
	if s.cfg.Security == SecurityTLS {
		tc := tls.Client(conn, s.cfg.TLSConfig)
		hctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		conn = tc
	}
	_ = conn.SetDeadline(time.Now().Add(s.cfg.Timeout)) // the greeting
	var c *smtp.Client
	if s.cfg.Security == SecurityStartTLS {
		c, err = smtp.NewClientStartTLS(conn, s.cfg.TLSConfig)
		if err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	_ = conn.SetDeadline(time.Time{}) // the client's own timeouts from here
	c.CommandTimeout = s.cfg.Timeout
	c.SubmissionTimeout = 5 * s.cfg.Timeout
	if err := c.Hello(s.cfg.LocalName); err != nil {
		return err
	}
	if err := s.auth(c); err != nil {
		return err
	}
	if err := c.SendMail(from, to, msg); err != nil {
		return err
	}
	_ = c.Quit() // the mail is accepted; a failed goodbye changes nothing
	return nil
}

func (s *Sender) auth(c *smtp.Client) error {
	if s.cfg.Username == "" {
		return nil
	}
	var mech sasl.Client
	switch {
	case s.cfg.TokenSource != nil:
		tok, err := s.cfg.TokenSource.Token()
		if err != nil {
			return &authError{fmt.Errorf("oauth2 token: %w", err)}
		}
		mech = xoauth2{s.cfg.Username, tok.AccessToken}
	case !c.SupportsAuth(sasl.Plain) && c.SupportsAuth(sasl.Login):
		mech = sasl.NewLoginClient(s.cfg.Username, s.cfg.Password)
	default:
		mech = sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)
	}
	if err := c.Auth(mech); err != nil {
		return &authError{err}
	}
	return nil
}
