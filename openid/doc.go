// Package openid is the OpenID Connect relying party of the collectif hub:
// it logs agents of French administrations in through ProConnect (the
// national identity federation for public agents) and through the Keycloak
// realms that collectives run.
//
// It holds the provider configuration (ProviderConfig, with validation and
// client secret given inline, through an environment variable or in a file), the
// relying party (RP) with lazy, cached provider discovery, the authorization
// code flow with state, nonce and optional PKCE (Begin, Complete), ID token
// and userinfo verification (plain JSON or signed JWT, as ProConnect
// answers), the mapping of claims to an Identity, and RP-initiated logout
// (LogoutURL). It is built on github.com/coreos/go-oidc/v3 and
// golang.org/x/oauth2.
//
// It is a leaf package: it imports nothing from the collectif module and
// knows nothing of HTTP frameworks, sessions or the database. The web server
// redirects the agent to the URL from Begin, keeps the returned Pending in
// the agent's session, and hands it back to Complete with the callback's
// query parameters:
//
//	authURL, pending, err := rp.Begin(ctx, "proconnect")
//	// store pending in the session, redirect to authURL
//	…
//	// on GET /login/oidc/proconnect/callback:
//	id, err := rp.Complete(ctx, pending, r.URL.Query())
//	// drop pending from the session; on success, look up id.Key()
//
// Every error wraps one of the exported Err… sentinels; error texts and logs
// never contain tokens, authorization codes or secrets.
package openid
