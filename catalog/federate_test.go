package catalog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/catalog"
	"collectif/fault"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

// TestReceiveUsageMatchesAndCountsOnce: a declaration received from
// another hub finds its software by SILL ID, Wikidata ID or name and its
// organization by SIREN (or, for those learnt from the same hub, by
// name); one row per software and organization, local first, then the
// first received.
func TestReceiveUsageMatchesAndCountsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		nc, err := w.svc.Get(ctx, access.Anonymous(), "nextcloud")
		if err != nil || nc.SILLID == "" || nc.WikidataID == "" {
			t.Fatalf("Nextcloud of the SILL: %+v %v", nc, err)
		}
		grenoble := catalog.RemoteOrganization{Name: "Ville de Grenoble", SIREN: "213801855", Kind: "commune"}
		assoc := catalog.RemoteOrganization{Name: "SIG des Alpes", Kind: "association"}
		receive := func(id, origin string, sw catalog.RemoteSoftware, o catalog.RemoteOrganization, scope int) string {
			t.Helper()
			got, err := w.svc.ReceiveUsage(ctx, catalog.RemoteUsage{ID: "https://" + origin + "/declarations/" + id, Origin: origin,
				Software: sw, Organization: o, Hosting: "in_house", Scope: scope})
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			return got
		}
		users := func(slug string) int {
			t.Helper()
			v, err := w.svc.Get(ctx, access.Anonymous(), slug)
			if err != nil {
				t.Fatal(err)
			}
			return v.Users
		}
		cases := []struct {
			name, id, origin string
			sw               catalog.RemoteSoftware
			org              catalog.RemoteOrganization
			want             string
			users            int
		}{
			{"by SILL ID, another name", "1", "a.example", catalog.RemoteSoftware{Name: "Nextcloud Hub", SILLID: nc.SILLID}, grenoble, catalog.ReceivedStored, 1},
			{"same remote id again", "1", "a.example", catalog.RemoteSoftware{Name: "Nextcloud Hub", SILLID: nc.SILLID}, grenoble, catalog.ReceivedUpdated, 1},
			{"by Wikidata ID, another hub", "1", "b.example", catalog.RemoteSoftware{Name: "NC", WikidataID: nc.WikidataID}, grenoble, catalog.ReceivedPreceded, 1},
			{"by name, without accents or case", "2", "b.example", catalog.RemoteSoftware{Name: "NEXTCLOUD"}, assoc, catalog.ReceivedStored, 2},
			{"the association again, by name on its hub", "3", "b.example", catalog.RemoteSoftware{Name: "nextcloud"}, assoc, catalog.ReceivedPreceded, 2},
		}
		for _, c := range cases {
			if got := receive(c.id, c.origin, c.sw, c.org, 10); got != c.want || users("nextcloud") != c.users {
				t.Errorf("%s: %s, %d users; want %s, %d", c.name, got, users("nextcloud"), c.want, c.users)
			}
		}
		if n, _ := db.R.NewSelect().Model((*model.Organization)(nil)).Where("origin = 'b.example'").Count(ctx); n != 1 {
			t.Fatalf("%d organizations learnt from b.example, want 1", n)
		}

		// Declared here after being received: the local one takes the row.
		receive("4", "a.example", catalog.RemoteSoftware{Name: "Nextcloud", SILLID: nc.SILLID},
			catalog.RemoteOrganization{Name: "Échirolles", SIREN: "213801517", Kind: "commune"}, 5)
		v, _ := w.svc.Get(ctx, w.alix, "nextcloud")
		if v.Mine != nil || users("nextcloud") != 3 {
			t.Fatalf("a received declaration is Échirolles' own: %+v", v.Mine)
		}
		for _, u := range v.Usages {
			if u.OrganizationID == w.echirolles.ID && (u.CanEdit || u.Origin != "a.example") {
				t.Fatalf("received declaration editable here: %+v", u)
			}
		}
		u, err := w.svc.Declare(ctx, w.alix, catalog.UsageInput{Software: "nextcloud", Hosting: "pooled", Scope: 300})
		if err != nil {
			t.Fatal(err)
		}
		if u.Origin != "" || u.RemoteID != "" || !u.CanEdit || u.Scope != 300 || users("nextcloud") != 3 {
			t.Fatalf("after declaring here: %+v", u)
		}
		if got := receive("4", "a.example", catalog.RemoteSoftware{Name: "Nextcloud", SILLID: nc.SILLID},
			catalog.RemoteOrganization{Name: "Échirolles", SIREN: "213801517", Kind: "commune"}, 6); got != catalog.ReceivedPreceded {
			t.Fatalf("update of a declaration taken over: %s", got)
		}
		// Only local, visible declarations federate.
		if f, err := w.svc.Federated(ctx, u.ID); err != nil || f == nil || f.Software.Slug != "nextcloud" || f.Organization.SIREN != "213801517" {
			t.Fatalf("federated %+v %v", f, err)
		}
		var remote model.Usage
		if err := db.R.NewSelect().Model(&remote).Where("remote_id = ?", "https://a.example/declarations/1").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if f, err := w.svc.Federated(ctx, remote.ID); err != nil || f != nil {
			t.Fatalf("a received declaration would be sent on: %+v %v", f, err)
		}

		// A software nobody here knew.
		receive("5", "a.example", catalog.RemoteSoftware{Name: "Géo Régional", WikidataID: "Q1"}, grenoble, 1)
		if v, err := w.svc.Get(ctx, access.Anonymous(), "geo-regional"); err != nil || v.Origin != "a.example" || v.Users != 1 {
			t.Fatalf("software learnt: %+v %v", v, err)
		}

		// Delete removes the row of that id only; forgetting a hub, its rows.
		if err := w.svc.RemoveRemoteUsage(ctx, "https://b.example/declarations/1"); err != nil || users("nextcloud") != 3 {
			t.Fatalf("deleting an ignored declaration: %v, %d users", err, users("nextcloud"))
		}
		if err := w.svc.RemoveRemoteUsage(ctx, "https://a.example/declarations/1"); err != nil || users("nextcloud") != 2 {
			t.Fatalf("delete: %v, %d users", err, users("nextcloud"))
		}
		err = db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			n, err := w.svc.ForgetOrigin(ctx, tx, "b.example", false)
			if n != 1 {
				t.Errorf("forgot %d rows of b.example, want 1", n)
			}
			return err
		})
		if err != nil || users("nextcloud") != 1 || users("geo-regional") != 1 {
			t.Fatalf("forget b.example: %v, %d users", err, users("nextcloud"))
		}
	})
}

// TestReceiveUsageRefusesMalformed: a received declaration that does not
// say what it must is refused as invalid and writes nothing.
func TestReceiveUsageRefusesMalformed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ok := catalog.RemoteUsage{ID: "https://a.example/declarations/1", Origin: "a.example", Hosting: "in_house",
			Software: catalog.RemoteSoftware{Name: "Nextcloud"}, Organization: catalog.RemoteOrganization{Name: "Voiron", Kind: "commune", SIREN: "213805633"}}
		for name, edit := range map[string]func(*catalog.RemoteUsage){
			"no software name":    func(r *catalog.RemoteUsage) { r.Software.Name = "  " },
			"no organization":     func(r *catalog.RemoteUsage) { r.Organization.Name = "" },
			"unknown kind":        func(r *catalog.RemoteUsage) { r.Organization.Kind = "planete" },
			"bad SIREN":           func(r *catalog.RemoteUsage) { r.Organization.SIREN = "12345" },
			"bad INSEE code":      func(r *catalog.RemoteUsage) { r.Organization.InseeCode = "38 151" },
			"bad région":          func(r *catalog.RemoteUsage) { r.Organization.Region = "Auvergne" },
			"bad SILL ID":         func(r *catalog.RemoteUsage) { r.Software.SILLID = "73a" },
			"bad Wikidata ID":     func(r *catalog.RemoteUsage) { r.Software.WikidataID = "25874683" },
			"unknown hosting":     func(r *catalog.RemoteUsage) { r.Hosting = "cloud" },
			"year in the future":  func(r *catalog.RemoteUsage) { r.SinceYear = 2999 },
			"negative savings":    func(r *catalog.RemoteUsage) { r.SavingsEUR = savings(-1) },
			"no origin":           func(r *catalog.RemoteUsage) { r.Origin = "" },
			"too long a software": func(r *catalog.RemoteUsage) { r.Software.Name = string(make([]byte, 121)) },
		} {
			r := ok
			edit(&r)
			_, err := w.svc.ReceiveUsage(ctx, r)
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Kind != fault.Invalid {
				t.Errorf("%s: %v, want an invalid error", name, err)
			}
		}
		if n, _ := db.R.NewSelect().Model((*model.Usage)(nil)).Count(ctx); n != 0 {
			t.Fatalf("%d rows written", n)
		}
		if n, _ := db.R.NewSelect().Model((*model.Organization)(nil)).Where("origin IS NOT NULL").Count(ctx); n != 0 {
			t.Fatalf("%d organizations written", n)
		}
		if got, err := w.svc.ReceiveUsage(ctx, ok); err != nil || got != catalog.ReceivedStored {
			t.Fatalf("the good one: %s %v", got, err)
		}
	})
}
