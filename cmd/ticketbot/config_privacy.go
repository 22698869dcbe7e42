package main

import (
	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// PrivacyConfig is the privacy notice under which customers authorize the
// processing of their personal data (Ley 1581 de 2012), accepted with the
// terms.
type PrivacyConfig struct {
	URL     string // PRIVACY_URL; TERMS_URL by default
	Version string // PRIVACY_VERSION; TERMS_VERSION by default
}

// parsePrivacy reads PRIVACY_URL and PRIVACY_VERSION, which default to the
// terms' page and version.
func parsePrivacy(env func(key, def string) string, termsURL, termsVersion string) (PrivacyConfig, error) {
	p := PrivacyConfig{URL: env("PRIVACY_URL", termsURL), Version: env("PRIVACY_VERSION", termsVersion)}
	if !isWebURL(p.URL) {
		return PrivacyConfig{}, configErr("PRIVACY_URL", "%q is not an http(s) URL", p.URL)
	}
	return p, nil
}

// erasers are what Service.Forget asks to delete the adapters' keys about
// a customer: Telegram's and e-mail's. Slack's part (the card, the app's
// thread posts and copied files) follows the EventErased event through
// delivery. Both work on the store alone, so they are wired whether the
// adapter runs or not: a customer of a channel turned off is erased too.
func erasers(st *store.Store) []tickets.Eraser {
	return []tickets.Eraser{
		telegram.ChatEraser{Storage: store.NewTelegram(st)},
		email.SenderEraser{Storage: store.NewEmail(st)},
	}
}
