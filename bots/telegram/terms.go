package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
)

// termsRow is the button that accepts the current terms.
func (t *turn) termsRow() []button {
	return []button{{Text: t.tx.TermsButton, Data: t.b.data(t.user, actTerms, termsTag(t.b.cfg.TermsVersion))}}
}

// askTerms asks for the current terms, with the accept button; needed
// says the customer tried to do something that requires them.
func (t *turn) askTerms(needed bool) {
	r := &rich{}
	if needed {
		r.raw(t.tx.TermsNeeded + "\n")
	}
	r.markup(t.tx.TermsAskF, esc(t.b.cfg.TermsVersion), esc(t.b.website()))
	t.answerText("")
	t.say(r, [][]button{t.termsRow()}, 0)
}

// acceptTerms records that the customer accepted the terms whose tag the
// button carries; a button of an older version has expired.
func (t *turn) acceptTerms(ctx context.Context, tag string) error {
	if t.b.cfg.TermsVersion == "" || tag != termsTag(t.b.cfg.TermsVersion) {
		if t.b.svc.NeedsTerms(t.profile) {
			t.askTerms(false)
		}
		t.answer.text = t.tx.Expired
		return nil
	}
	p, err := t.b.svc.AcceptTerms(ctx, t.cust, t.b.cfg.TermsVersion)
	if err != nil {
		return t.fail(0, err)
	}
	t.profile = p
	t.answer.text = t.tx.Done
	t.sayf(t.tx.TermsAcceptedF, esc(t.b.cfg.TermsVersion))
	return nil
}

// termsTag is a short fingerprint of a terms version for callback data.
func termsTag(version string) string {
	h := sha256.Sum256([]byte(version))
	return hex.EncodeToString(h[:4])
}
