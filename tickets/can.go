package tickets

// The actions that are not status transitions, for Can.
const (
	ActionReply    Action = iota + 100 // answer the customer (agents)
	ActionPriority                     // change the priority (agents)
	ActionRate                         // rate the ticket (its customer)
)

// Can reports whether a may do action on ticket t as it is now, by the same
// rules the Service applies when the action comes: adapters use it to offer
// only the buttons that will work. The Service checks again on the action
// itself, so a stale button is refused, never obeyed.
func Can(a Actor, t Ticket, action Action) bool {
	if !visible(a, t) {
		return false
	}
	switch action {
	case ActionClaim:
		// Claiming an open ticket, or the owner taking a waiting one back;
		// taking a ticket from another agent is a takeover, asked for
		// explicitly.
		return requireAgent(a) == nil && (t.Status == StatusOpen || (t.Status == StatusWaiting && t.Assignee.ID == a.ID))
	case ActionReply:
		return checkReply(a, t) == nil
	case ActionPriority:
		return checkPriority(a, t) == nil
	case ActionRate:
		return checkRate(a, t) == nil
	}
	_, err := checkTransition(a, t, action)
	return err == nil
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

// checkRate: the customer rates their ticket once it is resolved or closed.
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
