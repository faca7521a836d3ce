package openid

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// PendingLifetime is how long an agent has between Begin and Complete.
const PendingLifetime = 10 * time.Minute

// minSecretLen is the shortest state or nonce accepted back from the caller:
// Begin makes 43-character values (32 random bytes), and ProConnect requires
// at least 32 characters.
const minSecretLen = 32

// Pending is the login in progress. The caller keeps it server-side (in the
// agent's session, never in a URL) between Begin and Complete, and drops it
// once Complete has been called, whatever the outcome: it is single-use.
type Pending struct {
	Provider     string    `json:"provider"`
	State        string    `json:"state"`
	Nonce        string    `json:"nonce"`
	CodeVerifier string    `json:"code_verifier,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// ExpiresAt is the time after which Complete refuses p.
func (p Pending) ExpiresAt() time.Time { return p.CreatedAt.Add(PendingLifetime) }

// Begin starts an authorization code flow with providerID. The agent's
// browser must be redirected to authURL; p must be stored for Complete.
// Begin discovers the provider if needed, so it fails with ErrDiscovery
// when the provider is unreachable.
func (rp *RP) Begin(ctx context.Context, providerID string) (authURL string, p Pending, err error) {
	prov, err := rp.provider(providerID)
	if err != nil {
		return "", Pending{}, err
	}
	m, err := rp.metadata(ctx, prov)
	if err != nil {
		return "", Pending{}, err
	}
	p = Pending{
		Provider:  prov.cfg.ID,
		State:     randomToken(),
		Nonce:     randomToken(),
		CreatedAt: rp.now().UTC(),
	}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(p.Nonce)}
	if prov.cfg.PKCE {
		p.CodeVerifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(p.CodeVerifier))
	}
	if prov.cfg.ACRValues != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", prov.cfg.ACRValues))
	}
	rp.log.DebugContext(ctx, "openid login started", "provider", prov.cfg.ID, "pkce", prov.cfg.PKCE)
	return m.oauth.AuthCodeURL(p.State, opts...), p, nil
}

// randomToken returns 32 random bytes, base64url-encoded (43 characters).
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Complete finishes the login with the query of the callback request. It
// checks, in order: the pending login (well-formed, not expired), state,
// the RFC 9207 iss parameter, a provider error, then exchanges the code,
// verifies the ID token (signature, issuer, audience, expiry, nonce,
// at_hash), fetches userinfo when the provider has an endpoint, and maps
// the merged claims to an Identity.
func (rp *RP) Complete(ctx context.Context, p Pending, query url.Values) (*Identity, error) {
	prov, err := rp.provider(p.Provider)
	if err != nil {
		return nil, err
	}
	if len(p.State) < minSecretLen || len(p.Nonce) < minSecretLen || p.CreatedAt.IsZero() {
		// A zero Pending must never match an empty state in the query.
		return nil, fmt.Errorf("%w: provider %q: missing state, nonce or creation time", ErrInvalidPending, prov.cfg.ID)
	}
	now := rp.now()
	if now.After(p.ExpiresAt()) {
		return nil, fmt.Errorf("%w: provider %q: started %s ago (limit %s)", ErrExpired, prov.cfg.ID,
			now.Sub(p.CreatedAt).Round(time.Second), PendingLifetime)
	}
	if p.CreatedAt.After(now.Add(time.Minute)) {
		return nil, fmt.Errorf("%w: provider %q: created in the future", ErrInvalidPending, prov.cfg.ID)
	}
	// The state is checked before anything else in the query, error
	// responses included, so that a forged callback cannot even make the
	// agent see a provider message.
	if subtle.ConstantTimeCompare([]byte(query.Get("state")), []byte(p.State)) != 1 {
		return nil, fmt.Errorf("%w: provider %q", ErrStateMismatch, prov.cfg.ID)
	}
	m, err := rp.metadata(ctx, prov)
	if err != nil {
		return nil, err
	}
	if iss, ok := query["iss"]; ok || m.issParam {
		if !ok || len(iss) != 1 || iss[0] != m.issuer {
			return nil, fmt.Errorf("%w: provider %q", ErrIssuerMismatch, prov.cfg.ID)
		}
	}
	if code := query.Get("error"); code != "" {
		pe := &ProviderError{
			Provider:    prov.cfg.ID,
			Code:        sanitize(code, 64),
			Description: sanitize(query.Get("error_description"), 300),
		}
		rp.log.InfoContext(ctx, "openid provider returned an error", "provider", prov.cfg.ID, "code", pe.Code, "description", pe.Description)
		return nil, pe
	}
	code := query.Get("code")
	if code == "" {
		return nil, fmt.Errorf("%w: provider %q", ErrMissingCode, prov.cfg.ID)
	}

	octx := oidc.ClientContext(ctx, rp.client)
	var exOpts []oauth2.AuthCodeOption
	if p.CodeVerifier != "" {
		exOpts = append(exOpts, oauth2.VerifierOption(p.CodeVerifier))
	}
	tok, err := m.oauth.Exchange(octx, code, exOpts...)
	if err != nil {
		return nil, fmt.Errorf("%w: provider %q: %s", ErrExchange, prov.cfg.ID, describeExchangeError(err))
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return nil, fmt.Errorf("%w: provider %q: token response has no id_token", ErrIDToken, prov.cfg.ID)
	}
	idt, err := m.verifier.Verify(ctx, rawID)
	if err != nil {
		// go-oidc's messages name the failed check (expected audience,
		// expiry…) and never include the token.
		return nil, fmt.Errorf("%w: provider %q: %w", ErrIDToken, prov.cfg.ID, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		return nil, fmt.Errorf("%w: provider %q", ErrNonceMismatch, prov.cfg.ID)
	}
	if idt.Subject == "" {
		return nil, fmt.Errorf("%w: provider %q: ID token has no sub", ErrMissingClaim, prov.cfg.ID)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, fmt.Errorf("%w: provider %q: at_hash does not match the access token", ErrIDToken, prov.cfg.ID)
		}
	}
	claims, err := decodeClaims(idt.Claims)
	if err != nil {
		return nil, fmt.Errorf("%w: provider %q: %w", ErrIDToken, prov.cfg.ID, err)
	}
	// Core §3.1.3.7: when azp is present it must be us.
	if azp, ok := claims["azp"].(string); ok && azp != "" && azp != prov.cfg.ClientID {
		return nil, fmt.Errorf("%w: provider %q: ID token azp is %q, not this client", ErrIDToken, prov.cfg.ID, azp)
	}

	if m.userinfoURL != "" && tok.AccessToken != "" {
		ui, err := rp.userInfo(ctx, prov, m, tok.AccessToken)
		if err != nil {
			return nil, err
		}
		if sub, _ := ui["sub"].(string); sub != idt.Subject {
			return nil, fmt.Errorf("%w: provider %q", ErrSubjectMismatch, prov.cfg.ID)
		}
		mergeUserInfo(claims, ui)
	}

	id := prov.identity(idt, rawID, claims)
	if prov.cfg.ProConnect && id.IdpID == "" {
		// Without idp_id the account key would change meaning; refuse
		// rather than create a second account for the same agent.
		return nil, fmt.Errorf("%w: provider %q: idp_id (is the idp_id scope requested?)", ErrMissingClaim, prov.cfg.ID)
	}
	rp.log.DebugContext(ctx, "openid login completed", "provider", prov.cfg.ID, "issuer", id.Issuer)
	return id, nil
}

// describeExchangeError keeps the OAuth error code and description of a
// token endpoint refusal and drops the raw response body, which some
// providers fill with echoes of the request.
func describeExchangeError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		s := "token endpoint answered"
		if re.Response != nil {
			s += fmt.Sprintf(" HTTP %d", re.Response.StatusCode)
		}
		if re.ErrorCode != "" {
			s += fmt.Sprintf(" %q", sanitize(re.ErrorCode, 64))
		}
		if re.ErrorDescription != "" {
			s += fmt.Sprintf(": %q", sanitize(re.ErrorDescription, 200))
		}
		return s
	}
	return sanitize(err.Error(), 300)
}

// decodeClaims decodes a JSON claims object keeping numbers as json.Number,
// so that a SIRET sent as a number keeps all its digits.
func decodeClaims(unmarshal func(any) error) (map[string]any, error) {
	var raw json.RawMessage
	if err := unmarshal(&raw); err != nil {
		return nil, fmt.Errorf("decode claims: %w", err)
	}
	return decodeClaimsJSON(raw)
}

func decodeClaimsJSON(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		return nil, fmt.Errorf("decode claims: %w", err)
	}
	if claims == nil {
		return nil, errors.New("decode claims: not a JSON object")
	}
	return claims, nil
}

// protocolClaims describe the ID token itself, not the agent: userinfo must
// not override them.
func isProtocolClaim(name string) bool {
	switch name {
	case "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "nonce", "azp",
		"at_hash", "c_hash", "auth_time", "acr", "amr", "sid":
		return true
	}
	return false
}

// mergeUserInfo overlays userinfo claims on the ID token claims: userinfo is
// the provider's current view of the agent, and ProConnect puts only the
// minimum in the ID token.
func mergeUserInfo(claims, userinfo map[string]any) {
	for k, v := range userinfo {
		if !isProtocolClaim(k) {
			claims[k] = v
		}
	}
}
