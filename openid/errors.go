package openid

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them (with %w), so that the web layer can pick a message for the agent with
// errors.Is without parsing texts. Error texts never contain tokens, codes,
// secrets or raw provider responses.
var (
	// ErrConfig: a provider configuration or an Option is invalid.
	ErrConfig = errors.New("openid: invalid configuration")
	// ErrUnknownProvider: no provider is configured under that id.
	ErrUnknownProvider = errors.New("openid: unknown provider")
	// ErrDiscovery: the provider's discovery document could not be fetched
	// or is unusable; the next call retries.
	ErrDiscovery = errors.New("openid: provider discovery failed")
	// ErrInvalidPending: the pending login handed back by the caller is
	// malformed (empty state or nonce, missing creation time…).
	ErrInvalidPending = errors.New("openid: invalid pending login")
	// ErrExpired: the pending login is older than PendingLifetime.
	ErrExpired = errors.New("openid: login attempt expired")
	// ErrStateMismatch: the callback's state does not match the pending login.
	ErrStateMismatch = errors.New("openid: state mismatch")
	// ErrIssuerMismatch: the callback carries an RFC 9207 "iss" parameter
	// naming another issuer (mix-up attack).
	ErrIssuerMismatch = errors.New("openid: issuer mismatch in authorization response")
	// ErrProvider: the provider answered the authorization request with an
	// error (the agent cancelled, access denied…). See ProviderError.
	ErrProvider = errors.New("openid: identity provider returned an error")
	// ErrMissingCode: the callback has neither a code nor an error.
	ErrMissingCode = errors.New("openid: authorization code missing from callback")
	// ErrExchange: the token endpoint refused the code (replayed or expired
	// code, wrong PKCE verifier, bad client credentials…) or was unreachable.
	ErrExchange = errors.New("openid: code exchange failed")
	// ErrIDToken: the ID token is missing or invalid (signature, issuer,
	// audience, expiry, at_hash).
	ErrIDToken = errors.New("openid: invalid ID token")
	// ErrNonceMismatch: the ID token's nonce is not the pending login's.
	ErrNonceMismatch = errors.New("openid: nonce mismatch")
	// ErrUserInfo: the userinfo endpoint failed or answered something
	// unusable (bad signature, unknown content type…).
	ErrUserInfo = errors.New("openid: userinfo request failed")
	// ErrSubjectMismatch: userinfo describes another subject than the ID
	// token (OpenID Connect Core §5.3.2 requires refusing it).
	ErrSubjectMismatch = errors.New("openid: userinfo subject does not match ID token subject")
	// ErrMissingClaim: a claim needed to identify the account is absent.
	ErrMissingClaim = errors.New("openid: required claim missing")
)

// ConfigError describes one invalid configuration field. It wraps ErrConfig.
type ConfigError struct {
	Provider string // provider id, empty for options that are not per provider
	Field    string // yaml/json name of the field
	Problem  string
}

func (e *ConfigError) Error() string {
	if e.Provider == "" {
		return fmt.Sprintf("openid: invalid configuration: %s: %s", e.Field, e.Problem)
	}
	return fmt.Sprintf("openid: invalid configuration: provider %q: %s: %s", e.Provider, e.Field, e.Problem)
}

// Unwrap makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// ProviderError is the error an identity provider sent back to the callback
// (RFC 6749 §4.1.2.1). Code and Description come from the provider: they are
// sanitized (printable characters only, bounded length) but still untrusted
// text, so escape them when rendering. It wraps ErrProvider.
type ProviderError struct {
	Provider    string // provider id
	Code        string // e.g. "access_denied", "login_required"
	Description string // error_description, possibly empty
}

func (e *ProviderError) Error() string {
	if e.Description == "" {
		return fmt.Sprintf("openid: provider %q returned error %q", e.Provider, e.Code)
	}
	return fmt.Sprintf("openid: provider %q returned error %q: %q", e.Provider, e.Code, e.Description)
}

// Unwrap makes errors.Is(err, ErrProvider) true.
func (e *ProviderError) Unwrap() error { return ErrProvider }

// sanitize keeps at most max printable runes of s, mapping every run of
// whitespace to one space and dropping control characters and invalid UTF-8.
// Provider texts are shown to agents and written to logs: this removes
// terminal escapes and line injection while keeping French accents, which
// strict RFC 6749 ASCII filtering would mangle.
func sanitize(s string, max int) string {
	var b strings.Builder
	n := 0
	space := false
	for len(s) > 0 && n < max {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case !unicode.IsPrint(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
			if n >= max {
				break
			}
		}
		b.WriteRune(r)
		n++
	}
	out := b.String()
	if len(s) > 0 {
		out += "…"
	}
	return out
}
