package server_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/account"
	"collectif/catalog"
	"collectif/collective"
	"collectif/directory"
	"collectif/frontend"
	"collectif/jobs"
	"collectif/model"
	"collectif/server"
	"collectif/store"
	"collectif/store/storetest"
)

// catalogRig is a hub's web server with the catalog imported, and two
// collectivities with a member each.
type catalogRig struct {
	db                   *store.DB
	svc                  *catalog.Service
	accounts             *account.Service
	dir                  *directory.Service
	base                 string
	echirolles, grenoble *model.Organization
}

func newCatalogRig(t testing.TB, db *store.DB) *catalogRig {
	ctx := context.Background()
	if _, err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := directory.New(db, refData(t))
	accounts := account.New(account.Deps{DB: db, Queue: q, Password: fastPasswords, Directory: dir})
	fe, err := frontend.New()
	if err != nil {
		t.Fatal(err)
	}
	svc := catalog.New(catalog.Deps{DB: db, Territory: refData(t), Queue: q})
	for _, f := range catalog.Embedded() {
		if _, err := svc.Import(ctx, access.System(), f); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	srv := server.New(server.Deps{BaseURL: base, Frontend: fe, Collectives: collective.New(db), Accounts: accounts, Directory: dir, Catalog: svc})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	r := &catalogRig{db: db, svc: svc, accounts: accounts, dir: dir, base: base.String()}
	if r.echirolles, err = dir.Ensure(ctx, "213801517"); err != nil {
		t.Fatal(err)
	}
	if r.grenoble, err = dir.Ensure(ctx, "213801855"); err != nil {
		t.Fatal(err)
	}
	for email, o := range map[string]*model.Organization{"alix@echirolles.example": r.echirolles, "chloe@grenoble.example": r.grenoble} {
		a, err := accounts.CreateLocal(ctx, access.System(), accountNew(email))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.NewUpdate().Model((*model.Account)(nil)).Set("organization_id = ?, phone = ?", o.ID, "+33 4 76 12 34 56").Where("id = ?", a.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestCatalogPagesVisitorAndMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newCatalogRig(t, db)
		visitor := newBrowser(t)
		p := visitor.get(r.base + "/logiciels?q=Canva")
		if p.status != 200 || !strings.Contains(p.body, "Polotno Studio") || !strings.Contains(p.body, "Socle interministériel de logiciels libres") {
			t.Fatalf("catalog page as a visitor: %d\n%s", p.status, p.body)
		}
		p = visitor.get(r.base + "/logiciels?category=graphic-design&sort=recent")
		if p.status != 200 || !strings.Contains(p.body, `href="/logiciels/gimp"`) || strings.Contains(p.body, `href="/logiciels/nextcloud"`) {
			t.Fatalf("category filter: %d", p.status)
		}
		if p = visitor.get(r.base + "/logiciels?page=2"); p.status != 200 || !strings.Contains(p.body, "page 2 sur") || !strings.Contains(p.body, `rel="prev"`) {
			t.Fatalf("second page: %d", p.status)
		}
		if p = visitor.get(r.base + "/logiciels?category=nope"); p.status != 422 || !strings.Contains(p.body, "catégorie inconnue") {
			t.Fatalf("unknown category: %d", p.status)
		}
		p = visitor.get(r.base + "/logiciels/nextcloud")
		if p.status != 200 || !strings.Contains(p.body, "Aucune collectivité n'a encore déclaré") || !strings.Contains(p.body, "Connectez-vous</a> pour déclarer") {
			t.Fatalf("software page as a visitor: %d\n%s", p.status, p.body)
		}
		if p = visitor.get(r.base + "/logiciels/nextcloud/declarer"); !strings.Contains(p.url, "/login") {
			t.Fatalf("a visitor is sent to log in, got %s", p.url)
		}

		alix := newBrowser(t)
		if p = alix.login(r.base, "alix@echirolles.example", "un mot de passe long"); p.status != 200 {
			t.Fatalf("login: %d", p.status)
		}
		form := alix.get(r.base + "/logiciels/nextcloud/declarer")
		if form.status != 200 || !strings.Contains(form.body, "Au nom de <strong>Échirolles</strong>") {
			t.Fatalf("declaration form: %d\n%s", form.status, form.body)
		}
		bad := alix.post(r.base+"/logiciels/nextcloud/declarer", url.Values{"_csrf": {form.csrf(t)}, "hosting": {"in_house"}, "savings_eur": {"beaucoup"}})
		if bad.status != 422 || !strings.Contains(bad.body, `id="savings_eur-error"`) || !strings.Contains(bad.body, `value="beaucoup"`) {
			t.Fatalf("bad savings: %d\n%s", bad.status, bad.body)
		}
		contact := regexp.MustCompile(`<option value="([0-9A-Z]{26})">Camille Martin</option>`).FindStringSubmatch(form.body)
		if contact == nil {
			t.Fatalf("no contact to choose:\n%s", form.body)
		}
		p = alix.post(r.base+"/logiciels/nextcloud/declarer", url.Values{"_csrf": {form.csrf(t)}, "hosting": {"in_house"}, "since_year": {"2019"},
			"scope": {"1 400"}, "savings_eur": {"90 000"}, "contact": {contact[1]}, "testimonial": {"**Très** satisfaits."}})
		if p.status != 200 || !strings.Contains(p.body, "Merci : l&#39;utilisation de NextCloud par Échirolles est déclarée.") ||
			!strings.Contains(p.body, "<strong>Très</strong> satisfaits.") || !strings.Contains(p.body, "Contact : Camille Martin") {
			t.Fatalf("after declaring: %d %s\n%s", p.status, p.url, p.body)
		}
		// The visitor sees the declaration, not who the contact is.
		p = visitor.get(r.base + "/logiciels/nextcloud")
		if !strings.Contains(p.body, "Échirolles") || strings.Contains(p.body, "Camille Martin") || !strings.Contains(p.body, "Un contact accepte les questions") {
			t.Fatalf("software page after the declaration, as a visitor:\n%s", p.body)
		}
		if p = visitor.get(r.base + "/organisations/" + r.echirolles.ID); p.status != 200 || !strings.Contains(p.body, "NextCloud") || !strings.Contains(p.body, "90\u202f000\u00a0€") {
			t.Fatalf("organization page: %d\n%s", p.status, p.body)
		}

		// Withdraw, with confirmation.
		id := regexp.MustCompile(`/declarations/([0-9A-Z]{26})/retirer`).FindStringSubmatch(alix.get(r.base + "/logiciels/nextcloud").body)
		if id == nil {
			t.Fatal("no withdraw link for Alix")
		}
		chloe := newBrowser(t)
		chloe.login(r.base, "chloe@grenoble.example", "un mot de passe long")
		if p = chloe.get(r.base + "/declarations/" + id[1] + "/retirer"); p.status != 403 {
			t.Fatalf("Chloé opens the withdrawal of Échirolles' declaration: %d", p.status)
		}
		conf := alix.get(r.base + "/declarations/" + id[1] + "/retirer")
		p = alix.post(r.base+"/declarations/"+id[1]+"/retirer", url.Values{"_csrf": {conf.csrf(t)}})
		if p.status != 200 || !strings.Contains(p.body, "est retirée") || !strings.Contains(p.body, "Aucune collectivité n'a encore déclaré") {
			t.Fatalf("after withdrawal: %d\n%s", p.status, p.body)
		}
	})
}

func TestCatalogAPIAndOpenData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newCatalogRig(t, db)
		ctx := context.Background()
		// Chloé declares through the API with a token, as a script would.
		var acct model.Account
		if err := db.R.NewSelect().Model(&acct).Where("email = ?", "chloe@grenoble.example").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Timeout: 10 * time.Second}
		post := func(path, body string) (*http.Response, string) {
			req, _ := http.NewRequest("POST", r.base+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			return resp, b.String()
		}
		if resp, _ := post("/api/v1/software/nextcloud/usages", `{"hosting":"in_house"}`); resp.StatusCode != 401 {
			t.Fatalf("anonymous declaration: %d", resp.StatusCode)
		}
		svcDeclare := func(p access.Principal, software string, savings int64) {
			if _, err := r.svc.Declare(ctx, p, catalog.UsageInput{Software: software, Hosting: "provider", ContactID: p.AccountID, SavingsEUR: &savings}); err != nil {
				t.Fatal(err)
			}
		}
		svcDeclare(access.Account(acct.ID, false), "bigbluebutton", 40000)
		b := newBrowser(t)
		getJSON := func(path string, v any) {
			t.Helper()
			p := b.get(r.base + path)
			if p.status != 200 {
				t.Fatalf("GET %s: %d %s", path, p.status, p.body)
			}
			if err := json.Unmarshal([]byte(p.body), v); err != nil {
				t.Fatal(err)
			}
		}
		var list struct {
			Items []catalog.OpenSoftware `json:"items"`
			Total int                    `json:"total"`
		}
		getJSON("/api/v1/software?q=Teams&category=videoconferencing", &list)
		if list.Total < 2 || list.Items[0].Slug != "bigbluebutton" || list.Items[0].Users != 1 {
			t.Fatalf("?q=Teams: %+v", list)
		}
		var one struct {
			Counts struct {
				Organizations int   `json:"organizations"`
				Savings       int64 `json:"declared_yearly_savings_eur"`
			} `json:"usage_counts"`
		}
		getJSON("/api/v1/software/bigbluebutton", &one)
		if one.Counts.Organizations != 1 || one.Counts.Savings != 40000 {
			t.Fatalf("usage counts: %+v", one)
		}
		var usages struct {
			Items []map[string]any `json:"items"`
		}
		getJSON("/api/v1/software/bigbluebutton/usages", &usages)
		if len(usages.Items) != 1 || usages.Items[0]["organization_name"] != "Grenoble" || usages.Items[0]["has_contact"] != true {
			t.Fatalf("usages: %+v", usages)
		}
		for _, path := range []string{"/api/v1/usages.csv", "/api/v1/software.csv", "/api/v1/catalog.json", "/api/v1/software/bigbluebutton/usages"} {
			p := b.get(r.base + path)
			if p.status != 200 || !strings.Contains(p.body, "BigBlueButton") {
				t.Fatalf("GET %s: %d", path, p.status)
			}
			for _, personal := range []string{"chloe@grenoble.example", "+33", "Camille Martin", acct.ID} {
				if strings.Contains(p.body, personal) {
					t.Errorf("%s contains personal data %q", path, personal)
				}
			}
		}
		if p := b.get(r.base + "/api/v1/usages.csv"); !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") || !strings.Contains(p.body, "Grenoble") {
			t.Fatalf("usages.csv: %s\n%s", p.header.Get("Content-Type"), p.body)
		}
	})
}

func TestCatalogModerationPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newCatalogRig(t, db)
		ctx := context.Background()
		cs := collective.New(db)
		if _, err := cs.Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Alpes", Scope: model.ScopeRegional}); err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{}
		for _, email := range []string{"alix@echirolles.example", "chloe@grenoble.example"} {
			a, err := r.accounts.ByEmail(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			ids[email] = a.ID
		}
		cs.Join(ctx, access.System(), "alpes", ids["alix@echirolles.example"], model.RoleAdmin)
		cs.Join(ctx, access.System(), "alpes", ids["chloe@grenoble.example"], model.RoleMember)
		u, err := r.svc.Declare(ctx, access.Account(ids["chloe@grenoble.example"], false), catalog.UsageInput{Software: "peertube", Hosting: "pooled", Testimonial: "Publicité déguisée"})
		if err != nil {
			t.Fatal(err)
		}
		chloe := newBrowser(t)
		chloe.login(r.base, "chloe@grenoble.example", "un mot de passe long")
		if p := chloe.get(r.base + "/declarations/" + u.ID + "/moderer"); p.status != 403 {
			t.Fatalf("a member opens moderation: %d", p.status)
		}
		alix := newBrowser(t)
		alix.login(r.base, "alix@echirolles.example", "un mot de passe long")
		form := alix.get(r.base + "/declarations/" + u.ID + "/moderer")
		if form.status != 200 {
			t.Fatalf("moderation page for the collective's admin: %d", form.status)
		}
		p := alix.post(r.base+"/declarations/"+u.ID+"/moderer", url.Values{"_csrf": {form.csrf(t)}, "action": {"hide"}})
		if p.status != 422 || !strings.Contains(p.body, `id="reason-error"`) {
			t.Fatalf("hide without a reason: %d\n%s", p.status, p.body)
		}
		p = alix.post(r.base+"/declarations/"+u.ID+"/moderer", url.Values{"_csrf": {form.csrf(t)}, "action": {"hide"}, "reason": {"publicité"}})
		if p.status != 200 || !strings.Contains(p.body, "est masquée") {
			t.Fatalf("hide: %d\n%s", p.status, p.body)
		}
		if p = newBrowser(t).get(r.base + "/logiciels/peertube"); strings.Contains(p.body, "Publicité déguisée") || strings.Contains(p.body, "Grenoble") {
			t.Fatal("a visitor still sees the hidden declaration")
		}
		if p = chloe.get(r.base + "/organisations/" + r.grenoble.ID); !strings.Contains(p.body, "masquée par la modération : publicité") {
			t.Fatalf("Grenoble does not see why its declaration is hidden:\n%s", p.body)
		}
	})
}
