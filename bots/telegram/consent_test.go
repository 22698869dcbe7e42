package telegram_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestConsentGate: the terms step asks for the terms and the authorization
// to process personal data, with the privacy notice's link and version, in
// Spanish and English; a new privacy version asks again.
func TestConsentGate(t *testing.T) {
	for _, c := range []struct {
		user                   telegramtest.User
		authorize, accept, got string
	}{
		{maria, "autorizar el tratamiento de sus datos personales", "Acepto", "aviso de privacidad versión p2"},
		{john, "authorize the processing of your personal data", "I accept", "privacy notice version p2"},
	} {
		t.Run(c.user.LanguageCode, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.PrivacyURL = "https://example.com/privacy"
			e.svc = tickets.NewService(e.st, e.st, e.st, tickets.Config{TermsVersion: "v1", PrivacyVersion: "p1"})
			e.bot = e.newBot(e.cfg)
			e.start()
			e.fake.SendCommand(c.user, "start", "")
			m := e.expect(c.user, "p1")
			for _, want := range []string{c.authorize, "https://example.com/privacy", "https://example.com/terms", "v1"} {
				if !strings.Contains(m.PlainText, want) {
					t.Errorf("terms step = %q; want %q", m.PlainText, want)
				}
			}
			e.press(c.user, m, c.accept)
			e.expect(c.user, "p1")
			e.stop()

			// A new privacy notice (same terms) asks again before a ticket.
			e.svc = tickets.NewService(e.st, e.st, e.st, tickets.Config{TermsVersion: "v1", PrivacyVersion: "p2"})
			e.stop = e.run(e.newBot(e.cfg))
			e.fake.SendCommand(c.user, "new", "")
			m = e.expect(c.user, "p2")
			if !strings.Contains(m.PlainText, c.authorize) {
				t.Errorf("asked again = %q", m.PlainText)
			}
			e.press(c.user, m, c.accept)
			e.expect(c.user, c.got)
			p, _ := e.svc.Profile(ctx10(t), tickets.Customer{Platform: "telegram", UserID: strconv.FormatInt(c.user.ID, 10)})
			if p.PrivacyVersion != "p2" || p.PrivacyAccepted.IsZero() {
				t.Errorf("profile = %+v", p)
			}
		})
	}
}
