package tickets

import (
	"context"
	"time"
)

// MarkDelivered records that reply messageID of ticket number reached the
// customer, with an EventDelivered, so agents can see it (for example a
// mark on the reply in Slack). It is called by delivery, as the system,
// once the platform confirmed the send; repeated calls for the same message
// (or an earlier one) emit nothing. Errors: EINVALID, ENOTFOUND, EINTERNAL.
func (s *Service) MarkDelivered(ctx context.Context, number, messageID int64) (t Ticket, err error) {
	defer s.observe("mark_delivered", time.Now(), &err)
	if messageID <= 0 {
		return Ticket{}, Errorf(EINVALID, "no message to mark")
	}
	return s.mutate(ctx, SystemActor, number, func(t *Ticket, c *Change) error {
		if t.Delivered >= messageID {
			return errUnchanged
		}
		if messageID > t.Messages {
			return Errorf(EINVALID, "ticket #%d has no message %d", t.Number, messageID)
		}
		t.Delivered = messageID
		c.Event.Kind = EventDelivered
		c.Event.MessageID = messageID
		return nil
	})
}
