package tickets

import "fmt"

// Status is where a ticket is in its life. The zero value is invalid.
type Status uint8

// The statuses of a ticket, in lifecycle order.
const (
	StatusOpen     Status = iota + 1 // queued, waiting for an agent
	StatusClaimed                    // an agent owns it
	StatusWaiting                    // the agent waits on the customer
	StatusResolved                   // the agent considers it solved
	StatusClosed                     // finished; can still be reopened
)

var statusNames = [...]string{"", "open", "claimed", "waiting", "resolved", "closed"}

// String returns the status's stable name ("open", "claimed", ...).
func (s Status) String() string {
	if int(s) < len(statusNames) && s != 0 {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool { return s >= StatusOpen && s <= StatusClosed }

// Active reports whether the ticket still needs the support team: open,
// claimed or waiting.
func (s Status) Active() bool { return s == StatusOpen || s == StatusClaimed || s == StatusWaiting }

// ParseStatus returns the status named name.
func ParseStatus(name string) (Status, error) {
	for i, n := range statusNames {
		if i > 0 && n == name {
			return Status(i), nil
		}
	}
	return 0, Errorf(EINVALID, "unknown status %q", name)
}

// Action is a change of status that someone asks for: the closed set of
// the lifecycle's transitions (what else an actor may do is a Permission).
// The zero value is invalid.
type Action uint8

// The actions that move a ticket between statuses.
const (
	ActionClaim   Action = iota + 1 // open → claimed; waiting → claimed (the owner resumes)
	ActionRelease                   // claimed|waiting → open, back at its arrival position
	ActionWait                      // claimed → waiting on the customer
	ActionResume                    // waiting → claimed (the customer answered)
	ActionResolve                   // claimed|waiting → resolved
	ActionClose                     // resolved → closed
	ActionReopen                    // resolved|closed → open
)

var actionNames = [...]string{"", "claim", "release", "wait", "resume", "resolve", "close", "reopen"}

// String returns the action's name.
func (a Action) String() string {
	if a.Valid() {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Valid reports whether a is one of the defined actions.
func (a Action) Valid() bool { return a >= ActionClaim && a <= ActionReopen }

// transitions lists every allowed (from, action) → to. Anything else is
// refused by Transition.
var transitions = map[Status]map[Action]Status{
	StatusOpen:     {ActionClaim: StatusClaimed},
	StatusClaimed:  {ActionRelease: StatusOpen, ActionWait: StatusWaiting, ActionResolve: StatusResolved},
	StatusWaiting:  {ActionClaim: StatusClaimed, ActionResume: StatusClaimed, ActionRelease: StatusOpen, ActionResolve: StatusResolved},
	StatusResolved: {ActionClose: StatusClosed, ActionReopen: StatusOpen},
	StatusClosed:   {ActionReopen: StatusOpen},
}

// Transition returns the status that action leads to from from, or an
// EINVALID *Error naming both when the lifecycle does not allow it.
func Transition(from Status, action Action) (Status, error) {
	if to, ok := transitions[from][action]; ok {
		return to, nil
	}
	return 0, &Error{Code: EINVALID, Message: fmt.Sprintf("cannot %s a ticket that is %s", action, from), Reason: ReasonTransition, Status: from}
}

// Finished reports whether the support team is done with the ticket:
// resolved or closed. A finished ticket's personal content is deleted once
// the retention has passed (Service.Sweep) unless it is reopened before.
func (s Status) Finished() bool { return s == StatusResolved || s == StatusClosed }
