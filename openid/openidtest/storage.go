package openidtest

// The provider's in-memory op.Storage, after zitadel's example/server,
// reduced to the authorization code flow.

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// accessTokenLifetime is how long userinfo accepts an access token.
const accessTokenLifetime = 5 * time.Minute

// opClient is a registered relying party.
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

// AuthMethod: a client without a secret is a public client, which the op
// library lets exchange a code only with PKCE.
func (c *opClient) AuthMethod() oidc.AuthMethod {
	if c.secret == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

type authRequest struct {
	id, clientID, redirectURI, state, nonce string
	scopes                                  []string
	acr                                     string
	challenge                               *oidc.CodeChallenge
	audience                                []string
	// user is set by the login page: the user as it was at that login,
	// so that SetUser does not change logins already made.
	user     *User
	done     bool
	authTime time.Time
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
func (a *authRequest) Done() bool                            { return a.done }
func (a *authRequest) GetSubject() string {
	if a.user == nil {
		return ""
	}
	return a.user.Subject
}

type accessToken struct {
	user     *User
	clientID string
	scopes   []string
	expiry   time.Time // on the provider's clock
}

type storage struct {
	key   *rsa.PrivateKey
	kid   string
	clock func() time.Time

	mu       sync.Mutex
	user     User
	clients  map[string]*opClient
	requests map[string]*authRequest
	codes    map[string]string // code -> request id
	tokens   map[string]*accessToken
	seq      int
}

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

type signingKey struct{ s *storage }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.s.key }
func (k signingKey) ID() string                                  { return k.s.kid }

type publicKey struct{ s *storage }

func (k publicKey) ID() string                         { return k.s.kid }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.s.key.PublicKey }

func (s *storage) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s-%d", prefix, s.seq)
}

// approve completes a pending authorization request for the current user,
// as a login form would.
func (s *storage) approve(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return errors.New("request not found")
	}
	u := s.user
	r.user, r.done, r.authTime = &u, true, s.clock()
	return nil
}

func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
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

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return nil, errors.New("request not found")
	}
	return r, nil
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("code invalid or already used")
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs after a successful code exchange: deleting the code
// with the request is what makes a replayed code fail.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	maps.DeleteFunc(s.codes, func(_, rid string) bool { return rid == id })
	return nil
}

// CreateAccessToken records the token with the user of its login. The
// returned expiry is on the real clock: the op library only turns it into
// expires_in.
func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := r.(*authRequest)
	if !ok || ar.user == nil {
		return "", time.Time{}, errors.New("access tokens are issued only for completed logins")
	}
	id := s.nextID("at")
	s.tokens[id] = &accessToken{user: ar.user, clientID: ar.clientID, scopes: ar.scopes, expiry: s.clock().Add(accessTokenLifetime)}
	return id, time.Now().Add(accessTokenLifetime), nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("refresh tokens not supported")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return signingKey{s}, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{publicKey{s}}, nil }

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, errors.New("client not found")
	}
	cp := *c // the op library reads it without our lock
	cp.redirect = slices.Clone(c.redirect)
	cp.postLogout = slices.Clone(c.postLogout)
	return &cp, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok || c.secret == "" || c.secret != secret {
		return errors.New("invalid client credentials")
	}
	return nil
}

// SetUserinfoFromScopes starts the ID token's claims; the op library copies
// the whole userinfo, sub included, into the ID token.
// SetUserinfoFromRequest then adds the user's claims.
func (s *storage) SetUserinfoFromScopes(_ context.Context, ui *oidc.UserInfo, userID, _ string, _ []string) error {
	ui.Subject = userID
	return nil
}

// SetUserinfoFromRequest adds the ID token claims of the login's user.
func (s *storage) SetUserinfoFromRequest(_ context.Context, ui *oidc.UserInfo, r op.IDTokenRequest, _ []string) error {
	ar, ok := r.(*authRequest)
	if !ok || ar.user == nil {
		return nil
	}
	for k, v := range ar.user.idTokenClaims() {
		ui.AppendClaims(k, v)
	}
	return nil
}

// userinfoClientKey is the context key of a *string in which
// SetUserinfoFromToken stores the client the access token was issued to,
// for the aud claim of signed userinfo.
type userinfoClientKey struct{}

// SetUserinfoFromToken fills the userinfo answer with the claims whose scope
// the access token carries.
func (s *storage) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok || s.clock().After(t.expiry) {
		return errors.New("token invalid or expired")
	}
	if client, ok := ctx.Value(userinfoClientKey{}).(*string); ok {
		*client = t.clientID
	}
	ui.Subject = t.user.Subject
	for k, v := range t.user.userinfoClaims(t.scopes) {
		ui.AppendClaims(k, v)
	}
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection not supported")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("no client keys")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("jwt profile not supported")
}

func (s *storage) Health(context.Context) error { return nil }
