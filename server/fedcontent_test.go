package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/discussion"
	"collectif/event"
	"collectif/federation"
	"collectif/jobs"
	"collectif/resource"
	"collectif/store"
	"collectif/store/storetest"
)

// waitSent waits until the outbox holds n activities and returns them.
func (fr *fedRig) waitSent(n int) []sent {
	fr.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if got := fr.out.all(); len(got) >= n {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	fr.t.Fatalf("%d activities sent, want %d: %+v", len(fr.out.all()), n, fr.out.all())
	return nil
}

func obj(s sent) map[string]any {
	o, _ := s.Activity["object"].(map[string]any)
	return o
}

// TestFederationContentSent: a remote actor follows a public group and the
// collective; a topic, a reply, an edit, a deletion, a resource and an
// event of public places reach its shared inbox once each as Create,
// Update and Delete; the documents are served on the pages' URLs and
// listed in the outbox; a topic of a members-only group is never sent.
func TestFederationContentSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fr := newFedRig(t, db, fedOptions{})
		rs := newRemote(t, "127.0.0.2", false)
		group, coll := fr.base+"/c/alpes/g/sig", fr.base+"/c/alpes"
		for _, target := range []string{group, coll} {
			if code, body := rs.post(target+"/inbox", rs.activity("Follow", target), asJSON, nil); code != http.StatusAccepted {
				t.Fatalf("follow: %d %s", code, body)
			}
			fr.waitState(target, rs.actor, "accepted")
		}
		accepts := len(fr.waitSent(2))
		admin := fr.user("admin@hub.example", true)
		p := access.Account(admin.ID, true)
		q, err := jobs.New(db, nil, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ds := discussion.New(discussion.Deps{DB: db, Queue: q})

		// A topic of the members-only group: nothing goes out.
		if _, err := ds.CreateTopic(ctx, p, "alpes", "prive", discussion.NewTopic{Title: "Secret", Body: "Entre nous."}); err != nil {
			t.Fatal(err)
		}
		topic, err := ds.CreateTopic(ctx, p, "alpes", "sig", discussion.NewTopic{Title: "Serveur de tuiles", Body: "Qui héberge **OSM** ?"})
		if err != nil {
			t.Fatal(err)
		}
		got := fr.waitSent(accepts + 1)
		c := got[accepts]
		page := obj(c)
		topicIRI := group + "/t/" + topic.TopicID
		if c.Actor != group || c.Activity["type"] != "Create" || c.Activity["actor"] != group || c.Activity["audience"] != group ||
			page["type"] != "Page" || page["name"] != "Serveur de tuiles" || page["id"] != topicIRI || page["url"] != topicIRI ||
			!strings.Contains(page["content"].(string), "<strong>OSM</strong>") || page["attributedTo"] != group {
			t.Fatalf("create = %+v", c)
		}
		// One delivery to the remote server's shared inbox for both follows.
		if len(c.Inboxes) != 1 || c.Inboxes[0] != rs.base+"/inbox" {
			t.Fatalf("inboxes = %v", c.Inboxes)
		}
		waitFor(t, func() bool { code, _, _ := getASStatus(t, topicIRI, nil, asJSON); return code == 200 })
		doc := getAS(t, topicIRI, nil)
		if doc["type"] != "Page" || doc["name"] != "Serveur de tuiles" {
			t.Fatalf("served = %v", doc)
		}
		out := getAS(t, group+"/outbox?page=1", nil)
		if items, _ := out["orderedItems"].([]any); out["totalItems"] != float64(1) || len(items) != 1 {
			t.Fatalf("outbox = %v", out)
		}

		reply, err := ds.Reply(ctx, p, topic.TopicID, discussion.NewReply{Body: "Le syndicat."})
		if err != nil {
			t.Fatal(err)
		}
		got = fr.waitSent(accepts + 2)
		note := obj(got[accepts+1])
		if got[accepts+1].Activity["type"] != "Create" || note["type"] != "Note" || note["inReplyTo"] != topicIRI ||
			note["id"] != topicIRI+"/r/"+reply.Post.ID {
			t.Fatalf("reply = %+v", got[accepts+1])
		}

		// A reply from the other server, whose actor no collective follows,
		// is kept with the thread it answers.
		remoteReply := rs.base + "/notes/" + reply.Post.ID
		if code, body := rs.post(fr.base+"/inbox", rs.activity("Create", map[string]any{"id": remoteReply, "type": "Note",
			"attributedTo": rs.actor, "inReplyTo": topicIRI + "/r/" + reply.Post.ID, "content": "<p>Chez nous aussi.</p>"}), asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("remote reply: %d %s", code, body)
		}
		waitFor(t, func() bool {
			rr, err := fr.fed.RemoteReplies(ctx, topicIRI)
			return err == nil && len(rr) == 1 && rr[0].IRI == remoteReply && rr[0].AuthorName == "Alice"
		})

		title := "Serveur de tuiles vectorielles"
		if _, err := ds.EditTopic(ctx, p, topic.TopicID, discussion.TopicEdit{Title: &title}); err != nil {
			t.Fatal(err)
		}
		// The edit sends an Update of the topic (the reply's document did
		// not change: nothing is sent for it).
		got = fr.waitSent(accepts + 3)
		if u := got[accepts+2]; u.Activity["type"] != "Update" || obj(u)["name"] != title {
			t.Fatalf("update = %+v", u)
		}
		if _, err := ds.DeleteTopic(ctx, p, topic.TopicID); err != nil {
			t.Fatal(err)
		}
		// The topic and its reply are deleted.
		got = fr.waitSent(accepts + 5)
		var deleted []string
		for _, s := range got[accepts+3:] {
			if s.Activity["type"] != "Delete" || obj(s)["type"] != "Tombstone" {
				t.Fatalf("delete = %+v", s)
			}
			deleted = append(deleted, obj(s)["id"].(string))
		}
		if len(deleted) != 2 || (deleted[0] != topicIRI && deleted[1] != topicIRI) {
			t.Fatalf("deleted %v", deleted)
		}
		waitFor(t, func() bool { code, _, _ := getASStatus(t, topicIRI, nil, asJSON); return code == http.StatusGone })
		n := len(fr.out.all())

		rsvc := resource.New(resource.Deps{DB: db, Dir: t.TempDir(), Queue: q})
		res, err := rsvc.Create(ctx, p, resource.NewResource{Collective: "alpes", Fields: resource.Fields{Title: "Guide QGIS",
			Summary: "Pour débuter", Body: "Un *guide*.", Type: "guide", Tags: []string{"sig"}, Link: "https://qgis.org/"}})
		if err != nil {
			t.Fatal(err)
		}
		got = fr.waitSent(n + 1)
		r := got[n]
		if r.Actor != coll || obj(r)["type"] != "Article" || obj(r)["name"] != "Guide QGIS" || obj(r)["id"] != coll+"/r/"+res.ID {
			t.Fatalf("resource = %+v", r)
		}
		waitFor(t, func() bool { code, _, _ := getASStatus(t, coll+"/r/"+res.ID, nil, asJSON); return code == 200 })
		if doc := getAS(t, coll+"/r/"+res.ID, nil); doc["type"] != "Article" {
			t.Fatalf("resource served = %v", doc)
		}

		es := event.New(event.Deps{DB: db, Queue: q})
		start := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Hour)
		ev, err := es.Create(ctx, p, "alpes", event.Input{Title: "Rencontre SIG", Summary: "Une journée", Description: "Programme **riche**.",
			StartsAt: start, EndsAt: start.Add(6 * time.Hour), Venue: "Hôtel de région", Address: "1 place de la Préfecture, Grenoble", Capacity: 50})
		if err != nil {
			t.Fatal(err)
		}
		// A draft is not served (nor sent: the one activity below is the
		// Create of the published event).
		if code, _, _ := getASStatus(t, fr.base+"/evenements/"+ev.ID, nil, asJSON); code != http.StatusNotFound {
			t.Fatalf("draft served: %d", code)
		}
		if err := es.Publish(ctx, p, ev.ID); err != nil {
			t.Fatal(err)
		}
		got = fr.waitSent(n + 2)
		e := obj(got[n+1])
		loc, _ := e["location"].(map[string]any)
		addr, _ := loc["address"].(map[string]any)
		if e["type"] != "Event" || e["name"] != "Rencontre SIG" || e["url"] != fr.base+"/evenements/"+ev.ID || e["ical:status"] != "CONFIRMED" ||
			e["maximumAttendeeCapacity"] != float64(50) || e["remainingAttendeeCapacity"] != float64(50) || e["timezone"] != "Europe/Paris" ||
			loc["type"] != "Place" || addr["type"] != "PostalAddress" || addr["streetAddress"] != "1 place de la Préfecture, Grenoble" {
			t.Fatalf("event = %+v", e)
		}
		waitFor(t, func() bool {
			code, _, _ := getASStatus(t, fr.base+"/evenements/"+ev.ID, nil, asJSON)
			return code == 200
		})
		if doc := getAS(t, fr.base+"/evenements/"+ev.ID, nil); doc["type"] != "Event" {
			t.Fatalf("event served = %v", doc)
		}
		if all := fr.out.all(); len(all) != n+2 || all[n+1].Activity["type"] != "Create" {
			t.Fatalf("sent for the event: %+v", all[n+1:])
		}
	})
}

// TestFederationFollowingAPI: an administrator makes a collective follow a
// remote actor by handle through the API; the Follow goes to its inbox,
// its Accept makes the follow accepted, DELETE sends the Undo. Members may
// not.
func TestFederationFollowingAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fr := newFedRig(t, db, fedOptions{})
		rs := newRemote(t, "127.0.0.4", false)
		admin := fr.user("admin@hub.example", true)
		member := fr.user("membre@hub.example", false)
		adminTok, _, err := fr.accounts.CreateToken(ctx, access.System(), admin.ID, "admin", "write")
		if err != nil {
			t.Fatal(err)
		}
		memberTok, _, err := fr.accounts.CreateToken(ctx, access.System(), member.ID, "outil", "write")
		if err != nil {
			t.Fatal(err)
		}
		call := func(tok, method, path, body string) (int, map[string]any) {
			t.Helper()
			req, _ := http.NewRequest(method, fr.base+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			p := newBrowser(t).do(req)
			var m map[string]any
			_ = json.Unmarshal([]byte(p.body), &m)
			return p.status, m
		}
		if code, _ := call(memberTok, "POST", "/api/v1/collectives/alpes/following", `{"target":"@alice@`+rs.host()+`"}`); code != 403 {
			t.Fatalf("a member follows: %d", code)
		}
		if code, m := call(adminTok, "POST", "/api/v1/collectives/alpes/following", `{"target":"@nobody@`+rs.host()+`"}`); code != 422 {
			t.Fatalf("unknown handle: %d %v", code, m)
		}
		code, f := call(adminTok, "POST", "/api/v1/collectives/alpes/following", `{"target":"@alice@`+rs.host()+`"}`)
		if code != 201 || f["state"] != "pending" || f["remote_actor"] != rs.actor {
			t.Fatalf("follow: %d %v", code, f)
		}
		sentF := fr.waitSent(1)[0]
		if sentF.Activity["type"] != "Follow" || sentF.Activity["object"] != rs.actor || sentF.Inboxes[0] != rs.actor+"/inbox" ||
			sentF.Activity["id"] != f["follow_id"] {
			t.Fatalf("follow sent = %+v", sentF)
		}
		accept := rs.activity("Accept", map[string]any{"id": f["follow_id"], "type": "Follow", "actor": fr.base + "/c/alpes", "object": rs.actor})
		if code, body := rs.post(fr.base+"/c/alpes/inbox", accept, asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("accept: %d %s", code, body)
		}
		waitFor(t, func() bool {
			_, l := call(adminTok, "GET", "/api/v1/collectives/alpes/following", "")
			items, _ := l["items"].([]any)
			return len(items) == 1 && items[0].(map[string]any)["state"] == "accepted"
		})
		if code, _ := call(adminTok, "DELETE", "/api/v1/collectives/alpes/following/"+f["id"].(string), ""); code != 204 {
			t.Fatalf("unfollow: %d", code)
		}
		undo := fr.waitSent(2)[1]
		if undo.Activity["type"] != "Undo" || obj(undo)["id"] != f["follow_id"] {
			t.Fatalf("undo = %+v", undo)
		}
		if _, l := call(adminTok, "GET", "/api/v1/collectives/alpes/following", ""); len(l["items"].([]any)) != 0 {
			t.Fatalf("after unfollow: %v", l)
		}
	})
}

// TestFederationContentReceived: a note from an actor the collective
// follows is stored sanitized and shown on the collective's page under "Du
// réseau", attributed to its origin; Update, Like and Delete follow;
// content from an actor nobody follows is dropped. (The payloads other
// servers publish: TestFederationGoldenPayloads.)
func TestFederationContentReceived(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fr := newFedRig(t, db, fedOptions{})
		rs := newRemote(t, "127.0.0.5", false)
		coll := fr.base + "/c/alpes"
		stored := func(iri string) *federation.RemoteObject {
			var o federation.RemoteObject
			if err := db.R.NewSelect().Model(&o).Where("iri = ?", iri).Scan(ctx); err != nil {
				return nil
			}
			return &o
		}
		load := func(name string) []byte {
			b, err := os.ReadFile(filepath.Join("testdata", "content", name))
			if err != nil {
				t.Fatal(err)
			}
			return []byte(strings.ReplaceAll(string(b), "BASE", rs.base))
		}
		// Not followed yet: dropped.
		early := rs.base + "/notes/early"
		if code, body := rs.post(fr.base+"/inbox", rs.activity("Create", map[string]any{"id": early, "type": "Note", "content": "tôt",
			"attributedTo": rs.actor}), asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("%d %s", code, body)
		}
		waitFor(t, func() bool {
			var st []string
			_ = db.R.NewSelect().TableExpr("river_job").Column("state").Where("kind = 'federation.inbox'").Scan(ctx, &st)
			return len(st) == 1 && st[0] == "completed"
		})
		if stored(early) != nil {
			t.Fatal("content of an actor nobody follows was stored")
		}
		if _, err := db.W.NewInsert().Model(&federation.Following{ID: "01J00000000000000000000001", LocalActor: coll, RemoteActor: rs.actor,
			FollowID: coll + "#follows/1", State: "accepted", CreatedAt: time.Now(), UpdatedAt: time.Now()}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		// A note written by us in Mastodon's shape, with markup that must
		// not survive (the payloads other servers publish are in
		// TestFederationGoldenPayloads).
		if code, body := rs.post(fr.base+"/inbox", load("hostile-written.json"), asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("%d %s", code, body)
		}
		note := rs.actor + "/statuses/103414747617403211"
		waitFor(t, func() bool { return stored(note) != nil })
		m := stored(note)
		if m.Type != "Note" || strings.Contains(m.Content, "<script") || strings.Contains(m.Content, "<img") || strings.Contains(m.Content, "onerror") ||
			!strings.Contains(m.Content, `class="u-url mention"`) || !strings.Contains(m.Tags, `"Mention"`) || !strings.Contains(m.Tags, "#logiciellibre") ||
			m.URL != rs.base+"/@alice/103414747617403211" || m.AuthorName != "Alice" || m.OriginActor != rs.actor {
			t.Fatalf("mastodon note = %+v", m)
		}

		// Update, Like, Delete.
		upd := load("hostile-written.json")
		upd = []byte(strings.Replace(strings.Replace(string(upd), `"type": "Create"`, `"type": "Update"`, 1), "Bonne année", "Message corrigé", 1))
		upd = []byte(strings.Replace(string(upd), `/activity"`, `/update"`, 1))
		if code, _ := rs.post(fr.base+"/inbox", upd, asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		waitFor(t, func() bool { o := stored(note); return o != nil && strings.Contains(o.Content, "Message corrigé") })
		if code, _ := rs.post(fr.base+"/inbox", rs.activity("Like", note), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		waitFor(t, func() bool { o := stored(note); return o != nil && o.Likes == 1 })

		b := newBrowser(t)
		p := b.get(coll)
		if p.status != 200 || !strings.Contains(p.body, "Du réseau") || !strings.Contains(p.body, "Message corrigé") ||
			!strings.Contains(p.body, rs.host()) || !strings.Contains(p.body, "Alice") || strings.Contains(p.body, "alert(") {
			t.Fatalf("collective page: %d\n%s", p.status, p.body)
		}

		del := rs.activity("Delete", map[string]any{"id": note, "type": "Tombstone"})
		if code, _ := rs.post(fr.base+"/inbox", del, asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		waitFor(t, func() bool { return stored(note) == nil })
	})
}
