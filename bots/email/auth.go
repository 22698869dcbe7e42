package email

import (
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// authenticated reports whether m's sender may be taken at its word. With
// no AuthServID configured, every sender is (the address is all there is
// to go by). With one, only the topmost Authentication-Results field
// counts, and only when the configured receiving server wrote it (a sender
// can add fields of their own below it, never above): it must show DMARC
// passing, or DKIM or SPF passing for the From address's domain.
func (b *Bot) authenticated(m *Mail) bool {
	if b.cfg.AuthServID == "" {
		return true
	}
	return authPassed(m, b.cfg.AuthServID)
}

// authPassed checks the topmost Authentication-Results field of m against
// servID (see authenticated).
func authPassed(m *Mail, servID string) bool {
	fields := m.Header.Values("Authentication-Results")
	if len(fields) == 0 {
		return false
	}
	id, results, err := authres.Parse(fields[0])
	if err != nil || !strings.EqualFold(strings.TrimSpace(id), servID) {
		return false
	}
	_, domain, _ := strings.Cut(m.From.Address, "@")
	aligned := func(d string) bool {
		d = strings.ToLower(strings.TrimSpace(d))
		if at := strings.LastIndexByte(d, '@'); at >= 0 {
			d = d[at+1:]
		}
		return d != "" && (d == domain || strings.HasSuffix(domain, "."+d))
	}
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DMARCResult:
			if r.Value == authres.ResultPass {
				return true
			}
		case *authres.DKIMResult:
			if r.Value == authres.ResultPass && (aligned(r.Domain) || aligned(r.Identifier)) {
				return true
			}
		case *authres.SPFResult:
			if r.Value == authres.ResultPass && aligned(r.From) {
				return true
			}
		}
	}
	return false
}
