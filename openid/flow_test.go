package openid_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"collectif/openid"
	"collectif/openid/openidtest"
)

// testBaseURL is the hub's public URL in tests. The .test TLD never resolves
// and the browser stops at the callback redirect, so it is never contacted.
const testBaseURL = "https://hub.collectif.test"

// echirollesAgent is the one user of a test provider: Échirolles' agent,
// with the claims ProConnect sends.
func echirollesAgent() openidtest.User {
	return openidtest.User{
		Subject:            "a9f3c2e1d4b5",
		Email:              "camille.martin@ville-echirolles.fr",
		EmailVerified:      true,
		GivenName:          "Camille",
		UsualName:          "Martin",
		FamilyName:         "Martin-Dupont",
		UID:                "cmartin",
		SIRET:              "21380151700011",
		OrganizationalUnit: "Direction du numérique",
		Phone:              "+33 4 76 20 63 00",
		IdpID:              "71144ab3-ee1a-4401-b7b3-79b44f7daeeb",
		// A stale value: userinfo must win over the ID token.
		IDTokenClaims: map[string]any{"given_name": "Ancien-Prénom"},
	}
}

// startOP starts a real provider (openidtest) for the Échirolles agent,
// which lets RP-initiated logout send the agent back to the hub's home.
func startOP(t testing.TB, o openidtest.Options) *openidtest.Provider {
	t.Helper()
	if o.User.Subject == "" {
		o.User = echirollesAgent()
	}
	o.PostLogoutRedirectURIs = append(o.PostLogoutRedirectURIs, testBaseURL+"/")
	return openidtest.Start(t, o)
}

// clock is the RP's clock, which tests move forward to expire things.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// logBuffer collects the RP's logs, to check that no token leaks there.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type harness struct {
	rp    *openid.RP
	clock *clock
	logs  *logBuffer
}

func newRP(t testing.TB, providers ...openid.ProviderConfig) *harness {
	t.Helper()
	h := &harness{clock: &clock{}, logs: &logBuffer{}}
	rp, err := openid.New(t.Context(), openid.Options{
		Providers: providers,
		BaseURL:   testBaseURL + "/",
		Logger:    slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       h.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.rp = rp
	return h
}

// configFor is the hub's configuration for a test provider, without PKCE
// (the tests that want it turn it on); it registers the callback URL at the
// provider like an administrator would.
func configFor(o *openidtest.Provider, id string) openid.ProviderConfig {
	o.AddRedirectURI(testBaseURL + "/login/oidc/" + id + "/callback")
	cfg := o.Config(id)
	cfg.Name = "Provider " + id
	cfg.PKCE = false
	return cfg
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// callback drives the login at the provider in the agent's browser and
// returns the query of the hub's callback, where the browser stops.
func callback(ctx context.Context, t testing.TB, b *openidtest.Browser, authURL string) url.Values {
	t.Helper()
	u, err := b.FollowUntil(ctx, authURL, testBaseURL+"/")
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// login runs Begin and the browser part, and returns the pending login and
// the callback query, ready for Complete.
func (h *harness) login(ctx context.Context, t testing.TB, b *openidtest.Browser, id string) (openid.Pending, url.Values) {
	t.Helper()
	authURL, p, err := h.rp.Begin(ctx, id)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	return p, callback(ctx, t, b, authURL)
}

func TestLoginCodeFlowWithPKCE(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	cfg := configFor(o, "keycloak-grenoble")
	cfg.PKCE = true
	h := newRP(t, cfg)

	authURL, p, err := h.rp.Begin(ctx, "keycloak-grenoble")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if got, want := q.Get("redirect_uri"), testBaseURL+"/login/oidc/keycloak-grenoble/callback"; got != want {
		t.Errorf("redirect_uri = %q, want %q", got, want)
	}
	if got := q.Get("scope"); got != "openid email profile" {
		t.Errorf("scope = %q", got)
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		t.Errorf("no S256 code challenge in %v", q)
	}
	if q.Has("acr_values") {
		t.Errorf("acr_values sent although not configured")
	}
	if q.Get("state") != p.State || q.Get("nonce") != p.Nonce {
		t.Errorf("state/nonce in URL differ from the pending login")
	}
	for name, v := range map[string]string{"state": p.State, "nonce": p.Nonce, "code_verifier": p.CodeVerifier} {
		if len(v) < 32 {
			t.Errorf("%s %q shorter than 32 characters", name, v)
		}
	}
	if p.Provider != "keycloak-grenoble" || p.CreatedAt.IsZero() || p.ExpiresAt().Sub(p.CreatedAt) != 10*time.Minute {
		t.Errorf("pending = %+v", p)
	}

	// The web server keeps the pending login in the session: it must
	// survive a JSON round trip.
	saved, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var restored openid.Pending
	if err := json.Unmarshal(saved, &restored); err != nil {
		t.Fatal(err)
	}

	query := callback(ctx, t, openidtest.NewBrowser(t), authURL)
	id, err := h.rp.Complete(ctx, restored, query)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	want := openid.Identity{
		Provider:      "keycloak-grenoble",
		Issuer:        o.Issuer(),
		Subject:       "a9f3c2e1d4b5",
		Email:         "camille.martin@ville-echirolles.fr",
		EmailVerified: true,
		GivenName:     "Camille", // from userinfo, not the ID token's stale value
		FamilyName:    "Martin-Dupont",
	}
	got := *id
	got.IDToken, got.Claims = "", nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("identity:\n got %+v\nwant %+v", got, want)
	}
	if id.IDToken == "" || strings.Count(id.IDToken, ".") != 2 {
		t.Errorf("raw ID token not kept for logout")
	}
	if id.Claims["email"] != "camille.martin@ville-echirolles.fr" || id.Claims["iss"] != o.Issuer() {
		t.Errorf("claims = %v", id.Claims)
	}
	if got, want := id.Key(), o.Issuer()+"|a9f3c2e1d4b5"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
	if id.SIREN() != "" {
		t.Errorf("SIREN() = %q without siret claim", id.SIREN())
	}
}

func TestLoginWrongCodeVerifierRefusedByProvider(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	cfg := configFor(o, "kc")
	cfg.PKCE = true
	h := newRP(t, cfg)
	p, q := h.login(ctx, t, openidtest.NewBrowser(t), "kc")
	p.CodeVerifier = strings.Repeat("x", 43) // an intercepted code is useless without the verifier
	_, err := h.rp.Complete(ctx, p, q)
	if !errors.Is(err, openid.ErrExchange) {
		t.Fatalf("err = %v, want ErrExchange", err)
	}
}

func TestLoginWithoutPKCE(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	h := newRP(t, configFor(o, "kc"))
	authURL, p, err := h.rp.Begin(ctx, "kc")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(authURL, "code_challenge") || p.CodeVerifier != "" {
		t.Fatalf("PKCE sent to a provider without pkce: %s", authURL)
	}
	id, err := h.rp.Complete(ctx, p, callback(ctx, t, openidtest.NewBrowser(t), authURL))
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "a9f3c2e1d4b5" || id.Email != "camille.martin@ville-echirolles.fr" {
		t.Errorf("identity = %+v", id)
	}
}

func TestProConnectSignedUserinfo(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{ProConnect: true}) // signed userinfo, client_secret_post only
	cfg := configFor(o, "proconnect")
	if !cfg.ProConnect {
		t.Fatalf("config of a ProConnect provider: %+v", cfg)
	}
	cfg.Name = "ProConnect"
	cfg.ACRValues = "eidas1"
	h := newRP(t, cfg)

	authURL, p, err := h.rp.Begin(ctx, "proconnect")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	if got, want := u.Query().Get("scope"), "openid email given_name usual_name siret uid organizational_unit phone idp_id"; got != want {
		t.Errorf("scope = %q, want %q", got, want)
	}
	if got := u.Query().Get("acr_values"); got != "eidas1" {
		t.Errorf("acr_values = %q", got)
	}
	if u.Query().Has("code_challenge") {
		t.Errorf("PKCE parameters sent to ProConnect without pkce: true")
	}
	id, err := h.rp.Complete(ctx, p, callback(ctx, t, openidtest.NewBrowser(t), authURL))
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	want := openid.Identity{
		Provider:           "proconnect",
		Issuer:             o.Issuer(),
		Subject:            "a9f3c2e1d4b5",
		IdpID:              "71144ab3-ee1a-4401-b7b3-79b44f7daeeb",
		Email:              "camille.martin@ville-echirolles.fr",
		EmailVerified:      true,
		GivenName:          "Camille",
		FamilyName:         "Martin", // usual_name comes before family_name
		UID:                "cmartin",
		SIRET:              "21380151700011",
		OrganizationalUnit: "Direction du numérique",
		Phone:              "+33 4 76 20 63 00",
		ACR:                "eidas1",
	}
	got := *id
	got.IDToken, got.Claims = "", nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("identity:\n got %+v\nwant %+v", got, want)
	}
	if got, want := id.SIREN(), "213801517"; got != want {
		t.Errorf("SIREN() = %q, want %q", got, want)
	}
	if got, want := id.Key(), o.Issuer()+"|71144ab3-ee1a-4401-b7b3-79b44f7daeeb|a9f3c2e1d4b5"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
	// The token endpoint takes client_secret_post only: the RP must pick it
	// from discovery at the first try.
	if n := o.TokenRequests(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	if got := h.rp.Providers(); len(got) != 1 || got[0] != (openid.ProviderInfo{ID: "proconnect", Name: "ProConnect"}) {
		t.Errorf("Providers() = %+v", got)
	}
}

func TestProConnectRequiresIdpID(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{SignedUserinfo: true})
	cfg := configFor(o, "proconnect")
	cfg.ProConnect = true
	cfg.Scopes = []string{"openid", "email"} // idp_id scope forgotten
	// Nor is idp_id in the ID token.
	o.RewriteIDToken(func(c map[string]any) { delete(c, "idp_id") }, nil)
	h := newRP(t, cfg)
	p, q := h.login(ctx, t, openidtest.NewBrowser(t), "proconnect")
	if _, err := h.rp.Complete(ctx, p, q); !errors.Is(err, openid.ErrMissingClaim) {
		t.Fatalf("err = %v, want ErrMissingClaim", err)
	}
}

func TestSignedUserinfoRejected(t *testing.T) {
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		setup func(o *openidtest.Provider)
		want  error
	}{
		// The following userinfo JWTs are minted by the test provider
		// with go-jose, since the op library cannot sign userinfo.
		{"subject of another agent", func(o *openidtest.Provider) {
			o.RewriteUserinfo(func(c map[string]any) { c["sub"] = "someone-else" }, nil)
		}, openid.ErrSubjectMismatch},
		{"signed with a key the provider does not publish", func(o *openidtest.Provider) {
			o.RewriteUserinfo(nil, foreign)
		}, openid.ErrUserInfo},
		{"issued for another client", func(o *openidtest.Provider) {
			o.RewriteUserinfo(func(c map[string]any) { c["aud"] = "another-client" }, nil)
		}, openid.ErrUserInfo},
		{"issued by another issuer", func(o *openidtest.Provider) {
			o.RewriteUserinfo(func(c map[string]any) { c["iss"] = "https://evil.example" }, nil)
		}, openid.ErrUserInfo},
		{"expired", func(o *openidtest.Provider) {
			o.RewriteUserinfo(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, nil)
		}, openid.ErrUserInfo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			o := startOP(t, openidtest.Options{SignedUserinfo: true})
			cfg := configFor(o, "proconnect")
			cfg.ProConnect = true
			h := newRP(t, cfg)
			tc.setup(o)
			p, q := h.login(ctx, t, openidtest.NewBrowser(t), "proconnect")
			id, err := h.rp.Complete(ctx, p, q)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Complete = %+v, %v; want %v", id, err, tc.want)
			}
		})
	}
}

// A code obtained in the attacker's own login, injected into the victim's
// callback with the victim's state: without PKCE only the nonce catches it.
func TestCodeInjectionNonceMismatch(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	h := newRP(t, configFor(o, "kc"))

	_, attackerQuery := h.login(ctx, t, openidtest.NewBrowser(t), "kc")
	_, victimPending, err := h.rp.Begin(ctx, "kc")
	if err != nil {
		t.Fatal(err)
	}
	forged := url.Values{"code": {attackerQuery.Get("code")}, "state": {victimPending.State}}
	_, err = h.rp.Complete(ctx, victimPending, forged)
	if !errors.Is(err, openid.ErrNonceMismatch) {
		t.Fatalf("err = %v, want ErrNonceMismatch", err)
	}
}

// The op library always issues ID tokens for the requesting client, so these
// are minted by the test provider with its own signing key (go-jose).
func TestIDTokenAudience(t *testing.T) {
	for _, tc := range []struct {
		name   string
		aud    any
		azp    string
		wantOK bool
	}{
		{"token for another client", []string{"another-client"}, "another-client", false},
		{"token for another client, string aud", "another-client", "another-client", false},
		{"several audiences, azp is another client", []string{"collectif-hub", "another-client"}, "another-client", false},
		{"several audiences, azp is the hub", []string{"collectif-hub", "another-client"}, "collectif-hub", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			o := startOP(t, openidtest.Options{})
			h := newRP(t, configFor(o, "kc"))
			o.RewriteIDToken(func(c map[string]any) { c["aud"], c["azp"] = tc.aud, tc.azp }, nil)
			p, q := h.login(ctx, t, openidtest.NewBrowser(t), "kc")
			_, err := h.rp.Complete(ctx, p, q)
			switch {
			case tc.wantOK && err != nil:
				t.Fatalf("err = %v, want success", err)
			case !tc.wantOK && (!errors.Is(err, openid.ErrIDToken) ||
				!(strings.Contains(err.Error(), "audience") || strings.Contains(err.Error(), "azp"))):
				t.Fatalf("err = %v, want ErrIDToken about the audience", err)
			}
		})
	}
}

// An ID token for another agent, signed with a key the provider does not
// publish but carrying the provider's key id (minted with go-jose).
func TestIDTokenForgedSignature(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	h := newRP(t, configFor(o, "kc"))
	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	o.RewriteIDToken(func(c map[string]any) { c["sub"] = "maire-adjoint" }, forger)
	p, q := h.login(ctx, t, openidtest.NewBrowser(t), "kc")
	if _, err := h.rp.Complete(ctx, p, q); !errors.Is(err, openid.ErrIDToken) {
		t.Fatalf("err = %v, want ErrIDToken", err)
	}
}

func TestExpiredIDToken(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{IDTokenLifetime: time.Minute})
	h := newRP(t, configFor(o, "kc"))
	p, q := h.login(ctx, t, openidtest.NewBrowser(t), "kc")
	// Two minutes pass on the hub's clock: the pending login (10 minutes)
	// is still valid, the one-minute ID token is not.
	h.clock.Advance(2 * time.Minute)
	_, err := h.rp.Complete(ctx, p, q)
	var expired *oidc.TokenExpiredError
	if !errors.Is(err, openid.ErrIDToken) || !errors.As(err, &expired) {
		t.Fatalf("err = %v, want ErrIDToken wrapping *oidc.TokenExpiredError", err)
	}
}

func TestExpiredPendingLogin(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	h := newRP(t, configFor(o, "kc"))
	p, q := h.login(ctx, t, openidtest.NewBrowser(t), "kc")
	h.clock.Advance(10*time.Minute + time.Second)
	before := o.TokenRequests()
	if _, err := h.rp.Complete(ctx, p, q); !errors.Is(err, openid.ErrExpired) {
		t.Fatalf("err = %v, want ErrExpired", err)
	}
	if o.TokenRequests() != before {
		t.Errorf("code exchanged for an expired login")
	}
}

func TestStateMismatch(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	h := newRP(t, configFor(o, "kc"))
	p, q := h.login(ctx, t, openidtest.NewBrowser(t), "kc")

	tampered := url.Values{"code": {q.Get("code")}, "state": {q.Get("state")[:42] + "A"}}
	if tampered.Get("state") == p.State {
		tampered.Set("state", q.Get("state")[:42]+"B")
	}
	missing := url.Values{"code": {q.Get("code")}}
	for name, query := range map[string]url.Values{"tampered": tampered, "missing": missing} {
		if _, err := h.rp.Complete(ctx, p, query); !errors.Is(err, openid.ErrStateMismatch) {
			t.Errorf("%s state: err = %v, want ErrStateMismatch", name, err)
		}
	}
	// A pending login lost by the session layer is a zero value: it must not
	// match a callback without state.
	if _, err := h.rp.Complete(ctx, openid.Pending{Provider: "kc"}, missing); !errors.Is(err, openid.ErrInvalidPending) {
		t.Errorf("zero pending: err = %v, want ErrInvalidPending", err)
	}
	if n := o.TokenRequests(); n != 0 {
		t.Errorf("%d token requests for refused callbacks", n)
	}
	// The genuine callback still works.
	if _, err := h.rp.Complete(ctx, p, q); err != nil {
		t.Fatalf("genuine callback: %v", err)
	}
}

func TestIssuerParameter(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	h := newRP(t, configFor(o, "kc"))
	p, q := h.login(ctx, t, openidtest.NewBrowser(t), "kc")
	mixed := url.Values{"code": {q.Get("code")}, "state": {q.Get("state")}, "iss": {"https://evil.example"}}
	if _, err := h.rp.Complete(ctx, p, mixed); !errors.Is(err, openid.ErrIssuerMismatch) {
		t.Fatalf("err = %v, want ErrIssuerMismatch", err)
	}
	q.Set("iss", o.Issuer()) // RFC 9207 parameter with the right issuer
	if _, err := h.rp.Complete(ctx, p, q); err != nil {
		t.Fatalf("genuine callback with iss: %v", err)
	}
}

func TestReplayedCode(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	cfg := configFor(o, "kc")
	h := newRP(t, cfg)
	p, q := h.login(ctx, t, openidtest.NewBrowser(t), "kc")
	id, err := h.rp.Complete(ctx, p, q)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.rp.Complete(ctx, p, q)
	if !errors.Is(err, openid.ErrExchange) {
		t.Fatalf("replayed code: err = %v, want ErrExchange", err)
	}
	if !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("error does not give the OAuth error code: %v", err)
	}
	for _, secret := range []string{q.Get("code"), id.IDToken, cfg.ClientSecret, p.Nonce, p.State} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error text leaks a secret value: %v", err)
		}
		if strings.Contains(h.logs.String(), secret) {
			t.Errorf("logs leak a secret value")
		}
	}
}

func TestProviderError(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	h := newRP(t, configFor(o, "kc"))
	// The agent cancels at the provider. A control character and a line
	// break in the description check that the RP sanitizes what it shows.
	o.SetLoginError("access_denied", "L'agent a refusé\r\nla connexion\x1b[31m")
	authURL, p, err := h.rp.Begin(ctx, "kc")
	if err != nil {
		t.Fatal(err)
	}
	q := callback(ctx, t, openidtest.NewBrowser(t), authURL)

	// An attacker's forged error (wrong state) is not even shown.
	forged := url.Values{"error": {"access_denied"}, "error_description": {"Appelez le 08 99…"}, "state": {"forged"}}
	if _, err := h.rp.Complete(ctx, p, forged); !errors.Is(err, openid.ErrStateMismatch) {
		t.Errorf("forged error: err = %v, want ErrStateMismatch", err)
	}

	_, err = h.rp.Complete(ctx, p, q)
	var pe *openid.ProviderError
	if !errors.Is(err, openid.ErrProvider) || !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *ProviderError", err)
	}
	if pe.Code != "access_denied" || pe.Provider != "kc" {
		t.Errorf("provider error = %+v", pe)
	}
	if !strings.HasPrefix(pe.Description, "L'agent a refusé la connexion") || strings.ContainsAny(pe.Description, "\r\n\x1b") {
		t.Errorf("description not sanitized: %q", pe.Description)
	}
}

func TestDiscoveryFailureThenRecovery(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	o.SetUnavailable(true)

	// Starting the hub does not need the provider.
	h := newRP(t, configFor(o, "kc"))
	if got := h.rp.Providers(); len(got) != 1 || got[0].ID != "kc" {
		t.Fatalf("Providers() = %+v", got)
	}
	_, _, err := h.rp.Begin(ctx, "kc")
	if !errors.Is(err, openid.ErrDiscovery) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("Begin while down: err = %v, want ErrDiscovery with the status", err)
	}
	if strings.Contains(err.Error(), "indisponible") {
		t.Errorf("error text quotes the provider's error page: %v", err)
	}
	if _, ok := h.rp.LogoutURL("kc", "", "", ""); ok {
		t.Errorf("LogoutURL before any discovery")
	}

	o.SetUnavailable(false)
	for range 3 {
		p, q := h.login(ctx, t, openidtest.NewBrowser(t), "kc")
		if _, err := h.rp.Complete(ctx, p, q); err != nil {
			t.Fatalf("login after recovery: %v", err)
		}
	}
	if n := o.DiscoveryRequests(); n != 1 {
		t.Errorf("discovery fetched %d times after recovery, want 1 (cached)", n)
	}
}

func TestDiscoveryConnectionRefused(t *testing.T) {
	ctx := testContext(t)
	// A loopback port nobody listens on any more.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + l.Addr().String()
	l.Close()
	h := newRP(t, openid.ProviderConfig{ID: "down", Issuer: issuer, ClientID: "hub", ClientSecret: "x"})
	start := time.Now()
	if _, _, err := h.rp.Begin(ctx, "down"); !errors.Is(err, openid.ErrDiscovery) {
		t.Fatalf("err = %v, want ErrDiscovery", err)
	}
	if err := h.rp.Discover(ctx, "down"); !errors.Is(err, openid.ErrDiscovery) {
		t.Fatalf("retry: err = %v, want ErrDiscovery", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refused connection took %s", d)
	}
}

func TestConcurrentFirstLogins(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	h := newRP(t, configFor(o, "kc"))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			authURL, p, err := h.rp.Begin(ctx, "kc")
			if err != nil {
				errs <- err
				return
			}
			u, err := openidtest.NewBrowser(t).FollowUntil(ctx, authURL, testBaseURL+"/")
			if err != nil {
				errs <- err
				return
			}
			if _, err := h.rp.Complete(ctx, p, u.Query()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := o.DiscoveryRequests(); n != 1 {
		t.Errorf("discovery fetched %d times by concurrent first logins, want 1", n)
	}
}

func TestUnknownProvider(t *testing.T) {
	ctx := testContext(t)
	h := newRP(t)
	if _, _, err := h.rp.Begin(ctx, "nope"); !errors.Is(err, openid.ErrUnknownProvider) {
		t.Errorf("Begin: err = %v", err)
	}
	if _, err := h.rp.Complete(ctx, openid.Pending{Provider: "nope"}, url.Values{}); !errors.Is(err, openid.ErrUnknownProvider) {
		t.Errorf("Complete: err = %v", err)
	}
	if _, ok := h.rp.LogoutURL("nope", "", "", ""); ok {
		t.Errorf("LogoutURL for an unknown provider")
	}
}

func TestLogoutURL(t *testing.T) {
	t.Run("with end_session_endpoint", func(t *testing.T) {
		ctx := testContext(t)
		o := startOP(t, openidtest.Options{EndSession: true})
		h := newRP(t, configFor(o, "kc"))
		b := openidtest.NewBrowser(t)
		p, q := h.login(ctx, t, b, "kc")
		id, err := h.rp.Complete(ctx, p, q)
		if err != nil {
			t.Fatal(err)
		}
		logout, ok := h.rp.LogoutURL("kc", id.IDToken, "logout-state-1", testBaseURL+"/")
		if !ok {
			t.Fatal("no logout URL although the provider has end_session_endpoint")
		}
		u, err := url.Parse(logout)
		if err != nil {
			t.Fatal(err)
		}
		lq := u.Query()
		if u.Scheme+"://"+u.Host+u.Path != o.Issuer()+"/end_session" ||
			lq.Get("id_token_hint") != id.IDToken || lq.Get("state") != "logout-state-1" ||
			lq.Get("post_logout_redirect_uri") != testBaseURL+"/" || lq.Has("client_id") {
			t.Fatalf("logout URL = %s", logout)
		}
		// The provider accepts it and sends the agent back to the hub.
		back, err := b.FollowUntil(ctx, logout, testBaseURL+"/")
		if err != nil {
			t.Fatal(err)
		}
		if back.Path != "/" || back.Query().Get("state") != "logout-state-1" {
			t.Errorf("back from logout at %s", back)
		}
	})
	t.Run("without end_session_endpoint", func(t *testing.T) {
		ctx := testContext(t)
		o := startOP(t, openidtest.Options{}) // no end_session_endpoint in discovery
		h := newRP(t, configFor(o, "kc"))
		if err := h.rp.Discover(ctx, "kc"); err != nil {
			t.Fatal(err)
		}
		if u, ok := h.rp.LogoutURL("kc", "hint", "state", testBaseURL+"/"); ok || u != "" {
			t.Errorf("LogoutURL = %q, %v; want none", u, ok)
		}
	})
}

// An issuer configured with a trailing slash is not the provider's issuer:
// discovery must refuse it rather than accept tokens from "another" issuer.
func TestDiscoveryIssuerMismatch(t *testing.T) {
	ctx := testContext(t)
	o := startOP(t, openidtest.Options{})
	cfg := configFor(o, "kc")
	cfg.Issuer += "/"
	h := newRP(t, cfg)
	_, _, err := h.rp.Begin(ctx, "kc")
	if !errors.Is(err, openid.ErrDiscovery) || !strings.Contains(err.Error(), "issuer") {
		t.Fatalf("err = %v, want ErrDiscovery about the issuer", err)
	}
}
