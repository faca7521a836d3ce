package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/catalog"
	"collectif/directory"
	"collectif/federation"
	"collectif/jobs"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

// newFedCatalog is the catalog of a federating hub, with two entries of
// the SILL (Nextcloud, LibreOffice); its jobs go to the rig's queue.
func newFedCatalog(t *testing.T, db *store.DB) *catalog.Service {
	t.Helper()
	ctx := context.Background()
	if _, err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, sw := range []model.Software{
		{ID: model.NewID(), Slug: "nextcloud", Name: "Nextcloud", NameNorm: "nextcloud", SILLID: "73", WikidataID: "Q25874683", CreatedAt: now, UpdatedAt: now},
		{ID: model.NewID(), Slug: "libreoffice", Name: "LibreOffice", NameNorm: "libreoffice", SILLID: "117", WikidataID: "Q10135", CreatedAt: now, UpdatedAt: now},
	} {
		if _, err := db.W.NewInsert().Model(&sw).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return catalog.New(catalog.Deps{DB: db, Territory: refData(t), Queue: q})
}

// drained waits until every job of a kind has run to its end.
func (fr *fedRig) drained(kind string) {
	fr.t.Helper()
	waitFor(fr.t, func() bool {
		n, err := fr.db.R.NewSelect().TableExpr("river_job").
			Where("kind = ? AND state NOT IN ('completed', 'discarded', 'cancelled')", kind).Count(context.Background())
		return err == nil && n == 0
	})
}

// usageActivity is an activity of a remote hub about one of its
// declarations, with the catalog extension's context.
func usageActivity(rs *remoteServer, typ string, obj map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", federation.CatalogContext()["@context"]},
		"id":       rs.base + "/activities/" + model.NewID(), "type": typ, "actor": rs.actor, "object": obj,
		"to": []string{"https://www.w3.org/ns/activitystreams#Public"}})
	return b
}

// declaration is a SoftwareUsage of a remote hub.
func declaration(rs *remoteServer, id string, software, org any, more map[string]any) map[string]any {
	o := map[string]any{"id": rs.base + "/declarations/" + id, "type": "SoftwareUsage", "url": rs.base + "/logiciels/x#u-" + id,
		"attributedTo": rs.actor, "software": software, "organization": org, "hosting": "in_house"}
	for k, v := range more {
		o[k] = v
	}
	return o
}

var (
	voiron     = map[string]any{"name": "Voiron", "siren": "213805633", "inseeCode": "38563", "kind": "commune", "regionCode": "84"}
	echirolles = map[string]any{"name": "Échirolles", "siren": "213801517", "inseeCode": "38151", "kind": "commune", "regionCode": "84"}
)

// TestFederationCatalogUsagesReceived: declarations of hubs a collective
// follows are counted in the catalog's figures, once per organization and
// software whatever the number of hubs that declare it (a local
// declaration first, then the first received); Update changes one, Delete
// removes only the row of its id; an actor nobody follows and malformed
// objects change nothing; unfollowing and blocking forget a hub's
// declarations.
func TestFederationCatalogUsagesReceived(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := newFedCatalog(t, db)
		fr := newFedRig(t, db, fedOptions{catalog: svc})
		local, err := directory.New(db, refData(t)).Ensure(ctx, "213801517") // Échirolles, known here
		if err != nil {
			t.Fatal(err)
		}
		coll := fr.base + "/c/alpes"
		rs1, rs2 := newRemote(t, "127.0.0.2", false), newRemote(t, "127.0.0.3", false)
		stranger := newRemote(t, "127.0.0.4", false)
		follows := map[*remoteServer]string{}
		for i, rs := range []*remoteServer{rs1, rs2} {
			f := federation.Following{ID: model.NewID(), LocalActor: coll, RemoteActor: rs.actor, FollowID: coll + "#follows/" + string(rune('1'+i)),
				State: "accepted", CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if _, err := db.W.NewInsert().Model(&f).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			follows[rs] = f.ID
		}
		send := func(rs *remoteServer, typ string, obj any) {
			t.Helper()
			var body []byte
			if m, ok := obj.(map[string]any); ok {
				body = usageActivity(rs, typ, m)
			} else {
				body = rs.activity(typ, obj)
			}
			if code, b := rs.post(fr.base+"/inbox", body, asJSON, nil); code != http.StatusAccepted {
				t.Fatalf("%s: %d %s", typ, code, b)
			}
			fr.drained("federation.inbox")
		}
		users := func(slug string) int {
			t.Helper()
			v, err := svc.Get(ctx, access.Anonymous(), slug)
			if err != nil {
				t.Fatal(err)
			}
			return v.Users
		}
		rows := func() int {
			n, err := db.R.NewSelect().Model((*model.Usage)(nil)).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		nextcloud := map[string]any{"name": "NextCloud (serveur de fichiers)", "sillId": "73"}

		// From an actor nobody here follows: ignored.
		send(stranger, "Create", declaration(stranger, "1", nextcloud, voiron, nil))
		if users("nextcloud") != 0 || rows() != 0 {
			t.Fatal("a declaration of an actor nobody follows counts")
		}

		// From a followed hub: counted, shown with its origin.
		send(rs1, "Create", declaration(rs1, "v1", nextcloud, voiron, map[string]any{"since": 2018, "scope": 500, "savingsEur": 8000,
			"content": "<p>Très <strong>bien</strong></p>", "source": map[string]any{"content": "Très **bien**", "mediaType": "text/markdown"}}))
		if n := users("nextcloud"); n != 1 {
			t.Fatalf("after the Create: %d users", n)
		}
		var row model.Usage
		if err := db.R.NewSelect().Model(&row).Where("remote_id = ?", rs1.base+"/declarations/v1").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if row.Origin != rs1.host() || row.Scope != 500 || row.SinceYear != 2018 || *row.SavingsEUR != 8000 || row.Testimonial != "Très **bien**" ||
			row.RemoteURL != rs1.base+"/logiciels/x#u-v1" {
			t.Fatalf("stored %+v", row)
		}
		var org model.Organization
		if err := db.R.NewSelect().Model(&org).Where("id = ?", row.OrganizationID).Scan(ctx); err != nil || org.Origin != rs1.host() || org.Name != "Voiron" {
			t.Fatalf("organization learnt %+v %v", org, err)
		}
		p := newBrowser(t).get(fr.base + "/logiciels/nextcloud")
		if p.status != 200 || !strings.Contains(p.body, "1 collectivité ou organisation l'utilise") || !strings.Contains(p.body, "Voiron") ||
			!strings.Contains(p.body, `Déclaré sur <a href="`+rs1.base+`/logiciels/x#u-v1" rel="nofollow noopener">`+rs1.host()+`</a>`) ||
			strings.Contains(p.body, "/declarations/"+row.ID+"/modifier") {
			t.Fatalf("software page: %d\n%s", p.status, p.body)
		}

		var api struct {
			Items []catalog.OpenUsage `json:"items"`
		}
		if err := json.Unmarshal([]byte(newBrowser(t).get(fr.base+"/api/v1/software/nextcloud/usages").body), &api); err != nil ||
			len(api.Items) != 1 || api.Items[0].Origin != rs1.host() || api.Items[0].OriginURL != rs1.base+"/logiciels/x#u-v1" {
			t.Fatalf("open data: %+v %v", api, err)
		}

		// The same organization and software from a second hub (found by
		// Wikidata ID there): still one.
		send(rs2, "Create", declaration(rs2, "v1", map[string]any{"name": "Nextcloud", "wikidataId": "Q25874683"}, voiron, nil))
		if n := users("nextcloud"); n != 1 || rows() != 1 {
			t.Fatalf("declared on two hubs: %d users, %d rows", n, rows())
		}

		// Declared here and on a followed hub (same SIREN, or the same
		// INSEE code without SIREN): counted once, the local one stands.
		if _, err := svc.DeclareFor(ctx, access.System(), local.ID, catalog.UsageInput{Software: "nextcloud", Hosting: "pooled", Scope: 1400}); err != nil {
			t.Fatal(err)
		}
		send(rs1, "Create", declaration(rs1, "e1", nextcloud, echirolles, map[string]any{"scope": 3}))
		send(rs2, "Create", declaration(rs2, "e1", nextcloud, map[string]any{"name": "Ville d'Échirolles", "inseeCode": "38151", "kind": "commune"}, nil))
		if n := users("nextcloud"); n != 2 || rows() != 2 {
			t.Fatalf("declared here and there: %d users, %d rows", n, rows())
		}
		if f, _ := svc.NetworkFigures(ctx); f.Organizations != 2 || f.Declarations != 2 || f.Savings != 8000 {
			t.Fatalf("network figures %+v", f)
		}
		v, _ := svc.Get(ctx, access.Anonymous(), "nextcloud")
		if v.Agents != 1900 {
			t.Fatalf("agents %d, want 1400 + 500", v.Agents)
		}

		// Update.
		send(rs1, "Update", declaration(rs1, "v1", nextcloud, voiron, map[string]any{"scope": 800, "hosting": "provider"}))
		if v, _ := svc.Get(ctx, access.Anonymous(), "nextcloud"); v.Agents != 2200 {
			t.Fatalf("agents after the Update %d", v.Agents)
		}

		// A declaration received first, then made here: the local one
		// takes its place, and later Updates from there change nothing.
		send(rs1, "Create", declaration(rs1, "e2", map[string]any{"name": "LibreOffice", "sillId": "117"}, echirolles, map[string]any{"scope": 10}))
		if users("libreoffice") != 1 {
			t.Fatal("LibreOffice not received")
		}
		if _, err := svc.DeclareFor(ctx, access.System(), local.ID, catalog.UsageInput{Software: "libreoffice", Hosting: "in_house", Scope: 900}); err != nil {
			t.Fatal(err)
		}
		send(rs1, "Update", declaration(rs1, "e2", map[string]any{"name": "LibreOffice", "sillId": "117"}, echirolles, map[string]any{"scope": 11}))
		if v, _ := svc.Get(ctx, access.Anonymous(), "libreoffice"); v.Users != 1 || v.Agents != 900 || v.Usages[0].Origin != "" || v.Usages[0].RemoteID != "" {
			t.Fatalf("local take-over: %+v", v.Usages)
		}

		// Malformed or foreign objects: refused, nothing changes.
		before := rows()
		var software, orgs int
		count := func() (int, int) {
			s, _ := db.R.NewSelect().Model((*model.Software)(nil)).Count(ctx)
			o, _ := db.R.NewSelect().Model((*model.Organization)(nil)).Count(ctx)
			return int(s), int(o)
		}
		software, orgs = count()
		for name, obj := range map[string]any{
			"unknown kind":        declaration(rs1, "m1", map[string]any{"name": "Zim"}, map[string]any{"name": "Mars", "kind": "planete"}, nil),
			"since as a sentence": declaration(rs1, "m2", map[string]any{"name": "Zim"}, voiron, map[string]any{"since": "deux mille"}),
			"no software name":    declaration(rs1, "m3", map[string]any{"sillId": "73"}, voiron, nil),
			"bad SIREN":           declaration(rs1, "m4", map[string]any{"name": "Zim"}, map[string]any{"name": "X", "kind": "commune", "siren": "12"}, nil),
			"bad hosting":         declaration(rs1, "m5", map[string]any{"name": "Zim"}, voiron, map[string]any{"hosting": "cloud"}),
			"negative savings":    declaration(rs1, "m6", map[string]any{"name": "Zim"}, voiron, map[string]any{"savingsEur": -5}),
			"software as string":  declaration(rs1, "m8", "Zim", voiron, nil),
		} {
			send(rs1, "Create", obj.(map[string]any))
			if s, o := count(); rows() != before || s != software || o != orgs {
				t.Fatalf("%s: something was written", name)
			}
		}

		// A software and an organization this hub did not know.
		send(rs2, "Create", declaration(rs2, "g1", map[string]any{"name": "Géo Régional"}, map[string]any{"name": "SIG des Alpes", "kind": "association"}, nil))
		var sw model.Software
		if err := db.R.NewSelect().Model(&sw).Where("name = ?", "Géo Régional").Scan(ctx); err != nil || sw.Origin != rs2.host() || sw.Slug != "geo-regional" {
			t.Fatalf("software learnt: %+v %v", sw, err)
		}
		if users("geo-regional") != 1 {
			t.Fatal("the new software's declaration is not counted")
		}
		if p := newBrowser(t).get(fr.base + "/logiciels/geo-regional"); p.status != 200 || !strings.Contains(p.body, "SIG des Alpes") {
			t.Fatalf("new software page: %d", p.status)
		}

		// Delete: only by its hub, only the row of that id.
		send(rs2, "Delete", map[string]any{"id": rs1.base + "/declarations/v1", "type": "Tombstone"})
		if users("nextcloud") != 2 {
			t.Fatal("a hub deleted another's declaration")
		}
		send(rs1, "Delete", map[string]any{"id": rs1.base + "/declarations/e1", "type": "Tombstone"}) // preceded here: nothing to remove
		send(rs1, "Delete", map[string]any{"id": rs1.base + "/declarations/v1", "type": "Tombstone"})
		if n := users("nextcloud"); n != 1 {
			t.Fatalf("after the Delete: %d users", n)
		}

		// Unfollowing a hub forgets its declarations; blocking one too.
		send(rs1, "Create", declaration(rs1, "g2", map[string]any{"name": "Géo Régional"}, voiron, nil))
		if users("geo-regional") != 2 {
			t.Fatal("second declaration of the new software not counted")
		}
		if err := fr.fed.Unfollow(ctx, access.System(), "alpes", follows[rs2]); err != nil {
			t.Fatal(err)
		}
		if users("geo-regional") != 1 {
			t.Fatal("the declarations of an unfollowed hub still count")
		}
		if _, err := fr.fed.BlockInstance(ctx, access.System(), rs1.host(), "essai", false); err != nil {
			t.Fatal(err)
		}
		if users("geo-regional") != 0 || rows() != 2 {
			t.Fatalf("after the block: %d users, %d rows (the two local ones remain)", users("geo-regional"), rows())
		}
	})
}

// TestFederationCatalogUsageSent: a declaration of an organization with a
// member in a collective goes to the collective's followers as a
// SoftwareUsage with the extension's context, served on its IRI as sent;
// an edit sends Update, hiding or withdrawing it Delete (410 then); a
// declaration of an organization without members in a collective is not
// sent.
func TestFederationCatalogUsageSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := newFedCatalog(t, db)
		fr := newFedRig(t, db, fedOptions{catalog: svc})
		coll := fr.base + "/c/alpes"
		rs := newRemote(t, "127.0.0.6", false)
		if code, body := rs.post(coll+"/inbox", rs.activity("Follow", coll), asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("follow: %d %s", code, body)
		}
		fr.waitState(coll, rs.actor, "accepted")
		accepts := len(fr.waitSent(1))

		dir := directory.New(db, refData(t))
		echi, err := dir.Ensure(ctx, "213801517")
		if err != nil {
			t.Fatal(err)
		}
		greno, err := dir.Ensure(ctx, "213801855")
		if err != nil {
			t.Fatal(err)
		}
		member := fr.user("alix@echirolles.example", false)
		if _, err := db.W.NewUpdate().Model((*model.Account)(nil)).Set("organization_id = ?", echi.ID).Where("id = ?", member.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		var collID string
		if err := db.R.NewSelect().Model((*model.Collective)(nil)).Column("id").Where("slug = 'alpes'").Scan(ctx, &collID); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		if _, err := db.W.NewInsert().Model(&model.Membership{ID: model.NewID(), CollectiveID: collID, AccountID: member.ID, Role: model.RoleMember,
			Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		// Grenoble has no member in a collective: nothing is sent.
		if _, err := svc.DeclareFor(ctx, access.System(), greno.ID, catalog.UsageInput{Software: "libreoffice", Hosting: "in_house"}); err != nil {
			t.Fatal(err)
		}
		fr.drained("federation.publish")
		if n := len(fr.out.all()); n != accepts {
			t.Fatalf("%d activities sent for an organization without collective", n-accepts)
		}

		savings := int64(90000)
		u, err := svc.DeclareFor(ctx, access.System(), echi.ID, catalog.UsageInput{Software: "nextcloud", Hosting: "in_house", SinceYear: 2019,
			Scope: 1400, SavingsEUR: &savings, Testimonial: "**Très** satisfaits."})
		if err != nil {
			t.Fatal(err)
		}
		iri := fr.base + "/declarations/" + u.ID
		c := fr.waitSent(accepts + 1)[accepts]
		o := obj(c)
		ctxs, _ := c.Activity["@context"].([]any)
		var terms map[string]any
		if len(ctxs) == 2 {
			terms, _ = ctxs[1].(map[string]any)
		}
		sw, _ := o["software"].(map[string]any)
		org, _ := o["organization"].(map[string]any)
		if c.Actor != coll || c.Activity["type"] != "Create" || c.Activity["actor"] != coll || len(c.Inboxes) != 1 || c.Inboxes[0] != rs.base+"/inbox" ||
			ctxs[0] != "https://www.w3.org/ns/activitystreams" || terms["clf"] != federation.CatalogNamespace || terms["SoftwareUsage"] != "clf:SoftwareUsage" ||
			o["type"] != "SoftwareUsage" || o["id"] != iri || o["url"] != fr.base+"/logiciels/nextcloud#u-"+u.ID ||
			sw["name"] != "Nextcloud" || sw["sillId"] != "73" || sw["wikidataId"] != "Q25874683" || sw["url"] != fr.base+"/logiciels/nextcloud" ||
			org["siren"] != "213801517" || org["inseeCode"] != "38151" || org["kind"] != "commune" || org["regionCode"] != "84" ||
			o["since"] != float64(2019) || o["scope"] != float64(1400) || o["hosting"] != "in_house" || o["savingsEur"] != float64(90000) ||
			!strings.Contains(o["content"].(string), "<strong>Très</strong>") || o["contact"] != nil {
			t.Fatalf("create = %+v", c)
		}
		// Served on its IRI as sent, with the context; a person is led to
		// the software page; the context document is served too.
		waitFor(t, func() bool { code, _, _ := getASStatus(t, iri, nil, asJSON); return code == 200 })
		doc := getAS(t, iri, nil)
		delete(doc, "@context")
		if !reflect.DeepEqual(doc, o) {
			t.Fatalf("served %v\nsent %v", doc, o)
		}
		if p := newBrowser(t).get(iri); p.status != 200 || !strings.HasSuffix(strings.SplitN(p.url, "#", 2)[0], "/logiciels/nextcloud") {
			t.Fatalf("HTML GET of the IRI: %d %s", p.status, p.url)
		}
		resp, err := http.Get(fr.base + federation.ContextPath)
		if err != nil {
			t.Fatal(err)
		}
		var cd map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&cd)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/ld+json") ||
			!reflect.DeepEqual(cd["@context"], terms) {
			t.Fatalf("context document: %d %s %v", resp.StatusCode, resp.Header.Get("Content-Type"), cd)
		}
		if out := getAS(t, coll+"/outbox", nil); out["totalItems"] != float64(0) {
			t.Fatalf("outbox lists the declaration: %v", out)
		}
		// The collective's declarations, for hubs that start following it.
		if c := getAS(t, coll+"/declarations", nil); c["type"] != "OrderedCollection" || c["totalItems"] != float64(1) {
			t.Fatalf("declarations collection = %v", c)
		}
		pg := getAS(t, coll+"/declarations?page=1", nil)
		if items, _ := pg["orderedItems"].([]any); len(items) != 1 || !reflect.DeepEqual(items[0], o) || pg["next"] != nil {
			t.Fatalf("declarations page = %v", pg)
		}

		// Edit: Update. Hide: Delete, 410. Restore: Create. Withdraw: Delete.
		if _, err := svc.Update(ctx, access.Account(member.ID, false), u.ID, catalog.UsageInput{Hosting: "pooled", SinceYear: 2019, Scope: 1500}); err != nil {
			t.Fatal(err)
		}
		if up := fr.waitSent(accepts + 2)[accepts+1]; up.Activity["type"] != "Update" || obj(up)["hosting"] != "pooled" || obj(up)["savingsEur"] != nil {
			t.Fatalf("update = %+v", up)
		}
		if _, err := svc.Moderate(ctx, access.System(), u.ID, catalog.ModerateHide, "Doublon"); err != nil {
			t.Fatal(err)
		}
		if d := fr.waitSent(accepts + 3)[accepts+2]; d.Activity["type"] != "Delete" || obj(d)["type"] != "Tombstone" || obj(d)["id"] != iri ||
			obj(d)["formerType"] != "SoftwareUsage" {
			t.Fatalf("delete = %+v", d)
		}
		waitFor(t, func() bool { code, _, _ := getASStatus(t, iri, nil, asJSON); return code == http.StatusGone })
		if _, err := svc.Moderate(ctx, access.System(), u.ID, catalog.ModerateRestore, ""); err != nil {
			t.Fatal(err)
		}
		if a := fr.waitSent(accepts + 4)[accepts+3]; a.Activity["type"] != "Create" || obj(a)["id"] != iri {
			t.Fatalf("after restore = %+v", a)
		}
		if _, err := svc.Withdraw(ctx, access.Account(member.ID, false), u.ID); err != nil {
			t.Fatal(err)
		}
		if d := fr.waitSent(accepts + 5)[accepts+4]; d.Activity["type"] != "Delete" || obj(d)["id"] != iri {
			t.Fatalf("after withdrawal = %+v", d)
		}
		fr.drained("federation.publish")
		if n := len(fr.out.all()); n != accepts+5 {
			t.Fatalf("%d activities sent, want %d", n, accepts+5)
		}
	})
}
