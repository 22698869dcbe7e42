package tickets

import "time"

// EventKind names what happened to a ticket.
type EventKind string

// The kinds of events. Every change of a ticket emits exactly one.
const (
	EventOpened      EventKind = "opened"
	EventMessage     EventKind = "message" // the customer wrote
	EventReply       EventKind = "reply"   // an agent answered the customer
	EventNote        EventKind = "note"    // an agent wrote an internal note
	EventClaimed     EventKind = "claimed"
	EventReleased    EventKind = "released"
	EventWaiting     EventKind = "waiting"
	EventResumed     EventKind = "resumed"
	EventResolved    EventKind = "resolved"
	EventClosed      EventKind = "closed"
	EventReopened    EventKind = "reopened"
	EventPriority    EventKind = "priority"
	EventRated       EventKind = "rated"
	EventUnreachable EventKind = "unreachable" // messages to the customer fail permanently
	EventReachable   EventKind = "reachable"   // messages reach the customer again
	EventDelivered   EventKind = "delivered"   // an agent's reply reached the customer's chat (see Service.MarkDelivered)
	EventErased      EventKind = "erased"      // the personal data was erased at the customer's request (see Service.Forget)
)

// EventKinds lists every kind of event, in the order above.
var EventKinds = []EventKind{
	EventOpened, EventMessage, EventReply, EventNote, EventClaimed, EventReleased, EventWaiting,
	EventResumed, EventResolved, EventClosed, EventReopened, EventPriority, EventRated,
	EventUnreachable, EventReachable, EventDelivered, EventErased,
}

// Valid reports whether k is one of EventKinds.
func (k EventKind) Valid() bool {
	for _, v := range EventKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Event records one change of one ticket. It is written in the same atomic
// step as the change, so delivery can never miss a change.
type Event struct {
	// ID is the position of the event in the desk's event log, set by the
	// store when the event is read back; "" before it is written.
	ID     string
	Number int64
	Kind   EventKind
	From   Status // the status before the change (0 for opened)
	To     Status // the status after the change
	Actor  Actor
	At     time.Time
	// Priority is the ticket's priority after the change; OldPriority is
	// set on EventPriority.
	Priority    Priority
	OldPriority Priority
	// MessageID points at the conversation entry of message, reply and
	// note events.
	MessageID int64
	// Takeover is set on an EventClaimed that took the ticket from another
	// agent; Previous names that agent.
	Takeover bool
	Previous Agent
}

// StatusChange reports whether the event changed the ticket's status.
func (e Event) StatusChange() bool { return e.From != e.To }
