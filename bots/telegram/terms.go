package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// termsRow is the button that accepts the current terms.
func (t *turn) termsRow() []button {
	return []button{{Text: t.tx.TermsButton, Data: t.b.data(t.user, actTerms, termsTag(t.b.consent()))}}
}

// consent is what the terms step asks for: the Service's versions.
func (b *Bot) consent() tickets.Consent { return b.svc.Consent() }

// privacyURL is the privacy notice's link: PrivacyURL, else the terms'.
func (b *Bot) privacyURL() string {
	if b.cfg.PrivacyURL != "" {
		return b.cfg.PrivacyURL
	}
	return b.website()
}

// privacyVersion is the privacy notice's version as shown: the terms'
// when the Service sets none (the notice is then part of the terms).
func (b *Bot) privacyVersion() string {
	if c := b.consent(); c.Privacy != "" {
		return c.Privacy
	}
	return b.consent().Terms
}

// termsAsk writes the terms step's request: the terms and the
// authorization to process personal data, each with its version and link.
func (t *turn) termsAsk(r *botapi.Rich, prefix string) {
	r.Markup(prefix+t.tx.TermsAskF, botapi.Esc(t.b.consent().Terms), botapi.Esc(t.b.website()), botapi.Esc(t.b.privacyVersion()), botapi.Esc(t.b.privacyURL()))
}

// askTerms asks for the current terms, with the accept button; needed
// says the customer tried to do something that requires them.
func (t *turn) askTerms(needed bool) {
	r := &botapi.Rich{}
	if needed {
		r.Raw(t.tx.TermsNeeded + "\n")
	}
	t.termsAsk(r, "")
	t.answerText("")
	t.say(r, [][]button{t.termsRow()}, 0)
}

// acceptTerms records that the customer accepted the terms whose tag the
// button carries; a button of an older version has expired.
func (t *turn) acceptTerms(ctx context.Context, tag string) error {
	if t.b.consent() == (tickets.Consent{}) || tag != termsTag(t.b.consent()) {
		if t.b.svc.NeedsTerms(t.profile) {
			t.askTerms(false)
		}
		t.answer.text = t.tx.Expired
		return nil
	}
	p, err := t.b.svc.AcceptTerms(ctx, t.cust, t.b.consent())
	if err != nil {
		return t.fail(0, err)
	}
	t.profile = p
	t.answer.text = t.tx.Done
	t.sayf(t.tx.TermsAcceptedF, botapi.Esc(t.b.consent().Terms), botapi.Esc(t.b.privacyVersion()))
	return nil
}

// termsTag is a short fingerprint of the versions of c for callback data.
func termsTag(c tickets.Consent) string {
	h := sha256.Sum256([]byte(c.Terms + "\x00" + c.Privacy))
	return hex.EncodeToString(h[:4])
}
