package openidtest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"collectif/openid"
)

// Defaults of Options.
const (
	DefaultClientID        = "collectif-hub"
	DefaultClientSecret    = "s3cr3t-of-the-hub-client"
	DefaultIDTokenLifetime = 5 * time.Minute
)

// Options choose the provider's first client and its behaviour. The zero
// value is a standard provider (JSON userinfo, client_secret_basic or
// client_secret_post, no end_session_endpoint in discovery) whose user is
// DefaultUser.
type Options struct {
	// ClientID and ClientSecret of the relying party under test; they
	// default to DefaultClientID and DefaultClientSecret. AddClient
	// registers more.
	ClientID, ClientSecret string
	// RedirectURIs are the relying party's callback URLs. The provider
	// refuses any other, as real ones do; when the relying party's port is
	// only known later, register them with AddRedirectURI.
	RedirectURIs []string
	// PostLogoutRedirectURIs are where RP-initiated logout may send the
	// agent back (see also AddPostLogoutRedirectURI).
	PostLogoutRedirectURIs []string
	// User is the user the login page logs in as until SetUser; zero means
	// DefaultUser.
	User User
	// SignedUserinfo answers userinfo as a JWT signed with the provider's
	// key (application/jwt), with iss and aud, as ProConnect does, and
	// advertises it in discovery.
	SignedUserinfo bool
	// ClientSecretPost makes the token endpoint advertise and accept only
	// client_secret_post, as ProConnect does: client_secret_basic gets
	// invalid_client.
	ClientSecretPost bool
	// ProConnect behaves as ProConnect: it implies SignedUserinfo and
	// ClientSecretPost, and Config returns ProConnect: true.
	ProConnect bool
	// EndSession advertises end_session_endpoint in discovery, for
	// RP-initiated logout. The endpoint answers either way.
	EndSession bool
	// IDTokenLifetime is the validity of ID tokens; default
	// DefaultIDTokenLifetime.
	IDTokenLifetime time.Duration
	// Clock is the provider's clock, when the relying party runs on a fake
	// clock: ID tokens are dated by it (iat, exp, auth_time) and access
	// tokens expire by it. Nil means time.Now, and ID tokens are left as
	// the op library makes them.
	Clock func() time.Time
}

// Client is one more relying party registered at the provider (a second
// hub process, another hub). A client without a secret is public: the
// provider then requires PKCE.
type Client struct {
	ID, Secret             string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
}

// Provider is a running OpenID Provider. Its methods are safe for
// concurrent use and take effect on the next request.
type Provider struct {
	t      testing.TB
	issuer string
	opts   Options
	store  *storage

	unavailable       atomic.Bool
	discoveryRequests atomic.Int64
	tokenRequests     atomic.Int64

	mu                 sync.Mutex
	loginErr, loginMsg string
	idTokenEdit        func(map[string]any)
	idTokenKey         *rsa.PrivateKey
	userinfoEdit       func(map[string]any)
	userinfoKey        *rsa.PrivateKey
}

// Start starts a provider on 127.0.0.1, on a port chosen by the system,
// and stops it when the test ends.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	switch {
	case reflect.ValueOf(opts.User).IsZero():
		opts.User = DefaultUser()
	case opts.User.Subject == "":
		t.Fatal("openidtest: Options.User has no Subject")
	}
	if opts.IDTokenLifetime <= 0 {
		opts.IDTokenLifetime = DefaultIDTokenLifetime
	}
	if opts.ProConnect {
		opts.SignedUserinfo, opts.ClientSecretPost = true, true
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("openidtest: listen on loopback: %v", err)
	}
	issuer := "http://" + l.Addr().String()
	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	p := &Provider{
		t:      t,
		issuer: issuer,
		opts:   opts,
		store: &storage{
			key:      key,
			kid:      "openidtest-" + rand.Text()[:8],
			clock:    clock,
			user:     cloneUser(opts.User),
			clients:  map[string]*opClient{},
			requests: map[string]*authRequest{},
			codes:    map[string]string{},
			tokens:   map[string]*accessToken{},
		},
	}
	p.AddClient(Client{
		ID:                     opts.ClientID,
		Secret:                 opts.ClientSecret,
		RedirectURIs:           opts.RedirectURIs,
		PostLogoutRedirectURIs: opts.PostLogoutRedirectURIs,
	})

	provider, err := op.NewProvider(&op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: "/logged-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
	}, p.store, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		l.Close()
		t.Fatalf("openidtest: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/login", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(p.login(provider)))
	mux.HandleFunc("/logged-out", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("logged out\n"))
	})
	mux.Handle("/", provider)

	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: p.variant(mux), ReadHeaderTimeout: 10 * time.Second}}
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

// Issuer is the provider's issuer URL ("http://127.0.0.1:port").
func (p *Provider) Issuer() string { return p.issuer }

// Config returns the hub's configuration of this provider under
// providerID, for the first client: issuer, client id and secret, PKCE on,
// and ProConnect mode when Options.ProConnect is set. It does not register
// the callback URL: see Options.RedirectURIs and AddRedirectURI.
func (p *Provider) Config(providerID string) openid.ProviderConfig {
	return p.ClientConfig(providerID, p.opts.ClientID)
}

// ClientConfig is Config for a client registered with AddClient; it fails
// the test if clientID is unknown.
func (p *Provider) ClientConfig(providerID, clientID string) openid.ProviderConfig {
	p.store.mu.Lock()
	c, ok := p.store.clients[clientID]
	var secret string
	if ok {
		secret = c.secret
	}
	p.store.mu.Unlock()
	if !ok {
		p.t.Fatalf("openidtest: no client %q at %s", clientID, p.issuer)
	}
	return openid.ProviderConfig{
		ID:           providerID,
		Issuer:       p.issuer,
		ClientID:     clientID,
		ClientSecret: secret,
		PKCE:         true,
		ProConnect:   p.opts.ProConnect,
	}
}

// SetUser sets the user that the next logins log in as. Logins already
// approved keep their user, so several agents can log in one after the
// other. It fails the test if u has no Subject.
func (p *Provider) SetUser(u User) {
	if u.Subject == "" {
		p.t.Fatal("openidtest: SetUser: User.Subject is required")
	}
	u = cloneUser(u)
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.user = u
}

func cloneUser(u User) User {
	u.IDTokenClaims = maps.Clone(u.IDTokenClaims)
	return u
}

// AddRedirectURI allows one more redirect URI for the first client.
func (p *Provider) AddRedirectURI(uri string) {
	p.AddClient(Client{ID: p.opts.ClientID, RedirectURIs: []string{uri}})
}

// AddPostLogoutRedirectURI allows one more post-logout redirect URI for the
// first client.
func (p *Provider) AddPostLogoutRedirectURI(uri string) {
	p.AddClient(Client{ID: p.opts.ClientID, PostLogoutRedirectURIs: []string{uri}})
}

// AddClient registers a client. If c.ID is already registered, its URIs
// are added to the client's, and its secret replaces the client's when
// not empty.
func (p *Provider) AddClient(c Client) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	oc, ok := p.store.clients[c.ID]
	if !ok {
		oc = &opClient{id: c.ID, secret: c.Secret, redirect: []string{}, postLogout: []string{}, lifetime: p.opts.IDTokenLifetime}
		p.store.clients[c.ID] = oc
	} else if c.Secret != "" {
		oc.secret = c.Secret
	}
	for _, u := range c.RedirectURIs {
		if !slices.Contains(oc.redirect, u) {
			oc.redirect = append(oc.redirect, u)
		}
	}
	for _, u := range c.PostLogoutRedirectURIs {
		if !slices.Contains(oc.postLogout, u) {
			oc.postLogout = append(oc.postLogout, u)
		}
	}
}

// SetUnavailable makes every endpoint answer 503 with an HTML page, as a
// provider behind a reverse proxy during an outage, until called with
// false.
func (p *Provider) SetUnavailable(down bool) { p.unavailable.Store(down) }

// SetLoginError makes the login page refuse the next logins: the agent is
// sent back to the relying party with this OAuth error code (such as
// "access_denied", when the agent cancels) and description. An empty code
// makes it approve logins again.
func (p *Provider) SetLoginError(code, description string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loginErr, p.loginMsg = code, description
}

// RewriteIDToken makes the token endpoint pass the claims of the ID tokens
// it issues through edit (which may change aud, sub, exp…), then sign them
// again with key, keeping the provider's key id; a nil key means the
// provider's own key, so the token stays valid but for what edit changed.
// The op library always issues ID tokens for the requesting client, hence
// this way to mint others. RewriteIDToken(nil, nil) stops it.
func (p *Provider) RewriteIDToken(edit func(claims map[string]any), key *rsa.PrivateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idTokenEdit, p.idTokenKey = edit, key
}

// RewriteUserinfo makes the userinfo endpoint pass its claims through edit
// (when not nil). Signed userinfo (Options.SignedUserinfo) is then signed
// with key, keeping the provider's key id; a nil key means the provider's
// own key. RewriteUserinfo(nil, nil) stops it.
func (p *Provider) RewriteUserinfo(edit func(claims map[string]any), key *rsa.PrivateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.userinfoEdit, p.userinfoKey = edit, key
}

// DiscoveryRequests is the number of discovery documents served.
func (p *Provider) DiscoveryRequests() int { return int(p.discoveryRequests.Load()) }

// TokenRequests is the number of requests to the token endpoint.
func (p *Provider) TokenRequests() int { return int(p.tokenRequests.Load()) }

// login is the provider's login page: it approves the pending request for
// the current user at once (or refuses it, see SetLoginError) and sends
// the browser on to the op library's authorization callback, as a real
// login form would.
func (p *Provider) login(provider *op.Provider) func(http.ResponseWriter, *http.Request) {
	callback := op.AuthCallbackURL(provider)
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("authRequestID")
		p.mu.Lock()
		code, msg := p.loginErr, p.loginMsg
		p.mu.Unlock()
		if code != "" {
			req, err := p.store.AuthRequestByID(r.Context(), id)
			if err != nil {
				http.Error(w, "unknown request", http.StatusBadRequest)
				return
			}
			op.AuthRequestError(w, r, req, oauthError(code, msg), provider)
			return
		}
		if err := p.store.approve(id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}
}

// oauthError builds the op library's error for any code: its type is
// unexported, and decoding is the one way to set it from a variable.
func oauthError(code, description string) *oidc.Error {
	e := new(oidc.Error)
	b, _ := json.Marshal(map[string]string{"error": code, "error_description": description})
	_ = json.Unmarshal(b, e)
	return e
}

// variant wraps the op library with the behaviours chosen in Options and
// by the methods above.
func (p *Provider) variant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.unavailable.Load() {
			http.Error(w, "<html>Service temporairement indisponible</html>", http.StatusServiceUnavailable)
			return
		}
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			p.discoveryRequests.Add(1)
			rewriteJSON(w, r, next, func(doc map[string]any) {
				if !p.opts.EndSession {
					delete(doc, "end_session_endpoint")
				}
				if p.opts.ClientSecretPost {
					doc["token_endpoint_auth_methods_supported"] = []string{"client_secret_post"}
				}
				if p.opts.SignedUserinfo {
					doc["userinfo_signing_alg_values_supported"] = []string{"RS256"}
				}
			})
			return
		case "/oauth/token":
			p.tokenRequests.Add(1)
			if p.opts.ClientSecretPost && r.Header.Get("Authorization") != "" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"client_secret_basic is not supported"}`))
				return
			}
			p.mu.Lock()
			edit, key := p.idTokenEdit, p.idTokenKey
			p.mu.Unlock()
			if edit != nil || p.opts.Clock != nil {
				p.rewriteIDToken(w, r, next, edit, key)
				return
			}
		case "/userinfo":
			p.mu.Lock()
			edit, key := p.userinfoEdit, p.userinfoKey
			p.mu.Unlock()
			if p.opts.SignedUserinfo {
				p.signedUserinfo(w, r, next, edit, key)
				return
			}
			if edit != nil {
				rewriteJSON(w, r, next, edit)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// rewriteJSON serves next's answer after edit when it is a JSON object with
// status 200, and as it is otherwise (errors, say).
func rewriteJSON(w http.ResponseWriter, r *http.Request, next http.Handler, edit func(map[string]any)) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	var doc map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &doc) != nil || doc == nil {
		copyResponse(w, rec)
		return
	}
	edit(doc)
	body, err := json.Marshal(doc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	copyHeader(w, rec)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func copyHeader(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = slices.Clone(v)
	}
	w.Header().Del("Content-Length")
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	copyHeader(w, rec)
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// rewriteIDToken serves the op library's token response with its ID token
// dated by Options.Clock (when set), passed through edit (when set), and
// signed again with key, or the provider's key when nil.
func (p *Provider) rewriteIDToken(w http.ResponseWriter, r *http.Request, next http.Handler, edit func(map[string]any), key *rsa.PrivateKey) {
	if key == nil {
		key = p.store.key
	}
	rewriteJSON(w, r, next, func(resp map[string]any) {
		raw, _ := resp["id_token"].(string)
		parts := strings.Split(raw, ".")
		if len(parts) != 3 {
			return
		}
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			return
		}
		var claims map[string]any
		if json.Unmarshal(payload, &claims) != nil {
			return
		}
		if p.opts.Clock != nil {
			now := p.opts.Clock()
			claims["iat"] = now.Unix()
			claims["exp"] = now.Add(p.opts.IDTokenLifetime).Unix()
		}
		if edit != nil {
			edit(claims)
		}
		if minted, err := signJWT(key, p.store.kid, claims); err == nil {
			resp["id_token"] = minted
		}
	})
}

// signedUserinfo turns the op library's JSON userinfo into a JWT signed
// with the provider's key (or key), with iss and aud as ProConnect sets
// them. The op library cannot sign userinfo responses, hence this minting
// with go-jose.
func (p *Provider) signedUserinfo(w http.ResponseWriter, r *http.Request, next http.Handler, edit func(map[string]any), key *rsa.PrivateKey) {
	client := p.opts.ClientID
	r = r.WithContext(context.WithValue(r.Context(), userinfoClientKey{}, &client))
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	var claims map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &claims) != nil || claims == nil {
		copyResponse(w, rec)
		return
	}
	claims["iss"] = p.issuer
	claims["aud"] = client
	if edit != nil {
		edit(claims)
	}
	if key == nil {
		key = p.store.key
	}
	jwt, err := signJWT(key, p.store.kid, claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/jwt; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(jwt)))
	_, _ = w.Write([]byte(jwt))
}

// signJWT mints a compact RS256 JWS.
func signJWT(key *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.RS256,
		Key:       jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"},
	}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
