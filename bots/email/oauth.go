package email

import (
	"context"
	"errors"

	"github.com/emersion/go-sasl"
	"golang.org/x/oauth2"
)

// OAuth2Config is what refreshing access tokens for XOAUTH2 needs: the
// mail provider's token endpoint, the application's client, and a refresh
// token granted for the mailbox (Google: scope https://mail.google.com/;
// Microsoft 365: https://outlook.office.com/IMAP.AccessAsUser.All and
// SMTP.Send, plus offline_access).
type OAuth2Config struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	RefreshToken string
	Scopes       []string
}

// GoogleTokenURL is Google's OAuth 2.0 token endpoint.
const GoogleTokenURL = "https://oauth2.googleapis.com/token"

// MicrosoftTokenURL returns Microsoft's token endpoint for tenant (a
// tenant ID, a domain, or "organizations").
func MicrosoftTokenURL(tenant string) string {
	return "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token"
}

// TokenSource returns a source of access tokens that refreshes them from
// the refresh token as they expire (and reuses each until then); ctx
// carries the HTTP client (oauth2.HTTPClient) and must outlive the source.
func (c OAuth2Config) TokenSource(ctx context.Context) (oauth2.TokenSource, error) {
	if c.TokenURL == "" || c.ClientID == "" || c.RefreshToken == "" {
		return nil, errors.New("email: OAuth2 needs a token URL, a client ID and a refresh token")
	}
	conf := &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		Scopes:       c.Scopes,
	}
	return conf.TokenSource(ctx, &oauth2.Token{RefreshToken: c.RefreshToken}), nil
}

// xoauth2 is the client side of the XOAUTH2 SASL mechanism that Google
// and Microsoft use for IMAP and SMTP (go-sasl offers OAUTHBEARER only).
type xoauth2 struct{ user, token string }

var _ sasl.Client = xoauth2{}

func (x xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers the server's only challenge, a JSON error, with an empty
// response, after which the server sends its refusal.
func (x xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil }
