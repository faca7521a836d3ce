package openid

import (
	"net/url"
)

// LogoutURL returns the provider's RP-initiated logout URL (OpenID Connect
// RP-Initiated Logout 1.0) carrying id_token_hint, state and
// post_logout_redirect_uri (each left out when empty), and true; or "" and
// false when the provider is unknown, advertises no end_session_endpoint, or
// has not been discovered yet. It does no I/O, so it relies on the discovery
// made at login; after a restart, call Discover first. On false the caller
// just ends the local session.
func (rp *RP) LogoutURL(providerID, idTokenHint, state, postLogoutRedirectURI string) (string, bool) {
	p, ok := rp.byID[providerID]
	if !ok {
		return "", false
	}
	m := p.meta.Load()
	if m == nil || m.endSession == "" {
		return "", false
	}
	u, err := url.Parse(m.endSession)
	if err != nil { // checked at discovery; kept for safety
		return "", false
	}
	q := u.Query() // keep parameters the provider put in the endpoint itself
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	}
	if state != "" {
		q.Set("state", state)
	}
	if postLogoutRedirectURI != "" {
		q.Set("post_logout_redirect_uri", postLogoutRedirectURI)
		if idTokenHint == "" {
			// Without a hint the provider cannot tell which client's
			// registered URIs to check; the spec adds client_id for that.
			// It is left out otherwise because ProConnect refuses
			// parameters it does not list.
			q.Set("client_id", p.cfg.ClientID)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), true
}
