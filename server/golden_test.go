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
	"collectif/federation"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

// golden reads a payload published by another server (a byte copy of its
// source, named in the README next to it) and points it at the servers of
// the test: rewrites are pairs old, new applied to the text as read, in one
// pass, the first pair matching at a place winning (so a full IRI is listed
// before its host).
func golden(t *testing.T, path string, rewrites ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	out := []byte(strings.NewReplacer(rewrites...).Replace(string(b)))
	if !json.Valid(out) {
		t.Fatalf("%s: not JSON once rewritten:\n%s", path, out)
	}
	return out
}

// TestFederationGoldenPayloads: activities published by Mastodon, Lemmy,
// Mobilizon, Gancio, PeerTube and GoToSocial (testdata/content and
// testdata/activities, byte copies of their sources) are accepted by the
// inbox and do what they say: content of a followed actor stored with its
// name, text, link, place, start time and author; likes counted; deletions
// applied; reports in the moderators' queue; follows undone.
func TestFederationGoldenPayloads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fr := newFedRig(t, db, fedOptions{})
		coll := fr.base + "/c/alpes"
		group := coll + "/g/sig"
		stored := func(iri string) *federation.RemoteObject {
			var o federation.RemoteObject
			if err := db.R.NewSelect().Model(&o).Where("iri = ?", iri).Scan(ctx); err != nil {
				return nil
			}
			return &o
		}
		waitStored := func(t *testing.T, iri string) *federation.RemoteObject {
			t.Helper()
			waitFor(t, func() bool { return stored(iri) != nil })
			return stored(iri)
		}
		// follow makes the collective follow a remote actor (accepted), so
		// that its content is kept.
		follow := func(t *testing.T, rs *remoteServer) {
			t.Helper()
			id := model.NewID()
			if _, err := db.W.NewInsert().Model(&federation.Following{ID: id, LocalActor: coll, RemoteActor: rs.actor,
				FollowID: coll + "#follows/" + id, State: "accepted", CreatedAt: time.Now(), UpdatedAt: time.Now()}).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		deliver := func(t *testing.T, rs *remoteServer, inbox string, body []byte) {
			t.Helper()
			if code, msg := rs.post(inbox, body, asJSON, nil); code != http.StatusAccepted {
				t.Fatalf("%d %s\n%s", code, msg, body)
			}
		}
		report := func(t *testing.T, content string) federation.Report {
			t.Helper()
			var r federation.Report
			waitFor(t, func() bool {
				q, err := fr.fed.ModerationQueue(ctx, access.System(), "alpes")
				if err != nil {
					return false
				}
				for _, x := range q.Reports {
					if x.Content == content {
						r = x
						return true
					}
				}
				return false
			})
			return r
		}
		isDate := func(got time.Time, want string) bool {
			w, _ := time.Parse(time.RFC3339, want)
			return got.Equal(w)
		}

		t.Run("mastodon", func(t *testing.T) {
			rs := newRemote(t, "127.0.2.1", false)
			follow(t, rs)
			m := []string{"https://mastodon.madrid/users/felix", rs.actor, "https://mastodon.madrid", rs.base}
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/content/mastodon-create_note.json", m...))
			note := rs.actor + "/statuses/107224289116410645"
			o := waitStored(t, note)
			if o.Type != "Note" || !strings.Contains(o.Content, "i have never been disappointed by a thinkpad") ||
				!strings.Contains(o.Content, `class="u-url mention"`) || !strings.Contains(o.Tags, `"@retiolus@mamot.fr"`) ||
				o.URL != rs.base+"/@felix/107224289116410645" || o.Author != rs.actor || o.AuthorName != "Alice" ||
				o.InReplyTo != "https://mamot.fr/users/retiolus/statuses/107224244380204526" || !isDate(o.PublishedAt, "2021-11-05T11:46:50Z") {
				t.Errorf("note = %+v", o)
			}

			// Mastodon's documentation: a Note with a custom emoji, sent in
			// a Create by the test; no author, so the sender is the author.
			deliver(t, rs, fr.base+"/inbox", rs.activity("Create", json.RawMessage(golden(t, "testdata/content/mastodon-docs-emoji-note.json",
				"https://example.com", rs.base))))
			if o := waitStored(t, rs.base+"/@alice/hello-world"); o.Type != "Note" || o.Content != "Hello world :kappa:" || o.Author != rs.actor || o.Tags != "[]" {
				t.Errorf("emoji note = %+v", o)
			}

			// The Like of the test names the note just stored (the source
			// likes a Lemmy post).
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/activities/mastodon-like_page.json",
				append([]string{"https://ds9.lemmy.ml/post/147", note}, m...)...))
			waitFor(t, func() bool { o := stored(note); return o != nil && o.Likes == 1 })

			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/activities/mastodon-flag.json",
				"https://mastodon.example/actor", rs.actor, "https://example.com/users/1", coll, "https://example.com/posts/", group+"/t/"))
			if r := report(t, "Please take a look at this user and their posts"); r.LocalActor != coll || r.RemoteActor != rs.actor ||
				!strings.Contains(r.Objects, group+"/t/380591") {
				t.Errorf("report = %+v", r)
			}

			// The Delete of the test names the note stored above.
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/activities/mastodon-delete.json",
				append([]string{"107773559874184870", "107224289116410645"}, m...)...))
			waitFor(t, func() bool { return stored(note) == nil })
		})

		t.Run("mastodon follows", func(t *testing.T) {
			rs := newRemote(t, "127.0.2.7", false)
			deliver(t, rs, coll+"/inbox", golden(t, "../federation/testdata/follows/mastodon.json",
				"https://social.tcit.fr/users/tcit", rs.actor, "https://social.tcit.fr", rs.base, "http://localtesting.pleroma.lol/users/lain", coll))
			fr.waitState(coll, rs.actor, "accepted")
			deliver(t, rs, coll+"/inbox", golden(t, "testdata/activities/mastodon-undo_follow.json",
				"https://masto.asonix.dog/users/asonix", rs.actor, "https://masto.asonix.dog", rs.base, "https://ds9.lemmy.ml/c/testcom", coll))
			fr.waitState(coll, rs.actor, "")

			// An account deleting itself is forgotten with its follows.
			deliver(t, rs, coll+"/inbox", rs.activity("Follow", coll))
			fr.waitState(coll, rs.actor, "accepted")
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/activities/mastodon-delete-user.json", "https://framapiaf.org/users/admin", rs.actor))
			fr.waitState(coll, rs.actor, "")
		})

		t.Run("lemmy", func(t *testing.T) {
			rs := newRemote(t, "127.0.2.2", false)
			follow(t, rs)
			l := []string{"http://ds9.lemmy.ml/u/lemmy_alpha", rs.actor, "http://ds9.lemmy.ml", rs.base}
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/content/lemmy-create_page.json", l...))
			post := rs.base + "/post/1"
			if o := waitStored(t, post); o.Type != "Page" || o.Name != "test post" || !strings.Contains(o.Content, "test body") ||
				o.Author != rs.actor || o.AuthorName != "Alice" || !isDate(o.PublishedAt, "2021-10-29T15:10:51.557399Z") {
				t.Errorf("page = %+v", o)
			}
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/content/lemmy-create_note.json", l...))
			comment := rs.base + "/comment/1"
			if o := waitStored(t, comment); o.Type != "Note" || o.Content != "hello" || o.InReplyTo != post {
				t.Errorf("comment = %+v", o)
			}
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/activities/lemmy-like_note.json", l...))
			waitFor(t, func() bool { o := stored(comment); return o != nil && o.Likes == 1 })
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/activities/lemmy-delete_page.json", l...))
			waitFor(t, func() bool { return stored(post) == nil })

			// A report of a post, its reason in summary, sent to the shared
			// inbox of the community it names in to.
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/activities/lemmy-report_page.json", append([]string{
				"http://enterprise.lemmy.ml/post/7", group + "/t/7", "http://enterprise.lemmy.ml/c/main", group,
				"http://enterprise.lemmy.ml/u/main", group}, l...)...))
			if r := report(t, "report this post"); r.LocalActor != group || !strings.Contains(r.Objects, group+"/t/7") {
				t.Errorf("report = %+v", r)
			}

			// The follow of a community, then its undoing.
			l = append(l, "http://enterprise.lemmy.ml/c/main", group)
			deliver(t, rs, group+"/inbox", golden(t, "../federation/testdata/follows/lemmy.json", l...))
			fr.waitState(group, rs.actor, "accepted")
			deliver(t, rs, group+"/inbox", golden(t, "testdata/activities/lemmy-undo_follow.json", l...))
			fr.waitState(group, rs.actor, "")
		})

		t.Run("lemmy community", func(t *testing.T) {
			rs := newRemote(t, "127.0.2.3", false)
			follow(t, rs)
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/content/lemmy-announce_create_page.json",
				"http://enterprise.lemmy.ml/c/main", rs.actor, "http://enterprise.lemmy.ml", rs.base))
			if o := waitStored(t, rs.base+"/post/7"); o.Type != "Page" || o.Name != "post 4" || o.Author != rs.base+"/u/lemmy_beta" || o.OriginActor != rs.actor {
				t.Errorf("announced page = %+v", o)
			}
		})

		t.Run("mobilizon", func(t *testing.T) {
			rs := newRemote(t, "127.0.2.4", false)
			follow(t, rs)
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/content/mobilizon-post-activity.json",
				"https://test.mobilizon.org/@Alicia", rs.actor, "https://test.mobilizon.org", rs.base))
			ev := rs.base + "/events/39026210-0c69-4238-b3cc-986f33f98ed0"
			if o := waitStored(t, ev); o.Type != "Event" || o.Name != "My first event" || o.URL != ev || !isDate(o.StartTime, "2018-02-12T14:08:20Z") ||
				o.Location != "Locaux de Framasoft, 10 Rue Jangot, 69007 Lyon, France" || !strings.Contains(o.Content, "tcit") || o.AuthorName != "Alice" {
				t.Errorf("event = %+v", o)
			}

			// An event of a Mobilizon group, published as an object: the
			// test sends it in the Create its group would.
			obj := golden(t, "testdata/content/mobilizon-event.json",
				"https://rendezvous.nomagic.uk/@devon_caledonian_society", rs.actor, "https://rendezvous.nomagic.uk", rs.base)
			deliver(t, rs, fr.base+"/inbox", rs.activity("Create", json.RawMessage(obj)))
			ev = rs.base + "/events/b81c0531-a57c-497d-93ba-af0f8b255498"
			if o := waitStored(t, ev); o.Type != "Event" || o.Name != "Caledonian scottish dance class" || !isDate(o.StartTime, "2022-12-11T19:00:00Z") ||
				o.Location != "The Kenn Centre, Devon Expressway, EX6 7TW Teignbridge, United Kingdom" || !strings.Contains(o.Tags, "#Dance") ||
				!strings.Contains(o.Content, "posh ceilidh") || o.Author != rs.actor {
				t.Errorf("group event = %+v", o)
			}
		})

		t.Run("gancio", func(t *testing.T) {
			rs := newRemote(t, "127.0.2.5", false)
			follow(t, rs)
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/content/gancio-event-activity.json",
				"https://demo.gancio.org/federation/u/gancio", rs.actor, "https://demo.gancio.org", rs.base))
			if o := waitStored(t, rs.base+"/federation/m/1"); o.Type != "Event" || o.Name != "Demo event" || o.URL != rs.base+"/event/demo-event" ||
				!isDate(o.StartTime, "2021-07-14T17:30:57+02:00") || o.Location != "Colosseo" || !strings.Contains(o.Content, "Colosseo") ||
				!strings.Contains(o.Tags, `"href":"`+rs.base+`/tags/test"`) {
				t.Errorf("gancio event = %+v", o)
			}
			// Written by us after Gancio's source: location.address a string.
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/content/gancio-written.json", "BASE", rs.base))
			if o := waitStored(t, rs.base+"/federation/m/123"); o.Location != "Tiers-lieu La Fabrique, 12 avenue de la Gare, Chambéry" || o.StartTime.IsZero() {
				t.Errorf("gancio event with an address = %+v", o)
			}
		})

		t.Run("peertube", func(t *testing.T) {
			rs := newRemote(t, "127.0.2.6", false)
			follow(t, rs)
			video := rs.base + "/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1"
			rs.serve("/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1", golden(t, "testdata/content/peertube-video.json", "https://tilvids.com", rs.base))
			// The channel announces the video the remote server serves (the
			// source announces another one).
			deliver(t, rs, fr.base+"/inbox", golden(t, "testdata/content/peertube-announce_video.json",
				"https://framatube.org/video-channels/joinpeertube", rs.actor,
				"https://framatube.org/videos/watch/60c4bea4-6bb2-4fce-8d9f-8a522575419d", video, "https://framatube.org", rs.base))
			if o := waitStored(t, video); o.Type != "Video" || !strings.HasPrefix(o.Name, "Mesa, Wayland & X.org in trouble") || o.URL != video ||
				o.Author != rs.base+"/accounts/thelinuxexperiment" || o.OriginActor != rs.actor || !strings.Contains(o.Content, "squarespace.com/thelinuxexperiment") ||
				!isDate(o.PublishedAt, "2025-02-01T11:59:45.094Z") {
				t.Errorf("video = %+v", o)
			}

			// PeerTube's own fixture: an Announce without @context, by an
			// account.
			rs2 := newRemote(t, "127.0.2.9", false)
			follow(t, rs2)
			video2 := rs2.base + "/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1"
			rs2.serve("/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1", golden(t, "testdata/content/peertube-video.json", "https://tilvids.com", rs2.base))
			deliver(t, rs2, fr.base+"/inbox", golden(t, "testdata/content/peertube-announce-without-context.json",
				"http://127.0.0.1:9002/accounts/peertube", rs2.actor,
				"http://127.0.0.1:9002/videos/watch/997111d4-e8d8-4f45-99d3-857905785d05", video2, "http://127.0.0.1:9002", rs2.base))
			if o := waitStored(t, video2); o.Type != "Video" || o.OriginActor != rs2.actor || o.URL != video2 {
				t.Errorf("video announced without @context = %+v", o)
			}
		})

		t.Run("gotosocial", func(t *testing.T) {
			rs := newRemote(t, "127.0.2.8", false)
			follow(t, rs)
			tag, err := os.ReadFile("testdata/content/gotosocial-tag.txt")
			if err != nil {
				t.Fatal(err)
			}
			// The documented note elides its replies and tag: the test fills
			// them with null and the documented single hashtag.
			g := []string{"http://example.org/users/i_p_freely", rs.actor, "http://example.org", rs.base,
				`"replies": {...}`, `"replies": null`, `"tag": {...}`, strings.TrimSpace(string(tag))}
			note := golden(t, "testdata/content/gotosocial-note.txt", g...)
			deliver(t, rs, fr.base+"/inbox", rs.activity("Create", json.RawMessage(note)))
			iri := rs.actor + "/statuses/01FF25D5Q0DH7CHD57CTRS6WK0"
			if o := waitStored(t, iri); o.Type != "Note" || o.Content != "<p>This is an example note.</p>" ||
				o.URL != rs.base+"/@i_p_freely/statuses/01FF25D5Q0DH7CHD57CTRS6WK0" || !strings.Contains(o.Tags, "#welcome") || o.AuthorName != "Alice" {
				t.Errorf("note = %+v", o)
			}
			edited := golden(t, "testdata/content/gotosocial-note.txt", append(g, "This is an example note.", "This is an edited note.")...)
			deliver(t, rs, fr.base+"/inbox", rs.activity("Update", json.RawMessage(edited)))
			waitFor(t, func() bool { o := stored(iri); return o != nil && o.Content == "<p>This is an edited note.</p>" })

			deliver(t, rs, coll+"/inbox", golden(t, "testdata/activities/gotosocial-flag.json", "http://example.org/users/example.org", rs.actor,
				"http://fossbros-anonymous.io/users/foss_satan/statuses/", group+"/t/", "http://fossbros-anonymous.io/users/foss_satan", coll))
			if r := report(t, "dark souls sucks, please yeet this nerd"); r.LocalActor != coll || !strings.Contains(r.Objects, group+"/t/01FVW7JHQFSFK166WWKR8CBA6M") {
				t.Errorf("report = %+v", r)
			}
		})

		// What was received shows on the collective's page, attributed.
		p := newBrowser(t).get(coll)
		for _, want := range []string{"Du réseau", "My first event", "Caledonian scottish dance class", "Demo event", "Mesa, Wayland &amp; X.org in trouble", "post 4"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("collective page lacks %q", want)
			}
		}
	})
}
