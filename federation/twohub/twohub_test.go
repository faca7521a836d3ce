package twohub

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestTwoHubs federates a regional hub A (over TLS) and a national hub B
// end to end. The steps run in order on the same two hubs.
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
	_ = followAlpes
	_ = followMarches
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
