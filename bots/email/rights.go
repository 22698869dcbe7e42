package email

import (
	"context"
	"fmt"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// privacy is the privacy notice the acknowledgement names: its version and
// link, the terms' when unset.
func (b *Bot) privacy() (version, url string) {
	c := b.svc.Consent()
	version, url = c.Privacy, b.cfg.PrivacyURL
	if version == "" {
		version = c.Terms
	}
	if url == "" {
		url = b.cfg.TermsURL
	}
	return version, url
}

// SenderStorage deletes what is kept about a sender; store.Email is one.
type SenderStorage interface {
	// EraseSender deletes the sender's counters, inbound dead letters and
	// delivery lane.
	EraseSender(ctx context.Context, addr string) error
}

// SenderEraser is the tickets.Eraser of the e-mail channel: it deletes
// what the channel keeps about an e-mail customer.
type SenderEraser struct{ Storage SenderStorage }

// EraseCustomer implements tickets.Eraser.
func (e SenderEraser) EraseCustomer(ctx context.Context, c tickets.Customer, _ []tickets.Ticket) error {
	if c.Platform != Platform || c.UserID == "" {
		return nil
	}
	if err := e.Storage.EraseSender(ctx, c.UserID); err != nil {
		return fmt.Errorf("email: %w", err)
	}
	return nil
}
