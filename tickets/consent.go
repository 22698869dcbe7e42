package tickets

import (
	"context"
	"time"
)

// Consent is what a customer accepts before opening a chat ticket: the
// terms (policy §7) and the authorization to process their personal data
// under a privacy notice (Ley 1581 de 2012, Decreto 1377 de 2013), each by
// version.
type Consent struct {
	Terms   string // the terms' version
	Privacy string // the privacy notice's version
}

// Consent returns the versions customers must accept now.
func (s *Service) Consent() Consent {
	return Consent{Terms: s.cfg.TermsVersion, Privacy: s.cfg.PrivacyVersion}
}

// PrivacyVersion returns the version of the privacy notice customers
// authorize the processing of their data under.
func (s *Service) PrivacyVersion() string { return s.cfg.PrivacyVersion }

// NeedsTerms reports whether p must accept the current terms, or authorize
// the processing of their data under the current privacy notice, before
// opening a ticket: a new version of either asks again.
func (s *Service) NeedsTerms(p Profile) bool {
	return (s.cfg.TermsVersion != "" && p.TermsVersion != s.cfg.TermsVersion) ||
		(s.cfg.PrivacyVersion != "" && p.PrivacyVersion != s.cfg.PrivacyVersion)
}

// AcceptTerms records that customer c accepted the terms and authorized
// the processing of their personal data, at the versions of consent, and
// when; only the current versions can be accepted (an old button pressed
// late is refused with ReasonTermsOutdated). Errors: EINVALID, EINTERNAL.
func (s *Service) AcceptTerms(ctx context.Context, c Customer, consent Consent) (p Profile, err error) {
	defer s.observe("accept_terms", time.Now(), &err)
	if consent != s.Consent() {
		return Profile{}, Errorf(EINVALID, "these terms are no longer current; please read the new version").withReason(ReasonTermsOutdated, 0)
	}
	if p, err = s.Profile(ctx, c); err != nil {
		return Profile{}, err
	}
	now := s.cfg.Clock.Now().UTC()
	p.TermsVersion, p.TermsAccepted = consent.Terms, now
	p.PrivacyVersion, p.PrivacyAccepted = consent.Privacy, now
	if err := s.profiles.SaveProfile(ctx, p); err != nil {
		return Profile{}, wrapInternal("save profile", err)
	}
	return p, nil
}
