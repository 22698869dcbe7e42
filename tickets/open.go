package tickets

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// OpenRequest is what a customer submits to open a ticket.
type OpenRequest struct {
	Customer    Customer
	Intake      Intake
	Nature      Nature
	Urgency     Urgency
	Subject     string // optional: derived from the description when empty
	Description string
	Attachments []Attachment
	// Ref is the platform reference of what opened the ticket (a mail's
	// Message-ID), kept as Ticket.Ref.
	Ref string
}

// Open validates r, ranks it with the priority policy and queues it.
// Chat intake requires the current terms to be accepted (policy §7); an
// e-mail request accepts them by being sent. A repeated call with the same
// request ID (WithRequestID) returns the ticket the first call opened, as
// it is now, even when the customer is at the cap of active tickets
// since. A customer at that cap is refused (ReasonActiveCap). Errors:
// EINVALID, ETERMS, EINTERNAL.
func (s *Service) Open(ctx context.Context, r OpenRequest) (t Ticket, err error) {
	defer s.observe("open", time.Now(), &err)
	if r.Intake == "" {
		r.Intake = IntakeChat
	}
	if err := validateOpen(&r); err != nil {
		return Ticket{}, err
	}
	if r.Intake == IntakeChat && s.cfg.TermsVersion != "" {
		p, err := s.Profile(ctx, r.Customer)
		if err != nil {
			return Ticket{}, err
		}
		if s.NeedsTerms(p) {
			return Ticket{}, ErrTermsNotAccepted
		}
	}
	if t, done, err := s.capOpen(ctx, r.Customer.Key()); err != nil || done {
		return t, err
	}
	now := s.cfg.Clock.Now().UTC().Truncate(time.Millisecond)
	t = Ticket{
		Customer:    r.Customer,
		Intake:      r.Intake,
		Nature:      r.Nature,
		Urgency:     r.Urgency,
		Priority:    s.cfg.Policy.Priority(r.Nature, r.Urgency),
		Subject:     r.Subject,
		Description: r.Description,
		Attachments: r.Attachments,
		Ref:         r.Ref,
		Status:      StatusOpen,
		CreatedAt:   now,
		UpdatedAt:   now,
		// A chat customer accepted these terms before (checked above);
		// an e-mail customer accepts them by sending (policy §7).
		TermsVersion: s.cfg.TermsVersion,
	}
	t.OpenRequest = s.requestID(ctx)
	ev := Event{Kind: EventOpened, To: StatusOpen, Actor: CustomerActor(r.Customer), At: now, Priority: t.Priority}
	t, err = s.store.Create(ctx, t, ev, t.OpenRequest)
	if err != nil {
		return Ticket{}, wrapInternal("create ticket", err)
	}
	ev.Number = t.Number
	s.cfg.Observer.Emitted(ev)
	return t, nil
}

func validateOpen(r *OpenRequest) error {
	if r.Customer.Platform == "" || r.Customer.UserID == "" {
		return Errorf(EINVALID, "the customer is not identified")
	}
	if !r.Intake.Valid() {
		return Errorf(EINVALID, "unknown intake %q", r.Intake)
	}
	if !r.Nature.Valid() {
		return Errorf(EINVALID, "unknown nature %q", r.Nature)
	}
	if !r.Urgency.Valid() {
		return Errorf(EINVALID, "unknown urgency")
	}
	r.Description = strings.TrimSpace(r.Description)
	if r.Description == "" {
		return Errorf(EINVALID, "the description is empty").withReason(ReasonEmpty, 0)
	}
	if err := checkText(r.Description, len(r.Attachments)); err != nil {
		return err
	}
	r.Subject = strings.TrimSpace(r.Subject)
	if utf8.RuneCountInString(r.Subject) > MaxSubjectRunes {
		return Errorf(EINVALID, "the subject is too long (at most %d characters)", MaxSubjectRunes).withReason(ReasonTooLong, 0)
	}
	if r.Subject == "" {
		r.Subject = subjectOf(r.Description)
	}
	return nil
}

func checkText(text string, attachments int) error {
	if n := utf8.RuneCountInString(text); n > MaxTextRunes {
		return Errorf(EINVALID, "the text is too long (%d characters, at most %d)", n, MaxTextRunes).withReason(ReasonTooLong, 0)
	}
	if attachments > MaxAttachments {
		return Errorf(EINVALID, "too many attachments (at most %d per message)", MaxAttachments).withReason(ReasonAttachments, 0)
	}
	return nil
}
