package email_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/internal/mailtest"
)

func TestSenderDeliversToRealServer(t *testing.T) {
	ids := newIDs(t, "a secret of thirty-two bytes....")
	for _, tc := range []struct {
		name string
		srv  mailtest.SMTPSecurity
		sec  email.Security
	}{
		{"starttls", mailtest.SMTPStartTLS, email.SecurityStartTLS},
		{"implicit tls", mailtest.SMTPImplicitTLS, email.SecurityTLS},
		{"plain", mailtest.SMTPPlain, email.SecurityNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.StartSMTP(t, tc.srv)
			s, err := email.NewSender(email.SMTPConfig{Addr: srv.Addr, Security: tc.sec, TLSConfig: srv.TLSConfig(),
				Username: srv.User, Password: srv.Password, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			o := sampleOutgoing(ids)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.SendMail(ctx, o); err != nil {
				t.Fatalf("SendMail: %v", err)
			}
			got := srv.WaitMessages(t, 1, 10*time.Second)
			if len(got) != 1 || got[0].MessageID != o.MessageID || got[0].Username != srv.User {
				t.Fatalf("received %+v", got)
			}
			m := parse(t, got[0].Raw)
			if m.Subject != o.Subject || len(m.InReplyTo) != 1 || m.InReplyTo[0] != "c2@example.test" ||
				m.Get("Auto-Submitted") != "auto-replied" || len(m.Attachments) != 2 {
				t.Errorf("the received mail: subject %q, in-reply-to %q, auto %q, %d files",
					m.Subject, m.InReplyTo, m.Get("Auto-Submitted"), len(m.Attachments))
			}
		})
	}
}

func TestSenderWrongPasswordIsTransient(t *testing.T) {
	srv := mailtest.StartSMTP(t, mailtest.SMTPStartTLS)
	s, err := email.NewSender(email.SMTPConfig{Addr: srv.Addr, Security: email.SecurityStartTLS, TLSConfig: srv.TLSConfig(),
		Username: srv.User, Password: "wrong", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = s.SendMail(context.Background(), sampleOutgoing(newIDs(t, "a secret of thirty-two bytes....")))
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("a wrong password: %v; want the 535 refusal", err)
	}
	if p, ok := delivery.IsPermanent(err); ok {
		t.Errorf("a refused login is permanent (%s); want transient", p.Reason)
	}
}

func TestSenderRefusesUntrustedCertificate(t *testing.T) {
	srv := mailtest.StartSMTP(t, mailtest.SMTPStartTLS)
	s, err := email.NewSender(email.SMTPConfig{Addr: srv.Addr, Security: email.SecurityStartTLS,
		Username: srv.User, Password: srv.Password, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = s.SendMail(context.Background(), sampleOutgoing(newIDs(t, "a secret of thirty-two bytes....")))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a self-signed certificate: %v; want a certificate error", err)
	}
	if _, ok := delivery.IsPermanent(err); ok {
		t.Error("a TLS failure is permanent; want transient")
	}
}

func faultSender(t *testing.T, srv *mailtest.FaultSMTP, timeout time.Duration) *email.Sender {
	t.Helper()
	s, err := email.NewSender(email.SMTPConfig{Addr: srv.Addr, Security: email.SecurityNone,
		Username: srv.User, Password: srv.Password, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSenderClassifiesFaults(t *testing.T) {
	ids := newIDs(t, "a secret of thirty-two bytes....")
	for _, tc := range []struct {
		name      string
		fault     mailtest.Fault
		permanent string // the reason; "" for transient
	}{
		{"550 unknown user", mailtest.Fault{Stage: mailtest.StageRcpt, Code: 550, Enhanced: "5.1.1", Message: "no such user"}, "smtp_550_5.1.1"},
		{"554 at data", mailtest.Fault{Stage: mailtest.StageData, Code: 554, Enhanced: "5.7.1", Message: "spam"}, "smtp_554_5.7.1"},
		{"552 too big", mailtest.Fault{Stage: mailtest.StageMail, Code: 552, Message: "too big"}, "smtp_552_5.0.0"},
		{"452 mailbox full", mailtest.Fault{Stage: mailtest.StageRcpt, Code: 452, Enhanced: "4.2.2", Message: "full"}, ""},
		{"451 at data", mailtest.Fault{Stage: mailtest.StageData, Code: 451, Enhanced: "4.3.0", Message: "try later"}, ""},
		{"421 at greeting", mailtest.Fault{Stage: mailtest.StageConnect, Code: 421, Enhanced: "4.3.2", Message: "busy"}, ""},
		{"dropped at data", mailtest.Fault{Stage: mailtest.StageData, Drop: true}, ""},
		{"dropped at greeting", mailtest.Fault{Stage: mailtest.StageConnect, Drop: true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.StartFaultSMTP(t)
			srv.Inject(tc.fault)
			s := faultSender(t, srv, 10*time.Second)
			err := s.SendMail(context.Background(), sampleOutgoing(ids))
			if err == nil {
				t.Fatal("sent through a fault")
			}
			p, perm := delivery.IsPermanent(err)
			switch {
			case tc.permanent != "" && (!perm || p.Reason != tc.permanent):
				t.Errorf("error %v; want permanent %s", err, tc.permanent)
			case tc.permanent == "" && perm:
				t.Errorf("error %v is permanent; want transient", err)
			}
			// The next attempt goes through.
			if err := s.SendMail(context.Background(), sampleOutgoing(ids)); err != nil {
				t.Errorf("after the fault: %v", err)
			}
			if n := len(srv.Received()); n != 1 {
				t.Errorf("the server accepted %d mails; want 1", n)
			}
		})
	}
}

func TestSenderSlowServerTimesOut(t *testing.T) {
	srv := mailtest.StartFaultSMTP(t)
	srv.Inject(mailtest.Fault{Stage: mailtest.StageMail, Delay: time.Minute, Code: 250})
	s := faultSender(t, srv, 300*time.Millisecond)
	start := time.Now()
	err := s.SendMail(context.Background(), sampleOutgoing(newIDs(t, "a secret of thirty-two bytes....")))
	if err == nil {
		t.Fatal("sent through a stalled server")
	}
	if _, ok := delivery.IsPermanent(err); ok {
		t.Errorf("a timeout is permanent: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %s; want about the 300 ms timeout", d)
	}
}

func TestSenderHonoursContext(t *testing.T) {
	srv := mailtest.StartFaultSMTP(t)
	srv.Inject(mailtest.Fault{Stage: mailtest.StageData, Delay: time.Minute, Code: 250})
	s := faultSender(t, srv, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.SendMail(ctx, sampleOutgoing(newIDs(t, "a secret of thirty-two bytes....")))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v; want the context's", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %s", d)
	}
}

func TestSenderUnreachableIsTransient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s, err := email.NewSender(email.SMTPConfig{Addr: addr, Security: email.SecurityStartTLS, Username: "u", Password: "p", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = s.SendMail(context.Background(), sampleOutgoing(newIDs(t, "a secret of thirty-two bytes....")))
	if err == nil {
		t.Fatal("sent to nothing")
	}
	if _, ok := delivery.IsPermanent(err); ok {
		t.Errorf("connection refused is permanent: %v", err)
	}
}

// tokenEndpoint is an OAuth 2.0 token endpoint that trades the refresh
// token "rt-1" for access tokens "at-1", "at-2", ..., each valid for
// expiresIn seconds.
func tokenEndpoint(t *testing.T, expiresIn int) (url string, issued *atomic.Int32) {
	issued = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "refresh_token" ||
			r.Form.Get("refresh_token") != "rt-1" || r.Form.Get("client_id") != "client-1" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		n := issued.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + string(rune('0'+n)), "token_type": "Bearer", "expires_in": expiresIn})
	}))
	t.Cleanup(srv.Close)
	return srv.URL, issued
}

func TestSenderXOAUTH2(t *testing.T) {
	url, issued := tokenEndpoint(t, 3600)
	srv := mailtest.StartFaultSMTP(t)
	srv.AllowToken("soporte@colombiainformatica.com", "at-1")
	ts, err := email.OAuth2Config{TokenURL: url, ClientID: "client-1", ClientSecret: "s", RefreshToken: "rt-1"}.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, err := email.NewSender(email.SMTPConfig{Addr: srv.Addr, Security: email.SecurityNone,
		Username: "soporte@colombiainformatica.com", TokenSource: ts, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ids := newIDs(t, "a secret of thirty-two bytes....")
	for range 2 {
		if err := s.SendMail(context.Background(), sampleOutgoing(ids)); err != nil {
			t.Fatalf("SendMail with XOAUTH2: %v", err)
		}
	}
	got := srv.Received()
	if len(got) != 2 || got[0].Auth != "XOAUTH2 soporte@colombiainformatica.com" {
		t.Fatalf("received %+v", got)
	}
	if n := issued.Load(); n != 1 {
		t.Errorf("%d tokens fetched for two mails; want the first reused", n)
	}

	// A token the server refuses: a transient failure, not a dead letter.
	bad, _ := email.OAuth2Config{TokenURL: url, ClientID: "client-1", RefreshToken: "rt-1"}.TokenSource(context.Background())
	srv2 := mailtest.StartFaultSMTP(t) // allows no token
	s2, _ := email.NewSender(email.SMTPConfig{Addr: srv2.Addr, Security: email.SecurityNone,
		Username: "soporte@colombiainformatica.com", TokenSource: bad, Timeout: 10 * time.Second})
	err = s2.SendMail(context.Background(), sampleOutgoing(ids))
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("a refused token: %v; want 535", err)
	}
	if _, ok := delivery.IsPermanent(err); ok {
		t.Error("a refused token is permanent")
	}
	// A refresh token the provider refuses.
	revoked, _ := email.OAuth2Config{TokenURL: url, ClientID: "client-1", RefreshToken: "revoked"}.TokenSource(context.Background())
	s3, _ := email.NewSender(email.SMTPConfig{Addr: srv.Addr, Security: email.SecurityNone,
		Username: "soporte@colombiainformatica.com", TokenSource: revoked, Timeout: 10 * time.Second})
	if err := s3.SendMail(context.Background(), sampleOutgoing(ids)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("a revoked refresh token: %v", err)
	}
}

func TestNewSenderRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]email.SMTPConfig{
		"no port":          {Addr: "smtp.example.test", Security: email.SecurityStartTLS},
		"no security":      {Addr: "smtp.example.test:587"},
		"oauth2, no user":  {Addr: "smtp.example.test:587", Security: email.SecurityTLS, TokenSource: staticToken{}},
		"unknown security": {Addr: "smtp.example.test:587", Security: 9},
	} {
		if _, err := email.NewSender(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for in, want := range map[string]email.Security{"STARTTLS": email.SecurityStartTLS, "tls": email.SecurityTLS, "ssl": email.SecurityTLS, "none": email.SecurityNone} {
		if got, err := email.ParseSecurity(in); err != nil || got != want {
			t.Errorf("ParseSecurity(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := email.ParseSecurity("maybe"); err == nil {
		t.Error(`ParseSecurity("maybe") accepted`)
	}
}

type staticToken struct{}

func (staticToken) Token() (*oauth2.Token, error) { return &oauth2.Token{AccessToken: "x"}, nil }
