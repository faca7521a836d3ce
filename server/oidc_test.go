package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"collectif/openid"
	"collectif/openid/openidtest"
	"collectif/store"
	"collectif/store/storetest"
)

// oidcRig is a hub whose login page offers a real OpenID provider running in
// the test, configured like ProConnect (signed userinfo, SIRET, idp_id).
func oidcRig(t *testing.T, db *store.DB) (*rig, *openidtest.Provider) {
	t.Helper()
	op := openidtest.Start(t, openidtest.Options{ProConnect: true})
	// The hub's port is known only once it listens: start it with the
	// provider's configuration, then register its callback.
	cfg := op.Config("proconnect")
	cfg.Name = "ProConnect"
	r := newRig(t, db.Engine(), rigOptions{db: withQueue(t, db), providers: []openid.ProviderConfig{cfg}})
	op.AddRedirectURI(r.base + "/login/oidc/proconnect/callback")
	return r, op
}

func TestOpenIDLoginCreatesLinksAndMatchesSIRET(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r, op := oidcRig(t, db)
		b := openidtest.NewBrowser(t)
		get := func(u string) page {
			resp, err := b.Get(u)
			if err != nil {
				t.Fatalf("GET %s: %v", u, err)
			}
			defer resp.Body.Close()
			var sb strings.Builder
			buf := make([]byte, 32<<10)
			for {
				n, err := resp.Body.Read(buf)
				sb.Write(buf[:n])
				if err != nil {
					break
				}
			}
			return page{status: resp.StatusCode, body: sb.String(), url: resp.Request.URL.String(), header: resp.Header}
		}

		lp := get(r.base + "/login")
		if !strings.Contains(lp.body, `href="/login/oidc/proconnect"`) || !strings.Contains(lp.body, "Se connecter avec ProConnect") {
			t.Fatalf("the login page does not offer the provider:\n%s", lp.body)
		}
		// First login: the account is created and linked to Échirolles
		// through the SIREN of the agent's SIRET.
		p := get(r.base + "/login/oidc/proconnect")
		if p.status != 200 || !strings.HasPrefix(p.url, r.base+"/account") {
			t.Fatalf("after the provider: %d %s\n%s", p.status, p.url, p.body)
		}
		for _, want := range []string{"camille.martin@ville-echirolles.fr", "Échirolles", "213801517", "après votre SIRET"} {
			if !strings.Contains(p.body, want) {
				t.Fatalf("account page lacks %q:\n%s", want, p.body)
			}
		}
		a, err := r.accounts.ByEmail(context.Background(), "camille.martin@ville-echirolles.fr")
		if err != nil || a.Name != "Camille Martin" || a.OrganizationID == "" {
			t.Fatalf("account = %+v, %v", a, err)
		}

		// A second login, even with another e-mail at the provider, finds
		// the same account: accounts are keyed on issuer and subject.
		u := openidtest.DefaultUser()
		u.Email = "c.martin@nouvelle-adresse.example"
		op.SetUser(u)
		lo := get(r.base + "/account")
		get2 := url.Values{"_csrf": {lo.csrf(t)}}
		resp, err := b.PostForm(r.base+"/logout", get2)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		p = get(r.base + "/login/oidc/proconnect")
		if !strings.Contains(p.body, "camille.martin@ville-echirolles.fr") {
			t.Fatalf("second login did not find the same account:\n%s", p.body)
		}
		var n int
		r.db.R.QueryRowContext(context.Background(), "SELECT count(*) FROM accounts").Scan(&n)
		if n != 1 {
			t.Fatalf("%d accounts after two logins of one person, want 1", n)
		}

		// Another person whose e-mail is already taken by a local account
		// is not merged into it.
		r.user("dominique@ville.example", false)
		other := openidtest.DefaultUser()
		other.Subject, other.Email = "other-subject", "dominique@ville.example"
		op.SetUser(other)
		b2 := openidtest.NewBrowser(t)
		resp, err = b2.Get(r.base + "/login/oidc/proconnect")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 409 {
			t.Fatalf("login whose e-mail belongs to another account: %d, want 409", resp.StatusCode)
		}
	})
}

func TestOpenIDCallbackRefusesForgeriesAndReplays(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	r, _ := oidcRig(t, db)
	b := openidtest.NewBrowser(t)
	// Stop at the hub's callback without opening it, to play with it.
	cb, err := b.FollowUntil(context.Background(), r.base+"/login/oidc/proconnect", r.base+"/login/oidc/proconnect/callback")
	if err != nil {
		t.Fatal(err)
	}
	tampered := *cb
	q := tampered.Query()
	q.Set("state", q.Get("state")+"x")
	tampered.RawQuery = q.Encode()
	resp, err := b.Get(tampered.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 422 {
		t.Fatalf("tampered state: %d, want 422", resp.StatusCode)
	}
	// The pending login was used up by the forged attempt: the genuine
	// callback arriving after it is refused too, and so is a replay.
	for i := 0; i < 2; i++ {
		resp, err = b.Get(cb.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 422 {
			t.Fatalf("callback after a forgery (try %d): %d, want 422", i, resp.StatusCode)
		}
	}
	var n int
	db.R.QueryRowContext(context.Background(), "SELECT count(*) FROM accounts").Scan(&n)
	if n != 0 {
		t.Fatalf("%d accounts created by refused callbacks", n)
	}

	// A genuine login, then its callback replayed.
	b = openidtest.NewBrowser(t)
	cb, err = b.FollowUntil(context.Background(), r.base+"/login/oidc/proconnect", r.base+"/login/oidc/proconnect/callback")
	if err != nil {
		t.Fatal(err)
	}
	resp, err = b.Get(cb.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasSuffix(resp.Request.URL.Path, "/account") {
		t.Fatalf("genuine callback: %d %s", resp.StatusCode, resp.Request.URL)
	}
	resp, err = b.Get(cb.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 422 {
		t.Fatalf("replayed callback: %d, want 422", resp.StatusCode)
	}
}

// BenchmarkOpenIDLogin measures a whole login as a browser sees it: the
// hub's /login/oidc/{id}, the provider's authorization and auto-approved
// login, the hub's callback (code exchange, ID token and signed userinfo
// checks, account lookup, session) and the account page.
//
//	go test ./server -run '^$' -bench OpenIDLogin -benchtime 25x
//
// (25: two requests per login stay under the per-IP limit of 60 a minute.)
func BenchmarkOpenIDLogin(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	if _, err := jobsMigrate(db); err != nil {
		b.Fatal(err)
	}
	op := openidtest.Start(b, openidtest.Options{ProConnect: true})
	cfg := op.Config("proconnect")
	r := newBenchRig(b, db, []openid.ProviderConfig{cfg})
	op.AddRedirectURI(r + "/login/oidc/proconnect/callback")
	for b.Loop() {
		br := openidtest.NewBrowser(b)
		resp, err := br.Get(r + "/login/oidc/proconnect")
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("login: %d", resp.StatusCode)
		}
	}
}
