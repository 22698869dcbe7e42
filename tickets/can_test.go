package tickets_test

import (
	"fmt"
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestCanAgreesWithTheService drives a ticket to every status, then checks
// for every actor, action and permission that Can's and Permitted's answer
// is what the Service does: what they offer works, what they do not offer
// is refused.
func TestCanAgreesWithTheService(t *testing.T) {
	states := map[string]func(e *env, n int64) error{
		"open": func(*env, int64) error { return nil },
		"claimed": func(e *env, n int64) error {
			_, err := e.svc.Claim(e.ctx, anaA, n, false)
			return err
		},
		"waiting": func(e *env, n int64) error {
			if _, err := e.svc.Claim(e.ctx, anaA, n, false); err != nil {
				return err
			}
			_, err := e.svc.SetWaiting(e.ctx, anaA, n)
			return err
		},
		"resolved": func(e *env, n int64) error {
			if _, err := e.svc.Claim(e.ctx, anaA, n, false); err != nil {
				return err
			}
			_, err := e.svc.Resolve(e.ctx, anaA, n)
			return err
		},
		"closed": func(e *env, n int64) error {
			if _, err := e.svc.Claim(e.ctx, anaA, n, false); err != nil {
				return err
			}
			if _, err := e.svc.Resolve(e.ctx, anaA, n); err != nil {
				return err
			}
			_, err := e.svc.Close(e.ctx, aliceA, n)
			return err
		},
	}
	actors := map[string]tickets.Actor{"owner customer": aliceA, "other customer": bobA, "owner agent": anaA, "other agent": betoA}
	// offers are what an adapter asks the core about: each transition
	// (Can) and each permission (Permitted), with the Service call that
	// does it.
	type offer struct {
		can func(a tickets.Actor, t tickets.Ticket) bool
		do  func(e *env, a tickets.Actor, n int64) error
	}
	transition := func(action tickets.Action, do func(e *env, a tickets.Actor, n int64) error) offer {
		return offer{func(a tickets.Actor, t tickets.Ticket) bool { return tickets.Can(a, t, action) }, do}
	}
	permission := func(p tickets.Permission, do func(e *env, a tickets.Actor, n int64) error) offer {
		return offer{func(a tickets.Actor, t tickets.Ticket) bool { return tickets.Permitted(a, t, p) }, do}
	}
	offers := map[string]offer{
		"claim":   transition(tickets.ActionClaim, func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Claim(e.ctx, a, n, false); return err }),
		"release": transition(tickets.ActionRelease, func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Release(e.ctx, a, n); return err }),
		"wait":    transition(tickets.ActionWait, func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.SetWaiting(e.ctx, a, n); return err }),
		"resolve": transition(tickets.ActionResolve, func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Resolve(e.ctx, a, n); return err }),
		"close":   transition(tickets.ActionClose, func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Close(e.ctx, a, n); return err }),
		"reopen":  transition(tickets.ActionReopen, func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Reopen(e.ctx, a, n); return err }),
		"reply": permission(tickets.PermissionReply, func(e *env, a tickets.Actor, n int64) error {
			_, _, err := e.svc.AddMessage(e.ctx, a, n, tickets.MessageInput{Kind: tickets.MessageReply, Text: "hola"})
			return err
		}),
		"note": permission(tickets.PermissionNote, func(e *env, a tickets.Actor, n int64) error {
			_, _, err := e.svc.AddMessage(e.ctx, a, n, tickets.MessageInput{Kind: tickets.MessageNote, Text: "nota"})
			return err
		}),
		"priority": permission(tickets.PermissionPriority, func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.SetPriority(e.ctx, a, n, 1); return err }),
		"rate":     permission(tickets.PermissionRate, func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Rate(e.ctx, a, n, 4, ""); return err }),
	}
	for state, reach := range states {
		for who, a := range actors {
			for name, o := range offers {
				t.Run(fmt.Sprintf("%s/%s/%s", state, who, name), func(t *testing.T) {
					e := newEnv(t, tickets.Config{})
					tk := e.open(t, alice, tickets.NatureMalfunction, tickets.UrgencyNormal)
					if err := reach(e, tk.Number); err != nil {
						t.Fatalf("reach %s: %v", state, err)
					}
					cur := e.get(t, tk.Number)
					can := o.can(a, cur)
					err := o.do(e, a, tk.Number)
					// Claiming a ticket one already owns changes nothing and
					// is not offered.
					noop := name == "claim" && state == "claimed" && a == anaA
					if (name == "reply" || name == "note") && a.Role == tickets.RoleCustomer {
						// A customer's message is never a reply or a note:
						// AddMessage stores it as theirs (covered by the
						// message tests).
						noop = true
					}
					switch {
					case can && err != nil:
						t.Errorf("Can offers it, the Service refuses: %v", err)
					case !can && err == nil && !noop:
						t.Errorf("Can does not offer it, the Service does it")
					}
				})
			}
		}
	}
}

// TestInvalidOffers: the zero and unknown actions and permissions are never
// offered, to anyone.
func TestInvalidOffers(t *testing.T) {
	tk := tickets.Ticket{Number: 1, Customer: alice, Status: tickets.StatusClaimed, Assignee: ana}
	for _, a := range []tickets.Actor{aliceA, anaA, tickets.SystemActor} {
		for _, action := range []tickets.Action{0, tickets.ActionReopen + 1} {
			if tickets.Can(a, tk, action) {
				t.Errorf("Can(%s, %s) = true", a.Role, action)
			}
		}
		for _, p := range []tickets.Permission{0, tickets.PermissionRate + 1} {
			if tickets.Permitted(a, tk, p) {
				t.Errorf("Permitted(%s, %s) = true", a.Role, p)
			}
		}
	}
}

func TestPermissionNames(t *testing.T) {
	want := map[tickets.Permission]string{
		tickets.PermissionReply: "reply", tickets.PermissionNote: "note",
		tickets.PermissionPriority: "priority", tickets.PermissionRate: "rate",
	}
	for p, name := range want {
		if p.String() != name || !p.Valid() {
			t.Errorf("Permission(%d) = %q, valid %v; want %q, valid", p, p.String(), p.Valid(), name)
		}
	}
	for _, p := range []tickets.Permission{0, tickets.PermissionRate + 1} {
		if p.Valid() || p.String() != fmt.Sprintf("permission(%d)", uint8(p)) {
			t.Errorf("Permission(%d) = %q, valid %v", p, p.String(), p.Valid())
		}
	}
}
