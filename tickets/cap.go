package tickets

import (
	"context"
	"fmt"
	"strings"
)

// ReasonActiveCap is the Reason of the refusal of a customer who already
// has Config.MaxActiveTickets active tickets and opens, or reopens,
// another.
const ReasonActiveCap = "active_cap"

// The cap on a customer's active tickets (Config.MaxActiveTickets): one
// customer cannot fill the queue. It is checked by Open and by a
// customer's own Reopen (an agent may always reopen); adapters ask
// CanOpen before they start a form. The count reads the customer's index
// (Queue.ByCustomer), so it costs one read per MaxPageSize tickets the
// customer ever had. Two opens of one customer at the very same moment may
// both pass (the check and the write are not one atomic step); the
// adapters handle one customer's updates one at a time, so this needs two
// channels racing.

// CanOpen reports whether customer customerKey may open a ticket now: nil,
// or the refusal Open would give (EINVALID with ReasonActiveCap). Errors:
// EINVALID, EINTERNAL.
func (s *Service) CanOpen(ctx context.Context, customerKey string) error {
	if s.cfg.MaxActiveTickets <= 0 {
		return nil
	}
	n, _, _, err := s.scanCustomer(ctx, customerKey, "")
	if err != nil {
		return err
	}
	return s.capped(n)
}

// capOpen applies the cap to an Open of customerKey's. A retry of an Open
// that succeeded (its request ID opened one of the customer's tickets)
// gets that ticket back (done), whatever the count is now.
func (s *Service) capOpen(ctx context.Context, customerKey string) (t Ticket, done bool, err error) {
	if s.cfg.MaxActiveTickets <= 0 {
		return Ticket{}, false, nil
	}
	rid := ""
	if explicitRequestID(ctx) {
		rid = s.requestID(ctx)
	}
	n, t, done, err := s.scanCustomer(ctx, customerKey, rid)
	if err != nil || done {
		return t, done, err
	}
	return Ticket{}, false, s.capped(n)
}

// capReopen applies the cap to actor a's action on a ticket of
// customerKey's when it is a reopening: customers are held to it, agents
// are not.
func (s *Service) capReopen(ctx context.Context, a Actor, action Action, customerKey string) error {
	if s.cfg.MaxActiveTickets <= 0 || action != ActionReopen || a.Role != RoleCustomer {
		return nil
	}
	n, _, _, err := s.scanCustomer(ctx, customerKey, "")
	if err != nil {
		return err
	}
	return s.capped(n)
}

// capped is the refusal for a customer with active tickets active, or nil
// under the cap.
func (s *Service) capped(active int) error {
	if active < s.cfg.MaxActiveTickets {
		return nil
	}
	return &Error{
		Code: EINVALID, Reason: ReasonActiveCap,
		Message: fmt.Sprintf("you already have %d active tickets, the most allowed: add your message to one of them, or wait until one is resolved", active),
	}
}

// scanCustomer counts customerKey's active tickets, up to the cap (all of
// them when rid is set), and finds the ticket opened by request rid
// ("" looks for none).
func (s *Service) scanCustomer(ctx context.Context, customerKey, rid string) (active int, opened Ticket, found bool, err error) {
	for offset := 0; ; offset += MaxPageSize {
		page, err := s.queue.ByCustomer(ctx, customerKey, offset, MaxPageSize)
		if err != nil {
			return 0, Ticket{}, false, wrapInternal("list customer tickets", err)
		}
		for _, t := range page {
			if rid != "" && t.OpenRequest == rid {
				return active, t, true, nil
			}
			if t.Status.Active() {
				active++
			}
		}
		if len(page) < MaxPageSize || (rid == "" && active >= s.cfg.MaxActiveTickets) {
			return active, Ticket{}, false, nil
		}
	}
}

// mailAtCap files mail m, which would have opened a ticket of a sender at
// the cap, as their message on their most recent active ticket: nothing
// is lost, and the adapter tells them where it went.
func (s *Service) mailAtCap(ctx context.Context, m Mail) (Ticket, MailOutcome, error) {
	active, err := s.ActiveTickets(ctx, SystemActor, m.Sender.Key())
	if err != nil {
		return Ticket{}, 0, err
	}
	if len(active) == 0 { // all of them beyond the newest MaxPageSize: unlikely
		return Ticket{}, 0, s.capped(s.cfg.MaxActiveTickets)
	}
	if m.Text == "" && len(m.Attachments) == 0 {
		m.Text = strings.TrimSpace(m.Subject)
	}
	t, _, err := s.customerMail(ctx, active[0], m)
	return t, MailCapped, err
}
