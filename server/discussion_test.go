package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/account"
	"collectif/collective"
	"collectif/directory"
	"collectif/discussion"
	"collectif/frontend"
	"collectif/jobs"
	"collectif/kv"
	"collectif/model"
	"collectif/server"
	"collectif/store"
	"collectif/store/storetest"
)

// discRig is a hub's web server with discussions, on loopback over a real
// database, holding the collective of the Alps and two working groups:
// poste-linux (public, open) and cyber (members only, on invitation).
type discRig struct {
	*rig
	disc *discussion.Service
	c    *model.Collective
}

// newDiscRig builds the server as newRig does, with the discussion
// service wired (rig_test.go builds it without). bodyLimit 0 keeps the
// server's default.
func newDiscRig(t *testing.T, db *store.DB, bodyLimit int) *discRig {
	t.Helper()
	ctx := context.Background()
	if _, err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	backend := kv.NewMemory(kv.Options{})
	t.Cleanup(func() { backend.Close() })
	dir := directory.New(db, refData(t))
	accounts := account.New(account.Deps{DB: db, Queue: q, Password: fastPasswords, Directory: dir})
	fe, err := frontend.New()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	disc := discussion.New(discussion.Deps{DB: db})
	cs := collective.New(db)
	srv := server.New(server.Deps{BaseURL: base, Frontend: fe, Collectives: cs, Accounts: accounts,
		Directory: dir, Discussions: disc, KV: backend, BodyLimit: bodyLimit})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })

	c, err := cs.Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Collectif des Alpes", Scope: model.ScopeRegional})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []collective.NewGroup{
		{Slug: "poste-linux", Name: "Poste de travail sous Linux", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic},
		{Slug: "cyber", Name: "Cellule cybersécurité", JoinPolicy: model.JoinInvitation, Visibility: model.VisibilityMembers},
	} {
		if _, err := cs.CreateGroup(ctx, access.System(), "alpes", g); err != nil {
			t.Fatal(err)
		}
	}
	return &discRig{rig: &rig{t: t, db: db, accounts: accounts, kv: backend, srv: srv, base: base.String()}, disc: disc, c: c}
}

// member creates an account that is an active member of the collective
// and, for each group slug given, of that group.
func (r *discRig) member(email, name string, groups ...string) *model.Account {
	r.t.Helper()
	ctx := context.Background()
	a, err := r.accounts.CreateLocal(ctx, access.System(), account.NewLocal{Email: email, Name: name, Password: "un mot de passe long"})
	if err != nil {
		r.t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := r.db.W.NewInsert().Model(&model.Membership{ID: model.NewID(), CollectiveID: r.c.ID, AccountID: a.ID, Role: model.RoleMember,
		Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}).Exec(ctx); err != nil {
		r.t.Fatal(err)
	}
	for _, slug := range groups {
		var g model.WorkingGroup
		if err := r.db.R.NewSelect().Model(&g).Where("slug = ?", slug).Scan(ctx); err != nil {
			r.t.Fatal(err)
		}
		if _, err := r.db.W.NewInsert().Model(&model.GroupMembership{ID: model.NewID(), GroupID: g.ID, AccountID: a.ID, Role: model.RoleMember,
			Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}).Exec(ctx); err != nil {
			r.t.Fatal(err)
		}
	}
	return a
}

func (r *discRig) token(a *model.Account, scope string) string {
	r.t.Helper()
	tok, _, err := r.accounts.CreateToken(context.Background(), access.Account(a.ID, false), a.ID, "outil", scope)
	if err != nil {
		r.t.Fatal(err)
	}
	return tok
}

func (r *discRig) count(table string) int {
	r.t.Helper()
	n, err := r.db.R.NewSelect().Table(table).Count(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return int(n)
}

// apiResp is an API answer as a client reads it.
type apiResp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a apiResp) errField() (code, field string) {
	e, _ := a.body["error"].(map[string]any)
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	return code, field
}

// call sends an API request with a bearer token (or none) and a JSON body.
func (r *discRig) call(method, path, token string, body any) apiResp {
	r.t.Helper()
	return r.callWith(http.DefaultClient, method, path, body, func(h http.Header) {
		if token != "" {
			h.Set("Authorization", "Bearer "+token)
		}
	})
}

func (r *discRig) callWith(client *http.Client, method, path string, body any, hdr func(http.Header)) apiResp {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, r.base+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hdr(req.Header)
	resp, err := client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := apiResp{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	json.Unmarshal(raw, &out.body)
	return out
}

var replyAnchorRE = regexp.MustCompile(`id="r-([0-9A-Z]{26})"`)

func TestDiscussionJourneyThroughPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newDiscRig(t, db, 0)
		r.member("camille@ville.example", "Camille Martin")
		r.member("dominique@ville.example", "Dominique Bernard")
		group := r.base + "/c/alpes/g/poste-linux"
		camille, dominique := newBrowser(t), newBrowser(t)
		camille.login(r.base, "camille@ville.example", "un mot de passe long")
		dominique.login(r.base, "dominique@ville.example", "un mot de passe long")

		// Join.
		p := camille.get(group)
		if p.status != 200 || !strings.Contains(p.body, "<h1>Poste de travail sous Linux</h1>") || !strings.Contains(p.body, "Rejoindre le groupe") {
			t.Fatalf("group page: %d\n%s", p.status, p.body)
		}
		if q := camille.post(group+"/join", url.Values{}); q.status != 403 || r.count("group_memberships") != 0 {
			t.Fatalf("join without the CSRF field: %d", q.status)
		}
		p = camille.post(group+"/join", url.Values{"_csrf": {p.csrf(t)}})
		if p.status != 200 || !strings.Contains(p.body, "Vous êtes membre du groupe.") || !strings.Contains(p.body, "Quitter le groupe") || !strings.Contains(p.body, "Ouvrir un sujet") {
			t.Fatalf("after joining: %d %s\n%s", p.status, p.url, p.body)
		}
		dp := dominique.get(group)
		dominique.post(group+"/join", url.Values{"_csrf": {dp.csrf(t)}})

		// Post a topic; a first try without a title.
		form := camille.get(group + "/new")
		if form.status != 200 || !strings.Contains(form.body, `name="title"`) {
			t.Fatalf("new topic form: %d\n%s", form.status, form.body)
		}
		p = camille.post(group+"/new", url.Values{"_csrf": {form.csrf(t)}, "title": {"  "}, "body": {"Quel **client mail** ?"}})
		if p.status != 422 || !strings.Contains(p.body, `id="title-error"`) || !strings.Contains(p.body, `aria-invalid="true" aria-describedby="title-error"`) ||
			!strings.Contains(p.body, "le titre est obligatoire") || !strings.Contains(p.body, "Quel **client mail** ?") || r.count("topics") != 0 {
			t.Fatalf("empty title: %d\n%s", p.status, p.body)
		}
		p = camille.post(group+"/new", url.Values{"_csrf": {form.csrf(t)}, "title": {"Thunderbird ou Evolution ?"},
			"body": {"Quel **client mail** ?\n\n<script>alert(1)</script>"}})
		if p.status != 200 || !strings.Contains(p.url, "/c/alpes/g/poste-linux/t/") || !strings.Contains(p.body, "Votre sujet est publié.") ||
			!strings.Contains(p.body, "<strong>client mail</strong>") || strings.Contains(p.body, "<script>alert") {
			t.Fatalf("topic: %d %s\n%s", p.status, p.url, p.body)
		}
		topic := p.url

		// Dominique replies; Camille answers the reply.
		tp := dominique.get(topic)
		p = dominique.post(topic+"/reply", url.Values{"_csrf": {tp.csrf(t)}, "body": {"Thunderbird, avec le connecteur SOGo."}})
		if p.status != 200 || !strings.Contains(p.body, "Votre réponse est publiée.") || !strings.Contains(p.body, "Thunderbird, avec le connecteur SOGo.") {
			t.Fatalf("reply: %d\n%s", p.status, p.body)
		}
		m := replyAnchorRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no reply anchor:\n%s", p.body)
		}
		first := m[1]
		notes := camille.get(r.base + "/notifications")
		if !strings.Contains(notes.body, "Dominique Bernard a répondu dans « Thunderbird ou Evolution ? »") || !strings.Contains(notes.body, "1 notification non lue") {
			t.Fatalf("Camille's notifications:\n%s", notes.body)
		}
		// The same notification on the English page.
		req, _ := http.NewRequest("GET", r.base+"/notifications", nil)
		req.Header.Set("Accept-Language", "en")
		if en := camille.do(req); !strings.Contains(en.body, "Dominique Bernard replied in “Thunderbird ou Evolution ?”") {
			t.Fatalf("Camille's notifications in English:\n%s", en.body)
		}
		p = camille.get(topic + "?repondre=" + first)
		if !strings.Contains(p.body, `name="parent_id" value="`+first+`"`) || !strings.Contains(p.body, "Répondre à Dominique Bernard") {
			t.Fatalf("answering a reply:\n%s", p.body)
		}
		p = camille.post(topic+"/reply", url.Values{"_csrf": {p.csrf(t)}, "parent_id": {first}, "body": {"Merci !"}})
		if p.status != 200 || !strings.Contains(p.body, `class="post reply d1"`) || !strings.Contains(p.body, `href="#r-`+first+`"`) {
			t.Fatalf("nested reply: %d\n%s", p.status, p.body)
		}
		// Camille reads her notification.
		notes = camille.get(r.base + "/notifications")
		id := regexp.MustCompile(`name="id" value="([0-9A-Z]{26})"`).FindStringSubmatch(notes.body)
		if id == nil {
			t.Fatalf("no mark-read form:\n%s", notes.body)
		}
		notes = camille.post(r.base+"/notifications/read", url.Values{"_csrf": {notes.csrf(t)}, "id": {id[1]}})
		if !strings.Contains(notes.body, "La notification est marquée comme lue.") || !strings.Contains(notes.body, "0 notification non lue") {
			t.Fatalf("after marking read:\n%s", notes.body)
		}
		notes = camille.post(r.base+"/notifications/settings", url.Values{"_csrf": {notes.csrf(t)}, "digest": {"on"}})
		if !strings.Contains(notes.body, "Vous recevrez chaque matin") || !strings.Contains(notes.body, `name="digest" checked`) {
			t.Fatalf("digest setting:\n%s", notes.body)
		}

		// Edit, with the history kept.
		if p := dominique.get(topic + "/edit"); p.status != 403 {
			t.Fatalf("another member edits: %d", p.status)
		}
		ed := camille.get(topic + "/edit")
		if ed.status != 200 || !strings.Contains(ed.body, `value="Thunderbird ou Evolution ?"`) {
			t.Fatalf("edit form: %d\n%s", ed.status, ed.body)
		}
		p = camille.post(topic+"/edit", url.Values{"_csrf": {ed.csrf(t)}, "title": {"Thunderbird ou Evolution ?"}, "body": {strings.Repeat("x", 300<<10)}})
		if p.status != 422 || !strings.Contains(p.body, `id="body-error"`) || !strings.Contains(p.body, `aria-describedby="body-error body-help"`) {
			t.Fatalf("a body over the limit: %d\n%s", p.status, p.body[:min(len(p.body), 3000)])
		}
		p = camille.post(topic+"/edit", url.Values{"_csrf": {ed.csrf(t)}, "title": {"Thunderbird ou Evolution ?"}, "body": {"Quel client de messagerie choisir ?"}})
		if p.status != 200 || !strings.Contains(p.body, "Le sujet est modifié") || !strings.Contains(p.body, `/history">modifié</a>`) {
			t.Fatalf("after edit: %d\n%s", p.status, p.body)
		}
		h := dominique.get(topic + "/history")
		if h.status != 200 || !strings.Contains(h.body, "Quel client de messagerie choisir ?") || !strings.Contains(h.body, "<strong>client mail</strong>") {
			t.Fatalf("history: %d\n%s", h.status, h.body)
		}

		// Dominique deletes his reply: a tombstone, the answer stays.
		del := dominique.get(topic + "/r/" + first + "/delete")
		if del.status != 200 || !strings.Contains(del.body, "Supprimer définitivement") {
			t.Fatalf("delete confirmation: %d\n%s", del.status, del.body)
		}
		p = dominique.post(topic+"/r/"+first+"/delete", url.Values{"_csrf": {del.csrf(t)}})
		if p.status != 200 || !strings.Contains(p.body, "La réponse est supprimée.") || !strings.Contains(p.body, "Message supprimé.") ||
			strings.Contains(p.body, "connecteur SOGo") || !strings.Contains(p.body, "Merci !") {
			t.Fatalf("after deleting the reply: %d\n%s", p.status, p.body)
		}
		// Camille deletes her topic: it stays listed for its replies.
		del = camille.get(topic + "/delete")
		p = camille.post(topic+"/delete", url.Values{"_csrf": {del.csrf(t)}})
		if p.status != 200 || p.url != group || !strings.Contains(p.body, "Le sujet est supprimé.") || !strings.Contains(p.body, "<em>Sujet supprimé</em>") {
			t.Fatalf("after deleting the topic: %d %s\n%s", p.status, p.url, p.body)
		}
		if p := camille.get(topic); !strings.Contains(p.body, "Message supprimé.") || !strings.Contains(p.body, "Merci !") || strings.Contains(p.body, "Publier la réponse") {
			t.Fatalf("the deleted topic's page:\n%s", p.body)
		}

		// Leave.
		gp := camille.get(group)
		p = camille.post(group+"/leave", url.Values{"_csrf": {gp.csrf(t)}})
		if p.status != 200 || !strings.Contains(p.body, "Vous ne faites plus partie du groupe.") {
			t.Fatalf("leave: %d\n%s", p.status, p.body)
		}
		// A visitor reads the public group and is asked to log in to take part.
		v := newBrowser(t).get(group)
		if v.status != 200 || !strings.Contains(v.body, "Connectez-vous</a> pour rejoindre") || strings.Contains(v.body, `name="_csrf"`) {
			t.Fatalf("a visitor's group page: %d\n%s", v.status, v.body)
		}
		if v := newBrowser(t).get(group + "/new"); !strings.Contains(v.url, "/login") {
			t.Fatalf("a visitor opening the new topic form ends on %s", v.url)
		}
	})
}

func TestDiscussionJourneyThroughAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newDiscRig(t, db, 0)
		camille := r.member("camille@ville.example", "Camille Martin")
		dominique := r.member("dominique@ville.example", "Dominique Bernard", "poste-linux")
		cw, dw, dr := r.token(camille, "read,write"), r.token(dominique, "read,write"), r.token(dominique, "read")
		const topics = "/api/v1/collectives/alpes/groups/poste-linux/topics"

		if a := r.call("POST", topics, "", map[string]string{"title": "x", "body": "y"}); a.status != 401 {
			t.Fatalf("create without token: %d %s", a.status, a.raw)
		}
		if a := r.call("POST", topics, cw, map[string]string{"title": "x", "body": "y"}); a.status != 403 {
			t.Fatalf("create before joining: %d %s", a.status, a.raw)
		}
		if a := r.call("POST", "/api/v1/collectives/alpes/groups/poste-linux/join", cw, nil); a.status != 200 || a.body["status"] != "active" {
			t.Fatalf("join: %d %s", a.status, a.raw)
		}
		if a := r.call("POST", "/api/v1/collectives/alpes/groups/poste-linux/join", cw, nil); a.status != 409 {
			t.Fatalf("join twice: %d %s", a.status, a.raw)
		}
		a := r.call("POST", topics, cw, map[string]string{"title": "Nextcloud mutualisé", "body": "Qui l'héberge **pour plusieurs communes** ?"})
		if a.status != 201 || a.body["title"] != "Nextcloud mutualisé" || !strings.Contains(a.body["html"].(string), "<strong>pour plusieurs communes</strong>") ||
			a.header.Get("Location") != a.body["url"] || !strings.HasPrefix(a.body["url"].(string), r.base+"/c/alpes/g/poste-linux/t/") {
			t.Fatalf("create: %d %s", a.status, a.raw)
		}
		id := a.body["id"].(string)

		if a := r.call("POST", "/api/v1/topics/"+id+"/replies", dr, map[string]string{"body": "Nous."}); a.status != 403 {
			t.Fatalf("reply with a read token: %d %s", a.status, a.raw)
		}
		a = r.call("POST", "/api/v1/topics/"+id+"/replies", dw, map[string]string{"body": "Le syndicat intercommunal."})
		if a.status != 201 || a.body["topic_id"] != id || a.body["parent_id"] != nil || a.body["depth"].(float64) != 0 {
			t.Fatalf("reply: %d %s", a.status, a.raw)
		}
		reply := a.body["id"].(string)
		a = r.call("POST", "/api/v1/topics/"+id+"/replies", cw, map[string]string{"body": "Lequel ?", "parent_id": reply})
		if a.status != 201 || a.body["parent_id"] != reply || a.body["depth"].(float64) != 1 {
			t.Fatalf("nested reply: %d %s", a.status, a.raw)
		}

		a = r.call("GET", topics, "", nil)
		items, _ := a.body["items"].([]any)
		if a.status != 200 || len(items) != 1 || a.body["total"].(float64) != 1 || a.body["next"] != nil {
			t.Fatalf("list: %d %s", a.status, a.raw)
		}
		if it := items[0].(map[string]any); it["id"] != id || it["reply_count"].(float64) != 2 || it["author"].(map[string]any)["name"] != "Camille Martin" {
			t.Fatalf("listed topic: %v", it)
		}

		title := "Nextcloud mutualisé entre communes"
		if a := r.call("PATCH", "/api/v1/topics/"+id, dw, map[string]string{"title": title}); a.status != 403 {
			t.Fatalf("another member edits: %d %s", a.status, a.raw)
		}
		a = r.call("PATCH", "/api/v1/topics/"+id, cw, map[string]string{"title": title})
		if a.status != 200 || a.body["title"] != title || a.body["edited_at"] == nil || !strings.Contains(a.body["body"].(string), "plusieurs communes") {
			t.Fatalf("edit: %d %s", a.status, a.raw)
		}
		if a := r.call("PATCH", "/api/v1/replies/"+reply, dw, map[string]string{"body": "Le SITIV."}); a.status != 200 || a.body["body"] != "Le SITIV." {
			t.Fatalf("edit reply: %d %s", a.status, a.raw)
		}
		if a := r.call("DELETE", "/api/v1/replies/"+reply, dw, nil); a.status != 204 {
			t.Fatalf("delete reply: %d %s", a.status, a.raw)
		}
		a = r.call("GET", "/api/v1/topics/"+id, dr, nil)
		rs, _ := a.body["replies"].([]any)
		if a.status != 200 || len(rs) != 2 {
			t.Fatalf("topic: %d %s", a.status, a.raw)
		}
		if r0 := rs[0].(map[string]any); r0["id"] != reply || r0["deleted"] != true || r0["body"] != "" || r0["html"] != "" {
			t.Fatalf("tombstone: %v", r0)
		}
		if r1 := rs[1].(map[string]any); r1["deleted"] != false || r1["body"] != "Lequel ?" {
			t.Fatalf("the answer to the deleted reply: %v", r1)
		}

		// Notifications.
		a = r.call("GET", "/api/v1/notifications", dr, nil)
		ns, _ := a.body["items"].([]any)
		if a.status != 200 || len(ns) != 1 || a.body["unread"].(float64) != 1 {
			t.Fatalf("Dominique's notifications: %d %s", a.status, a.raw)
		}
		n := ns[0].(map[string]any)
		if n["kind"] != "reply" || n["topic_id"] != id || n["actor"].(map[string]any)["name"] != "Camille Martin" || n["read_at"] != nil {
			t.Fatalf("notification: %v", n)
		}
		if a := r.call("POST", "/api/v1/notifications/"+n["id"].(string)+"/read", cw, nil); a.status != 404 {
			t.Fatalf("marking another's notification: %d %s", a.status, a.raw)
		}
		if a := r.call("POST", "/api/v1/notifications/"+n["id"].(string)+"/read", dw, nil); a.status != 204 {
			t.Fatalf("mark read: %d %s", a.status, a.raw)
		}
		if a := r.call("POST", "/api/v1/notifications/read", dw, nil); a.status != 200 || a.body["marked"].(float64) != 0 {
			t.Fatalf("mark all read: %d %s", a.status, a.raw)
		}
		if a := r.call("GET", "/api/v1/notifications", "", nil); a.status != 401 {
			t.Fatalf("notifications without a token: %d", a.status)
		}

		// A browser session writes through the API with its CSRF header.
		b := newBrowser(t)
		b.login(r.base, "camille@ville.example", "un mot de passe long")
		csrf := b.get(r.base + "/notifications").csrf(t)
		body := map[string]string{"body": "Depuis le navigateur."}
		if a := r.callWith(b.c, "POST", "/api/v1/topics/"+id+"/replies", body, func(http.Header) {}); a.status != 403 {
			t.Fatalf("session write without X-CSRF-Token: %d %s", a.status, a.raw)
		}
		if a := r.callWith(b.c, "POST", "/api/v1/topics/"+id+"/replies", body, func(h http.Header) { h.Set("X-CSRF-Token", csrf) }); a.status != 201 {
			t.Fatalf("session write with X-CSRF-Token: %d %s", a.status, a.raw)
		}

		if a := r.call("DELETE", "/api/v1/topics/"+id, dw, nil); a.status != 403 {
			t.Fatalf("another member deletes the topic: %d %s", a.status, a.raw)
		}
		if a := r.call("DELETE", "/api/v1/topics/"+id, cw, nil); a.status != 204 {
			t.Fatalf("delete topic: %d %s", a.status, a.raw)
		}
		a = r.call("GET", "/api/v1/topics/"+id, "", nil)
		if a.status != 200 || a.body["deleted"] != true || a.body["title"] != "" || a.body["body"] != "" {
			t.Fatalf("deleted topic: %d %s", a.status, a.raw)
		}
		if a := r.call("POST", "/api/v1/topics/"+id+"/replies", dw, map[string]string{"body": "Encore ?"}); a.status != 410 {
			t.Fatalf("reply to a deleted topic: %d %s", a.status, a.raw)
		}
		if a := r.call("POST", "/api/v1/collectives/alpes/groups/poste-linux/leave", cw, nil); a.status != 204 {
			t.Fatalf("leave: %d %s", a.status, a.raw)
		}
	})
}

func TestMembersOnlyGroupIsInvisibleToOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newDiscRig(t, db, 0)
		insider := r.member("rssi@ville.example", "Alex Garnier", "cyber")
		outsider := r.member("camille@ville.example", "Camille Martin", "poste-linux")
		ps, err := r.disc.CreateTopic(context.Background(), access.Account(insider.ID, false), "alpes", "cyber", discussion.NewTopic{Title: "Incident en cours", Body: "Rançongiciel chez un voisin."})
		if err != nil {
			t.Fatal(err)
		}
		reply, err := r.disc.Reply(context.Background(), access.Account(insider.ID, false), ps.TopicID, discussion.NewReply{Body: "Suite."})
		if err != nil {
			t.Fatal(err)
		}
		group, topic := r.base+"/c/alpes/g/cyber", r.base+"/c/alpes/g/cyber/t/"+ps.TopicID

		in := newBrowser(t)
		in.login(r.base, "rssi@ville.example", "un mot de passe long")
		if p := in.get(topic); p.status != 200 || !strings.Contains(p.body, "Rançongiciel") {
			t.Fatalf("the insider reads the topic: %d", p.status)
		}
		if p := in.get(group); p.status != 200 || !strings.Contains(p.body, "Incident en cours") {
			t.Fatalf("the insider's group page: %d", p.status)
		}
		out := newBrowser(t)
		out.login(r.base, "camille@ville.example", "un mot de passe long")
		for who, b := range map[string]*browser{"member of the collective": out, "visitor": newBrowser(t)} {
			for _, u := range []string{group, topic, topic + "/history", topic + "/r/" + reply.Post.ID + "/history",
				// The same topic under a public group's address.
				r.base + "/c/alpes/g/poste-linux/t/" + ps.TopicID} {
				if p := b.get(u); p.status != 404 || strings.Contains(p.body, "Incident") || strings.Contains(p.body, "Cellule") {
					t.Errorf("%s gets %s: %d\n%s", who, u, p.status, p.body)
				}
			}
		}
		for _, tok := range []string{r.token(outsider, "read,write"), ""} {
			for _, c := range []struct{ method, path string }{
				{"GET", "/api/v1/collectives/alpes/groups/cyber/topics"},
				{"GET", "/api/v1/topics/" + ps.TopicID},
				{"POST", "/api/v1/topics/" + ps.TopicID + "/replies"},
				{"PATCH", "/api/v1/topics/" + ps.TopicID},
				{"DELETE", "/api/v1/topics/" + ps.TopicID},
				{"PATCH", "/api/v1/replies/" + reply.Post.ID},
				{"POST", "/api/v1/collectives/alpes/groups/cyber/join"},
			} {
				want := 404
				if tok == "" && c.method != "GET" {
					want = 401 // asked to log in first, which tells nothing
				}
				a := r.call(c.method, c.path, tok, map[string]string{"body": "intrus", "title": "intrus"})
				if code, _ := a.errField(); a.status != want || strings.Contains(a.raw, "Incident") || (want == 404 && code != "not_found") {
					t.Errorf("token %v: %s %s = %d %s", tok != "", c.method, c.path, a.status, a.raw)
				}
			}
		}
		// Listings: the latest topics of the collective leave it out.
		latest, err := r.disc.Latest(context.Background(), access.Account(outsider.ID, false), r.c.ID, 10)
		if err != nil || len(latest) != 0 {
			t.Fatalf("latest topics for an outsider: %+v, %v", latest, err)
		}
		if latest, _ := r.disc.Latest(context.Background(), access.Account(insider.ID, false), r.c.ID, 10); len(latest) != 1 {
			t.Fatalf("latest topics for the insider: %+v", latest)
		}
		if n := r.count("replies"); n != 1 {
			t.Fatalf("%d replies: an outsider wrote", n)
		}
	})
}

func TestDiscussionBadInputIsRefusedWithItsField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newDiscRig(t, db, 0)
		camille := r.member("camille@ville.example", "Camille Martin", "poste-linux")
		tok := r.token(camille, "read,write")
		const topics = "/api/v1/collectives/alpes/groups/poste-linux/topics"
		big := strings.Repeat("Du *Markdown*, encore et encore.\n", 300<<10/33) // over markdown.MaxSource, under the body limit
		cases := []struct {
			name, method, path string
			body               any
			field              string
		}{
			{"empty title", "POST", topics, map[string]string{"title": "", "body": "x"}, "title"},
			{"no title", "POST", topics, map[string]string{"body": "x"}, "title"},
			{"title too long", "POST", topics, map[string]string{"title": strings.Repeat("t", 201), "body": "x"}, "title"},
			{"empty body", "POST", topics, map[string]string{"title": "Titre", "body": "  "}, "body"},
			{"body over the Markdown limit", "POST", topics, map[string]string{"title": "Titre", "body": big}, "body"},
			{"invalid cursor", "GET", topics + "?cursor=pas-un-curseur", nil, "cursor"},
			{"invalid limit", "GET", topics + "?limit=mille", nil, "limit"},
			{"invalid notifications cursor", "GET", "/api/v1/notifications?cursor=%25%25", nil, "cursor"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a := r.call(c.method, c.path, tok, c.body)
				code, field := a.errField()
				if a.status != 422 || code != "invalid" || field != c.field {
					t.Fatalf("%d %s; want 422 on %s", a.status, a.raw[:min(len(a.raw), 300)], c.field)
				}
			})
		}
		if a := r.call("POST", topics, tok, `{"title": "Titre", "body": `); a.status != 422 {
			t.Fatalf("broken JSON: %d %s", a.status, a.raw)
		}
		// 10 MB of Markdown: the server's body limit refuses it as soon as
		// the request announces its length, before any handler runs.
		if status, body := r.announce("POST", topics, tok, 10<<20); status != 413 || !strings.Contains(body, `"too_large"`) {
			t.Fatalf("10 MB: %d %s", status, body)
		}
		// Pages: the group page with a bad cursor.
		b := newBrowser(t)
		b.login(r.base, "camille@ville.example", "un mot de passe long")
		if p := b.get(r.base + "/c/alpes/g/poste-linux?cursor=zzz"); p.status != 422 || !strings.Contains(p.body, "curseur de pagination invalide") {
			t.Fatalf("group page with a bad cursor: %d\n%s", p.status, p.body)
		}
		if n := r.count("topics"); n != 0 {
			t.Fatalf("%d topics written by refused requests", n)
		}
	})
}

// TestTenMegabytesOfMarkdownWithARaisedBodyLimit: where a deployment lets
// 10 MB through the HTTP layer, the domain still refuses it, naming the
// field, before rendering anything.
func TestTenMegabytesOfMarkdownWithARaisedBodyLimit(t *testing.T) {
	r := newDiscRig(t, storetest.Open(t, store.SQLite), 16<<20)
	camille := r.member("camille@ville.example", "Camille Martin", "poste-linux")
	huge := map[string]string{"title": "Titre", "body": strings.Repeat("# Titre\n\nDu texte.\n", 10<<20/20)}
	a := r.call("POST", "/api/v1/collectives/alpes/groups/poste-linux/topics", r.token(camille, "read,write"), huge)
	if code, field := a.errField(); a.status != 422 || code != "invalid" || field != "body" {
		t.Fatalf("10 MB: %d %s", a.status, a.raw[:min(len(a.raw), 300)])
	}
	if n := r.count("topics"); n != 0 {
		t.Fatalf("%d topics written", n)
	}
}

func TestGroupModerationThroughPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newDiscRig(t, db, 0)
		ctx := context.Background()
		if _, err := collective.New(db).CreateGroup(ctx, access.System(), "alpes", collective.NewGroup{Slug: "sig", Name: "Cartographie libre",
			JoinPolicy: model.JoinApproval, Visibility: model.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}
		mod := r.member("anim@ville.example", "Anim Ateur", "cyber")
		if _, err := db.W.NewUpdate().Model((*model.GroupMembership)(nil)).Set("role = ?", model.RoleModerator).Where("account_id = ?", mod.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		r.member("camille@ville.example", "Camille Martin")
		camille, anim := newBrowser(t), newBrowser(t)
		camille.login(r.base, "camille@ville.example", "un mot de passe long")
		anim.login(r.base, "anim@ville.example", "un mot de passe long")

		// Invitation into the members-only group.
		cyber := r.base + "/c/alpes/g/cyber"
		if p := camille.get(cyber); p.status != 404 {
			t.Fatalf("the group before the invitation: %d", p.status)
		}
		gp := anim.get(cyber)
		p := anim.post(cyber+"/invite", url.Values{"_csrf": {gp.csrf(t)}, "invitee": {"personne@ailleurs.example"}})
		if p.status != 422 || !strings.Contains(p.body, `id="invitee-error"`) || !strings.Contains(p.body, `aria-describedby="invitee-error"`) {
			t.Fatalf("inviting a stranger: %d\n%s", p.status, p.body)
		}
		p = anim.post(cyber+"/invite", url.Values{"_csrf": {gp.csrf(t)}, "invitee": {"camille@ville.example"}})
		if p.status != 200 || !strings.Contains(p.body, "L&#39;invitation est envoyée.") {
			t.Fatalf("invite: %d\n%s", p.status, p.body)
		}
		p = camille.get(cyber)
		if p.status != 200 || !strings.Contains(p.body, "Accepter l'invitation") || strings.Contains(p.body, "Ouvrir un sujet") {
			t.Fatalf("the invitee's group page: %d\n%s", p.status, p.body)
		}
		p = camille.post(cyber+"/join", url.Values{"_csrf": {p.csrf(t)}})
		if p.status != 200 || !strings.Contains(p.body, "Vous êtes membre du groupe.") || !strings.Contains(p.body, "Ouvrir un sujet") {
			t.Fatalf("accepting: %d\n%s", p.status, p.body)
		}

		// A request to an approval group, decided by the collective's admin.
		chef := r.member("chef@ville.example", "Chef Fe")
		if _, err := db.W.NewUpdate().Model((*model.Membership)(nil)).Set("role = ?", model.RoleAdmin).Where("account_id = ?", chef.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		sig := r.base + "/c/alpes/g/sig"
		p = camille.get(sig)
		p = camille.post(sig+"/join", url.Values{"_csrf": {p.csrf(t)}})
		if !strings.Contains(p.body, "Votre demande est envoyée") || !strings.Contains(p.body, "Retirer ma demande") {
			t.Fatalf("request: %d\n%s", p.status, p.body)
		}
		boss := newBrowser(t)
		boss.login(r.base, "chef@ville.example", "un mot de passe long")
		if n := boss.get(r.base + "/notifications"); !strings.Contains(n.body, "Camille Martin demande à rejoindre le groupe Collectif des Alpes › Cartographie libre") {
			t.Fatalf("the admin's notifications:\n%s", n.body)
		}
		p = boss.get(sig)
		if !strings.Contains(p.body, "Demandes en attente") || !strings.Contains(p.body, "Camille Martin") {
			t.Fatalf("pending requests:\n%s", p.body)
		}
		p = boss.post(sig+"/requests/"+r.mustID("camille@ville.example"), url.Values{"_csrf": {p.csrf(t)}, "decision": {"approve"}})
		if p.status != 200 || !strings.Contains(p.body, "La demande est acceptée.") {
			t.Fatalf("approve: %d\n%s", p.status, p.body)
		}
		if p := camille.get(sig); !strings.Contains(p.body, "Quitter le groupe") {
			t.Fatalf("after approval:\n%s", p.body)
		}
	})
}

// announce sends the headers of a JSON request whose body is n bytes long,
// and only the start of that body, then reads the answer: what a server
// says to a client about to upload too much.
func (r *discRig) announce(method, path, token string, n int) (int, string) {
	r.t.Helper()
	u, _ := url.Parse(r.base)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		r.t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"title\": \"Titre\", \"body\": \"",
		method, path, u.Host, token, n)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (r *discRig) mustID(email string) string {
	r.t.Helper()
	a, err := r.accounts.ByEmail(context.Background(), email)
	if err != nil {
		r.t.Fatal(err)
	}
	return a.ID
}
