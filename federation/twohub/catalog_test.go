package twohub

import (
	"context"
	"fmt"
	"testing"

	"collectif/access"
	"collectif/account"
	"collectif/catalog"
	"collectif/model"
)

// withCatalog imports the embedded SILL into n's catalog, as `collectif
// demo` does.
func (n *node) withCatalog(t *testing.T) {
	t.Helper()
	for _, f := range catalog.Embedded() {
		if _, err := n.h.Catalog.Import(context.Background(), access.System(), f); err != nil {
			t.Fatal(err)
		}
	}
}

// memberOf gives collective slug of n a member from the organization of
// that SIREN, and returns the organization and the member.
func (n *node) memberOf(t *testing.T, slug, siren, email string) (*model.Organization, access.Principal) {
	t.Helper()
	ctx := context.Background()
	o, err := n.h.Directory.Ensure(ctx, siren)
	if err != nil {
		t.Fatal(err)
	}
	a, err := n.h.Accounts.CreateLocal(ctx, access.System(), account.NewLocal{Email: email, Name: "Camille Martin", Password: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.h.DB.W.NewUpdate().Model((*model.Account)(nil)).Set("organization_id = ?", o.ID).Where("id = ?", a.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.h.Collectives.Join(ctx, access.System(), slug, a.ID, model.RoleMember); err != nil {
		t.Fatal(err)
	}
	return o, access.Account(a.ID, false)
}

// TestTwoHubsCatalogUsage: the national hub B follows the regional
// collective of hub A; the usage declarations of A's members'
// organizations, those made before the follow included, appear in B's
// software page figures, attributed to A; an organization declaring on
// both hubs counts once; an edit and a withdrawal on A reach B.
func TestTwoHubsCatalogUsage(t *testing.T) {
	a, b := twoHubs(t)
	ctx := context.Background()
	a.mustAPI(201, "POST", "/api/v1/collectives", map[string]any{"slug": "alpes", "name": "Collectif des Alpes", "scope": "regional"})
	b.mustAPI(201, "POST", "/api/v1/collectives", map[string]any{"slug": "national", "name": "Collectif national", "scope": "national"})
	a.withCatalog(t)
	b.withCatalog(t)
	// Échirolles declared on A before B follows A's collective: B reads it
	// when its follow is accepted.
	echirolles, _ := a.memberOf(t, "alpes", "213801517", "alix@echirolles.example")
	grenoble, chloe := a.memberOf(t, "alpes", "213801855", "chloe@grenoble.example")
	if _, err := a.h.Catalog.DeclareFor(ctx, access.System(), echirolles.ID, catalog.UsageInput{Software: "nextcloud", Hosting: "in_house", Scope: 1400}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A's declaration published", func() (bool, string) {
		code, m := a.activity(a.base + "/c/alpes/declarations?page=1")
		items, _ := m["orderedItems"].([]any)
		return code == 200 && len(items) == 1, fmt.Sprint(code, m)
	})
	b.mustAPI(201, "POST", "/api/v1/collectives/national/following", map[string]any{"target": "@alpes@" + a.host})
	b.waitFollowing(t, "national", a.base+"/c/alpes", "accepted")

	// B counts A's declaration and says where it was made.
	b.pageHas("/logiciels/nextcloud", "1 collectivité ou organisation l'utilise", "Échirolles", "Déclaré sur <a href=\""+a.base+"/logiciels/nextcloud#u-", ">"+a.host+"</a>")

	// Échirolles declares on B too: still one.
	bEchirolles, err := b.h.Directory.Ensure(ctx, "213801517")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.h.Catalog.DeclareFor(ctx, access.System(), bEchirolles.ID, catalog.UsageInput{Software: "nextcloud", Hosting: "pooled", Scope: 1400}); err != nil {
		t.Fatal(err)
	}
	b.pageLacks("/logiciels/nextcloud", "Déclaré sur")
	b.pageHas("/logiciels/nextcloud", "1 collectivité ou organisation l'utilise")

	// Grenoble declares on A: two on B; withdrawn on A: one again.
	u, err := a.h.Catalog.DeclareFor(ctx, access.System(), grenoble.ID, catalog.UsageInput{Software: "nextcloud", Hosting: "in_house", Scope: 300})
	if err != nil {
		t.Fatal(err)
	}
	b.pageHas("/logiciels/nextcloud", "2 collectivités ou organisations l'utilisent", "Grenoble", "Déclaré sur")
	// An edit on A reaches B (1 400 agents of Échirolles here, 800 of Grenoble there).
	if _, err := a.h.Catalog.DeclareFor(ctx, access.System(), grenoble.ID, catalog.UsageInput{Software: "nextcloud", Hosting: "in_house", Scope: 800}); err != nil {
		t.Fatal(err)
	}
	b.pageHas("/logiciels/nextcloud", "2\u202f200 agents ou utilisateurs déclarés")
	if _, err := a.h.Catalog.Withdraw(ctx, chloe, u.ID); err != nil {
		t.Fatal(err)
	}
	b.pageHas("/logiciels/nextcloud", "1 collectivité ou organisation l'utilise")
	b.pageLacks("/logiciels/nextcloud", "Grenoble")
}
