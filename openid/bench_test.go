package openid_test

import (
	"testing"

	"collectif/openid/openidtest"
)

// BenchmarkLoginRoundTrip measures one complete login against the in-process
// provider: Begin, the browser's trip through authorization, login step and
// callback redirects, then Complete (code exchange, ID token verification,
// signed userinfo). Discovery and the keys are fetched once, before timing,
// as in a running hub.
func BenchmarkLoginRoundTrip(b *testing.B) {
	ctx := testContext(b)
	o := startOP(b, openidtest.Options{ProConnect: true})
	cfg := configFor(o, "proconnect")
	cfg.PKCE = true
	h := newRP(b, cfg)
	br := openidtest.NewBrowser(b)

	// Warm up: discovery and the provider's key set.
	p, q := h.login(ctx, b, br, "proconnect")
	if _, err := h.rp.Complete(ctx, p, q); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p, q := h.login(ctx, b, br, "proconnect")
		if _, err := h.rp.Complete(ctx, p, q); err != nil {
			b.Fatal(err)
		}
	}
}
