package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"collectif/store"
	"collectif/store/storetest"
)

func TestLocalLoginSessionAndLogout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db.Engine(), rigOptions{db: withQueue(t, db)})
		r.user("camille@ville.example", false)
		b := newBrowser(t)

		if p := b.get(r.base + "/account"); !strings.HasSuffix(strings.SplitN(p.url, "?", 2)[0], "/login") {
			t.Fatalf("a visitor reaching /account ends on %s, want the login page", p.url)
		}
		p := b.login(r.base, "camille@ville.example", "pas le bon mot de passe")
		if p.status != 401 || !strings.Contains(p.body, "adresse e-mail ou mot de passe incorrect") || !strings.Contains(p.body, `aria-invalid="true"`) {
			t.Fatalf("wrong password: %d\n%s", p.status, p.body)
		}
		p = b.login(r.base, "Camille@Ville.example", "un mot de passe long")
		if p.status != 200 || !strings.Contains(p.body, "<h1>Mon compte</h1>") || !strings.Contains(p.body, "camille@ville.example") {
			t.Fatalf("after login: %d %s\n%s", p.status, p.url, p.body)
		}
		// The sign-in is in the audit trail.
		p = b.get(r.base + "/account/sessions")
		if !strings.Contains(p.body, "password") || !strings.Contains(p.body, "cette session") {
			t.Fatalf("sessions page lacks the sign-in:\n%s", p.body)
		}
		p = b.post(r.base+"/logout", url.Values{"_csrf": {p.csrf(t)}})
		if p.status != 200 || !strings.Contains(p.body, "Se connecter") {
			t.Fatalf("after logout: %d\n%s", p.status, p.body)
		}
		if p := b.get(r.base + "/account"); !strings.Contains(p.url, "/login") {
			t.Fatal("the session still works after logout")
		}
	})
}

// withQueue makes the queue's tables in db (the welcome mail is enqueued
// with each account).
func withQueue(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	if _, err := jobsMigrate(db); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestCSRFIsRequiredOnForms(t *testing.T) {
	r := newRig(t, store.SQLite, rigOptions{})
	r.user("camille@ville.example", false)
	b := newBrowser(t)
	b.login(r.base, "camille@ville.example", "un mot de passe long")
	// A form without the token, as a forged cross-site post would be.
	p := b.post(r.base+"/account/profile", url.Values{"name": {"Pirate"}})
	if p.status != 403 || !strings.Contains(p.body, "formulaire a expiré") {
		t.Fatalf("profile change without CSRF token: %d\n%s", p.status, p.body)
	}
	p = b.post(r.base+"/account/profile", url.Values{"name": {"Pirate"}, "_csrf": {"forged"}})
	if p.status != 403 {
		t.Fatalf("profile change with a wrong token: %d", p.status)
	}
	// A browser that says the post comes from another site.
	acc := b.get(r.base + "/account")
	req, _ := http.NewRequest("POST", r.base+"/account/profile", strings.NewReader(url.Values{"name": {"Pirate"}, "_csrf": {acc.csrf(t)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := b.do(req); p.status != 403 {
		t.Fatalf("cross-site post: %d", p.status)
	}
	a, _ := r.accounts.ByEmail(context.Background(), "camille@ville.example")
	if a.Name != "Camille Martin" {
		t.Fatalf("a forged form changed the name to %q", a.Name)
	}
	// The real form works.
	p = b.post(r.base+"/account/profile", url.Values{"name": {"Camille Martin-Durand"}, "title": {"DSI"}, "_csrf": {acc.csrf(t)}})
	if p.status != 200 || !strings.Contains(p.body, "Votre profil est enregistré") || !strings.Contains(p.body, "Camille Martin-Durand") {
		t.Fatalf("real form: %d\n%s", p.status, p.body)
	}
}

func TestLoginRateLimit(t *testing.T) {
	r := newRig(t, store.SQLite, rigOptions{})
	r.user("camille@ville.example", false)
	b := newBrowser(t)
	var last page
	for i := 0; i < 6; i++ {
		last = b.login(r.base, "camille@ville.example", "mauvais mot de passe")
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" || !strings.Contains(last.body, "réessayez dans") {
		t.Fatalf("6th wrong password from one IP: %d Retry-After=%q\n%s", last.status, last.header.Get("Retry-After"), last.body)
	}
	// Even the right password waits: the limit is on attempts.
	if p := b.login(r.base, "camille@ville.example", "un mot de passe long"); p.status != 429 {
		t.Fatalf("right password during the lock: %d", p.status)
	}
	// Another member is not locked out by it.
	r.user("dominique@ville.example", false)
	if p := newBrowser(t).login(r.base, "dominique@ville.example", "un mot de passe long"); p.status != 200 {
		t.Fatalf("another account from the same IP: %d", p.status)
	}
}

func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db.Engine(), rigOptions{db: withQueue(t, db)})
		r.user("camille@ville.example", false)
		b := newBrowser(t)
		b.login(r.base, "camille@ville.example", "un mot de passe long")
		tp := b.get(r.base + "/account/tokens")
		p := b.post(r.base+"/account/tokens", url.Values{"_csrf": {tp.csrf(t)}, "name": {"GED de la ville"}})
		i := strings.Index(p.body, `<code class="token">`)
		if p.status != 200 || i < 0 || p.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("token creation: %d\n%s", p.status, p.body)
		}
		token := p.body[i+len(`<code class="token">`) : i+strings.Index(p.body[i:], "</code>")]

		api := func(tok, method string) (int, map[string]any) {
			req, _ := http.NewRequest(method, r.base+"/api/v1/me", nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			json.NewDecoder(resp.Body).Decode(&m)
			return resp.StatusCode, m
		}
		code, me := api(token, "GET")
		if code != 200 || me["email"] != "camille@ville.example" || me["name"] != "Camille Martin" || me["id"] == "" {
			t.Fatalf("GET /api/v1/me = %d %v", code, me)
		}
		if _, ok := me["organization"]; !ok {
			t.Fatalf("no organization key in %v", me)
		}
		for _, tok := range []string{"", "clf_notavalidtoken", "Basic abc"} {
			code, body := api(tok, "GET")
			e, _ := body["error"].(map[string]any)
			if code != 401 || e["code"] != "unauthorized" || e["message"] == "" {
				t.Fatalf("token %q: %d %v", tok, code, body)
			}
		}
		// A read token cannot write.
		if code, _ := api(token, "POST"); code != 403 {
			t.Fatalf("POST with a read token = %d, want 403", code)
		}
		// Revoked, it stops working.
		tp = b.get(r.base + "/account/tokens")
		id := tp.body[strings.Index(tp.body, "/account/tokens/")+len("/account/tokens/"):]
		id = id[:strings.Index(id, "/")]
		b.post(r.base+"/account/tokens/"+id+"/revoke", url.Values{"_csrf": {tp.csrf(t)}})
		if code, _ := api(token, "GET"); code != 401 {
			t.Fatalf("revoked token = %d, want 401", code)
		}
	})
}

func TestLogoutEverywhereExportAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db.Engine(), rigOptions{db: withQueue(t, db)})
		r.user("camille@ville.example", false)
		laptop, phone := newBrowser(t), newBrowser(t)
		laptop.login(r.base, "camille@ville.example", "un mot de passe long")
		phone.login(r.base, "camille@ville.example", "un mot de passe long")
		sp := laptop.get(r.base + "/account/sessions")
		if strings.Count(sp.body, "Depuis le") != 2 {
			t.Fatalf("the sessions page shows %d sessions, want 2:\n%s", strings.Count(sp.body, "Depuis le"), sp.body)
		}
		laptop.post(r.base+"/account/sessions/logout-everywhere", url.Values{"_csrf": {sp.csrf(t)}})
		for name, b := range map[string]*browser{"laptop": laptop, "phone": phone} {
			if p := b.get(r.base + "/account"); !strings.Contains(p.url, "/login") {
				t.Fatalf("%s still logged in after log out everywhere", name)
			}
		}

		laptop.login(r.base, "camille@ville.example", "un mot de passe long")
		exp := laptop.get(r.base + "/account/export.json")
		var e struct {
			Format  string `json:"format"`
			Profile struct {
				Email string `json:"email"`
			} `json:"profile"`
			SignIns []struct {
				Method string `json:"method"`
			} `json:"sign_ins"`
		}
		if err := json.Unmarshal([]byte(exp.body), &e); err != nil || e.Format == "" || e.Profile.Email != "camille@ville.example" || len(e.SignIns) != 3 {
			t.Fatalf("export: %v\n%s", err, exp.body)
		}
		if !strings.Contains(exp.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export is not a download: %v", exp.header)
		}
		dp := laptop.get(r.base + "/account/data")
		if p := laptop.post(r.base+"/account/delete", url.Values{"_csrf": {dp.csrf(t)}, "confirm": {"wrong@example"}}); p.status != 422 {
			t.Fatalf("delete without the right confirmation: %d", p.status)
		}
		p := laptop.post(r.base+"/account/delete", url.Values{"_csrf": {dp.csrf(t)}, "confirm": {"camille@ville.example"}, "content": {"keep"}})
		if p.status != 200 || !strings.Contains(p.body, "Votre compte est supprimé") {
			t.Fatalf("delete: %d\n%s", p.status, p.body)
		}
		if p := newBrowser(t).login(r.base, "camille@ville.example", "un mot de passe long"); p.status != 401 {
			t.Fatalf("login after deletion: %d", p.status)
		}
		var n int
		r.db.R.QueryRowContext(context.Background(), "SELECT count(*) FROM accounts WHERE email LIKE '%camille%' OR name LIKE '%Camille%'").Scan(&n)
		if n != 0 {
			t.Fatalf("%d rows still hold the deleted member's name or e-mail", n)
		}
	})
}

func TestSessionSharedThroughRedis(t *testing.T) {
	backend := redisBackend(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		db = withQueue(t, db)
		a := newRig(t, db.Engine(), rigOptions{db: db, kv: backend})
		b := newRig(t, db.Engine(), rigOptions{db: db, kv: backend})
		a.user("camille@ville.example", false)
		br := newBrowser(t)
		br.login(a.base, "camille@ville.example", "un mot de passe long")
		// The same cookie, sent to the second server.
		ua, _ := url.Parse(a.base)
		ub, _ := url.Parse(b.base)
		br.c.Jar.SetCookies(ub, br.c.Jar.Cookies(ua))
		p := br.get(b.base + "/account")
		if p.status != 200 || !strings.Contains(p.body, "camille@ville.example") {
			t.Fatalf("the session made on A is not valid on B: %d %s", p.status, p.url)
		}
	})
}

// TestForwardedForOnlyFromTrustedProxies: the client address that rate
// limits and the sign-in trail use comes from X-Forwarded-For only when
// the request comes through a configured proxy.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	for _, c := range []struct {
		name    string
		proxies []string
		want    string
	}{
		{"no proxy configured", nil, "127.0.0.1"},
		{"through the proxy", []string{"127.0.0.0/8"}, "203.0.113.7"},
		{"another proxy configured", []string{"10.0.0.1"}, "127.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, store.SQLite, rigOptions{proxies: c.proxies})
			a := r.user("camille@ville.example", false)
			b := newBrowser(t)
			lp := b.get(r.base + "/login")
			req, _ := http.NewRequest("POST", r.base+"/login", strings.NewReader(url.Values{"_csrf": {lp.csrf(t)}, "email": {"camille@ville.example"}, "password": {"un mot de passe long"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			if p := b.do(req); p.status != 200 {
				t.Fatalf("login: %d", p.status)
			}
			var ip string
			if err := r.db.R.QueryRowContext(context.Background(), "SELECT ip FROM sign_ins WHERE account_id = ?", a.ID).Scan(&ip); err != nil {
				t.Fatal(err)
			}
			if ip != c.want {
				t.Fatalf("recorded client address %q, want %q", ip, c.want)
			}
		})
	}
}
