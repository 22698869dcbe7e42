package tickets

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Rate records the customer's 1-5 rating (and optional comment) of their
// resolved or closed ticket (PermissionRate). A rating is given once: a
// second one is refused with ReasonRated and the first stays, except the
// comment, which may follow once with the same stars (a chat asks for the
// stars, then the comment). Errors: EFORBIDDEN, EINVALID, ENOTFOUND,
// EINTERNAL.
func (s *Service) Rate(ctx context.Context, a Actor, number int64, stars int, comment string) (t Ticket, err error) {
	defer s.observe("rate", time.Now(), &err)
	if a.Role != RoleCustomer {
		return Ticket{}, Errorf(EFORBIDDEN, "only the customer rates a ticket")
	}
	if stars < 1 || stars > 5 {
		return Ticket{}, Errorf(EINVALID, "the rating must be from 1 to 5").withReason(ReasonRating, 0)
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > MaxRatingComment {
		return Ticket{}, Errorf(EINVALID, "the comment is too long (at most %d characters)", MaxRatingComment).withReason(ReasonTooLong, 0)
	}
	return s.mutate(ctx, a, number, func(t *Ticket, c *Change) error {
		// A rating is given once; its comment may follow, once, with the
		// same stars (the comment step of a chat).
		if r := t.Rating; r.Stars != 0 && r.Stars == stars && r.Comment == "" && comment != "" {
			t.Rating.Comment = comment
			c.Event.Kind = EventRated
			return nil
		}
		if err := checkPermission(a, *t, PermissionRate); err != nil {
			return err
		}
		t.Rating = Rating{Stars: stars, Comment: comment, At: c.Event.At}
		c.Event.Kind = EventRated
		return nil
	})
}
