package telegram

import (
	"context"
	"encoding/json"
	"time"
)

// commentTTL is how long a rating waits for its optional comment.
const commentTTL = 30 * time.Minute

// ratingComment is a rating waiting for its optional comment: the
// customer's next text is the comment.
type ratingComment struct {
	Number int64 `json:"n"`
	Stars  int   `json:"s"`
}

func (t *turn) commentKey() FormKey { return FormKey{Kind: FormComment, User: t.user} }

// ratingComment returns the rating waiting for the customer's comment.
func (t *turn) ratingComment(ctx context.Context) (ratingComment, bool, error) {
	var c ratingComment
	v, ok, err := t.b.store.Form(ctx, t.commentKey())
	if err != nil || !ok {
		return c, false, err
	}
	if json.Unmarshal(v, &c) != nil || c.Number <= 0 {
		return c, false, t.b.store.DeleteForm(ctx, t.commentKey())
	}
	return c, true, nil
}

// rate records the stars the customer pressed, and waits for a comment.
func (t *turn) rate(ctx context.Context, n int64, stars int) error {
	if _, err := t.b.svc.Rate(ctx, t.actor, n, stars, ""); err != nil {
		return t.fail(n, err)
	}
	raw, _ := json.Marshal(ratingComment{Number: n, Stars: stars})
	if err := t.b.store.SaveForm(ctx, t.commentKey(), raw, commentTTL); err != nil {
		return err
	}
	t.answer.text = t.tx.Done
	t.sayf(t.tx.RateThanksF, n, stars)
	return nil
}

// comment completes a rating with the comment the customer wrote.
func (t *turn) comment(ctx context.Context, c ratingComment, text string) error {
	if _, err := t.b.svc.Rate(ctx, t.actor, c.Number, c.Stars, text); err != nil {
		if ferr := t.fail(c.Number, err); ferr != nil {
			return ferr
		}
	} else {
		t.sayf(t.tx.CommentSavedF, c.Number)
	}
	return t.b.store.DeleteForm(ctx, t.commentKey())
}
