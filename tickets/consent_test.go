package tickets_test

import (
	"errors"
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestConsentGate: a chat ticket needs the terms accepted and the
// processing of personal data authorized, at the current versions; a new
// version of the privacy notice asks again, an old one is refused.
func TestConsentGate(t *testing.T) {
	e := newEnv(t, tickets.Config{TermsVersion: "v1", PrivacyVersion: "p1"})
	req := tickets.OpenRequest{Customer: alice, Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "help"}
	if _, err := e.svc.Open(e.ctx, req); !errors.Is(err, tickets.ErrTermsNotAccepted) {
		t.Fatalf("Open without consent: %v", err)
	}
	if _, err := e.svc.AcceptTerms(e.ctx, alice, tickets.Consent{Terms: "v1"}); tickets.ErrorReason(err) != tickets.ReasonTermsOutdated {
		t.Errorf("terms without the authorization: %v; want ReasonTermsOutdated", err)
	}
	p, err := e.svc.AcceptTerms(e.ctx, alice, tickets.Consent{Terms: "v1", Privacy: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	if p.PrivacyVersion != "p1" || !p.PrivacyAccepted.Equal(start) || p.TermsVersion != "v1" || !p.TermsAccepted.Equal(start) {
		t.Errorf("profile = %+v", p)
	}
	if _, err := e.svc.Open(e.ctx, req); err != nil {
		t.Fatalf("Open after consent: %v", err)
	}
	// A new privacy notice, same terms: asked again.
	next := tickets.NewService(e.store, e.store, e.store, tickets.Config{TermsVersion: "v1", PrivacyVersion: "p2", Clock: e.clock})
	if p, _ := next.Profile(e.ctx, alice); !next.NeedsTerms(p) {
		t.Error("a new privacy version is not asked")
	}
	if _, err := next.Open(e.ctx, req); !errors.Is(err, tickets.ErrTermsNotAccepted) {
		t.Errorf("Open under a new privacy notice: %v", err)
	}
	if _, err := next.AcceptTerms(e.ctx, alice, tickets.Consent{Terms: "v1", Privacy: "p1"}); tickets.ErrorCode(err) != tickets.EINVALID {
		t.Errorf("accepting the old notice: %v", err)
	}
	if _, err := next.AcceptTerms(e.ctx, alice, next.Consent()); err != nil {
		t.Fatal(err)
	}
	if _, err := next.Open(e.ctx, req); err != nil {
		t.Errorf("Open after the new consent: %v", err)
	}
}
