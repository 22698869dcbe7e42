package main

import (
	"errors"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

// emailEnv is a complete e-mail configuration.
func emailEnv(kv ...string) map[string]string {
	m := map[string]string{
		"REDIS_URL":       "redis://localhost:6379",
		"EMAIL_IMAP_ADDR": "imap.example.com:993", "EMAIL_IMAP_SECURITY": "tls",
		"EMAIL_IMAP_USERNAME": "soporte@colombiainformatica.com", "EMAIL_IMAP_PASSWORD": "pw",
		"EMAIL_SMTP_ADDR": "smtp.example.com:587", "EMAIL_ID_SECRET": "0123456789abcdef0123",
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

func TestParseEmailConfig(t *testing.T) {
	c, err := parseConfig(envOf(emailEnv("EMAIL_IMAP_MAILBOX", "INBOX, Soporte")), false)
	if err != nil {
		t.Fatal(err)
	}
	e := c.Email
	if !e.Enabled() || e.IMAPSecurity != email.SecurityTLS || e.SMTPSecurity != email.SecurityStartTLS ||
		e.SMTPUsername != e.IMAPUsername || e.SMTPPassword != "pw" || e.From != DefaultSupportEmail ||
		len(e.Mailboxes) != 2 || e.Mailboxes[1] != "Soporte" || e.MaxSize != email.DefaultMaxSize ||
		e.MaxNewPerHour != email.DefaultMaxNewPerHour || e.SendInterval != email.DefaultSendInterval {
		t.Errorf("email config = %+v", e)
	}
	off, err := parseConfig(envOf(map[string]string{"REDIS_URL": "redis://localhost:6379", "EMAIL_SMTP_ADDR": "x:1"}), false)
	if err != nil || off.Email.Enabled() || len(off.Warnings) != 1 {
		t.Errorf("without EMAIL_IMAP_ADDR: %+v, warnings %v, %v", off.Email, off.Warnings, err)
	}
}

// TestParseEmailConfigErrors: each misconfiguration is refused naming its
// variable.
func TestParseEmailConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"EMAIL_IMAP_ADDR", "imap.example.com"}, "EMAIL_IMAP_ADDR"},
		{[]string{"EMAIL_IMAP_SECURITY", "ssl3"}, "EMAIL_IMAP_SECURITY"},
		{[]string{"EMAIL_IMAP_USERNAME", ""}, "EMAIL_IMAP_USERNAME"},
		{[]string{"EMAIL_IMAP_PASSWORD", ""}, "EMAIL_IMAP_PASSWORD"},
		{[]string{"EMAIL_IMAP_MAILBOX", "INBOX,INBOX"}, "EMAIL_IMAP_MAILBOX"},
		{[]string{"EMAIL_SMTP_ADDR", ""}, "EMAIL_SMTP_ADDR"},
		{[]string{"EMAIL_SMTP_SECURITY", "maybe"}, "EMAIL_SMTP_SECURITY"},
		{[]string{"EMAIL_FROM", "not an address"}, "EMAIL_FROM"},
		{[]string{"EMAIL_ID_SECRET", "short"}, "EMAIL_ID_SECRET"},
		{[]string{"EMAIL_ID_PREVIOUS_SECRETS", "x"}, "EMAIL_ID_PREVIOUS_SECRETS"},
		{[]string{"EMAIL_OAUTH2_CLIENT_ID", "c"}, "EMAIL_OAUTH2_CLIENT_ID"},
		{[]string{"EMAIL_OAUTH2_TOKEN_URL", "https://oauth2.googleapis.com/token"}, "EMAIL_OAUTH2_CLIENT_ID"},
		{[]string{"EMAIL_OAUTH2_TOKEN_URL", "https://t", "EMAIL_OAUTH2_CLIENT_ID", "c", "EMAIL_OAUTH2_REFRESH_TOKEN", "r"}, "EMAIL_IMAP_PASSWORD"},
		{[]string{"EMAIL_CHAT_URL", "t.me/bot"}, "EMAIL_CHAT_URL"},
		{[]string{"EMAIL_MAX_SIZE", "12"}, "EMAIL_MAX_SIZE"},
		{[]string{"EMAIL_MAX_NEW_PER_HOUR", "0"}, "EMAIL_MAX_NEW_PER_HOUR"},
		{[]string{"EMAIL_POLL_INTERVAL", "soon"}, "EMAIL_POLL_INTERVAL"},
		{[]string{"EMAIL_SEND_INTERVAL", "-1s"}, "EMAIL_SEND_INTERVAL"},
	} {
		_, err := parseConfig(envOf(emailEnv(tc.kv...)), false)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != tc.want {
			t.Errorf("%v: error %v; want one naming %s", tc.kv, err, tc.want)
		}
	}
	// XOAUTH2 without passwords is complete.
	if _, err := parseConfig(envOf(emailEnv("EMAIL_IMAP_PASSWORD", "", "EMAIL_OAUTH2_TOKEN_URL", "https://t",
		"EMAIL_OAUTH2_CLIENT_ID", "c", "EMAIL_OAUTH2_REFRESH_TOKEN", "r")), false); err != nil {
		t.Errorf("XOAUTH2: %v", err)
	}
}
