package tickets

import (
	"context"
	"strings"
	"time"
)

// Mail is a mail a person sent to the support address, as the e-mail
// adapter read it: who sent it, which ticket its threading names, and what
// it says. Robots' mail, bounces and our own mails coming back never reach
// the core: the adapter drops them.
type Mail struct {
	// Sender is who the mail says it is from (Platform "email", UserID the
	// lower-cased address).
	Sender Customer
	// Ticket is the ticket the mail's threading names (our Message-IDs in
	// In-Reply-To or References, or a subject tag); 0 when none.
	Ticket int64
	// Authenticated says the sender's address is not forged as far as the
	// adapter can tell (the receiving server's Authentication-Results
	// passed, or no such check is configured).
	Authenticated bool
	Subject       string
	Text          string
	Attachments   []Attachment
	Ref           string // the mail's Message-ID
}

// MailOutcome says what ReceiveMail did with a mail.
type MailOutcome uint8

// The outcomes of ReceiveMail.
const (
	// MailOpened: the mail opened a new ticket (it named none, the one it
	// named does not exist, or is closed).
	MailOpened MailOutcome = iota + 1
	// MailAdded: the mail is the customer's message on their active ticket.
	MailAdded
	// MailReopened: the customer answered their resolved ticket, which is
	// open again with the mail as a message.
	MailReopened
	// MailUnverified: the mail names a ticket of another customer, or its
	// sender is not authenticated: it is an internal note flagged with the
	// sender, which changes nothing else.
	MailUnverified
	// MailCapped: the mail would have opened a ticket, but its sender is at
	// the cap of active tickets (Config.MaxActiveTickets): it is their
	// message on their most recent active ticket instead (cap.go).
	MailCapped
)

var mailOutcomeNames = [...]string{"", "opened", "added", "reopened", "unverified", "capped"}

// String returns the outcome's name.
func (o MailOutcome) String() string {
	if o >= MailOpened && o <= MailCapped {
		return mailOutcomeNames[o]
	}
	return "unknown"
}

// The nature and urgency of a ticket opened by mail, which says neither;
// agents change its priority as they read it.
const (
	MailNature  = NatureQuestion
	MailUrgency = UrgencyNormal
)

// ReceiveMail files a person's mail (policy §3–4):
//
//   - a mail that names no ticket, or one that does not exist, opens a
//     ticket of intake e-mail (no ETA; the terms in force are recorded as
//     accepted by sending);
//   - a mail that names a ticket is its customer's only when the sender is
//     that customer and is authenticated: on an active ticket it is the
//     customer's message (a ticket waiting on them goes back to its
//     agent), on a resolved ticket it reopens it with the message, in one
//     change, and after the ticket was closed it opens a new ticket;
//   - from anyone else (another address, a forged or guessed header, a
//     sender who failed authentication) it is an internal note on the named
//     ticket, flagged with the sender (Message.Unverified), whatever the
//     ticket's status: it changes nothing and reaches no customer.
//
// A new request from a sender at the cap of active tickets is their
// message on their most recent active ticket (MailCapped).
//
// Each outcome is one change with one event (EventOpened, EventMessage —
// from resolved to open for a reopening — or EventNote). A repeated call
// with the same request ID (WithRequestID) does nothing twice. Errors:
// EINVALID (a mail with nothing to store), EINTERNAL.
func (s *Service) ReceiveMail(ctx context.Context, m Mail) (t Ticket, o MailOutcome, err error) {
	defer s.observe("receive_mail", time.Now(), &err)
	if m.Sender.Platform == "" || m.Sender.UserID == "" {
		return Ticket{}, 0, Errorf(EINVALID, "the sender is not identified")
	}
	m.Text = strings.TrimSpace(m.Text)
	if m.Ticket > 0 {
		cur, err := s.store.Get(ctx, m.Ticket)
		switch {
		case ErrorCode(err) == ENOTFOUND:
			// A number that names nothing: a new request.
		case err != nil:
			return Ticket{}, 0, wrapInternal("get ticket", err)
		case cur.Customer.Key() != m.Sender.Key() || !m.Authenticated:
			t, err := s.unverifiedMail(ctx, cur.Number, m)
			return t, MailUnverified, err
		default:
			t, o, err := s.customerMail(ctx, cur, m)
			if ErrorReason(err) != ReasonInactive {
				return t, o, err
			}
			// Closed: a new ticket.
		}
	}
	desc := m.Text
	if desc == "" {
		desc = strings.TrimSpace(m.Subject)
	}
	t, err = s.Open(ctx, OpenRequest{
		Customer: m.Sender, Intake: IntakeEmail, Nature: MailNature, Urgency: MailUrgency,
		Subject: m.Subject, Description: desc, Attachments: m.Attachments, Ref: m.Ref,
	})
	if ErrorReason(err) == ReasonActiveCap {
		return s.mailAtCap(ctx, m)
	}
	return t, MailOpened, err
}

// customerMail adds the customer's mail m to their ticket cur in one
// change: a message on an active ticket, or on a resolved one, which it
// reopens. A closed ticket is refused with ReasonInactive.
func (s *Service) customerMail(ctx context.Context, cur Ticket, m Mail) (Ticket, MailOutcome, error) {
	if m.Text == "" && len(m.Attachments) == 0 {
		return Ticket{}, 0, Errorf(EINVALID, "the message is empty").withReason(ReasonEmpty, 0)
	}
	if err := checkText(m.Text, len(m.Attachments)); err != nil {
		return Ticket{}, 0, err
	}
	a := CustomerActor(cur.Customer)
	o := MailAdded
	t, err := s.mutate(ctx, a, cur.Number, func(t *Ticket, c *Change) error {
		o = MailAdded
		switch {
		case t.Status == StatusResolved:
			to, err := Transition(t.Status, ActionReopen)
			if err != nil {
				return err
			}
			t.Status, t.Assignee = to, Agent{}
			c.Queue = QueueAdd
			o = MailReopened
		case !t.Status.Active():
			return Errorf(EINVALID, "ticket #%d is %s", t.Number, t.Status).withReason(ReasonInactive, t.Status)
		case t.Status == StatusWaiting:
			t.Status = StatusClaimed
		}
		t.Messages++
		msg := &Message{ID: t.Messages, Kind: MessageCustomer, Author: a, Text: m.Text, Attachments: m.Attachments, Ref: m.Ref, At: c.Event.At}
		c.Message, c.Event.Kind, c.Event.MessageID = msg, EventMessage, msg.ID
		return nil
	})
	return t, o, err
}

// unverifiedMail adds mail m, whose sender is not proven to be ticket
// number's customer, as an internal note flagged with the sender.
func (s *Service) unverifiedMail(ctx context.Context, number int64, m Mail) (Ticket, error) {
	if m.Text == "" && len(m.Attachments) == 0 {
		m.Text = strings.TrimSpace(m.Subject)
	}
	if m.Text == "" && len(m.Attachments) == 0 {
		return Ticket{}, Errorf(EINVALID, "the message is empty").withReason(ReasonEmpty, 0)
	}
	if err := checkText(m.Text, len(m.Attachments)); err != nil {
		return Ticket{}, err
	}
	from := m.Sender.UserID
	a := Actor{Role: RoleSystem, ID: SystemActor.ID, Name: m.Sender.Name}
	return s.mutate(ctx, a, number, func(t *Ticket, c *Change) error {
		t.Messages++
		msg := &Message{ID: t.Messages, Kind: MessageNote, Author: a, Text: m.Text, Attachments: m.Attachments,
			Ref: m.Ref, At: c.Event.At, Unverified: from}
		c.Message, c.Event.Kind, c.Event.MessageID = msg, EventNote, msg.ID
		return nil
	})
}
