package openid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Options configure an RP.
type Options struct {
	// Providers in the order their login buttons are shown.
	Providers []ProviderConfig
	// BaseURL is the public URL of the hub (scheme, host, optional path
	// prefix, no trailing slash needed). Callback URLs are
	// BaseURL + "/login/oidc/" + id + "/callback".
	BaseURL string
	// HTTPClient is used for every request to the providers. Defaults to a
	// client with a 15 s timeout, so that a provider that accepts the
	// connection but never answers cannot hold a login forever.
	HTTPClient *http.Client
	// Logger defaults to a logger that discards everything.
	Logger *slog.Logger
	// Now is the clock used for pending-login expiry and ID token expiry.
	// Defaults to time.Now.
	Now func() time.Time
}

// ProviderInfo is what the login page needs to draw a button.
type ProviderInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// RP is the OpenID Connect relying party of the hub: one value serves every
// configured provider and is safe for concurrent use.
type RP struct {
	baseURL   string
	client    *http.Client
	log       *slog.Logger
	now       func() time.Time
	providers []*provider
	byID      map[string]*provider
}

// provider is one configured provider and its lazily discovered metadata.
type provider struct {
	cfg    ProviderConfig // as configured, with Name defaulted
	secret string
	scopes []string
	claims ClaimMapping // with defaults filled in

	// meta is nil until discovery succeeds, then never changes: a
	// provider's endpoints and keys URL are stable for the process life
	// (signing keys themselves rotate through go-oidc's remote key set).
	meta atomic.Pointer[metadata]
	// discovering is a one-slot semaphore so that concurrent first logins
	// trigger a single discovery request; a channel rather than a mutex so
	// that waiting honours the caller's context.
	discovering chan struct{}
}

// metadata is what discovery gives us for one provider.
type metadata struct {
	oauth       oauth2.Config
	verifier    *oidc.IDTokenVerifier // ID tokens: issuer, audience, expiry
	userinfo    *oidc.IDTokenVerifier // userinfo JWTs: signature only, claims checked by hand
	issuer      string
	userinfoURL string
	endSession  string
	// issParam: the provider promises the RFC 9207 iss parameter on its
	// authorization responses, so a response without it is refused.
	issParam bool
}

// discoveryDocument holds the discovery fields this package uses.
type discoveryDocument struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	EndSessionEndpoint    string   `json:"end_session_endpoint"`
	IDTokenAlgs           []string `json:"id_token_signing_alg_values_supported"`
	UserinfoAlgs          []string `json:"userinfo_signing_alg_values_supported"`
	TokenEndpointAuth     []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	AuthorizationIssParam bool     `json:"authorization_response_iss_parameter_supported"`
}

// maxResponseBytes bounds what is read from a provider: discovery documents
// and userinfo answers are a few kilobytes.
const maxResponseBytes = 1 << 20

// New checks the configuration and returns an RP. It does no network I/O:
// providers are discovered on first use, so that a provider being down
// never prevents the hub from starting. Configuration errors are all
// reported at once, joined.
func New(ctx context.Context, opts Options) (*RP, error) {
	var errs []error
	base := strings.TrimRight(opts.BaseURL, "/")
	if base == "" {
		errs = append(errs, &ConfigError{Field: "base_url", Problem: "is required"})
	} else if err := checkURL(base, false); err != nil {
		errs = append(errs, &ConfigError{Field: "base_url", Problem: err.Error()})
	}

	rp := &RP{
		baseURL: base,
		client:  opts.HTTPClient,
		log:     opts.Logger,
		now:     opts.Now,
		byID:    make(map[string]*provider, len(opts.Providers)),
	}
	if rp.client == nil {
		rp.client = &http.Client{Timeout: 15 * time.Second}
	}
	if rp.log == nil {
		rp.log = slog.New(slog.DiscardHandler)
	}
	if rp.now == nil {
		rp.now = time.Now
	}

	for i, c := range opts.Providers {
		if err := c.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := rp.byID[c.ID]; dup {
			errs = append(errs, &ConfigError{Provider: c.ID, Field: "id", Problem: fmt.Sprintf("duplicate provider id (provider #%d)", i+1)})
			continue
		}
		secret, err := c.clientSecret()
		if err != nil { // Validate already read it; the file may have vanished since.
			errs = append(errs, err)
			continue
		}
		if c.Name == "" {
			c.Name = c.ID
		}
		scopes := slices.Clone(c.Scopes)
		if scopes == nil {
			scopes = DefaultScopes()
			if c.ProConnect {
				scopes = ProConnectScopes()
			}
		}
		p := &provider{
			cfg:         c,
			secret:      secret,
			scopes:      scopes,
			claims:      c.Claims.withDefaults(),
			discovering: make(chan struct{}, 1),
		}
		rp.providers = append(rp.providers, p)
		rp.byID[c.ID] = p
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rp.log.DebugContext(ctx, "openid relying party configured", "providers", len(rp.providers))
	return rp, nil
}

// Providers lists the configured providers in configuration order.
func (rp *RP) Providers() []ProviderInfo {
	out := make([]ProviderInfo, 0, len(rp.providers))
	for _, p := range rp.providers {
		out = append(out, ProviderInfo{ID: p.cfg.ID, Name: p.cfg.Name})
	}
	return out
}

// CallbackURL is the redirect URI registered at the provider for providerID:
// BaseURL + "/login/oidc/" + providerID + "/callback".
func (rp *RP) CallbackURL(providerID string) string {
	return rp.baseURL + "/login/oidc/" + providerID + "/callback"
}

// Discover fetches and caches providerID's discovery document if it is not
// cached yet. Begin and Complete do it on their own; calling Discover in the
// background at startup only warms the cache (and lets LogoutURL work for
// sessions opened before a restart). Failures are not cached: the next call
// retries.
func (rp *RP) Discover(ctx context.Context, providerID string) error {
	p, err := rp.provider(providerID)
	if err != nil {
		return err
	}
	_, err = rp.metadata(ctx, p)
	return err
}

func (rp *RP) provider(id string) (*provider, error) {
	p, ok := rp.byID[id]
	if !ok {
		// %q: the id may come from a URL path.
		return nil, fmt.Errorf("%w: %q", ErrUnknownProvider, sanitize(id, 64))
	}
	return p, nil
}

// metadata returns the provider's discovered metadata, discovering it now if
// needed.
func (rp *RP) metadata(ctx context.Context, p *provider) (*metadata, error) {
	if m := p.meta.Load(); m != nil {
		return m, nil
	}
	select {
	case p.discovering <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: provider %q: %w", ErrDiscovery, p.cfg.ID, ctx.Err())
	}
	defer func() { <-p.discovering }()
	if m := p.meta.Load(); m != nil { // another caller discovered it while we waited
		return m, nil
	}
	m, err := rp.discover(ctx, p)
	if err != nil {
		rp.log.WarnContext(ctx, "openid provider discovery failed", "provider", p.cfg.ID, "issuer", p.cfg.Issuer, "error", err)
		return nil, fmt.Errorf("%w: provider %q: %w", ErrDiscovery, p.cfg.ID, err)
	}
	p.meta.Store(m)
	rp.log.InfoContext(ctx, "openid provider discovered", "provider", p.cfg.ID, "issuer", m.issuer,
		"userinfo", m.userinfoURL != "", "end_session", m.endSession != "")
	return m, nil
}

// discover fetches the discovery document itself rather than through
// oidc.NewProvider, to bound the body it reads and to keep provider pages
// (an HTML error page from a reverse proxy, say) out of error texts; the
// go-oidc provider is then built from the checked document.
func (rp *RP) discover(ctx context.Context, p *provider) (*metadata, error) {
	wellKnown := strings.TrimSuffix(p.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, wellKnown, nil)
	if err != nil {
		return nil, fmt.Errorf("build discovery request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := rp.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch discovery document: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch discovery document: HTTP status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("read discovery document: %w", err)
	}
	var doc discoveryDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decode discovery document: %w", err)
	}
	// OpenID Connect Discovery §4.3: the issuer must be exactly the one
	// configured, or tokens could be accepted from another issuer.
	if doc.Issuer != p.cfg.Issuer {
		return nil, fmt.Errorf("discovery document announces issuer %q, configured issuer is %q", doc.Issuer, p.cfg.Issuer)
	}
	for _, e := range []struct{ name, value string }{
		{"authorization_endpoint", doc.AuthorizationEndpoint},
		{"token_endpoint", doc.TokenEndpoint},
		{"jwks_uri", doc.JWKSURI},
	} {
		if e.value == "" {
			return nil, fmt.Errorf("discovery document has no %s", e.name)
		}
		if err := checkEndpoint(e.value); err != nil {
			return nil, fmt.Errorf("discovery document %s %w", e.name, err)
		}
	}
	for _, e := range []struct{ name, value string }{
		{"userinfo_endpoint", doc.UserinfoEndpoint},
		{"end_session_endpoint", doc.EndSessionEndpoint},
	} {
		if e.value != "" {
			if err := checkEndpoint(e.value); err != nil {
				return nil, fmt.Errorf("discovery document %s %w", e.name, err)
			}
		}
	}
	if p.cfg.PKCE && len(doc.CodeChallengeMethods) > 0 && !slices.Contains(doc.CodeChallengeMethods, "S256") {
		// Not fatal: the provider may support it without saying so, and
		// the code exchange will fail clearly if it does not.
		rp.log.WarnContext(ctx, "openid provider does not advertise PKCE S256", "provider", p.cfg.ID)
	}

	idAlgs := supportedAlgs(doc.IDTokenAlgs)
	uiAlgs := supportedAlgs(doc.UserinfoAlgs)
	if len(uiAlgs) == 0 {
		uiAlgs = idAlgs
	}
	op := (&oidc.ProviderConfig{
		IssuerURL:   doc.Issuer,
		AuthURL:     doc.AuthorizationEndpoint,
		TokenURL:    doc.TokenEndpoint,
		UserInfoURL: doc.UserinfoEndpoint,
		JWKSURL:     doc.JWKSURI,
		Algorithms:  idAlgs,
	}).NewProvider(oidc.ClientContext(ctx, rp.client))

	endpoint := op.Endpoint()
	endpoint.AuthStyle = authStyle(doc.TokenEndpointAuth, p.secret)
	return &metadata{
		oauth: oauth2.Config{
			ClientID:     p.cfg.ClientID,
			ClientSecret: p.secret,
			Endpoint:     endpoint,
			RedirectURL:  rp.CallbackURL(p.cfg.ID),
			Scopes:       p.scopes,
		},
		verifier: op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: rp.now}),
		// The userinfo JWT has no exp in ProConnect and its iss/aud are
		// optional (Core §5.3.2 says SHOULD), so only the signature is
		// checked here; userInfo checks iss, aud and sub when present.
		userinfo: op.Verifier(&oidc.Config{
			SkipClientIDCheck:    true,
			SkipExpiryCheck:      true,
			SkipIssuerCheck:      true,
			SupportedSigningAlgs: uiAlgs,
		}),
		issuer:      doc.Issuer,
		userinfoURL: doc.UserinfoEndpoint,
		endSession:  doc.EndSessionEndpoint,
		issParam:    doc.AuthorizationIssParam,
	}, nil
}

// checkEndpoint refuses endpoints that are not absolute http(s) URLs, so a
// broken document fails discovery instead of the login.
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return errors.New("is not an absolute http(s) URL")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return errors.New("must use https")
	}
	return nil
}

// supportedAlgs keeps the asymmetric algorithms go-oidc can verify with the
// provider's public keys; HS256 and "none" are dropped on purpose.
func supportedAlgs(algs []string) []string {
	ok := []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}
	var out []string
	for _, a := range algs {
		if slices.Contains(ok, a) {
			out = append(out, a)
		}
	}
	return out
}

// authStyle picks how client credentials are sent to the token endpoint from
// what the provider advertises, instead of oauth2's auto-detection which
// spends a failed request (and, with some providers, the code) finding out.
// ProConnect advertises client_secret_post only.
func authStyle(methods []string, secret string) oauth2.AuthStyle {
	switch {
	case secret == "":
		return oauth2.AuthStyleInParams // public client: client_id in the body
	case len(methods) == 0 || slices.Contains(methods, "client_secret_basic"):
		return oauth2.AuthStyleInHeader // the default of OpenID Connect Discovery
	case slices.Contains(methods, "client_secret_post"):
		return oauth2.AuthStyleInParams
	default:
		return oauth2.AuthStyleAutoDetect
	}
}

// mediaType returns the lowercased media type of a Content-Type header.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}
