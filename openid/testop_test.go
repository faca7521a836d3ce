package openid_test

// A real OpenID Provider for the tests: the op package of zitadel/oidc served
// on loopback by httptest, backed by the compact in-memory storage below and
// an auto-approving login step. Nothing of the protocol is mocked: the RP
// under test speaks HTTP to discovery, authorization, token, userinfo, keys
// and end_session endpoints. The only additions are "provider variants"
// (HTTP middleware in front of the OP) for behaviours the op library does
// not have: ProConnect's signed application/jwt userinfo, a discovery
// document without end_session_endpoint, a token endpoint that only accepts
// client_secret_post, and an outage.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// testBaseURL is the hub's public URL in tests. The .test TLD never resolves
// and the browser stops at the callback redirect, so it is never contacted.
const testBaseURL = "https://hub.collectif.test"

// agent is the one user of a test provider: Échirolles' agent, with the
// claims ProConnect sends.
type agent struct {
	Subject string
	// IDTokenClaims are put in the ID token besides the protocol claims.
	IDTokenClaims map[string]any
	// UserInfo claims are served at the userinfo endpoint, each only when
	// its scope was granted (ProConnect has one scope per claim).
	UserInfo map[string]any
}

func echirollesAgent() agent {
	return agent{
		Subject: "a9f3c2e1d4b5",
		IDTokenClaims: map[string]any{
			"idp_id": "71144ab3-ee1a-4401-b7b3-79b44f7daeeb",
			// A stale value: userinfo must win over the ID token.
			"given_name": "Ancien-Prénom",
		},
		UserInfo: map[string]any{
			"email":               "camille.martin@ville-echirolles.fr",
			"email_verified":      true,
			"given_name":          "Camille",
			"usual_name":          "Martin",
			"family_name":         "Martin-Dupont",
			"uid":                 "cmartin",
			"siret":               "21380151400014",
			"organizational_unit": "Direction du numérique",
			"phone":               "+33 4 76 20 63 00",
			"idp_id":              "71144ab3-ee1a-4401-b7b3-79b44f7daeeb",
		},
	}
}

// opOptions choose a provider variant.
type opOptions struct {
	ClientID        string
	ClientSecret    string
	User            agent
	IDTokenLifetime time.Duration
	// UserInfoJWT serves userinfo as a JWT signed with the provider's key
	// (application/jwt), as ProConnect does.
	UserInfoJWT bool
	// PostOnly advertises and accepts only client_secret_post at the token
	// endpoint, as ProConnect does.
	PostOnly bool
	// NoEndSession removes end_session_endpoint from discovery.
	NoEndSession bool
}

// testOP is a running provider.
type testOP struct {
	Issuer string
	opts   opOptions
	store  *memStorage
	srv    *httptest.Server

	down          atomic.Bool  // answer 503 everywhere (outage)
	deny          atomic.Bool  // the login step refuses (access_denied)
	discoveryHits atomic.Int32 // discovery documents served
	tokenRequests atomic.Int32

	mu sync.Mutex
	// userinfoHook, when set, rewrites the signed userinfo claims.
	userinfoHook func(map[string]any)
	// userinfoKey, when set, signs userinfo instead of the provider's key.
	userinfoKey *rsa.PrivateKey
	// idTokenHook, when set, rewrites the ID token claims at the token
	// endpoint, and the token is signed again with the provider's key, or
	// with idTokenKey when set.
	idTokenHook func(map[string]any)
	idTokenKey  *rsa.PrivateKey
}

func startOP(t testing.TB, o opOptions) *testOP {
	t.Helper()
	if o.ClientID == "" {
		o.ClientID = "collectif-hub"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "s3cr3t-of-the-hub-client"
	}
	if o.User.Subject == "" {
		o.User = echirollesAgent()
	}
	if o.IDTokenLifetime == 0 {
		o.IDTokenLifetime = 5 * time.Minute
	}
	srv := httptest.NewUnstartedServer(nil) // listens on 127.0.0.1
	issuer := "http://" + srv.Listener.Addr().String()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	store := &memStorage{
		key:  key,
		kid:  "test-key-1",
		user: o.User,
		clients: map[string]*opClient{
			o.ClientID: {
				id:       o.ClientID,
				secret:   o.ClientSecret,
				redirect: []string{},
				postLogout: []string{
					testBaseURL + "/",
				},
				lifetime: o.IDTokenLifetime,
			},
		},
		requests: map[string]*authRequest{},
		codes:    map[string]string{},
		tokens:   map[string]*accessToken{},
	}
	t.Cleanup(srv.Close)

	provider, err := op.NewProvider(&op.Config{
		CryptoKey:                sha256.Sum256([]byte("collectif test op")),
		DefaultLogoutRedirectURI: "/logged-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedUILocales:       []language.Tag{language.French},
	}, store, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	o2 := &testOP{Issuer: issuer, opts: o, store: store, srv: srv}

	mux := http.NewServeMux()
	mux.Handle("/login", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(o2.login(provider)))
	mux.Handle("/", provider)
	srv.Config.Handler = o2.variant(mux)
	srv.Start()
	return o2
}

// registerRedirect allows a redirect URI for the test client.
func (o *testOP) registerRedirect(uri string) {
	o.store.mu.Lock()
	defer o.store.mu.Unlock()
	c := o.store.clients[o.opts.ClientID]
	if !slices.Contains(c.redirect, uri) {
		c.redirect = append(c.redirect, uri)
	}
}

func (o *testOP) setUserinfoHook(f func(map[string]any)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.userinfoHook = f
}

func (o *testOP) setIDTokenHook(f func(map[string]any), key *rsa.PrivateKey) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.idTokenHook, o.idTokenKey = f, key
}

func (o *testOP) setUserinfoKey(k *rsa.PrivateKey) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.userinfoKey = k
}

// login is the provider's login page: it approves the pending request for
// the test agent at once (or refuses it when deny is set) and sends the
// browser on to the OP's authorization callback, as a real login form would.
func (o *testOP) login(provider *op.Provider) func(http.ResponseWriter, *http.Request) {
	callback := op.AuthCallbackURL(provider)
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("authRequestID")
		if o.deny.Load() {
			req, err := o.store.AuthRequestByID(r.Context(), id)
			if err != nil {
				http.Error(w, "unknown request", http.StatusBadRequest)
				return
			}
			// A control character and a line break, to check that the RP
			// sanitizes what it shows.
			op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("L'agent a refusé\r\nla connexion\x1b[31m"), provider)
			return
		}
		if err := o.store.approve(id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}
}

// variant wraps the OP with the behaviours of the chosen provider variant.
func (o *testOP) variant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.down.Load() {
			http.Error(w, "<html>Service temporairement indisponible</html>", http.StatusServiceUnavailable)
			return
		}
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			o.discoveryHits.Add(1)
			o.rewriteJSON(w, r, next, func(doc map[string]any) {
				if o.opts.NoEndSession {
					delete(doc, "end_session_endpoint")
				}
				if o.opts.PostOnly {
					doc["token_endpoint_auth_methods_supported"] = []string{"client_secret_post"}
				}
				if o.opts.UserInfoJWT {
					doc["userinfo_signing_alg_values_supported"] = []string{"RS256"}
				}
			})
			return
		case "/oauth/token":
			o.tokenRequests.Add(1)
			if o.opts.PostOnly && r.Header.Get("Authorization") != "" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"client_secret_basic is not supported"}`))
				return
			}
			o.mu.Lock()
			hook, key := o.idTokenHook, o.idTokenKey
			o.mu.Unlock()
			if hook != nil {
				o.rewriteIDToken(w, r, next, hook, key)
				return
			}
		case "/userinfo":
			if o.opts.UserInfoJWT {
				o.signedUserinfo(w, r, next)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// rewriteJSON serves next's JSON answer after edit.
func (o *testOP) rewriteJSON(w http.ResponseWriter, r *http.Request, next http.Handler, edit func(map[string]any)) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	var doc map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &doc) != nil {
		http.Error(w, "bad upstream answer", http.StatusInternalServerError)
		return
	}
	edit(doc)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

// signedUserinfo turns the OP's JSON userinfo into a JWT signed with the
// provider's key, with iss and aud as ProConnect sets them. The op library
// cannot sign userinfo responses, hence this minting with go-jose.
func (o *testOP) signedUserinfo(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	var claims map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &claims); err != nil {
		http.Error(w, "bad upstream userinfo", http.StatusInternalServerError)
		return
	}
	claims["iss"] = o.Issuer
	claims["aud"] = o.opts.ClientID
	o.mu.Lock()
	hook, key := o.userinfoHook, o.userinfoKey
	o.mu.Unlock()
	if hook != nil {
		hook(claims)
	}
	kid := o.store.kid
	if key == nil {
		key = o.store.key
	}
	jwt, err := signJWT(key, kid, claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/jwt; charset=utf-8")
	_, _ = w.Write([]byte(jwt))
}

// rewriteIDToken serves the OP's token response with an ID token whose
// claims went through hook, signed again with the provider's key. The op
// library always puts the requesting client in aud and azp, so tokens for
// another client have to be minted this way.
func (o *testOP) rewriteIDToken(w http.ResponseWriter, r *http.Request, next http.Handler, hook func(map[string]any), key *rsa.PrivateKey) {
	if key == nil {
		key = o.store.key
	}
	o.rewriteJSON(w, r, next, func(resp map[string]any) {
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
		hook(claims)
		if minted, err := signJWT(key, o.store.kid, claims); err == nil {
			resp["id_token"] = minted
		}
	})
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

// ---- in-memory storage (op.Storage), after zitadel's example/server ----

type opClient struct {
	id, secret string
	redirect   []string
	postLogout []string
	lifetime   time.Duration
}

func (c *opClient) GetID() string                       { return c.id }
func (c *opClient) RedirectURIs() []string              { return c.redirect }
func (c *opClient) PostLogoutRedirectURIs() []string    { return c.postLogout }
func (c *opClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *opClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *opClient) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *opClient) LoginURL(id string) string            { return "/login?authRequestID=" + url.QueryEscape(id) }
func (c *opClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *opClient) IDTokenLifetime() time.Duration       { return c.lifetime }
func (c *opClient) DevMode() bool                        { return false }
func (c *opClient) IsScopeAllowed(string) bool           { return true } // ProConnect's per-claim scopes
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *opClient) ClockSkew() time.Duration             { return 0 }
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

type authRequest struct {
	id, clientID, redirectURI, state, nonce string
	scopes                                  []string
	acr                                     string
	challenge                               *oidc.CodeChallenge
	audience                                []string
	subject                                 string
	done                                    bool
	authTime                                time.Time
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return a.acr }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return a.audience }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return oidc.ResponseTypeCode }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return oidc.ResponseModeQuery }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

type accessToken struct {
	subject, clientID string
	scopes            []string
	expiry            time.Time
}

type memStorage struct {
	key *rsa.PrivateKey
	kid string

	mu       sync.Mutex
	user     agent
	clients  map[string]*opClient
	requests map[string]*authRequest
	codes    map[string]string // code -> request id
	tokens   map[string]*accessToken
	seq      int
}

var _ op.Storage = (*memStorage)(nil)

type signingKey struct{ s *memStorage }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.s.key }
func (k signingKey) ID() string                                  { return k.s.kid }

type publicKey struct{ s *memStorage }

func (k publicKey) ID() string                         { return k.s.kid }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.s.key.PublicKey }

func (s *memStorage) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s-%d", prefix, s.seq)
}

func (s *memStorage) approve(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return errors.New("request not found")
	}
	r.subject, r.done, r.authTime = s.user.Subject, true, time.Now()
	return nil
}

func (s *memStorage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := &authRequest{
		id:          s.nextID("req"),
		clientID:    r.ClientID,
		redirectURI: r.RedirectURI,
		state:       r.State,
		nonce:       r.Nonce,
		scopes:      r.Scopes,
		audience:    []string{r.ClientID},
	}
	if slices.Contains(r.ACRValues, "eidas1") {
		req.acr = "eidas1"
	}
	if r.CodeChallenge != "" {
		req.challenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.requests[req.id] = req
	return req, nil
}

func (s *memStorage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return nil, errors.New("request not found")
	}
	return r, nil
}

func (s *memStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("code invalid or already used")
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *memStorage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs after a successful code exchange: deleting the code
// with the request is what makes a replayed code fail.
func (s *memStorage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	maps.DeleteFunc(s.codes, func(_, rid string) bool { return rid == id })
	return nil
}

func (s *memStorage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID("at")
	clientID := ""
	if ar, ok := r.(*authRequest); ok {
		clientID = ar.clientID
	}
	exp := time.Now().Add(5 * time.Minute)
	s.tokens[id] = &accessToken{subject: r.GetSubject(), clientID: clientID, scopes: r.GetScopes(), expiry: exp}
	return id, exp, nil
}

func (s *memStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("refresh tokens not supported")
}

func (s *memStorage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *memStorage) TerminateSession(context.Context, string, string) error { return nil }

func (s *memStorage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

func (s *memStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *memStorage) SigningKey(context.Context) (op.SigningKey, error) { return signingKey{s}, nil }

func (s *memStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *memStorage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{publicKey{s}}, nil }

func (s *memStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, errors.New("client not found")
	}
	cp := *c // the OP reads it without our lock
	cp.redirect = slices.Clone(c.redirect)
	return &cp, nil
}

func (s *memStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok || c.secret != secret {
		return errors.New("invalid client credentials")
	}
	return nil
}

// SetUserinfoFromScopes fills the ID token's extra claims.
func (s *memStorage) SetUserinfoFromScopes(_ context.Context, ui *oidc.UserInfo, userID, _ string, _ []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ui.Subject = userID // the OP copies the whole userinfo, sub included, into the ID token
	for k, v := range s.user.IDTokenClaims {
		ui.AppendClaims(k, v)
	}
	return nil
}

// SetUserinfoFromToken fills the userinfo answer with the claims whose scope
// the access token carries.
func (s *memStorage) SetUserinfoFromToken(_ context.Context, ui *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok || time.Now().After(t.expiry) {
		return errors.New("token invalid or expired")
	}
	ui.Subject = t.subject
	for _, scope := range t.scopes {
		names := []string{scope}
		switch scope {
		case "email":
			names = []string{"email", "email_verified"}
		case "profile":
			names = []string{"given_name", "family_name", "name", "preferred_username"}
		case "phone":
			names = []string{"phone", "phone_number"}
		}
		for _, n := range names {
			if v, ok := s.user.UserInfo[n]; ok {
				ui.AppendClaims(n, v)
			}
		}
	}
	return nil
}

func (s *memStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection not supported")
}

func (s *memStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *memStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("no client keys")
}

func (s *memStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("jwt profile not supported")
}

func (s *memStorage) Health(context.Context) error { return nil }

// ---- the agent's browser ----

// browser is the agent's browser: a cookie jar and redirects followed up to
// the hub's callback, which it does not request (the hub is not running).
type browser struct{ c *http.Client }

func newBrowser(t testing.TB) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{c: &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), testBaseURL+"/") {
				return http.ErrUseLastResponse
			}
			if len(via) > 10 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}}
}

// follow opens authURL and returns the URL the provider finally sends the
// browser to on the hub.
func (b *browser) follow(ctx context.Context, authURL string) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, testBaseURL+"/") {
		return nil, fmt.Errorf("provider did not redirect to the hub: HTTP %d, Location %q, body %q", resp.StatusCode, loc, body.String())
	}
	return url.Parse(loc)
}

// callback drives the login at the provider and returns the callback query.
func (b *browser) callback(ctx context.Context, t testing.TB, authURL string) url.Values {
	t.Helper()
	u, err := b.follow(ctx, authURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}
