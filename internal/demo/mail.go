package demo

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/internal/demo/mailhost"
)

// Mail is the demo's mail server with its two accounts: the support
// mailbox, which the e-mail adapter reads over IMAP and sends from over
// SMTP, and the customer's, which the page's mail pane plays.
type Mail struct {
	Host *mailhost.Host
	// Support is the support address; SupportPassword logs the adapter in
	// to both servers.
	Support         string
	SupportPassword string
	// IDSecret keys the adapter's Message-IDs (EMAIL_ID_SECRET).
	IDSecret string
	// Customer is the address the page writes from; its password stays
	// with the page.
	Customer         email.Address
	customerPassword string
}

// DefaultMailCustomer is the demo customer's mailbox: Carla Gómez.
func DefaultMailCustomer() email.Address {
	return email.Address{Name: "Carla Gómez", Address: "cliente@example.com"}
}

// StartMail starts the demo's mail server on loopback ports with the
// accounts of support (SUPPORT_EMAIL) and of DefaultMailCustomer, each
// with a random password, and a random Message-ID secret.
func (f *Fakes) StartMail(support string) (*Mail, error) {
	support = strings.ToLower(strings.TrimSpace(support))
	h, err := mailhost.Start()
	if err != nil {
		return nil, fmt.Errorf("demo: start the mail server: %w", err)
	}
	m := &Mail{Host: h, Support: support, Customer: DefaultMailCustomer(),
		SupportPassword: randomHex(16), customerPassword: randomHex(16), IDSecret: randomHex(32)}
	if support == m.Customer.Address {
		h.Close()
		return nil, fmt.Errorf("demo: the support address %s is the demo customer's", support)
	}
	for addr, pw := range map[string]string{support: m.SupportPassword, m.Customer.Address: m.customerPassword} {
		if err := h.AddAccount(addr, pw); err != nil {
			h.Close()
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	f.Mail = m
	return m, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather)
	return hex.EncodeToString(b)
}
