package tickets_test

import (
	"fmt"
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestCanAgreesWithTheService drives a ticket to every status, then checks
// for every actor and action that Can's answer is what the Service does:
// what Can offers works, what it does not offer is refused.
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
	actions := map[tickets.Action]func(e *env, a tickets.Actor, n int64) error{
		tickets.ActionClaim:   func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Claim(e.ctx, a, n, false); return err },
		tickets.ActionRelease: func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Release(e.ctx, a, n); return err },
		tickets.ActionWait:    func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.SetWaiting(e.ctx, a, n); return err },
		tickets.ActionResolve: func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Resolve(e.ctx, a, n); return err },
		tickets.ActionClose:   func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Close(e.ctx, a, n); return err },
		tickets.ActionReopen:  func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Reopen(e.ctx, a, n); return err },
		tickets.ActionReply: func(e *env, a tickets.Actor, n int64) error {
			_, _, err := e.svc.AddMessage(e.ctx, a, n, tickets.MessageInput{Kind: tickets.MessageReply, Text: "hola"})
			return err
		},
		tickets.ActionPriority: func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.SetPriority(e.ctx, a, n, 1); return err },
		tickets.ActionRate:     func(e *env, a tickets.Actor, n int64) error { _, err := e.svc.Rate(e.ctx, a, n, 4, ""); return err },
	}
	for state, reach := range states {
		for who, a := range actors {
			for action, do := range actions {
				t.Run(fmt.Sprintf("%s/%s/%s", state, who, action), func(t *testing.T) {
					e := newEnv(t, tickets.Config{})
					tk := e.open(t, alice, tickets.NatureMalfunction, tickets.UrgencyNormal)
					if err := reach(e, tk.Number); err != nil {
						t.Fatalf("reach %s: %v", state, err)
					}
					cur := e.get(t, tk.Number)
					can := tickets.Can(a, cur, action)
					err := do(e, a, tk.Number)
					// Claiming a ticket one already owns changes nothing and
					// is not offered.
					noop := action == tickets.ActionClaim && state == "claimed" && a == anaA
					if action == tickets.ActionReply && a.Role == tickets.RoleCustomer {
						// A customer's message is never a reply: AddMessage
						// stores it as theirs (covered by the message tests).
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
