package openid

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// userInfo calls the provider's userinfo endpoint and returns its claims.
// Providers answer either plain JSON (Keycloak by default) or a JWT signed
// with the provider's keys (ProConnect); the JWT's signature is verified
// with the same remote key set as ID tokens. The caller checks sub.
func (rp *RP) userInfo(ctx context.Context, prov *provider, m *metadata, accessToken string) (map[string]any, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: provider %q: %s", ErrUserInfo, prov.cfg.ID, fmt.Sprintf(format, args...))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.userinfoURL, nil)
	if err != nil {
		return nil, fail("build request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/jwt, application/json;q=0.9")
	resp, err := rp.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: provider %q: %w", ErrUserInfo, prov.cfg.ID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The body is not quoted: it may echo the request.
		return nil, fail("HTTP status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fail("read response: %v", err)
	}

	switch ct := mediaType(resp.Header.Get("Content-Type")); ct {
	case "application/json":
		claims, err := decodeClaimsJSON(body)
		if err != nil {
			return nil, fail("%v", err)
		}
		return claims, nil
	case "application/jwt":
		return rp.userInfoJWT(ctx, prov, m, strings.TrimSpace(string(body)))
	default:
		return nil, fail("unexpected content type %q", sanitize(ct, 64))
	}
}

// userInfoJWT verifies a signed userinfo response. Core §5.3.2 makes iss and
// aud optional (SHOULD) and ProConnect sends no exp, so each is checked only
// when present; the signature is what binds the claims to the provider.
func (rp *RP) userInfoJWT(ctx context.Context, prov *provider, m *metadata, raw string) (map[string]any, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: provider %q: signed userinfo: %s", ErrUserInfo, prov.cfg.ID, fmt.Sprintf(format, args...))
	}
	tok, err := m.userinfo.Verify(ctx, raw)
	if err != nil {
		return nil, fail("%v", err)
	}
	claims, err := decodeClaims(tok.Claims)
	if err != nil {
		return nil, fail("%v", err)
	}
	if _, ok := claims["iss"]; ok && tok.Issuer != m.issuer {
		return nil, fail("issued by %q, expected %q", tok.Issuer, m.issuer)
	}
	if _, ok := claims["aud"]; ok && !slices.Contains(tok.Audience, prov.cfg.ClientID) {
		return nil, fail("audience %q does not include this client", tok.Audience)
	}
	if exp, ok := claims["exp"].(json.Number); ok {
		// One minute of leeway for clock skew between hub and provider.
		if secs, err := exp.Float64(); err != nil || rp.now().After(time.Unix(int64(secs), 0).Add(time.Minute)) {
			return nil, fail("expired")
		}
	}
	return claims, nil
}
