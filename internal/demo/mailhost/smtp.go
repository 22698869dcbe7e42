package mailhost

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpBackend is the submission server: a client logs in (AUTH PLAIN with
// an account's address and password), sends from its own address only,
// to local accounts only; the mail lands in each recipient's INBOX.
type smtpBackend struct{ h *Host }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSession{h: b.h}, nil
}

type smtpSession struct {
	h    *Host
	user string // the logged-in account; empty before AUTH
	from string
	to   []string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && !strings.EqualFold(identity, username) {
			return smtp.ErrAuthFailed
		}
		a, ok := s.h.login(username, password)
		if !ok {
			return smtp.ErrAuthFailed
		}
		s.user = a.address
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	if !strings.EqualFold(from, s.user) {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
			Message: fmt.Sprintf("%s may send as %s only", s.user, s.user)}
	}
	s.from = strings.ToLower(from)
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	if !s.h.hasAccount(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: "no such mailbox here (this server does not relay)"}
	}
	s.to = append(s.to, strings.ToLower(to))
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	if s.from == "" || len(s.to) == 0 {
		return errors.New("no sender or recipients")
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	// The delivering server's marks, as a real one adds them.
	var raw bytes.Buffer
	fmt.Fprintf(&raw, "Return-Path: <%s>\r\n", s.from)
	fmt.Fprintf(&raw, "Received: from localhost by mailhost.demo with ESMTPA; %s\r\n", time.Now().Format(time.RFC1123Z))
	raw.Write(body)
	if err := s.h.Deliver(s.to, raw.Bytes()); err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: err.Error()}
	}
	return nil
}

func (s *smtpSession) Reset() { s.from, s.to = "", nil }

func (s *smtpSession) Logout() error { return nil }
