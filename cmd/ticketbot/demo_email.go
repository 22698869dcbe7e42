package main

import (
	"fmt"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/internal/demo"
)

// demoEmail starts the demo's mail server and returns the e-mail settings
// that point the real adapter at it: the support mailbox is SUPPORT_EMAIL,
// with a random password and Message-ID secret, no TLS (loopback only),
// and a quick pace. IDLE brings new mail at once; the poll is a backstop.
func demoEmail(fakes *demo.Fakes, cfg Config) (EmailConfig, error) {
	mail, err := fakes.StartMail(cfg.SupportEmail)
	if err != nil {
		return EmailConfig{}, fmt.Errorf("start the demo's mail server: %w", err)
	}
	return EmailConfig{
		IMAPAddr: mail.Host.IMAPAddr(), IMAPSecurity: email.SecurityNone,
		IMAPUsername: mail.Support, IMAPPassword: mail.SupportPassword, Mailboxes: []string{"INBOX"},
		SMTPAddr: mail.Host.SMTPAddr(), SMTPSecurity: email.SecurityNone,
		SMTPUsername: mail.Support, SMTPPassword: mail.SupportPassword,
		From: mail.Support, FromName: DefaultTeamName, IDSecret: mail.IDSecret,
		ChatURL:       "https://t.me/ticketbot_demo_bot",
		MaxSize:       mailhostMaxSize,
		MaxNewPerHour: email.DefaultMaxNewPerHour,
		PollInterval:  30 * time.Second,
		SendInterval:  100 * time.Millisecond,
	}, nil
}

// mailhostMaxSize is the largest mail the demo's adapter downloads.
const mailhostMaxSize = 10 << 20
