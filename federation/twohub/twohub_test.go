package twohub

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/account"
	"collectif/event"
	"collectif/model"
)

// TestTwoHubs federates a regional hub A (over TLS) and a national hub B
// end to end. The steps run in order on the same two hubs; a step that
// needs them federating goes before the block, the last one.
func TestTwoHubs(t *testing.T) {
	a, b := twoHubs(t)

	// A: the regional collective, an open working group and one whose
	// joining is by approval. B: the national collective.
	a.mustAPI(201, "POST", "/api/v1/collectives", map[string]any{"slug": "alpes", "name": "Collectif des Alpes", "scope": "regional"})
	a.mustAPI(201, "POST", "/api/v1/collectives/alpes/groups", map[string]any{"slug": "sig", "name": "Cartographie libre",
		"join_policy": "open", "visibility": "public"})
	a.mustAPI(201, "POST", "/api/v1/collectives/alpes/groups", map[string]any{"slug": "marches", "name": "Marchés publics",
		"join_policy": "approval", "visibility": "public"})
	b.mustAPI(201, "POST", "/api/v1/collectives", map[string]any{"slug": "national", "name": "Collectif national", "scope": "national"})

	var followAlpes, followMarches string
	t.Run("follow accepted at once, by handle over https", func(t *testing.T) {
		f := b.mustAPI(201, "POST", "/api/v1/collectives/national/following", map[string]any{"target": "@alpes@" + a.host})
		if f["remote_actor"] != a.base+"/c/alpes" || f["state"] != "pending" {
			t.Fatalf("follow = %v", f)
		}
		followAlpes = f["id"].(string)
		b.waitFollowing(t, "national", a.base+"/c/alpes", "accepted")
		// The Follow went to A over https, and B's administrators see it
		// delivered.
		waitFor(t, "B's delivery to A recorded as a success", func() (bool, string) {
			m := b.mustAPI(200, "GET", "/api/v1/admin/federation/deliveries", nil)
			items, _ := m["items"].([]any)
			for _, it := range items {
				if h := it.(map[string]any); h["host"] == a.host && h["last_success_at"] != nil {
					return true, ""
				}
			}
			return false, fmt.Sprint(items)
		})
		// A lists B's collective among the followers of its collective.
		waitFor(t, "A's collective followed by B's", func() (bool, string) {
			_, m := a.activity(a.base + "/c/alpes/followers")
			return fmt.Sprint(m["totalItems"]) == "1", fmt.Sprint(m)
		})
	})

	t.Run("follow of an approval group waits for A's moderator", func(t *testing.T) {
		f := b.mustAPI(201, "POST", "/api/v1/collectives/national/following", map[string]any{"target": "alpes_marches@" + a.host})
		followMarches = f["id"].(string)
		mod := a.login("admin@a.example", adminPassword)
		var body string
		waitFor(t, "the follow in A's moderation queue", func() (bool, string) {
			_, body = mod.get("/c/alpes/federation")
			return strings.Contains(body, b.base+"/c/national"), body
		})
		if got := b.following(t, "national", a.base+"/c/alpes/g/marches"); got != "pending" {
			t.Fatalf("before A's moderator decides, the follow is %q", got)
		}
		id := followRequestID(t, body)
		if code, _ := mod.post("/c/alpes/federation", "/c/alpes/federation/follows/"+id, url.Values{"decision": {"accept"}}); code != 200 {
			t.Fatalf("accepting the follow = %d", code)
		}
		b.waitFollowing(t, "national", a.base+"/c/alpes/g/marches", "accepted")
	})

	t.Run("A follows B back", func(t *testing.T) {
		a.mustAPI(201, "POST", "/api/v1/collectives/alpes/following", map[string]any{"target": "@national@" + b.host})
		a.waitFollowing(t, "alpes", b.base+"/c/national", "accepted")
	})

	// What A publishes appears on B's collective page, under "Du réseau",
	// attributed to its origin.
	var topicID string
	t.Run("a topic of A's open group appears on B", func(t *testing.T) {
		a.mustAPI(200, "POST", "/api/v1/collectives/alpes/groups/sig/join", nil)
		m := a.mustAPI(201, "POST", "/api/v1/collectives/alpes/groups/sig/topics",
			map[string]any{"title": "Serveur de tuiles mutualisé", "body": "Qui héberge **OpenStreetMap** pour sa région ?"})
		topicID = m["id"].(string)
		b.pageHas("/c/national", "Du réseau", "Serveur de tuiles mutualisé", "<strong>OpenStreetMap</strong>",
			"Cartographie libre", "sur "+a.host, `href="`+a.base+"/c/alpes/g/sig/t/"+topicID+`"`)
	})

	t.Run("an edit on A updates it on B", func(t *testing.T) {
		a.mustAPI(200, "PATCH", "/api/v1/topics/"+topicID, map[string]any{"body": "Qui héberge **OpenStreetMap** ? Le syndicat mixte propose le sien."})
		b.pageHas("/c/national", "Serveur de tuiles mutualisé", "Le syndicat mixte propose le sien.")
	})

	t.Run("replies on A to its topic appear under it on B", func(t *testing.T) {
		r := a.mustAPI(201, "POST", "/api/v1/topics/"+topicID+"/replies", map[string]any{"body": "Le **syndicat mixte** en héberge un."})
		a.mustAPI(201, "POST", "/api/v1/topics/"+topicID+"/replies", map[string]any{"body": "Lequel ?", "parent_id": r["id"]})
		body := b.pageHas("/c/national", "Réponses sur le réseau", "<strong>syndicat mixte</strong>", "Lequel ?")
		// Under the topic, oldest first, not as posts of their own.
		topic := strings.Index(body, "Serveur de tuiles mutualisé")
		first, second := strings.Index(body, "syndicat mixte</strong>"), strings.Index(body, "Lequel ?")
		if topic < 0 || !(topic < first && first < second) || strings.Count(body, "Réponses sur le réseau") != 1 {
			t.Fatalf("the replies are not under their topic, in order, on B's page")
		}
	})

	t.Run("a topic of the approval group appears on B", func(t *testing.T) {
		a.mustAPI(200, "POST", "/api/v1/collectives/alpes/groups/marches/join", nil)
		a.mustAPI(201, "POST", "/api/v1/collectives/alpes/groups/marches/topics",
			map[string]any{"title": "Clausier pour l'hébergement", "body": "Un modèle de clauses."})
		b.pageHas("/c/national", "Clausier pour l&#39;hébergement", "Marchés publics")
	})

	t.Run("a deletion on A removes it from B", func(t *testing.T) {
		a.mustAPI(204, "DELETE", "/api/v1/topics/"+topicID, nil)
		b.pageLacks("/c/national", "Serveur de tuiles mutualisé")
	})

	t.Run("an event of A appears on B with its place and date", func(t *testing.T) {
		ctx := context.Background()
		year := time.Now().Year() + 1
		start := time.Date(year, 3, 12, 8, 0, 0, 0, time.UTC) // 9 h in Paris
		ev, err := a.h.Events.Create(ctx, a.admin(), "alpes", event.Input{Title: "Rencontre régionale du libre",
			Summary: "Une journée d'ateliers", Description: "Programme **riche**.", StartsAt: start, EndsAt: start.Add(7 * time.Hour),
			Venue: "Hôtel de région", Address: "1 place des Libertés, 38000 Grenoble"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.h.Events.Publish(ctx, a.admin(), ev.ID); err != nil {
			t.Fatal(err)
		}
		b.pageHas("/c/national", "Rencontre régionale du libre", "Hôtel de région", "1 place des Libertés",
			fmt.Sprintf("12 mars %d", year), fmt.Sprintf(`datetime="%d-03-12T08:00:00Z"`, year))
	})

	t.Run("a resource of A appears on B", func(t *testing.T) {
		a.mustAPI(201, "POST", "/api/v1/resources", map[string]any{"collective": "alpes", "title": "Guide de migration vers Nextcloud",
			"summary": "Étapes et retours d'expérience", "body": "Commencer par **les agendas**.", "type": "guide"})
		b.pageHas("/c/national", "Guide de migration vers Nextcloud", "<strong>les agendas</strong>", "Collectif des Alpes")
	})

	t.Run("members of B reply to a topic of A from B's page and API", func(t *testing.T) {
		m := a.mustAPI(201, "POST", "/api/v1/collectives/alpes/groups/sig/topics",
			map[string]any{"title": "Tableur ou base de données ?", "body": "Pour l'inventaire des postes."})
		topicPath := "/c/alpes/g/sig/t/" + m["id"].(string)
		topicIRI := a.base + topicPath
		b.pageHas("/c/national", "Tableur ou base de données ?")

		// Camille is a member of B who did not publish her profile on the
		// fediverse: her reply is the collective's, naming whom it answers.
		b.member(t, "camille@ville.example", "Camille Martin", false)
		br := b.login("camille@ville.example", adminPassword)
		code, page := br.post("/c/national", "/c/national/reseau/repondre", url.Values{"object": {topicIRI}, "body": {"Une base **PostgreSQL**, sans hésiter."}})
		if code != 200 || !strings.Contains(page, "<strong>PostgreSQL</strong>") || !strings.Contains(page, "Camille Martin") {
			t.Fatalf("reply from B's page = %d\n%s", code, page)
		}
		// An empty reply is refused on the page, with its message.
		if code, page := br.post("/c/national", "/c/national/reseau/repondre", url.Values{"object": {topicIRI}, "body": {"  "}}); code != 422 ||
			!strings.Contains(page, "la réponse est vide") {
			t.Fatalf("an empty reply = %d", code)
		}
		// Dominique published hers: her reply is her own Person's.
		dominique := b.member(t, "dominique@ville.example", "Dominique Petit", true)
		code, r := b.api("POST", "/api/v1/collectives/national/network/replies", dominique.token,
			map[string]any{"object": topicIRI, "body": "Un tableur partagé suffit pour commencer."})
		if code != 201 || r["actor"] != b.base+"/u/"+dominique.id || r["in_reply_to"] != topicIRI {
			t.Fatalf("reply through B's API = %d %v", code, r)
		}
		// Someone who is not a member of B's collective may not.
		outsider := b.member(t, "ext@ailleurs.example", "Externe", false)
		if err := b.h.Collectives.Leave(context.Background(), access.Account(outsider.id, false), "national"); err != nil {
			t.Fatal(err)
		}
		if code, _ := b.api("POST", "/api/v1/collectives/national/network/replies", outsider.token,
			map[string]any{"object": topicIRI, "body": "Moi aussi."}); code != 403 {
			t.Fatalf("a reply by someone who left the collective = %d, want 403", code)
		}

		// On A, both appear under the topic, attributed to their authors.
		a.pageHas(topicPath, "Réponses du réseau", "<strong>PostgreSQL</strong>", "Collectif national",
			"Un tableur partagé suffit pour commencer.", "Dominique Petit", b.host)
		// On B, under the topic it answers.
		b.pageHas("/c/national", "Un tableur partagé suffit pour commencer.", "Dominique Petit", "Camille Martin")
		// Its IRI serves the Note.
		if code, note := b.activity(r["iri"].(string)); code != 200 || note["type"] != "Note" || note["inReplyTo"] != topicIRI {
			t.Fatalf("GET %v = %d %v", r["iri"], code, note)
		}

		// Dominique deletes her account with her content: her reply goes,
		// on B and on A (a Delete of it); Camille's stays.
		if err := b.h.Accounts.Delete(context.Background(), access.Account(dominique.id, false), dominique.id, false); err != nil {
			t.Fatal(err)
		}
		a.pageLacks(topicPath, "Un tableur partagé suffit pour commencer.")
		a.pageHas(topicPath, "<strong>PostgreSQL</strong>")
		b.pageLacks("/c/national", "Un tableur partagé suffit pour commencer.")
		if code, _ := b.activity(r["iri"].(string)); code != 410 {
			t.Fatalf("GET of the deleted reply = %d, want 410", code)
		}
	})

	t.Run("unfollowing sends Undo and A forgets the follower", func(t *testing.T) {
		waitFor(t, "B among the followers of A's approval group", func() (bool, string) {
			_, m := a.activity(a.base + "/c/alpes/g/marches/followers")
			return fmt.Sprint(m["totalItems"]) == "1", fmt.Sprint(m)
		})
		b.mustAPI(204, "DELETE", "/api/v1/collectives/national/following/"+followMarches, nil)
		if got := b.following(t, "national", a.base+"/c/alpes/g/marches"); got != "" {
			t.Fatalf("B still lists its follow of the group: %q", got)
		}
		waitFor(t, "A forgetting B as a follower of its approval group", func() (bool, string) {
			_, m := a.activity(a.base + "/c/alpes/g/marches/followers")
			return fmt.Sprint(m["totalItems"]) == "0", fmt.Sprint(m)
		})
	})

	t.Run("a block of A by B refuses A's activities and stops B's", func(t *testing.T) {
		b.mustAPI(201, "POST", "/api/v1/admin/federation/blocks", map[string]any{"host": a.host, "reason": "essai"})
		// Inbound: what A sends is refused with 403, and A's administrators
		// see it among their delivery errors; B's page does not show it.
		a.mustAPI(201, "POST", "/api/v1/collectives/alpes/groups/sig/topics",
			map[string]any{"title": "Après le blocage", "body": "Ceci ne doit pas passer."})
		waitFor(t, "A's delivery to B refused with 403", func() (bool, string) {
			m := a.mustAPI(200, "GET", "/api/v1/admin/federation/deliveries", nil)
			items, _ := m["items"].([]any)
			for _, it := range items {
				h := it.(map[string]any)
				if h["host"] != b.host {
					continue
				}
				errs, _ := h["recent_errors"].([]any)
				for _, e := range errs {
					if e.(map[string]any)["status"] == float64(403) {
						return true, ""
					}
				}
			}
			return false, fmt.Sprint(items)
		})
		if _, body := b.page("/c/national"); strings.Contains(body, "Après le blocage") {
			t.Fatal("B shows what A sent after the block")
		}
		// Outbound: A's collective no longer follows B's, and B refuses
		// to follow anything on A.
		_, m := b.activity(b.base + "/c/national/followers")
		if fmt.Sprint(m["totalItems"]) != "0" {
			t.Fatalf("B's collective still has followers on A: %v", m)
		}
		if code, m := b.api("POST", "/api/v1/collectives/national/following", b.token, map[string]any{"target": "@alpes@" + a.host}); code != 422 ||
			!strings.Contains(fmt.Sprint(m), "bloquée") {
			t.Fatalf("following A after the block = %d %v", code, m)
		}
	})
	_ = followAlpes
}

// following is the state of a follow of a collective of n, as its API
// lists it ("" when there is none).
func (n *node) following(t *testing.T, slug, remote string) string {
	t.Helper()
	m := n.mustAPI(200, "GET", "/api/v1/collectives/"+slug+"/following", nil)
	items, _ := m["items"].([]any)
	for _, it := range items {
		f := it.(map[string]any)
		if f["remote_actor"] == remote {
			return f["state"].(string)
		}
	}
	return ""
}

func (n *node) waitFollowing(t *testing.T, slug, remote, state string) {
	t.Helper()
	waitFor(t, n.name+"'s follow of "+remote+" "+state, func() (bool, string) {
		got := n.following(t, slug, remote)
		return got == state, got
	})
}

var followFormRE = regexp.MustCompile(`action="/c/[^/]+/federation/follows/([^"]+)"`)

// followRequestID is the first follow request of a moderation page.
func followRequestID(t *testing.T, body string) string {
	t.Helper()
	m := followFormRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no follow request on the moderation page:\n%s", body)
	}
	return m[1]
}

// member is an account of a hub, member of its collective.
type member struct{ id, token string }

// member creates an account (password adminPassword) that is a member of
// n's collective "national", with the fediverse profile on or off.
func (n *node) member(t *testing.T, email, name string, federated bool) member {
	t.Helper()
	ctx := context.Background()
	acc, err := n.h.Accounts.CreateLocal(ctx, access.System(), account.NewLocal{Email: email, Name: name, Password: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.h.Collectives.Join(ctx, access.System(), "national", acc.ID, model.RoleMember); err != nil {
		t.Fatal(err)
	}
	if federated {
		if err := n.h.Accounts.SetFederated(ctx, access.Account(acc.ID, false), acc.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	tok, _, err := n.h.Accounts.CreateToken(ctx, access.System(), acc.ID, "twohub", "read,write")
	if err != nil {
		t.Fatal(err)
	}
	return member{id: acc.ID, token: tok}
}
