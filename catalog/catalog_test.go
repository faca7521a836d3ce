package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/catalog"
	"collectif/collective"
	"collectif/fault"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

// sillCount is the number of objects of the embedded sill.json (240, see
// data/README.md), counted again from the file by the test.
func sillFile(t testing.TB) catalog.NamedFile {
	t.Helper()
	return catalog.Embedded()[0]
}

func ourFile(t testing.TB) catalog.NamedFile {
	t.Helper()
	return catalog.Embedded()[1]
}

type world struct {
	db                         *store.DB
	svc                        *catalog.Service
	echirolles, grenoble, anct *model.Organization
	alix, chloe, admin         access.Principal
}

func org(t *testing.T, db *store.DB, name, siren, region string, pop int, kind model.OrgKind) *model.Organization {
	t.Helper()
	now := time.Now().UTC()
	o := &model.Organization{ID: model.NewID(), Kind: kind, Name: name, NameNorm: strings.ToLower(name), SIREN: siren, Region: region, Population: pop, CreatedAt: now, UpdatedAt: now}
	if _, err := db.W.NewInsert().Model(o).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return o
}

func person(t *testing.T, db *store.DB, email, name, orgID string) access.Principal {
	t.Helper()
	now := time.Now().UTC()
	a := &model.Account{ID: model.NewID(), Email: email, Name: name, OrganizationID: orgID, Phone: "+33 4 76 00 00 00", CreatedAt: now, UpdatedAt: now}
	if _, err := db.W.NewInsert().Model(a).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return access.Account(a.ID, false)
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, svc: catalog.New(catalog.Deps{DB: db})}
	for _, f := range catalog.Embedded() {
		if _, err := w.svc.Import(ctx, access.System(), f); err != nil {
			t.Fatal(err)
		}
	}
	w.echirolles = org(t, db, "Échirolles", "213801517", "84", 37000, model.OrgCommune)
	w.grenoble = org(t, db, "Grenoble", "213801855", "84", 158000, model.OrgCommune)
	w.anct = org(t, db, "ANCT", "", "", 0, model.OrgState)
	w.alix = person(t, db, "alix@echirolles.example", "Alix Fictif", w.echirolles.ID)
	w.chloe = person(t, db, "chloe@grenoble.example", "Chloé Démo", w.grenoble.ID)
	w.admin = access.Account(model.NewID(), true)
	return w
}

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[a-z]{2,}`)

func savings(n int64) *int64 { return &n }

func TestImportRealSILL(t *testing.T) {
	var raw []map[string]any
	if err := json.Unmarshal(sillFile(t).Data, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 240 {
		t.Fatalf("sill.json has %d objects, the source says 240", len(raw))
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := catalog.New(catalog.Deps{DB: db})
		rep, err := svc.Import(ctx, access.System(), sillFile(t))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Created != len(raw) || rep.Updated != 0 || rep.Unchanged != 0 {
			t.Fatalf("first import: %s, want %d created", rep, len(raw))
		}
		rep, err = svc.Import(ctx, access.System(), sillFile(t))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Created != 0 || rep.Updated != 0 || rep.Unchanged != len(raw) {
			t.Fatalf("second import: %s, want everything unchanged", rep)
		}
		ours, err := svc.Import(ctx, access.System(), ourFile(t))
		if err != nil {
			t.Fatal(err)
		}
		if ours.Created == 0 || ours.Updated == 0 {
			t.Fatalf("our file: %s, want new entries and SILL entries completed", ours)
		}
		again, err := svc.Import(ctx, access.System(), ourFile(t))
		if err != nil || again.Created != 0 || again.Updated != 0 {
			t.Fatalf("our file again: %v %v", again, err)
		}
		// The SILL again after our file: our fields stay, nothing changes.
		if rep, err = svc.Import(ctx, access.System(), sillFile(t)); err != nil || rep.Unchanged != len(raw) {
			t.Fatalf("SILL after our file: %v %v", rep, err)
		}
		all, err := svc.AllSoftware(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(raw)+ours.Created {
			t.Fatalf("%d entries, want %d", len(all), len(raw)+ours.Created)
		}
		v, err := svc.Get(ctx, access.Anonymous(), "nextcloud")
		if err != nil {
			t.Fatal(err)
		}
		if v.SILLID != "93" || v.WikidataID != "Q25874683" || v.Licence != "AGPL-3.0-or-later" || !strings.Contains(strings.Join(v.Replaces, ","), "SharePoint") {
			t.Fatalf("nextcloud = %+v", v.Item)
		}
	})
}

func TestImportMalformedRejectedWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := catalog.New(catalog.Deps{DB: db})
		cases := []struct {
			name, data, want string
		}{
			{"bad id on record 3", `[{"id":"1","i":"A"},{"id":"2","i":"B"},{"id":"x","i":"C"}]`, "enregistrement n° 3"},
			{"duplicate id", `[{"id":"1","i":"A"},{"id":"1","i":"B"}]`, "déjà vu"},
			{"syntax error on line 3", "[\n{\"id\":\"1\",\"i\":\"A\"},\n{\"id\":\"2\" \"i\":\"B\"}]", "ligne 3"},
			{"unknown category", `{"format":"collectif-catalog","software":[{"slug":"a","name":"A"},{"slug":"b","name":"B","categories":["nope"]}]}`, "enregistrement n° 2"},
			{"unknown format", `{"format":"other"}`, "collectif-catalog"},
		}
		for _, c := range cases {
			_, err := svc.Import(ctx, access.System(), catalog.NamedFile{Name: "f.json", Data: []byte(c.data)})
			if !fault.Is(err, fault.Invalid) || !strings.Contains(fault.MessageOf(err), c.want) {
				t.Errorf("%s: err = %v, want Invalid naming %q", c.name, err, c.want)
			}
		}
		all, err := svc.AllSoftware(ctx)
		if err != nil || len(all) != 0 {
			t.Fatalf("after rejected imports: %d entries (%v), want none", len(all), err)
		}
		if _, err := svc.Import(ctx, access.Account(model.NewID(), false), sillFile(t)); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("a member imports: %v", err)
		}
	})
}

func TestDeclareOwnOrganizationOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		u, err := w.svc.Declare(ctx, w.alix, catalog.UsageInput{Software: "nextcloud", Hosting: "in_house", Scope: 1200, SinceYear: 2019, SavingsEUR: savings(80000)})
		if err != nil {
			t.Fatal(err)
		}
		if u.OrganizationID != w.echirolles.ID || !u.CanEdit {
			t.Fatalf("declared %+v", u)
		}
		if _, err := w.svc.DeclareFor(ctx, w.alix, w.grenoble.ID, catalog.UsageInput{Software: "nextcloud", Hosting: "in_house"}); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("Alix declares for Grenoble: %v, want Forbidden", err)
		}
		if _, err := w.svc.Update(ctx, w.chloe, u.ID, catalog.UsageInput{Hosting: "pooled"}); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("Chloé edits Échirolles' declaration: %v, want Forbidden", err)
		}
		if _, err := w.svc.Withdraw(ctx, w.chloe, u.ID); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("Chloé withdraws Échirolles' declaration: %v, want Forbidden", err)
		}
		if _, err := w.svc.Declare(ctx, access.Anonymous(), catalog.UsageInput{Software: "nextcloud", Hosting: "in_house"}); !fault.Is(err, fault.Unauthorized) {
			t.Fatalf("visitor declares: %v", err)
		}
		if _, err := w.svc.Declare(ctx, w.alix, catalog.UsageInput{Software: "nextcloud", Hosting: "cloud"}); fault.FieldOf(err) != "hosting" {
			t.Fatalf("bad hosting: %v", err)
		}
		if _, err := w.svc.Declare(ctx, w.alix, catalog.UsageInput{Software: "nextcloud", Hosting: "in_house", ContactID: w.chloe.AccountID}); fault.FieldOf(err) != "contact" {
			t.Fatalf("contact of another organization: %v", err)
		}
		// A second declaration of the same software updates the first.
		if _, err := w.svc.Declare(ctx, w.alix, catalog.UsageInput{Software: "nextcloud", Hosting: "pooled", Scope: 1300, ContactID: w.alix.AccountID}); err != nil {
			t.Fatal(err)
		}
		v, err := w.svc.Get(ctx, access.Anonymous(), "nextcloud")
		if err != nil {
			t.Fatal(err)
		}
		if v.Users != 1 || len(v.Usages) != 1 || v.Usages[0].Hosting != model.HostingPooled || v.Usages[0].ContactName != "" {
			t.Fatalf("after the second declaration: users %d, usages %+v", v.Users, v.Usages)
		}
		if v, _ = w.svc.Get(ctx, w.chloe, "nextcloud"); v.Usages[0].ContactName != "Alix Fictif" {
			t.Fatalf("a member sees contact %q", v.Usages[0].ContactName)
		}
		if _, err := w.svc.Withdraw(ctx, w.alix, u.ID); err != nil {
			t.Fatal(err)
		}
		if v, _ = w.svc.Get(ctx, access.Anonymous(), "nextcloud"); v.Users != 0 {
			t.Fatalf("after withdrawal: %d users", v.Users)
		}
	})
}

func TestSavingsAggregatesAndModeration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		must := func(p access.Principal, in catalog.UsageInput) *catalog.UsageItem {
			t.Helper()
			u, err := w.svc.Declare(ctx, p, in)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		must(w.alix, catalog.UsageInput{Software: "nextcloud", Hosting: "in_house", Scope: 1200, SavingsEUR: savings(120000)})
		must(w.alix, catalog.UsageInput{Software: "polotno-studio", Hosting: "in_house", SavingsEUR: savings(15000)})
		must(w.alix, catalog.UsageInput{Software: "sogo", Hosting: "in_house"}) // savings not said: counts as nothing
		gre := must(w.chloe, catalog.UsageInput{Software: "nextcloud", Hosting: "provider", Scope: 3000, SavingsEUR: savings(2_000_000_000 / 1000)})
		f, err := w.svc.NetworkFigures(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := catalog.Figures{Organizations: 2, Declarations: 4, Software: 3, Savings: 120000 + 15000 + 2_000_000, Entries: f.Entries}
		if f != want {
			t.Fatalf("figures = %+v, want %+v", f, want)
		}
		pg, err := w.svc.List(ctx, access.Anonymous(), catalog.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if pg.Items[0].Slug != "nextcloud" || pg.Items[0].Users != 2 || pg.Items[0].Agents != 4200 || pg.Items[0].Savings != 2_120_000 {
			t.Fatalf("most used first: %+v", pg.Items[0])
		}
		// Filters: région, size, contact.
		pg, _ = w.svc.List(ctx, access.Anonymous(), catalog.Filter{Size: "xlarge"})
		if pg.Total != 1 || pg.Items[0].Slug != "nextcloud" {
			t.Fatalf("used by collectivities of 100 000+: %d", pg.Total)
		}
		pg, _ = w.svc.List(ctx, access.Anonymous(), catalog.Filter{Region: "84", Category: "graphic-design"})
		if pg.Total != 1 || pg.Items[0].Slug != "polotno-studio" {
			t.Fatalf("graphic design in 84: %+v", pg.Items)
		}
		if pg, _ = w.svc.List(ctx, access.Anonymous(), catalog.Filter{HasContact: true}); pg.Total != 0 {
			t.Fatalf("with a contact: %d", pg.Total)
		}
		// Moderation: only an admin of a collective where a Grenoble member is.
		cs := collective.New(db)
		alpes, err := cs.Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Alpes", Scope: model.ScopeRegional})
		if err != nil {
			t.Fatal(err)
		}
		if err := cs.Join(ctx, access.System(), alpes.Slug, w.alix.AccountID, model.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Moderate(ctx, w.alix, gre.ID, catalog.ModerateHide, "chiffre à vérifier"); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("admin of a collective without Grenoble hides: %v", err)
		}
		if err := cs.Join(ctx, access.System(), alpes.Slug, w.chloe.AccountID, model.RoleMember); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Moderate(ctx, w.alix, gre.ID, catalog.ModerateHide, ""); fault.FieldOf(err) != "reason" {
			t.Fatalf("hide without a reason: %v", err)
		}
		if _, err := w.svc.Moderate(ctx, w.alix, gre.ID, catalog.ModerateHide, "chiffre à vérifier"); err != nil {
			t.Fatal(err)
		}
		if f, _ = w.svc.NetworkFigures(ctx); f.Savings != 135000 || f.Organizations != 1 {
			t.Fatalf("after hiding: %+v", f)
		}
		o, err := w.svc.ByOrganization(ctx, w.chloe, w.grenoble.ID)
		if err != nil || len(o.Usages) != 1 || !o.Usages[0].Hidden || o.Usages[0].HiddenReason != "chiffre à vérifier" {
			t.Fatalf("Grenoble sees its hidden declaration: %+v %v", o, err)
		}
		if o, _ = w.svc.ByOrganization(ctx, access.Anonymous(), w.grenoble.ID); len(o.Usages) != 0 {
			t.Fatalf("a visitor sees a hidden declaration")
		}
		cv, err := w.svc.ByCollective(ctx, access.Anonymous(), "alpes")
		if err != nil || cv.Figures.Organizations != 1 || len(cv.Items) != 3 {
			t.Fatalf("collective view: %+v %v", cv, err)
		}
	})
}

func TestReplacesLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		for product, want := range map[string]string{"Canva": "polotno-studio", "canva": "polotno-studio", "Photoshop": "gimp", "YouTube": "peertube", "Outlook": "thunderbird"} {
			items, err := w.svc.Replacing(ctx, product)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, it := range items {
				found = found || it.Slug == want
			}
			if !found {
				t.Errorf("Replacing(%q) does not give %s", product, want)
			}
		}
		items, _ := w.svc.Replacing(ctx, "Teams")
		slugs := []string{}
		for _, it := range items {
			slugs = append(slugs, it.Slug)
		}
		if !strings.Contains(strings.Join(slugs, ","), "bigbluebutton") {
			t.Errorf("Teams → %v, want BigBlueButton among them", slugs)
		}
		pg, err := w.svc.List(ctx, access.Anonymous(), catalog.Filter{Q: "Canva"})
		if err != nil || pg.Total != 1 || pg.Items[0].Name != "Polotno Studio" {
			t.Fatalf("?q=Canva: %+v %v", pg, err)
		}
	})
}

func TestCSVHasNoPersonalData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		if _, err := w.svc.Declare(ctx, w.alix, catalog.UsageInput{Software: "nextcloud", Hosting: "in_house", ContactID: w.alix.AccountID, Testimonial: "Très satisfaits."}); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := w.svc.WriteUsagesCSV(ctx, &b); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.WriteSoftwareCSV(ctx, &b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.Contains(out, "Échirolles") || !strings.Contains(out, "Très satisfaits.") {
			t.Fatalf("the export lacks the declaration:\n%s", out[:min(len(out), 500)])
		}
		for _, personal := range []string{"alix@echirolles.example", "+33", "04 76", "Alix Fictif", w.alix.AccountID} {
			if strings.Contains(out, personal) {
				t.Errorf("the CSV export contains %q", personal)
			}
		}
		if m := emailRE.FindString(out); m != "" {
			t.Errorf("the CSV export contains an e-mail address: %q", m)
		}
	})
}

func TestForgetAccountKeepsTheOrganizationsDeclaration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		u, err := w.svc.Declare(ctx, w.alix, catalog.UsageInput{Software: "sogo", Hosting: "in_house", ContactID: w.alix.AccountID})
		if err != nil {
			t.Fatal(err)
		}
		exp, err := catalog.ExportAccount(ctx, db.R, w.alix.AccountID)
		if err != nil || len(exp) != 1 || !exp[0].Declared || !exp[0].Contact || exp[0].Software != "SOGo" {
			t.Fatalf("export: %+v %v", exp, err)
		}
		if err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return w.svc.ForgetAccount(ctx, tx, w.alix.AccountID, false)
		}); err != nil {
			t.Fatal(err)
		}
		got, err := w.svc.Usage(ctx, w.admin, u.ID)
		if err != nil || got.ContactID != "" || got.DeclaredBy != "" {
			t.Fatalf("after forgetting Alix: %+v %v", got, err)
		}
	})
}
