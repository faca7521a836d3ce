// Package openidtest runs a real OpenID Provider in process, for the tests
// of the hub's OpenID Connect login (package collectif/openid) and of the
// packages built on it: the web server's tests and end-to-end tests that
// start the whole hub.
//
// It is for tests only: it is not part of the hub binary, its client
// secrets and signing keys are throwaway values, and its provider binds
// only to the loopback interface (127.0.0.1, on a port chosen by the
// system) and is stopped when the test ends.
//
// The provider is the op package of github.com/zitadel/oidc/v3 over an
// in-memory storage: nothing of the protocol is mocked, so the relying
// party under test speaks HTTP to the discovery, authorization, token,
// userinfo, keys and end_session endpoints. Its login page approves every
// authorization request at once, for the User set with SetUser. Options
// select behaviours the op library lacks, such as ProConnect's userinfo
// answered as a signed JWT (application/jwt) and its token endpoint
// accepting only client_secret_post; methods such as RewriteIDToken,
// SetLoginError and SetUnavailable make it misbehave for negative tests.
//
// A test of a web server registers the server's callback URL and drives a
// login with a Browser, which follows redirects through the provider's
// login page and keeps cookies:
//
//	op := openidtest.Start(t, openidtest.Options{})
//	op.AddRedirectURI(hubURL + "/login/oidc/proconnect/callback")
//	cfg := op.Config("proconnect") // for the hub's openid.Options.Providers
//	…
//	b := openidtest.NewBrowser(t)
//	resp, err := b.Get(hubURL + "/login/oidc/proconnect")
//	// resp is the hub's page after its callback; b.Jar holds the session cookie.
//
// The package imports nothing from the collectif module but
// collectif/openid.
package openidtest
