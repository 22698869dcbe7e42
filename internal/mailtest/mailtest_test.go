package mailtest_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/client"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/colombiainformatica/ticketbot/internal/mailtest"
)

const sample = "From: Ana <ana@example.test>\r\nTo: soporte@example.test\r\nSubject: prueba\r\nMessage-ID: <m1@example.test>\r\n\r\nhola\r\n"

func TestIMAPAppendAndRead(t *testing.T) {
	s := mailtest.StartIMAP(t)
	uid := s.Append(t, "INBOX", []byte(sample))
	uid2 := s.Append(t, "INBOX", []byte(strings.Replace(sample, "m1@", "m2@", 1)))
	if uid2 != uid+1 {
		t.Fatalf("UIDs %d then %d; want consecutive", uid, uid2)
	}
	got := s.Messages(t, "INBOX")
	if len(got) != 2 || got[0].UID != uid || !bytes.Equal(got[0].Raw, []byte(sample)) {
		t.Fatalf("Messages = %+v", got)
	}
	if got[0].Seen() {
		t.Error("reading the mailbox set \\Seen")
	}
	// Another folder is created on first append.
	s.Append(t, "Soporte", []byte(sample))
	if n := len(s.Messages(t, "Soporte")); n != 1 {
		t.Errorf("Soporte holds %d mails; want 1", n)
	}
}

func TestIMAPImplicitTLSAndRestart(t *testing.T) {
	s := mailtest.StartIMAP(t)
	c, err := client.DialTLS(s.TLSAddr, s.TLSConfig())
	if err != nil {
		t.Fatalf("DialTLS: %v", err)
	}
	if err := c.Login(s.User, s.Password); err != nil {
		t.Fatalf("login over TLS: %v", err)
	}
	_ = c.Logout()
	if err := loginPlain(s.Addr, s.User, "wrong"); err == nil {
		t.Error("a wrong password logged in")
	}
	s.Append(t, "INBOX", []byte(sample))
	s.Stop()
	if err := loginPlain(s.Addr, s.User, s.Password); err == nil {
		t.Fatal("logged in while the server is stopped")
	}
	s.Restart(t)
	if n := len(s.Messages(t, "INBOX")); n != 1 {
		t.Errorf("after a restart the mailbox holds %d mails; want 1", n)
	}
}

func loginPlain(addr, user, pass string) error {
	c, err := client.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Logout()
	return c.Login(user, pass)
}

func send(addr string, tlsConf *tls.Config, implicit bool, user, pass string) error {
	var c *smtp.Client
	var err error
	switch {
	case implicit:
		c, err = smtp.DialTLS(addr, tlsConf)
	case tlsConf != nil:
		c, err = smtp.DialStartTLS(addr, tlsConf)
	default:
		c, err = smtp.Dial(addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", user, pass)); err != nil {
		return err
	}
	if err := c.SendMail("envios@example.test", []string{"ana@example.test"}, strings.NewReader(sample)); err != nil {
		return err
	}
	return c.Quit()
}

func TestSMTPReceives(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sec      mailtest.SMTPSecurity
		tls      bool
		implicit bool
	}{
		{"plain", mailtest.SMTPPlain, false, false},
		{"starttls", mailtest.SMTPStartTLS, true, false},
		{"implicit tls", mailtest.SMTPImplicitTLS, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mailtest.StartSMTP(t, tc.sec)
			var conf *tls.Config
			if tc.tls {
				conf = s.TLSConfig()
			}
			var smtpErr *smtp.SMTPError
			if err := send(s.Addr, conf, tc.implicit, s.User, "wrong"); !errors.As(err, &smtpErr) || smtpErr.Code != 535 {
				t.Errorf("a wrong password: %v; want 535", err)
			}
			if err := send(s.Addr, conf, tc.implicit, s.User, s.Password); err != nil {
				t.Fatalf("send: %v", err)
			}
			got := s.WaitMessages(t, 1, 10*time.Second)
			if len(got) != 1 || got[0].MessageID != "m1@example.test" || got[0].Username != s.User ||
				!bytes.Contains(got[0].Raw, []byte("\r\n\r\nhola")) {
				t.Fatalf("received %+v", got)
			}
		})
	}
}

func TestSMTPStartTLSRequired(t *testing.T) {
	s := mailtest.StartSMTP(t, mailtest.SMTPStartTLS)
	if err := send(s.Addr, nil, false, s.User, s.Password); err == nil {
		t.Fatal("sent without STARTTLS to a server that requires it")
	}
}

func TestFaultSMTP(t *testing.T) {
	s := mailtest.StartFaultSMTP(t)
	s.Inject(mailtest.Fault{Stage: mailtest.StageRcpt, Code: 550, Enhanced: "5.1.1", Message: "no such user"})
	var smtpErr *smtp.SMTPError
	if err := send(s.Addr, nil, false, s.User, s.Password); !errors.As(err, &smtpErr) || smtpErr.Code != 550 ||
		smtpErr.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) {
		t.Fatalf("injected 550: %v", err)
	}
	s.Inject(mailtest.Fault{Stage: mailtest.StageData, Drop: true})
	if err := send(s.Addr, nil, false, s.User, s.Password); err == nil || errors.As(err, &smtpErr) {
		t.Fatalf("dropped connection: %v; want a network error", err)
	}
	if err := send(s.Addr, nil, false, s.User, s.Password); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	select {
	case <-s.Arrived():
	case <-time.After(5 * time.Second):
		t.Fatal("no mail arrived")
	}
	if got := s.Received(); len(got) != 1 || got[0].Auth != "PLAIN "+s.User {
		t.Fatalf("received %+v", got)
	}
}

func TestIMAPProxyHidesIDLE(t *testing.T) {
	s := mailtest.StartIMAP(t)
	p := mailtest.StartIMAPProxy(t, s.Addr)
	p.HideIDLE(true)
	c, err := client.Dial(p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout()
	if err := c.Login(s.User, s.Password); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Support("IDLE"); err != nil || ok {
		t.Fatalf("Support(IDLE) = %v, %v through a proxy hiding it", ok, err)
	}
	if ok, _ := c.Support("UIDPLUS"); !ok {
		t.Error("the proxy hid UIDPLUS too")
	}
	p.DropAll()
	select {
	case <-c.LoggedOut():
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not notice the dropped connection")
	}
	if p.Connections() != 1 {
		t.Errorf("Connections() = %d; want 1", p.Connections())
	}
}

// xoauth2 is the client side of XOAUTH2, for the test.
type xoauth2 struct{ user, token string }

func (x xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}
func (x xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil }

func TestIMAPOAuth2(t *testing.T) {
	s := mailtest.StartIMAP(t, mailtest.IMAPOAuth2())
	s.AllowToken("good-token")
	auth := func(token string) error {
		c, err := client.Dial(s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Logout()
		return c.Authenticate(xoauth2{s.User, token})
	}
	if err := auth("good-token"); err != nil {
		t.Fatalf("XOAUTH2 with an allowed token: %v", err)
	}
	if err := auth("bad-token"); err == nil {
		t.Error("XOAUTH2 with an unknown token logged in")
	}
	if err := loginPlain(s.Addr, s.User, s.Password); err != nil {
		t.Errorf("the password no longer works: %v", err)
	}
}
