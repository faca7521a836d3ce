package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"collectif/access"
	"collectif/collective"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

// TestMembershipJourneyThroughPages: a member asks to join through the
// collective page, an owner approves on the administration page, and the
// new member reaches the directory.
func TestMembershipJourneyThroughPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db.Engine(), rigOptions{db: withQueue(t, db)})
		ctx := context.Background()
		cs := collective.New(r.db)
		if _, err := cs.Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Collectif des Alpes", Scope: model.ScopeRegional}); err != nil {
			t.Fatal(err)
		}
		owner := r.user("owner@alpes.example", false)
		cs.Join(ctx, access.System(), "alpes", owner.ID, model.RoleOwner)
		member := r.user("camille@ville.example", false)

		mb := newBrowser(t)
		mb.login(r.base, "camille@ville.example", "un mot de passe long")
		p := mb.get(r.base + "/c/alpes")
		if !strings.Contains(p.body, "Demander à rejoindre le collectif") || strings.Contains(p.body, "Annuaire des membres") {
			t.Fatalf("collective page for a non-member:\n%s", p.body)
		}
		if q := mb.get(r.base + "/c/alpes/members"); q.status != 403 {
			t.Fatalf("directory before joining: %d", q.status)
		}
		p = mb.post(r.base+"/c/alpes/join", url.Values{"_csrf": {p.csrf(t)}, "message": {"DSI de la ville"}})
		if !strings.Contains(p.body, "Votre demande est envoyée") || !strings.Contains(p.body, "en attente") {
			t.Fatalf("after asking:\n%s", p.body)
		}

		ob := newBrowser(t)
		ob.login(r.base, "owner@alpes.example", "un mot de passe long")
		ap := ob.get(r.base + "/c/alpes/admin")
		if ap.status != 200 || !strings.Contains(ap.body, "DSI de la ville") {
			t.Fatalf("admin page: %d\n%s", ap.status, ap.body)
		}
		// Without the CSRF token the decision is refused.
		if p := ob.post(r.base+"/c/alpes/admin/requests/"+member.ID, url.Values{"decision": {"approve"}}); p.status != 403 {
			t.Fatalf("decision without CSRF: %d", p.status)
		}
		p = ob.post(r.base+"/c/alpes/admin/requests/"+member.ID, url.Values{"_csrf": {ap.csrf(t)}, "decision": {"approve"}, "role": {"member"}, "message": {"Bienvenue"}})
		if !strings.Contains(p.body, "La demande est acceptée") || !strings.Contains(p.body, "Aucune demande en attente") {
			t.Fatalf("after approval:\n%s", p.body)
		}
		// A member may not open the administration page.
		if q := mb.get(r.base + "/c/alpes/admin"); q.status != 403 {
			t.Fatalf("admin page for a member: %d", q.status)
		}
		d := mb.get(r.base + "/c/alpes/members")
		if d.status != 200 || !strings.Contains(d.body, "2 membres") {
			t.Fatalf("directory after approval: %d\n%s", d.status, d.body)
		}
		if strings.Contains(d.body, "owner@alpes.example") {
			t.Fatal("the directory shows an e-mail its owner did not choose to show")
		}
	})
}

func TestCollectivesAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db.Engine(), rigOptions{db: withQueue(t, db)})
		ctx := context.Background()
		admin := r.user("admin@hub.example", true)
		tok, _, err := r.accounts.CreateToken(ctx, access.System(), admin.ID, "script", "read,write")
		if err != nil {
			t.Fatal(err)
		}
		call := func(method, path, token, body string) (int, map[string]any) {
			req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
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
		if code, m := call("POST", "/api/v1/collectives", "", `{"slug":"alpes","name":"Alpes","scope":"regional"}`); code != 401 {
			t.Fatalf("create without token: %d %v", code, m)
		}
		if code, m := call("POST", "/api/v1/collectives", tok, `{"slug":"Alpes!","name":"Alpes","scope":"regional"}`); code != 422 || m["error"].(map[string]any)["field"] != "slug" {
			t.Fatalf("bad slug: %d %v", code, m)
		}
		if code, m := call("POST", "/api/v1/collectives", tok, `{"slug":"alpes","name":"Alpes","scope":"regional"}`); code != 201 || m["slug"] != "alpes" {
			t.Fatalf("create: %d %v", code, m)
		}
		code, m := call("GET", "/api/v1/collectives", "", "")
		if code != 200 || m["total"].(float64) != 1 || m["next"] != nil {
			t.Fatalf("list: %d %v", code, m)
		}
		if code, m := call("POST", "/api/v1/collectives/alpes/groups", tok, `{"slug":"cyber","name":"Cyber","join_policy":"approval","visibility":"members"}`); code != 201 {
			t.Fatalf("create group: %d %v", code, m)
		}
		// Members-only groups are not listed to visitors.
		if code, m := call("GET", "/api/v1/collectives/alpes/groups", "", ""); code != 200 || m["total"].(float64) != 0 {
			t.Fatalf("groups for a visitor: %d %v", code, m)
		}
		if code, _ := call("GET", "/api/v1/collectives/alpes/members", "", ""); code != 401 {
			t.Fatalf("directory for a visitor: %d", code)
		}
		if code, m := call("GET", "/api/v1/collectives/alpes/members?cursor=%25%25", tok, ""); code != 422 || m["error"].(map[string]any)["field"] != "cursor" {
			t.Fatalf("bad cursor: %d %v", code, m)
		}
		code, m = call("GET", "/api/v1/organizations?q=echirolles", "", "")
		items, _ := m["items"].([]any)
		if code != 200 || len(items) == 0 {
			t.Fatalf("organizations: %d %v", code, m)
		}
		first := items[0].(map[string]any)
		if first["name"] != "Échirolles" || first["insee_code"] != "38151" || first["siren"] != "213801517" {
			t.Fatalf("first hit for echirolles = %v", first)
		}
		if code, _ := call("GET", "/api/v1/organizations", "", ""); code != 422 {
			t.Fatalf("organizations without q: %d", code)
		}
		if code, m := call("POST", "/api/v1/collectives/alpes/membership", "", `{"message":"x"}`); code != 401 {
			t.Fatalf("membership without token: %d %v", code, m)
		}
	})
}
