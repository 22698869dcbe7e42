package tickets

import "time"

// claim is a claim as decideClaim decides it.
type claim struct {
	ticket Ticket // the ticket as the claim leaves it (status, assignee, UpdatedAt)
	event  Event  // the claimed event, with every field but ID
	// dequeue is set when the ticket was queued: the claim takes it off
	// the queue and counts for wait estimates.
	dequeue bool
}

// decideClaim is the one claim rule, used by Service.Claim, by Can for
// ActionClaim and, on a queued ticket, by Service.ClaimNext. Only agents
// claim. An open ticket goes to a; the owner of a ticket waiting on the
// customer takes it back (claimed); the owner claiming a claimed ticket
// changes nothing (errUnchanged). A ticket another agent owns is refused
// with ECONFLICT naming the holder unless takeover is set: then it changes
// owner and, waiting, is claimed again. Every change of status goes
// through Transition, which refuses the rest (resolved, closed).
func decideClaim(a Actor, t Ticket, takeover bool, now time.Time) (claim, error) {
	if err := requireAgent(a); err != nil {
		return claim{}, err
	}
	ev := Event{Number: t.Number, Kind: EventClaimed, From: t.Status, Actor: a, At: now, Priority: t.Priority}
	to := t.Status
	switch {
	case t.Claimed() && t.Assignee.ID != a.ID && t.Status.Active():
		if !takeover {
			return claim{}, holderConflict(t)
		}
		ev.Takeover, ev.Previous = true, t.Assignee
		if t.Status != StatusClaimed {
			var err error
			if to, err = Transition(t.Status, ActionClaim); err != nil {
				return claim{}, err
			}
		}
	case t.Status == StatusClaimed && t.Assignee.ID == a.ID:
		return claim{}, errUnchanged
	default:
		var err error
		if to, err = Transition(t.Status, ActionClaim); err != nil {
			return claim{}, err
		}
	}
	ev.To = to
	t.Status, t.Assignee, t.UpdatedAt = to, Agent{ID: a.ID, Name: a.Name}, now
	return claim{ticket: t, event: ev, dequeue: ev.From == StatusOpen}, nil
}

// holderConflict is the ECONFLICT of acting on ticket t, which another
// agent owns, naming them.
func holderConflict(t Ticket) *Error {
	return &Error{Code: ECONFLICT, Message: "ticket #" + itoa(t.Number) + " is claimed by " + t.Assignee.Name, Holder: t.Assignee.Name}
}
