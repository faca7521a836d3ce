package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/discussion"
	"collectif/event"
	"collectif/federation"
	"collectif/jobs"
	"collectif/model"
	"collectif/server"
	"collectif/store"
	"collectif/store/storetest"
)

// sentOfType waits until the outbox holds an activity of typ sent to
// inbox and returns the last one.
func (fr *fedRig) sentOfType(typ, inbox string) sent {
	fr.t.Helper()
	var found *sent
	waitFor(fr.t, func() bool {
		for _, s := range fr.out.all() {
			if s.Activity["type"] == typ && len(s.Inboxes) == 1 && s.Inboxes[0] == inbox {
				found = &s
			}
		}
		return found != nil
	})
	return *found
}

func (fr *fedRig) countOfType(typ, inbox string) int {
	n := 0
	for _, s := range fr.out.all() {
		if s.Activity["type"] == typ && len(s.Inboxes) == 1 && s.Inboxes[0] == inbox {
			n++
		}
	}
	return n
}

// remoteStatus is the status of a remote actor's registration to an
// event, "" when there is none.
func (fr *fedRig) remoteStatus(eventID, actor string) string {
	var st []string
	err := fr.db.R.NewSelect().Model((*model.Registration)(nil)).Column("status").
		Where("event_id = ? AND remote_actor = ?", eventID, actor).OrderExpr("created_at DESC").Scan(context.Background(), &st)
	if err != nil {
		fr.t.Fatal(err)
	}
	if len(st) == 0 {
		return ""
	}
	return st[0]
}

// TestFederationJoinLeave: a remote actor Joins a published event and is
// registered without e-mail, answered with an Accept of its Join; the
// event's document counts it; a second remote actor, once the event is
// full, gets a Reject whose summary says why; the organizers' list shows
// the participant with its server; Leave and Undo{Join} cancel.
func TestFederationJoinLeave(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q, err := jobs.New(db, nil, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		es := event.New(event.Deps{DB: db, Queue: q})
		fr := newFedRig(t, db, fedOptions{deps: func(d *server.Deps) { d.Events = es }})
		alice := newRemote(t, "127.0.0.4", false)
		bob := newRemote(t, "127.0.0.5", false)
		admin := fr.user("admin@hub.example", true)
		p := access.Account(admin.ID, true)
		fr.fed.SetEvents(es)
		start := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Hour)
		ev, err := es.Create(ctx, p, "alpes", event.Input{Title: "Install party", Summary: "Linux pour tous",
			StartsAt: start, EndsAt: start.Add(3 * time.Hour), Venue: "Médiathèque", Capacity: 2})
		if err != nil {
			t.Fatal(err)
		}
		if err := es.Publish(ctx, p, ev.ID); err != nil {
			t.Fatal(err)
		}
		iri := fr.base + "/evenements/" + ev.ID
		waitFor(t, func() bool { code, _, _ := getASStatus(t, iri, nil, asJSON); return code == 200 })
		if _, err := es.Register(ctx, access.Anonymous(), ev.ID, event.Registrant{Name: "Léa Durand", Email: "lea@mairie.example",
			Category: "collectivity", Consent: true}); err != nil {
			t.Fatal(err)
		}

		// A Join by alice: registered, Accept of the Join.
		join := alice.activity("Join", iri)
		var jm map[string]any
		json.Unmarshal(join, &jm)
		if code, body := alice.post(fr.base+"/inbox", join, asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("join: %d %s", code, body)
		}
		acc := fr.sentOfType("Accept", alice.actor+"/inbox")
		o := obj(acc)
		if acc.Actor != fr.base+"/c/alpes" || o["id"] != jm["id"] || o["type"] != "Join" || o["object"] != iri || o["actor"] != alice.actor {
			t.Fatalf("accept = %+v", acc)
		}
		// (the outbox records the Accept inside the transaction: wait for it to commit)
		waitFor(t, func() bool { return fr.remoteStatus(ev.ID, alice.actor) == "confirmed" })
		// The event's document counts her (an Update follows the change).
		waitFor(t, func() bool {
			doc := getAS(t, iri, nil)
			return doc["participantCount"] == float64(2) && doc["remainingAttendeeCapacity"] == float64(0)
		})

		// Organizers see her, with her server, and no address.
		list, err := es.Attendees(ctx, p, ev.ID, event.AttendeeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var seen bool
		for _, a := range list.Items {
			if a.RemoteActor == alice.actor {
				seen = a.Name == "Alice" && a.RemoteHost() == alice.host() && a.Email == ""
			}
		}
		if !seen {
			t.Fatalf("alice is not on the organizers' list: %+v", list.Items)
		}
		b := newBrowser(t)
		b.login(fr.base, "admin@hub.example", "un mot de passe long")
		pg := b.get(fr.base + "/evenements/" + ev.ID + "/inscrits")
		if pg.status != 200 || !strings.Contains(pg.body, `<a href="`+alice.actor+`" rel="nofollow noopener">Alice</a> (fédivers, `+alice.host()+`)`) {
			t.Fatalf("attendees page: %d, alice not shown with her server:\n%s", pg.status, pg.body)
		}

		// The event is full: bob is refused, with the reason.
		if code, body := bob.post(fr.base+"/c/alpes/inbox", bob.activity("Join", map[string]any{"id": iri, "type": "Event"}), asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("join: %d %s", code, body)
		}
		rej := fr.sentOfType("Reject", bob.actor+"/inbox")
		if rej.Activity["summary"] != "l'événement est complet" || obj(rej)["type"] != "Join" {
			t.Fatalf("reject = %+v", rej)
		}
		if st := fr.remoteStatus(ev.ID, bob.actor); st != "" {
			t.Fatalf("bob registered: %q", st)
		}

		// alice leaves: her place is free, the count follows; bob joins and
		// undoes his Join.
		if code, _ := alice.post(fr.base+"/inbox", alice.activity("Leave", iri), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		waitFor(t, func() bool { return fr.remoteStatus(ev.ID, alice.actor) == "cancelled" })
		waitFor(t, func() bool { return getAS(t, iri, nil)["participantCount"] == float64(1) })
		join = bob.activity("Join", iri)
		json.Unmarshal(join, &jm)
		if code, _ := bob.post(fr.base+"/inbox", join, asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		fr.sentOfType("Accept", bob.actor+"/inbox")
		waitFor(t, func() bool { return fr.remoteStatus(ev.ID, bob.actor) == "confirmed" })
		if code, _ := bob.post(fr.base+"/inbox", bob.activity("Undo", jm), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		waitFor(t, func() bool { return fr.remoteStatus(ev.ID, bob.actor) == "cancelled" })
		if n := fr.countOfType("Accept", bob.actor+"/inbox"); n != 1 {
			t.Fatalf("%d Accepts sent to bob, want 1", n)
		}
	})
}

// TestFederationLikes: Likes of one of our topics are counted once per
// actor and shown on its page; Undo{Like} takes one back. The same holds
// for a stored remote object.
func TestFederationLikes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q, err := jobs.New(db, nil, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ds := discussion.New(discussion.Deps{DB: db, Queue: q})
		fr := newFedRig(t, db, fedOptions{deps: func(d *server.Deps) { d.Discussions = ds }})
		alice := newRemote(t, "127.0.0.4", false)
		bob := newRemote(t, "127.0.0.5", false)
		admin := fr.user("admin@hub.example", true)
		p := access.Account(admin.ID, true)
		topic, err := ds.CreateTopic(ctx, p, "alpes", "sig", discussion.NewTopic{Title: "Serveur de tuiles", Body: "Qui héberge OSM ?"})
		if err != nil {
			t.Fatal(err)
		}
		iri := fr.base + "/c/alpes/g/sig/t/" + topic.TopicID
		waitFor(t, func() bool { code, _, _ := getASStatus(t, iri, nil, asJSON); return code == 200 })
		likes := func() int {
			n, err := fr.fed.Likes(ctx, iri)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		aliceLike := alice.activity("Like", iri)
		for _, b := range [][]byte{aliceLike, alice.activity("Like", iri), bob.activity("Like", iri)} {
			rs := alice
			if bytes.Contains(b, []byte(bob.actor)) {
				rs = bob
			}
			if code, body := rs.post(fr.base+"/inbox", b, asJSON, nil); code != http.StatusAccepted {
				t.Fatalf("like: %d %s", code, body)
			}
		}
		waitFor(t, func() bool { return likes() == 2 && fr.received() == 3 })
		time.Sleep(200 * time.Millisecond) // the second Like of alice is processed too
		if n := likes(); n != 2 {
			t.Fatalf("%d likes, want 2 (one per actor)", n)
		}
		pg := newBrowser(t).get(iri)
		if pg.status != 200 || !strings.Contains(pg.body, "2 mentions J'aime du réseau") {
			t.Fatalf("topic page: %d, no likes shown:\n%s", pg.status, pg.body)
		}
		var lm map[string]any
		json.Unmarshal(aliceLike, &lm)
		if code, _ := alice.post(fr.base+"/inbox", alice.activity("Undo", lm), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		waitFor(t, func() bool { return likes() == 1 })

		// A stored remote object: counted, and taken back.
		note := federation.RemoteObject{IRI: alice.base + "/notes/1", OriginActor: alice.actor, Author: alice.actor, Type: "Note",
			Content: "<p>Bonjour</p>", Tags: "[]", PublishedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
		if _, err := db.W.NewInsert().Model(&note).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		stored := func() int {
			var o federation.RemoteObject
			if err := db.R.NewSelect().Model(&o).Where("iri = ?", note.IRI).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			return o.Likes
		}
		bobLike := bob.activity("Like", note.IRI)
		json.Unmarshal(bobLike, &lm)
		bob.post(fr.base+"/inbox", bobLike, asJSON, nil)
		waitFor(t, func() bool { return stored() == 1 })
		bob.post(fr.base+"/inbox", bob.activity("Undo", lm["id"]), asJSON, nil) // by id only
		waitFor(t, func() bool { return stored() == 0 })
	})
}

// TestFederationRemoteRepliesSetting: a group's moderator unticks
// "accept replies from the fediverse" on the federation page; a remote
// reply to a thread of that group is then recorded and ignored; ticked
// again, the next one is shown.
func TestFederationRemoteRepliesSetting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fr := newFedRig(t, db, fedOptions{})
		rs := newRemote(t, "127.0.0.4", false)
		admin := fr.user("admin@hub.example", true)
		p := access.Account(admin.ID, true)
		q, err := jobs.New(db, nil, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ds := discussion.New(discussion.Deps{DB: db, Queue: q})
		topic, err := ds.CreateTopic(ctx, p, "alpes", "sig", discussion.NewTopic{Title: "Serveur de tuiles", Body: "Qui héberge OSM ?"})
		if err != nil {
			t.Fatal(err)
		}
		iri := fr.base + "/c/alpes/g/sig/t/" + topic.TopicID
		waitFor(t, func() bool { code, _, _ := getASStatus(t, iri, nil, asJSON); return code == 200 })

		b := newBrowser(t)
		b.login(fr.base, "admin@hub.example", "un mot de passe long")
		pg := b.get(fr.base + "/c/alpes/federation")
		if pg.status != 200 || !strings.Contains(pg.body, `id="rr-sig" name="remote_replies" value="on" checked`) {
			t.Fatalf("federation page: %d, the setting is not shown ticked:\n%s", pg.status, pg.body)
		}
		pg = b.post(fr.base+"/c/alpes/federation/groups/sig/replies", url.Values{"_csrf": {pg.csrf(t)}})
		if pg.status != 200 || !strings.Contains(pg.body, "Réglage enregistré") || strings.Contains(pg.body, `id="rr-sig" name="remote_replies" value="on" checked`) {
			t.Fatalf("setting off: %d\n%s", pg.status, pg.body)
		}

		reply := func(n string) {
			t.Helper()
			if code, body := rs.post(fr.base+"/inbox", rs.activity("Create", map[string]any{"id": rs.base + "/notes/" + n, "type": "Note",
				"attributedTo": rs.actor, "inReplyTo": iri, "content": "<p>Chez nous aussi.</p>"}), asJSON, nil); code != http.StatusAccepted {
				t.Fatalf("remote reply: %d %s", code, body)
			}
		}
		reply("1")
		waitFor(t, func() bool {
			n, err := db.R.NewSelect().TableExpr("river_job").Where("kind = 'federation.inbox' AND state = 'completed'").Count(ctx)
			return err == nil && n == 1
		})
		if rr, err := fr.fed.RemoteReplies(ctx, iri); err != nil || len(rr) != 0 || fr.received() != 1 {
			t.Fatalf("refused reply stored: %v %v (received %d)", rr, err, fr.received())
		}

		pg = b.post(fr.base+"/c/alpes/federation/groups/sig/replies", url.Values{"_csrf": {pg.csrf(t)}, "remote_replies": {"on"}})
		if pg.status != 200 {
			t.Fatal(pg.status)
		}
		reply("2")
		waitFor(t, func() bool {
			rr, err := fr.fed.RemoteReplies(ctx, iri)
			return err == nil && len(rr) == 1 && rr[0].IRI == rs.base+"/notes/2"
		})

		// A member who moderates nothing may not change it.
		fr.user("membre@hub.example", false)
		m := newBrowser(t)
		m.login(fr.base, "membre@hub.example", "un mot de passe long")
		lp := m.get(fr.base + "/account")
		if pg := m.post(fr.base+"/c/alpes/federation/groups/sig/replies", url.Values{"_csrf": {lp.csrf(t)}}); pg.status != http.StatusForbidden {
			t.Fatalf("member: %d", pg.status)
		}
	})
}

// TestFederationActorIcon: every actor has an icon, a PNG served at a
// stable URL, the same on every fetch and different from one actor to
// another.
func TestFederationActorIcon(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fr := newFedRig(t, db, fedOptions{})
		var seen []string
		for _, iri := range []string{fr.base + "/c/alpes", fr.base + "/c/alpes/g/sig", fr.base + "/actor"} {
			doc := getAS(t, iri, nil)
			icon, _ := doc["icon"].(map[string]any)
			u, _ := icon["url"].(string)
			if icon["type"] != "Image" || icon["mediaType"] != "image/png" || !strings.HasPrefix(u, fr.base+"/icons/") {
				t.Fatalf("%s: icon = %v", iri, doc["icon"])
			}
			var bodies [2][]byte
			for i := range bodies {
				resp, err := http.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				bodies[i], _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
					t.Fatalf("%s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
				}
			}
			img, err := png.Decode(bytes.NewReader(bodies[0]))
			if err != nil || img.Bounds().Dx() != img.Bounds().Dy() || img.Bounds().Dx() < 100 || !bytes.Equal(bodies[0], bodies[1]) {
				t.Fatalf("%s: not a stable square PNG: %v", u, err)
			}
			for _, s := range seen {
				if s == string(bodies[0]) {
					t.Fatalf("%s: same icon as another actor", iri)
				}
			}
			seen = append(seen, string(bodies[0]))
		}
		// A members-only group has no icon, as it is no actor.
		resp, err := http.Get(fr.base + "/icons/alpes_prive.png")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("icon of a members-only group: %d", resp.StatusCode)
		}
	})
}

// TestFederationBlockPurge: blocking an instance hides what was received
// from it and keeps it; blocking with "also delete what was received"
// deletes it, with the likes and the actors of that instance.
func TestFederationBlockPurge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fr := newFedRig(t, db, fedOptions{})
		rs := newRemote(t, "127.0.0.6", false)
		other := newRemote(t, "127.0.0.7", false)
		thread := fr.base + "/c/alpes/g/sig/t/01J0000000000000000000000T"
		now := time.Now().UTC().Truncate(time.Second)
		for _, r := range []*remoteServer{rs, other} {
			o := federation.RemoteObject{IRI: r.base + "/notes/1", OriginActor: r.actor, Author: r.actor, Type: "Note", InReplyTo: thread,
				Content: "<p>Réponse</p>", Tags: "[]", PublishedAt: now, UpdatedAt: now}
			if _, err := db.W.NewInsert().Model(&o).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			// Its actor is known to the hub (fetched when its Like arrives).
			if code, body := r.post(fr.base+"/inbox", r.activity("Like", o.IRI), asJSON, nil); code != http.StatusAccepted {
				t.Fatalf("like: %d %s", code, body)
			}
		}
		likes := func() int {
			n, err := db.R.NewSelect().TableExpr("federation_likes").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		waitFor(t, func() bool { return likes() == 2 })
		replies := func() []string {
			rr, err := fr.fed.RemoteReplies(ctx, thread)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rr {
				out = append(out, r.IRI)
			}
			return out
		}
		stored := func() int {
			n, err := db.R.NewSelect().TableExpr("remote_objects").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}

		if known, err := db.R.NewSelect().TableExpr("remote_actors").Where("iri = ?", rs.actor).Exists(ctx); err != nil || !known {
			t.Fatalf("the remote actor is not known: %v", err)
		}
		fr.user("admin@hub.example", true)
		b := newBrowser(t)
		b.login(fr.base, "admin@hub.example", "un mot de passe long")
		pg := b.get(fr.base + "/admin/federation")
		if !strings.Contains(pg.body, `name="purge"`) {
			t.Fatalf("no purge checkbox:\n%s", pg.body)
		}
		// Blocked, not purged: hidden, kept.
		pg = b.post(fr.base+"/admin/federation/blocks", url.Values{"_csrf": {pg.csrf(t)}, "host": {"127.0.0.6"}, "reason": {"spam"}})
		if pg.status != 200 {
			t.Fatalf("block: %d", pg.status)
		}
		if got := replies(); len(got) != 1 || got[0] != other.base+"/notes/1" || stored() != 2 || likes() != 2 {
			t.Fatalf("after block: shown %v, stored %d, likes %d", got, stored(), likes())
		}
		// Unblocked, then blocked again with purge: deleted.
		pg = b.post(fr.base+"/admin/federation/blocks/127.0.0.6/delete", url.Values{"_csrf": {pg.csrf(t)}})
		if got := replies(); pg.status != 200 || len(got) != 2 {
			t.Fatalf("after unblock: %d, shown %v", pg.status, got)
		}
		pg = b.post(fr.base+"/admin/federation/blocks", url.Values{"_csrf": {pg.csrf(t)}, "host": {"127.0.0.6"}, "purge": {"on"}})
		if pg.status != 200 {
			t.Fatalf("block with purge: %d", pg.status)
		}
		known, err := db.R.NewSelect().TableExpr("remote_actors").Where("iri = ?", rs.actor).Exists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := replies(); len(got) != 1 || stored() != 1 || likes() != 1 || known {
			t.Fatalf("after purge: shown %v, stored %d, likes %d, actor known %v", got, stored(), likes(), known)
		}
	})
}

// TestFederationFollowPage: an instance administrator makes the collective
// follow a remote actor from its federation page: the Follow is sent, the
// list shows it pending, then accepted once the remote Accepts; a bad
// handle is refused with the form kept; "Ne plus suivre" sends the Undo.
func TestFederationFollowPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fr := newFedRig(t, db, fedOptions{})
		rs := newRemote(t, "127.0.0.8", false)
		fr.user("admin@hub.example", true)
		b := newBrowser(t)
		b.login(fr.base, "admin@hub.example", "un mot de passe long")
		pg := b.get(fr.base + "/c/alpes/federation")
		if pg.status != 200 || !strings.Contains(pg.body, "Le collectif ne suit encore personne.") {
			t.Fatalf("federation page: %d\n%s", pg.status, pg.body)
		}
		bad := b.post(fr.base+"/c/alpes/federation/following", url.Values{"_csrf": {pg.csrf(t)}, "target": {"pas une adresse"}})
		if bad.status != http.StatusUnprocessableEntity && bad.status != http.StatusBadRequest || !strings.Contains(bad.body, `value="pas une adresse"`) ||
			!strings.Contains(bad.body, "indiquez un acteur par son adresse") {
			t.Fatalf("bad target: %d\n%s", bad.status, bad.body)
		}
		pg = b.post(fr.base+"/c/alpes/federation/following", url.Values{"_csrf": {pg.csrf(t)}, "target": {"@alice@" + rs.host()}})
		if pg.status != 200 || !strings.Contains(pg.body, "Demande d&#39;abonnement envoyée.") || !strings.Contains(pg.body, rs.actor) ||
			!strings.Contains(pg.body, "en attente") {
			t.Fatalf("after follow: %d\n%s", pg.status, pg.body)
		}
		follow := fr.sentOfType("Follow", rs.actor+"/inbox")
		if code, body := rs.post(fr.base+"/c/alpes/inbox", rs.activity("Accept", follow.Activity), asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("accept: %d %s", code, body)
		}
		waitFor(t, func() bool { return strings.Contains(b.get(fr.base+"/c/alpes/federation").body, "accepté") })
		pg = b.get(fr.base + "/c/alpes/federation")
		m := regexp.MustCompile(`action="(/c/alpes/federation/following/[^"]+/delete)"`).FindStringSubmatch(pg.body)
		if m == nil {
			t.Fatalf("no unfollow button:\n%s", pg.body)
		}
		pg = b.post(fr.base+m[1], url.Values{"_csrf": {pg.csrf(t)}})
		if pg.status != 200 || !strings.Contains(pg.body, "Le collectif ne suit encore personne.") {
			t.Fatalf("after unfollow: %d\n%s", pg.status, pg.body)
		}
		undo := fr.sentOfType("Undo", rs.actor+"/inbox")
		if o := obj(undo); o["id"] != follow.Activity["id"] {
			t.Fatalf("undo = %+v", undo)
		}
	})
}

// TestFederationBans: a remote actor is banned from a group through the
// API: its follow and its reply are removed, its next follow is refused
// and its next reply ignored; the federation page lists the bans, bans by
// URL and lifts a ban; members may not.
func TestFederationBans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fr := newFedRig(t, db, fedOptions{})
		alice := newRemote(t, "127.0.0.9", false)
		bob := newRemote(t, "127.0.0.10", false)
		admin := fr.user("admin@hub.example", true)
		member := fr.user("membre@hub.example", false)
		p := access.Account(admin.ID, true)
		q, err := jobs.New(db, nil, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ds := discussion.New(discussion.Deps{DB: db, Queue: q})
		topic, err := ds.CreateTopic(ctx, p, "alpes", "sig", discussion.NewTopic{Title: "Serveur de tuiles", Body: "Qui héberge OSM ?"})
		if err != nil {
			t.Fatal(err)
		}
		group := fr.base + "/c/alpes/g/sig"
		iri := group + "/t/" + topic.TopicID
		waitFor(t, func() bool { code, _, _ := getASStatus(t, iri, nil, asJSON); return code == 200 })
		if code, _ := alice.post(group+"/inbox", alice.activity("Follow", group), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		fr.waitState(group, alice.actor, "accepted")
		reply := func(n string) {
			t.Helper()
			if code, body := alice.post(fr.base+"/inbox", alice.activity("Create", map[string]any{"id": alice.base + "/notes/" + n, "type": "Note",
				"attributedTo": alice.actor, "inReplyTo": iri, "content": "<p>Achetez !</p>"}), asJSON, nil); code != http.StatusAccepted {
				t.Fatalf("reply: %d %s", code, body)
			}
		}
		replies := func() int {
			rr, err := fr.fed.RemoteReplies(ctx, iri)
			if err != nil {
				t.Fatal(err)
			}
			return len(rr)
		}
		reply("1")
		waitFor(t, func() bool { return replies() == 1 })

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
			pg := newBrowser(t).do(req)
			var m map[string]any
			_ = json.Unmarshal([]byte(pg.body), &m)
			return pg.status, m
		}
		const api = "/api/v1/collectives/alpes/federation/bans"
		target := `{"target":"@alice@` + alice.host() + `","group":"sig","reason":"spam"}`
		if code, _ := call(memberTok, "POST", api, target); code != http.StatusForbidden {
			t.Fatalf("a member bans: %d", code)
		}
		if code, m := call(adminTok, "POST", api, `{"target":"pas une adresse"}`); code != http.StatusUnprocessableEntity {
			t.Fatalf("bad target: %d %v", code, m)
		}
		code, ban := call(adminTok, "POST", api, target)
		if code != http.StatusCreated || ban["remote_actor"] != alice.actor || ban["local_actor"] != group {
			t.Fatalf("ban: %d %v", code, ban)
		}
		if st := fr.followerState(group, alice.actor); st != "" || replies() != 0 {
			t.Fatalf("after the ban: follow %q, %d replies", st, replies())
		}
		// She is told that her follow ended: a Reject of it, from the group.
		rej := fr.sentOfType("Reject", alice.actor+"/inbox")
		if o := obj(rej); rej.Actor != group || o["type"] != "Follow" || o["actor"] != alice.actor || o["object"] != group {
			t.Fatalf("Reject sent on the ban = %+v", rej)
		}
		// Her next follow is refused, her next reply ignored.
		if code, _ := alice.post(group+"/inbox", alice.activity("Follow", group), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		waitFor(t, func() bool { return fr.countOfType("Reject", alice.actor+"/inbox") == 2 })
		reply("2")
		waitFor(t, func() bool {
			n, err := db.R.NewSelect().TableExpr("river_job").Where("kind = 'federation.inbox' AND state <> 'completed'").Count(ctx)
			return err == nil && n == 0
		})
		if st := fr.followerState(group, alice.actor); st != "" || replies() != 0 {
			t.Fatalf("banned actor: follow %q, %d replies", st, replies())
		}
		code, list := call(adminTok, "GET", api, "")
		items, _ := list["items"].([]any)
		if code != 200 || len(items) != 1 || items[0].(map[string]any)["handle"] != "@alice@"+alice.host() {
			t.Fatalf("list: %d %v", code, list)
		}

		// The page: the list, a ban by URL from the collective, a ban lifted.
		b := newBrowser(t)
		b.login(fr.base, "admin@hub.example", "un mot de passe long")
		pg := b.get(fr.base + "/c/alpes/federation")
		if !strings.Contains(pg.body, "@alice@"+alice.host()) || !strings.Contains(pg.body, "Lever le bannissement") {
			t.Fatalf("federation page: no ban listed:\n%s", pg.body)
		}
		pg = b.post(fr.base+"/c/alpes/federation/bans", url.Values{"_csrf": {pg.csrf(t)}, "target": {bob.actor}, "group": {""}, "reason": {"bruit"}})
		if pg.status != 200 || !strings.Contains(pg.body, "Le compte est banni.") || !strings.Contains(pg.body, bob.actor) {
			t.Fatalf("ban by URL: %d\n%s", pg.status, pg.body)
		}
		m := regexp.MustCompile(`action="(/c/alpes/federation/bans/` + ban["id"].(string) + `/delete)"`).FindStringSubmatch(pg.body)
		if m == nil {
			t.Fatalf("no button to lift alice's ban:\n%s", pg.body)
		}
		pg = b.post(fr.base+m[1], url.Values{"_csrf": {pg.csrf(t)}})
		if pg.status != 200 || !strings.Contains(pg.body, "Le bannissement est levé.") || strings.Contains(pg.body, "@alice@"+alice.host()) {
			t.Fatalf("unban: %d\n%s", pg.status, pg.body)
		}
		// bob, banned from the collective, is refused by its groups too;
		// DELETE lifts his ban.
		if code, _ := bob.post(group+"/inbox", bob.activity("Follow", group), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		fr.sentOfType("Reject", bob.actor+"/inbox")
		_, list = call(adminTok, "GET", api, "")
		items, _ = list["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("list: %v", list)
		}
		if code, _ := call(adminTok, "DELETE", api+"/"+items[0].(map[string]any)["id"].(string), ""); code != http.StatusNoContent {
			t.Fatalf("delete: %d", code)
		}
		if _, list = call(adminTok, "GET", api, ""); len(list["items"].([]any)) != 0 {
			t.Fatalf("after delete: %v", list)
		}
	})
}
