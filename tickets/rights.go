package tickets

import (
	"context"
	"errors"
	"strings"
	"time"
)

// The holder's rights (Ley 1581 de 2012, art. 8): a customer may know what
// is stored about them (CustomerData) and ask for its deletion (Forget).

// Eraser deletes what an adapter keeps about a customer whose personal
// data is erased: drafts, messages waiting to be sent, references, counters.
// Service.Forget calls every Config.Erasers after the customer's tickets
// were erased in the store, with those tickets as they were before.
type Eraser interface {
	EraseCustomer(ctx context.Context, c Customer, erased []Ticket) error
}

// Erasure is the erasure of one ticket, decided by Service.Forget.
type Erasure struct {
	// Ticket is what is kept: no personal data, Erased set, Version the
	// stored version + 1.
	Ticket Ticket
	// CustomerKey and Assignee name the indexes the ticket leaves.
	CustomerKey string
	Assignee    string
	Event       Event
}

// ErasureActor is the system actor of the changes Forget makes: the
// closing of a ticket whose customer asked for the deletion of their data
// and its erasure. Adapters tell agents, never the customer, about them.
var ErasureActor = Actor{Role: RoleSystem, ID: "system:erasure", Name: "ticketbot"}

// ErrErased is returned for a change of a ticket whose data was erased at
// its customer's request: it can never change again.
var ErrErased = &Error{Code: EINVALID, Message: "this ticket's data was deleted at the customer's request", Reason: ReasonErased}

// ReasonErased is the Reason of ErrErased.
const ReasonErased = "erased"

// TicketData is one ticket as its customer may see it: the ticket and its
// conversation without the agents' internal notes.
type TicketData struct {
	Ticket   Ticket
	Messages []Message
}

// CustomerData is everything ticketbot stores about a customer, as the
// customer may see it: their profile (language, the terms and the
// authorization they gave, and when) and their tickets.
type CustomerData struct {
	Profile Profile
	Tickets []TicketData
}

// Forgotten says what Forget did.
type Forgotten struct {
	Closed []int64 // tickets closed by the system first
	Erased []int64 // every ticket erased
}

// customerPage bounds each read of a customer's tickets or of a
// conversation.
const customerPage = 200

// mayActFor reports whether a may know or erase customerKey's data: the
// customer themselves, or an operator (the system).
func mayActFor(a Actor, customerKey string) error {
	switch {
	case customerKey == "" || !strings.Contains(customerKey, ":"):
		return Errorf(EINVALID, "unknown customer %q", customerKey)
	case a.Role == RoleSystem, a.Role == RoleCustomer && a.ID == customerKey:
		return nil
	}
	return Errorf(EFORBIDDEN, "only the customer or an operator can do this")
}

// CustomerData returns what is stored about customer customerKey; the
// agents' internal notes are never part of it. The customer asks for
// their own, an operator (SystemActor) for anyone's. Errors: EINVALID,
// EFORBIDDEN, EINTERNAL.
func (s *Service) CustomerData(ctx context.Context, a Actor, customerKey string) (d CustomerData, err error) {
	defer s.observe("customer_data", time.Now(), &err)
	if err := mayActFor(a, customerKey); err != nil {
		return CustomerData{}, err
	}
	if d.Profile, err = s.profiles.Profile(ctx, customerKey); err != nil {
		return CustomerData{}, wrapInternal("read profile", err)
	}
	d.Profile.CustomerKey = customerKey
	ts, err := s.allTickets(ctx, customerKey)
	if err != nil {
		return CustomerData{}, err
	}
	for _, t := range ts {
		td := TicketData{Ticket: t}
		for after := int64(0); ; {
			ms, err := s.store.Messages(ctx, t.Number, after, customerPage)
			if err != nil {
				return CustomerData{}, wrapInternal("read conversation", err)
			}
			for _, m := range ms {
				if m.Kind != MessageNote {
					td.Messages = append(td.Messages, m)
				}
				after = m.ID
			}
			if len(ms) < customerPage {
				break
			}
		}
		d.Tickets = append(d.Tickets, td)
	}
	return d, nil
}

// allTickets returns every ticket of customerKey, newest first.
func (s *Service) allTickets(ctx context.Context, customerKey string) ([]Ticket, error) {
	var out []Ticket
	for {
		ts, err := s.queue.ByCustomer(ctx, customerKey, len(out), customerPage)
		if err != nil {
			return nil, wrapInternal("list customer tickets", err)
		}
		out = append(out, ts...)
		if len(ts) < customerPage {
			return out, nil
		}
	}
}

// Forget deletes customer customerKey's personal data: each of their
// tickets not yet closed is closed by ErasureActor (an EventClosed the
// agents see on its card; the customer is not sent it), then each ticket is erased (only its number, nature,
// urgency, priority, status, intake, times, rating stars and message count
// are kept; an EventErased; it can never change again), every
// Config.Erasers deletes what its adapter keeps, and their profile and the
// events they caused are deleted. Repeating it is harmless. The customer
// asks for their own, an operator (SystemActor) for anyone's. Errors:
// EINVALID, EFORBIDDEN, EINTERNAL.
func (s *Service) Forget(ctx context.Context, a Actor, customerKey string) (f Forgotten, err error) {
	defer s.observe("forget", time.Now(), &err)
	if err := mayActFor(a, customerKey); err != nil {
		return Forgotten{}, err
	}
	ts, err := s.allTickets(ctx, customerKey)
	if err != nil {
		return Forgotten{}, err
	}
	before := make([]Ticket, 0, len(ts))
	for _, t := range ts {
		if t.Erased.IsZero() && t.Status != StatusClosed {
			if t, err = s.closeForErasure(ctx, t.Number); err != nil {
				return f, err
			}
			f.Closed = append(f.Closed, t.Number)
		}
		t, err = s.erase(ctx, t.Number)
		if err != nil {
			return f, err
		}
		before = append(before, t)
		f.Erased = append(f.Erased, t.Number)
	}
	c := customerOf(customerKey, before)
	var errs []error
	for _, e := range s.cfg.Erasers {
		if err := e.EraseCustomer(ctx, c, before); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.profiles.ForgetCustomer(ctx, customerKey); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return f, Internal("erase customer data", err)
	}
	return f, nil
}

// closeForErasure closes ticket number, whatever its status, as the
// system, because its customer asked for their data to be deleted.
func (s *Service) closeForErasure(ctx context.Context, number int64) (Ticket, error) {
	return s.mutate(ctx, ErasureActor, number, func(t *Ticket, c *Change) error {
		if t.Status == StatusClosed {
			return errUnchanged
		}
		if t.Status == StatusOpen {
			c.Queue = QueueRemove
		}
		t.Status = StatusClosed
		c.Event.Kind = EventClosed
		return nil
	})
}

// erase erases ticket number and returns it as it was before; a ticket
// erased already is returned as it is.
func (s *Service) erase(ctx context.Context, number int64) (Ticket, error) {
	for attempt := 0; ; attempt++ {
		cur, err := s.store.Get(ctx, number)
		if err != nil {
			return Ticket{}, wrapInternal("get ticket", err)
		}
		if !cur.Erased.IsZero() {
			return cur, nil
		}
		if cur.Status != StatusClosed {
			// Reopened since it was closed for the erasure: an erased
			// ticket is always closed (and so in the finished index,
			// which the retention sweeps).
			if _, err := s.closeForErasure(ctx, number); err != nil {
				return Ticket{}, err
			}
			continue
		}
		now := s.cfg.Clock.Now().UTC().Truncate(time.Millisecond)
		kept := Ticket{
			Number: cur.Number, Version: cur.Version + 1,
			Customer: Customer{Platform: cur.Customer.Platform},
			Intake:   cur.Intake, Nature: cur.Nature, Urgency: cur.Urgency, Priority: cur.Priority,
			Status: cur.Status, CreatedAt: cur.CreatedAt, UpdatedAt: now,
			Messages: cur.Messages, Rating: Rating{Stars: cur.Rating.Stars}, Erased: now,
		}
		ev := Event{Number: number, Kind: EventErased, From: cur.Status, To: cur.Status, Actor: ErasureActor, At: now, Priority: cur.Priority}
		_, err = s.store.Erase(ctx, Erasure{Ticket: kept, CustomerKey: cur.Customer.Key(), Assignee: cur.Assignee.ID, Event: ev})
		if err == nil {
			s.cfg.Observer.Emitted(ev)
			return cur, nil
		}
		if !errors.Is(err, ErrVersionConflict) || attempt+1 >= maxAttempts {
			return Ticket{}, wrapInternal("erase ticket", err)
		}
	}
}

// customerOf returns the customer of customerKey as their latest ticket
// names them, or as the key alone does.
func customerOf(customerKey string, ts []Ticket) Customer {
	if len(ts) > 0 {
		return ts[0].Customer
	}
	platform, user, _ := strings.Cut(customerKey, ":")
	return Customer{Platform: platform, UserID: user, ChatID: user}
}
