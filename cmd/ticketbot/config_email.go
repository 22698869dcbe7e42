package main

import (
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

// EmailConfig configures the e-mail channel; it is off when IMAPAddr is
// empty.
type EmailConfig struct {
	IMAPAddr     string
	IMAPSecurity email.Security
	IMAPUsername string
	IMAPPassword string
	// Mailboxes are the folders read ("INBOX").
	Mailboxes    []string
	SMTPAddr     string
	SMTPSecurity email.Security
	SMTPUsername string
	SMTPPassword string
	// From is the address our mails come from (SUPPORT_EMAIL by default)
	// and FromName its display name.
	From     string
	FromName string
	// IDSecret keys our Message-IDs; PreviousSecrets are recognised after
	// a rotation.
	IDSecret        string
	PreviousSecrets []string
	// OAuth2 replaces the passwords with XOAUTH2 when TokenURL is set.
	OAuth2 email.OAuth2Config
	// ChatURL is the faster channel the acknowledgement names.
	ChatURL       string
	MaxSize       int64
	MaxNewPerHour int
	AuthServID    string
	PollInterval  time.Duration
	SendInterval  time.Duration
}

// Enabled reports whether the e-mail channel runs.
func (c EmailConfig) Enabled() bool { return c.IMAPAddr != "" }

// emailVars are the settings of the channel, each named in its errors.
var emailVars = []string{
	"EMAIL_IMAP_SECURITY", "EMAIL_IMAP_USERNAME", "EMAIL_IMAP_PASSWORD", "EMAIL_IMAP_MAILBOX",
	"EMAIL_SMTP_ADDR", "EMAIL_SMTP_SECURITY", "EMAIL_SMTP_USERNAME", "EMAIL_SMTP_PASSWORD",
	"EMAIL_FROM", "EMAIL_FROM_NAME", "EMAIL_ID_SECRET", "EMAIL_ID_PREVIOUS_SECRETS",
	"EMAIL_OAUTH2_TOKEN_URL", "EMAIL_OAUTH2_CLIENT_ID", "EMAIL_OAUTH2_CLIENT_SECRET", "EMAIL_OAUTH2_REFRESH_TOKEN",
	"EMAIL_OAUTH2_SCOPES", "EMAIL_CHAT_URL", "EMAIL_MAX_SIZE", "EMAIL_MAX_NEW_PER_HOUR", "EMAIL_AUTHSERV_ID",
	"EMAIL_POLL_INTERVAL", "EMAIL_SEND_INTERVAL",
}

func parseEmail(env func(string, string) string, supportEmail string, warnings *[]string) (EmailConfig, error) {
	c := EmailConfig{IMAPAddr: env("EMAIL_IMAP_ADDR", "")}
	if !c.Enabled() {
		for _, name := range emailVars {
			if env(name, "") != "" {
				*warnings = append(*warnings, name+" is ignored: EMAIL_IMAP_ADDR is not set")
			}
		}
		return EmailConfig{}, nil
	}
	var err error
	if err := hostPort("EMAIL_IMAP_ADDR", c.IMAPAddr); err != nil {
		return EmailConfig{}, err
	}
	if c.IMAPSecurity, err = security(env, "EMAIL_IMAP_SECURITY"); err != nil {
		return EmailConfig{}, err
	}
	c.IMAPUsername = env("EMAIL_IMAP_USERNAME", "")
	if c.IMAPUsername == "" {
		return EmailConfig{}, configErr("EMAIL_IMAP_USERNAME", "required with EMAIL_IMAP_ADDR: the mailbox's login")
	}
	c.IMAPPassword = env("EMAIL_IMAP_PASSWORD", "")
	for _, mb := range strings.Split(env("EMAIL_IMAP_MAILBOX", "INBOX"), ",") {
		mb = strings.TrimSpace(mb)
		if mb == "" {
			return EmailConfig{}, configErr("EMAIL_IMAP_MAILBOX", "an empty folder name")
		}
		for _, seen := range c.Mailboxes {
			if seen == mb {
				return EmailConfig{}, configErr("EMAIL_IMAP_MAILBOX", "%q is listed twice", mb)
			}
		}
		c.Mailboxes = append(c.Mailboxes, mb)
	}

	c.SMTPAddr = env("EMAIL_SMTP_ADDR", "")
	if c.SMTPAddr == "" {
		return EmailConfig{}, configErr("EMAIL_SMTP_ADDR", "required with EMAIL_IMAP_ADDR: the submission server (host:587)")
	}
	if err := hostPort("EMAIL_SMTP_ADDR", c.SMTPAddr); err != nil {
		return EmailConfig{}, err
	}
	if c.SMTPSecurity, err = security(env, "EMAIL_SMTP_SECURITY"); err != nil {
		return EmailConfig{}, err
	}
	c.SMTPUsername = env("EMAIL_SMTP_USERNAME", c.IMAPUsername)
	c.SMTPPassword = env("EMAIL_SMTP_PASSWORD", c.IMAPPassword)

	c.OAuth2 = email.OAuth2Config{
		TokenURL: env("EMAIL_OAUTH2_TOKEN_URL", ""), ClientID: env("EMAIL_OAUTH2_CLIENT_ID", ""),
		ClientSecret: env("EMAIL_OAUTH2_CLIENT_SECRET", ""), RefreshToken: env("EMAIL_OAUTH2_REFRESH_TOKEN", ""),
	}
	if s := env("EMAIL_OAUTH2_SCOPES", ""); s != "" {
		c.OAuth2.Scopes = strings.Fields(strings.ReplaceAll(s, ",", " "))
	}
	if c.OAuth2.TokenURL != "" {
		if !isWebURL(c.OAuth2.TokenURL) {
			return EmailConfig{}, configErr("EMAIL_OAUTH2_TOKEN_URL", "%q is not an http(s) URL", c.OAuth2.TokenURL)
		}
		if c.OAuth2.ClientID == "" {
			return EmailConfig{}, configErr("EMAIL_OAUTH2_CLIENT_ID", "required with EMAIL_OAUTH2_TOKEN_URL")
		}
		if c.OAuth2.RefreshToken == "" {
			return EmailConfig{}, configErr("EMAIL_OAUTH2_REFRESH_TOKEN", "required with EMAIL_OAUTH2_TOKEN_URL: a refresh token granted for the mailbox")
		}
		if c.IMAPPassword != "" {
			return EmailConfig{}, configErr("EMAIL_IMAP_PASSWORD", "contradicts EMAIL_OAUTH2_TOKEN_URL (XOAUTH2); set only one of them")
		}
	} else {
		for _, name := range []string{"EMAIL_OAUTH2_CLIENT_ID", "EMAIL_OAUTH2_CLIENT_SECRET", "EMAIL_OAUTH2_REFRESH_TOKEN", "EMAIL_OAUTH2_SCOPES"} {
			if env(name, "") != "" {
				return EmailConfig{}, configErr(name, "needs EMAIL_OAUTH2_TOKEN_URL")
			}
		}
		if c.IMAPPassword == "" {
			return EmailConfig{}, configErr("EMAIL_IMAP_PASSWORD", "required with EMAIL_IMAP_ADDR (or log in with XOAUTH2: EMAIL_OAUTH2_TOKEN_URL)")
		}
	}

	c.From = strings.ToLower(env("EMAIL_FROM", supportEmail))
	if a, err := mail.ParseAddress(c.From); err != nil || !strings.EqualFold(a.Address, c.From) {
		return EmailConfig{}, configErr("EMAIL_FROM", "%q is not an e-mail address", c.From)
	}
	c.FromName = env("EMAIL_FROM_NAME", DefaultTeamName)
	c.IDSecret = env("EMAIL_ID_SECRET", "")
	if len(c.IDSecret) < email.MinSecretLen {
		return EmailConfig{}, configErr("EMAIL_ID_SECRET", "required with EMAIL_IMAP_ADDR: at least %d random characters that key our Message-IDs (keep it: replies to mails sent under it thread by it)", email.MinSecretLen)
	}
	if prev := env("EMAIL_ID_PREVIOUS_SECRETS", ""); prev != "" {
		for _, p := range strings.Split(prev, ",") {
			if p = strings.TrimSpace(p); len(p) < email.MinSecretLen {
				return EmailConfig{}, configErr("EMAIL_ID_PREVIOUS_SECRETS", "each secret needs at least %d characters", email.MinSecretLen)
			}
			c.PreviousSecrets = append(c.PreviousSecrets, strings.TrimSpace(p))
		}
	}
	c.ChatURL = env("EMAIL_CHAT_URL", "")
	if c.ChatURL != "" && !isWebURL(c.ChatURL) {
		return EmailConfig{}, configErr("EMAIL_CHAT_URL", "%q is not an http(s) URL", c.ChatURL)
	}
	c.MaxSize = email.DefaultMaxSize
	if v := env("EMAIL_MAX_SIZE", ""); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 64<<10 || n > 200<<20 {
			return EmailConfig{}, configErr("EMAIL_MAX_SIZE", "%q: want a size in bytes from 65536 to 209715200", v)
		}
		c.MaxSize = n
	}
	c.MaxNewPerHour = email.DefaultMaxNewPerHour
	if v := env("EMAIL_MAX_NEW_PER_HOUR", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return EmailConfig{}, configErr("EMAIL_MAX_NEW_PER_HOUR", "%q is not a positive number", v)
		}
		c.MaxNewPerHour = n
	}
	c.AuthServID = env("EMAIL_AUTHSERV_ID", "")
	if c.PollInterval, err = parseDuration(env, "EMAIL_POLL_INTERVAL", 3*time.Minute); err != nil {
		return EmailConfig{}, err
	}
	if c.SendInterval, err = parseDuration(env, "EMAIL_SEND_INTERVAL", email.DefaultSendInterval); err != nil {
		return EmailConfig{}, err
	}
	return c, nil
}

// security reads a connection security variable: starttls (default),
// tls or none.
func security(env func(string, string) string, name string) (email.Security, error) {
	v := env(name, "starttls")
	s, err := email.ParseSecurity(strings.ToLower(v))
	if err != nil {
		return 0, configErr(name, "%q: want starttls, tls or none", v)
	}
	return s, nil
}

// hostPort checks that variable name holds host:port.
func hostPort(name, v string) error {
	host, port, err := net.SplitHostPort(v)
	if p, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
		return configErr(name, "%q is not a host:port address", v)
	}
	return nil
}
