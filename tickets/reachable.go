package tickets

import (
	"context"
	"time"
)

// FlagUnreachable records that messages to the ticket's customer fail
// permanently (reason says why), so agents see it. Flagging again with the
// same reason changes nothing. Errors: ENOTFOUND, EINTERNAL.
func (s *Service) FlagUnreachable(ctx context.Context, number int64, reason string) (t Ticket, err error) {
	defer s.observe("flag_unreachable", time.Now(), &err)
	if reason == "" {
		reason = "unreachable"
	}
	return s.mutate(ctx, SystemActor, number, func(t *Ticket, c *Change) error {
		if t.Unreachable == reason {
			return errUnchanged
		}
		t.Unreachable = reason
		c.Event.Kind = EventUnreachable
		return nil
	})
}

// MarkReachable clears the mark FlagUnreachable set: a message reached the
// ticket's customer again, or the customer wrote. A ticket without the mark
// is left as it is, so that repeated calls emit one event. Errors:
// ENOTFOUND.
func (s *Service) MarkReachable(ctx context.Context, number int64) (t Ticket, err error) {
	defer s.observe("mark_reachable", time.Now(), &err)
	return s.mutate(ctx, SystemActor, number, func(t *Ticket, c *Change) error {
		if t.Unreachable == "" {
			return errUnchanged
		}
		t.Unreachable = ""
		c.Event.Kind = EventReachable
		return nil
	})
}
