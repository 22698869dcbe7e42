package tickets

import "fmt"

// Permission is something an actor may do to a ticket that is not a change
// of its status (those are Actions, checked by Can). The zero value is
// invalid.
type Permission uint8

// The permissions adapters ask about with Permitted.
const (
	PermissionReply    Permission = iota + 1 // answer the customer: the owner of a claimed or waiting ticket
	PermissionNote                           // add an internal note: any agent
	PermissionPriority                       // change the priority of an active ticket: any agent while queued, then its owner
	PermissionRate                           // rate a resolved or closed ticket, once: its customer
)

var permissionNames = [...]string{"", "reply", "note", "priority", "rate"}

// String returns the permission's name.
func (p Permission) String() string {
	if p.Valid() {
		return permissionNames[p]
	}
	return fmt.Sprintf("permission(%d)", uint8(p))
}

// Valid reports whether p is one of the defined permissions.
func (p Permission) Valid() bool { return p >= PermissionReply && p <= PermissionRate }

// Can reports whether a may move ticket t with action as it is now, by the
// same rules the Service applies when the action comes: adapters use it to
// offer only the buttons that will work. The Service checks again on the
// action itself, so a stale button is refused, never obeyed. Claiming a
// ticket one owns already changes nothing and is not offered; taking a
// ticket from another agent is a takeover, asked for explicitly (Service.Claim),
// and not offered either.
func Can(a Actor, t Ticket, action Action) bool {
	if !visible(a, t) {
		return false
	}
	if action == ActionClaim {
		// The time only stamps the claim, which is not made here.
		_, err := decideClaim(a, t, false, t.UpdatedAt)
		return err == nil
	}
	_, err := checkTransition(a, t, action)
	return err == nil
}

// Permitted reports whether a may do p on ticket t as it is now, by the
// same rules the Service applies (see Can): adapters use it to offer only
// what will work, and the Service checks again when it is asked.
func Permitted(a Actor, t Ticket, p Permission) bool {
	return visible(a, t) && checkPermission(a, t, p) == nil
}

// checkPermission applies the rule of p to a on ticket t; the Service
// calls it on the action itself, Permitted to offer it.
func checkPermission(a Actor, t Ticket, p Permission) error {
	switch p {
	case PermissionReply:
		return checkReply(a, t)
	case PermissionNote:
		return requireAgent(a)
	case PermissionPriority:
		return checkPriority(a, t)
	case PermissionRate:
		return checkRate(a, t)
	}
	return Errorf(EINVALID, "unknown permission %s", p)
}

// checkTransition applies who may move ticket t with action, and the
// lifecycle: it returns the status the action leads to.
func checkTransition(a Actor, t Ticket, action Action) (Status, error) {
	switch a.Role {
	case RoleCustomer:
		if action != ActionClose && action != ActionReopen {
			return 0, Errorf(EFORBIDDEN, "only agents can %s a ticket", action)
		}
	case RoleAgent:
		if err := requireAgent(a); err != nil {
			return 0, err
		}
		// Closing or reopening a finished ticket is open to any agent;
		// everything else on an owned ticket is the owner's.
		if action != ActionClose && action != ActionReopen && t.Claimed() {
			if err := requireOwner(a, t); err != nil {
				return 0, err
			}
		}
	default:
		return 0, Errorf(EFORBIDDEN, "not allowed")
	}
	return Transition(t.Status, action)
}

// checkReply: only the owner answers the customer, on a claimed or waiting
// ticket.
func checkReply(a Actor, t Ticket) error {
	if err := requireOwner(a, t); err != nil {
		return err
	}
	if t.Status != StatusClaimed && t.Status != StatusWaiting {
		return Errorf(EINVALID, "ticket #%d is %s; only claimed tickets get replies", t.Number, t.Status)
	}
	return nil
}

// checkPriority: the priority of an active ticket changes by any agent while
// it is queued, by its owner once claimed.
func checkPriority(a Actor, t Ticket) error {
	if err := requireAgent(a); err != nil {
		return err
	}
	if !t.Status.Active() {
		return Errorf(EINVALID, "ticket #%d is %s; its priority no longer matters", t.Number, t.Status)
	}
	if t.Claimed() {
		return requireOwner(a, t)
	}
	return nil
}

// checkRate: the customer rates their ticket once it is resolved or closed,
// and only once (the comment that may follow is Service.Rate's business).
func checkRate(a Actor, t Ticket) error {
	if a.Role != RoleCustomer {
		return Errorf(EFORBIDDEN, "only the customer rates a ticket")
	}
	if t.Status != StatusResolved && t.Status != StatusClosed {
		return Errorf(EINVALID, "ticket #%d can be rated once it is resolved", t.Number).withReason(ReasonNotRateable, t.Status)
	}
	if t.Rating.Stars != 0 {
		return Errorf(EINVALID, "ticket #%d is rated already", t.Number).withReason(ReasonRated, t.Status)
	}
	return nil
}
