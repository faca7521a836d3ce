package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/account"
	"collectif/collective"
	"collectif/directory"
	"collectif/frontend"
	"collectif/jobs"
	"collectif/model"
	"collectif/resource"
	"collectif/server"
	"collectif/store"
	"collectif/store/storetest"
)

// resourceRig is a hub's web server with the resource service, on
// loopback over a real database, with a collective, a public and a
// members-only working group. The shared rig (rig_test.go) is built
// without resources, so this file builds its own.
type resourceRig struct {
	t        *testing.T
	db       *store.DB
	accounts *account.Service
	svc      *resource.Service
	base     string
	uploads  string
	alpes    *model.Collective
	private  *model.WorkingGroup
}

func newResourceRig(t *testing.T, db *store.DB, d resource.Deps) *resourceRig {
	t.Helper()
	ctx := context.Background()
	if _, err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := directory.New(db, refData(t))
	accounts := account.New(account.Deps{DB: db, Queue: q, Password: fastPasswords, Directory: dir})
	fe, err := frontend.New()
	if err != nil {
		t.Fatal(err)
	}
	d.DB, d.Dir = db, filepath.Join(t.TempDir(), "uploads")
	svc := resource.New(d)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	cs := collective.New(db)
	srv := server.New(server.Deps{BaseURL: base, Frontend: fe, Collectives: cs, Accounts: accounts, Directory: dir,
		Resources: svc, BodyLimit: svc.UploadBodyLimit()})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	r := &resourceRig{t: t, db: db, accounts: accounts, svc: svc, base: base.String(), uploads: d.Dir}
	if r.alpes, err = cs.Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Collectif des Alpes", Scope: model.ScopeRegional}); err != nil {
		t.Fatal(err)
	}
	if _, err = cs.CreateGroup(ctx, access.System(), "alpes", collective.NewGroup{Slug: "marches", Name: "Marchés publics", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic}); err != nil {
		t.Fatal(err)
	}
	if r.private, err = cs.CreateGroup(ctx, access.System(), "alpes", collective.NewGroup{Slug: "securite", Name: "Sécurité", JoinPolicy: model.JoinInvitation, Visibility: model.VisibilityMembers}); err != nil {
		t.Fatal(err)
	}
	return r
}

// person creates an account with a role in the collective ("" for none)
// and, if group is set, an active membership of that group.
func (r *resourceRig) person(email string, role model.Role, group string) *model.Account {
	r.t.Helper()
	ctx := context.Background()
	a, err := r.accounts.CreateLocal(ctx, access.System(), account.NewLocal{Email: email, Name: "Dominique " + strings.Split(email, "@")[0], Password: "un mot de passe long"})
	if err != nil {
		r.t.Fatal(err)
	}
	now := time.Now().UTC()
	if role != "" {
		m := &model.Membership{ID: model.NewID(), CollectiveID: r.alpes.ID, AccountID: a.ID, Role: role, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
		if _, err := r.db.W.NewInsert().Model(m).Exec(ctx); err != nil {
			r.t.Fatal(err)
		}
	}
	if group != "" {
		gm := &model.GroupMembership{ID: model.NewID(), GroupID: group, AccountID: a.ID, Role: model.RoleMember, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
		if _, err := r.db.W.NewInsert().Model(gm).Exec(ctx); err != nil {
			r.t.Fatal(err)
		}
	}
	return a
}

func (r *resourceRig) token(a *model.Account, scope string) string {
	r.t.Helper()
	plain, _, err := r.accounts.CreateToken(context.Background(), access.Account(a.ID, false), a.ID, "GED", scope)
	if err != nil {
		r.t.Fatal(err)
	}
	return plain
}

func (r *resourceRig) count(table string) int {
	r.t.Helper()
	var n int
	if err := r.db.R.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		r.t.Fatal(err)
	}
	return n
}

// stored lists the files under the uploads directory.
func (r *resourceRig) stored() []string {
	var out []string
	filepath.WalkDir(r.uploads, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

type apiAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// field returns the field named in an error answer.
func (a apiAnswer) errorField() string {
	e, _ := a.body["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func (a apiAnswer) errorMessage() string {
	e, _ := a.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// api calls the JSON API with a bearer token ("" for none).
func (r *resourceRig) api(tok, method, path string, body io.Reader, ctype string) apiAnswer {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.base+path, body)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := apiAnswer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	json.Unmarshal(b, &a.body)
	return a
}

func (r *resourceRig) apiJSON(tok, method, path string, v any) apiAnswer {
	r.t.Helper()
	b, _ := json.Marshal(v)
	return r.api(tok, method, path, bytes.NewReader(b), "application/json")
}

// part is one file of a multipart form, with the type the client claims.
type part struct {
	field, name, ctype string
	content            []byte
}

// multipartBody builds a form with fields and files.
func multipartBody(t testing.TB, fields url.Values, files ...part) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f.field+`"; filename="`+f.name+`"`)
		h.Set("Content-Type", f.ctype)
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.content)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func (b *browser) postMultipart(u string, fields url.Values, files ...part) page {
	b.t.Helper()
	body, ctype := multipartBody(b.t, fields, files...)
	req, _ := http.NewRequest("POST", u, body)
	req.Header.Set("Content-Type", ctype)
	return b.do(req)
}

var pdfBytes = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func odtBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	w.Write([]byte("application/vnd.oasis.opendocument.text"))
	w, _ = zw.Create("content.xml")
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><office:document-content/>`))
	zw.Close()
	return buf.Bytes()
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func TestPartnerSharesThroughTheAPIAndMembersSeeIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newResourceRig(t, db, resource.Deps{})
		partner := r.person("agence@numerique.gouv.example", model.RolePartner, "")
		r.person("camille@ville.example", model.RoleMember, "")
		tok := r.token(partner, "read,write")

		// Bad input: a 4xx naming the field, and nothing written.
		bad := []struct {
			name  string
			body  any
			field string
		}{
			{"empty title", map[string]any{"collective": "alpes", "title": "", "type": "guide"}, "title"},
			{"10 MB of Markdown", map[string]any{"collective": "alpes", "title": "Guide", "type": "guide", "body": strings.Repeat("Lorem ipsum ", 10<<20/12)}, "body"},
			{"unknown licence", map[string]any{"collective": "alpes", "title": "Guide", "type": "guide", "licence": "WTFPL"}, "licence"},
			{"unknown type", map[string]any{"collective": "alpes", "title": "Guide", "type": "podcast"}, "type"},
			{"tags as a string", map[string]any{"collective": "alpes", "title": "Guide", "type": "guide", "tags": "a,b"}, "tags"},
			{"unknown field", map[string]any{"collective": "alpes", "title": "Guide", "type": "guide", "auteur": "moi"}, "auteur"},
			{"bad link", map[string]any{"collective": "alpes", "title": "Vidéo", "type": "video", "link": "javascript:alert(1)"}, "link"},
		}
		for _, c := range bad {
			a := r.apiJSON(tok, "POST", "/api/v1/resources", c.body)
			if a.status != 422 || a.errorField() != c.field || a.errorMessage() == "" {
				t.Fatalf("%s: %d %s", c.name, a.status, trimRaw(a.raw))
			}
		}
		if n := r.count("resources"); n != 0 {
			t.Fatalf("bad input wrote %d resources", n)
		}
		if a := r.api(tok, "POST", "/api/v1/resources", strings.NewReader("title=x"), "application/x-www-form-urlencoded"); a.status != 422 {
			t.Fatalf("a form body on the JSON API: %d", a.status)
		}
		// A read token cannot write.
		if a := r.apiJSON(r.token(partner, "read"), "POST", "/api/v1/resources", map[string]any{"collective": "alpes", "title": "Guide", "type": "guide"}); a.status != 403 {
			t.Fatalf("read token: %d", a.status)
		}
		if a := r.apiJSON("", "POST", "/api/v1/resources", map[string]any{"collective": "alpes", "title": "Guide", "type": "guide"}); a.status != 401 {
			t.Fatalf("no token: %d", a.status)
		}

		a := r.apiJSON(tok, "POST", "/api/v1/resources", map[string]any{"collective": "alpes", "title": "Guide de l'achat de logiciels libres",
			"summary": "Les clauses qui marchent.", "body": "## Clauses\n\nVoir le **CCTP** type.", "type": "procurement_template",
			"licence": "etalab-2.0", "tags": []string{"Marchés publics", "#CCTP"}})
		if a.status != 201 || a.header.Get("Location") == "" {
			t.Fatalf("create: %d %s", a.status, a.raw)
		}
		id, _ := a.body["id"].(string)
		if a.body["licence_label"] != "Licence Ouverte 2.0 (Etalab)" || a.body["type"] != "procurement_template" ||
			!strings.Contains(a.raw, `"tags":["cctp","marchés-publics"]`) || !strings.Contains(a.body["body_html"].(string), "<strong>CCTP</strong>") {
			t.Fatalf("created: %s", a.raw)
		}

		// A disguised executable is refused; a PDF is attached, whatever the
		// client says its type is.
		elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 1000)...)
		body, ctype := multipartBody(t, nil, part{"file", "guide.pdf", "application/pdf", elf})
		if a := r.api(tok, "POST", "/api/v1/resources/"+id+"/attachments", body, ctype); a.status != 422 || a.errorField() != "file" || !strings.Contains(a.errorMessage(), "exécutables sont refusés") {
			t.Fatalf("ELF named guide.pdf: %d %s", a.status, a.raw)
		}
		if r.count("resource_attachments") != 0 || len(r.stored()) != 0 {
			t.Fatalf("the refused upload left %d attachments, files %v", r.count("resource_attachments"), r.stored())
		}
		body, ctype = multipartBody(t, nil, part{"file", "clauses.pdf", "application/x-msdownload", pdfBytes})
		a = r.api(tok, "POST", "/api/v1/resources/"+id+"/attachments", body, ctype)
		if a.status != 201 || !strings.Contains(a.raw, `"content_type":"application/pdf"`) || !strings.Contains(a.raw, `"name":"clauses.pdf"`) {
			t.Fatalf("attach: %d %s", a.status, a.raw)
		}

		// A member sees it on the collective's pages.
		b := newBrowser(t)
		b.login(r.base, "camille@ville.example", "un mot de passe long")
		p := b.get(r.base + "/c/alpes/r/" + id)
		if p.status != 200 || !strings.Contains(p.body, "<h1>Guide de l&#39;achat de logiciels libres</h1>") ||
			!strings.Contains(p.body, "Licence Ouverte 2.0 (Etalab)") || !strings.Contains(p.body, "clauses.pdf") ||
			!strings.Contains(p.body, "PDF, ") || !strings.Contains(p.body, "#marchés-publics") || !strings.Contains(p.body, "<strong>CCTP</strong>") {
			t.Fatalf("resource page: %d\n%s", p.status, p.body)
		}
		if strings.Contains(p.body, "/edit") {
			t.Fatal("a member who is not the author is offered to edit")
		}
		p = b.get(r.base + "/c/alpes/resources")
		if p.status != 200 || !strings.Contains(p.body, "Guide de l&#39;achat") || !strings.Contains(p.body, "1 ressource") || !strings.Contains(p.body, "Partager une ressource") {
			t.Fatalf("list page: %d\n%s", p.status, p.body)
		}

		list := r.api("", "GET", "/api/v1/resources?collective=alpes&tag=cctp", nil, "")
		if list.status != 200 || list.body["total"] != float64(1) || list.body["next"] != nil || !strings.Contains(list.raw, `"attachment_count":1`) {
			t.Fatalf("list: %d %s", list.status, list.raw)
		}

		// The member may not change it; the partner may.
		if a := r.apiJSON(r.token(mustAccount(t, r, "camille@ville.example"), "read,write"), "PATCH", "/api/v1/resources/"+id, map[string]any{"title": "Piraté"}); a.status != 403 {
			t.Fatalf("member PATCH: %d %s", a.status, a.raw)
		}
		if a := r.apiJSON(tok, "PATCH", "/api/v1/resources/"+id, map[string]any{"title": "Guide de l'achat libre", "tags": []string{}}); a.status != 200 || a.body["title"] != "Guide de l'achat libre" || !strings.Contains(a.raw, `"tags":[]`) {
			t.Fatalf("PATCH: %d %s", a.status, a.raw)
		}
		if a := r.api(tok, "DELETE", "/api/v1/resources/"+id, nil, ""); a.status != 204 {
			t.Fatalf("DELETE: %d %s", a.status, a.raw)
		}
		if a := r.api("", "GET", "/api/v1/resources/"+id, nil, ""); a.status != 404 {
			t.Fatalf("GET after delete: %d", a.status)
		}
		if len(r.stored()) != 0 {
			t.Fatalf("files left after delete: %v", r.stored())
		}
	})
}

func mustAccount(t *testing.T, r *resourceRig, email string) *model.Account {
	t.Helper()
	a, err := r.accounts.ByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func trimRaw(s string) string {
	if len(s) > 500 {
		return s[:500] + "…"
	}
	return s
}

var fileLinkRE = regexp.MustCompile(`href="(/files/[^"]+)"`)

func TestUploadFormJourney(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newResourceRig(t, db, resource.Deps{})
		r.person("camille@ville.example", model.RoleMember, "")
		b := newBrowser(t)
		b.login(r.base, "camille@ville.example", "un mot de passe long")

		form := b.get(r.base + "/c/alpes/resources/new")
		if form.status != 200 || !strings.Contains(form.body, `enctype="multipart/form-data"`) || !strings.Contains(form.body, `<option value="">Tout le collectif</option>`) ||
			strings.Contains(form.body, "Sécurité") {
			t.Fatalf("new form: %d\n%s", form.status, form.body)
		}
		csrf := form.csrf(t)
		fields := url.Values{"title": {"Délibération type : adhésion"}, "type": {"deliberation"}, "licence": {"etalab-2.0"},
			"summary": {"Le modèle voté à Échirolles."}, "tags": {"délibération, adhésion"}, "body": {"Le conseil municipal…"}}
		odt := odtBytes(t)

		// Without the anti-forgery token, nothing happens.
		if p := b.postMultipart(r.base+"/c/alpes/resources", fields, part{"files", "modele.odt", "image/png", odt}); p.status != 403 {
			t.Fatalf("form without CSRF: %d", p.status)
		}
		// An empty title: the form comes back with the error on the field.
		withCSRF := func(v url.Values) url.Values {
			out := url.Values{"_csrf": {csrf}}
			for k, x := range v {
				out[k] = x
			}
			return out
		}
		bad := withCSRF(fields)
		bad.Set("title", "")
		p := b.postMultipart(r.base+"/c/alpes/resources", bad, part{"files", "modele.odt", "image/png", odt})
		if p.status != 422 || !strings.Contains(p.body, `id="title-error"`) || !strings.Contains(p.body, `aria-describedby="title-error"`) ||
			!strings.Contains(p.body, "le titre est obligatoire") || !strings.Contains(p.body, "Le modèle voté à Échirolles.") {
			t.Fatalf("empty title: %d\n%s", p.status, p.body)
		}
		// A program disguised as a document: the error is on the file field.
		p = b.postMultipart(r.base+"/c/alpes/resources", withCSRF(fields), part{"files", "modele.pdf", "application/pdf", append([]byte("MZ\x90\x00"), make([]byte, 700)...)})
		if p.status != 422 || !strings.Contains(p.body, `aria-describedby="file-hint file-error"`) || !strings.Contains(p.body, "programme Windows") {
			t.Fatalf("disguised program: %d\n%s", p.status, p.body)
		}
		if r.count("resources") != 0 || len(r.stored()) != 0 {
			t.Fatal("a refused form wrote something")
		}

		p = b.postMultipart(r.base+"/c/alpes/resources", withCSRF(fields),
			part{"files", "modèle.odt", "image/png", odt}, part{"files", "logo.png", "application/pdf", pngBytes}, part{"files", "", "application/octet-stream", nil})
		if p.status != 200 || !strings.Contains(p.body, "est publiée") || !strings.Contains(p.body, "modèle.odt") || !strings.Contains(p.body, "texte OpenDocument") ||
			!strings.Contains(p.url, "/c/alpes/r/") || !strings.Contains(p.body, `href="`+strings.TrimPrefix(p.url, r.base)+`/edit"`) {
			t.Fatalf("publish: %d %s\n%s", p.status, p.url, p.body)
		}
		page := p.url
		links := fileLinkRE.FindAllStringSubmatch(p.body, -1)
		if len(links) != 2 {
			t.Fatalf("file links: %v", links)
		}

		// Downloads: the sniffed type, never the client's, and nosniff.
		dl := b.get(r.base + links[0][1])
		if dl.status != 200 || dl.body != string(odt) || dl.header.Get("Content-Type") != "application/vnd.oasis.opendocument.text" ||
			dl.header.Get("X-Content-Type-Options") != "nosniff" ||
			dl.header.Get("Content-Disposition") != `attachment; filename="mod_le.odt"; filename*=UTF-8''mod%C3%A8le.odt` {
			t.Fatalf("download: %d %v", dl.status, dl.header)
		}
		img := b.get(r.base + links[1][1])
		if img.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(img.header.Get("Content-Disposition"), "inline;") || img.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("image download: %v", img.header)
		}

		// Edit: a new title and one more file, then the file is removed.
		ed := b.get(page + "/edit")
		if ed.status != 200 || !strings.Contains(ed.body, `value="Délibération type : adhésion"`) || !strings.Contains(ed.body, "adhésion, délibération") {
			t.Fatalf("edit form: %d\n%s", ed.status, ed.body)
		}
		edit := withCSRF(fields)
		edit.Set("title", "Délibération type : adhésion au collectif")
		p = b.postMultipart(page+"/edit", edit, part{"files", "annexe.pdf", "text/html", pdfBytes})
		if p.status != 200 || !strings.Contains(p.body, "modifications sont enregistrées") || !strings.Contains(p.body, "adhésion au collectif") || !strings.Contains(p.body, "annexe.pdf") {
			t.Fatalf("edit: %d\n%s", p.status, p.body)
		}
		if r.count("resource_attachments") != 3 {
			t.Fatalf("%d attachments", r.count("resource_attachments"))
		}

		// One file is taken off from the edit page.
		ed = b.get(page + "/edit")
		rm := regexp.MustCompile(`action="([^"]+/files/[^"]+/delete)"`).FindStringSubmatch(ed.body)
		if rm == nil {
			t.Fatalf("no remove button:\n%s", ed.body)
		}
		p = b.post(r.base+rm[1], url.Values{"_csrf": {ed.csrf(t)}})
		if p.status != 200 || !strings.Contains(p.body, "La pièce jointe est retirée.") || r.count("resource_attachments") != 2 {
			t.Fatalf("remove a file: %d, %d attachments\n%s", p.status, r.count("resource_attachments"), p.body)
		}

		// Another member cannot edit or delete it.
		r.person("dominique@ville.example", model.RoleMember, "")
		other := newBrowser(t)
		other.login(r.base, "dominique@ville.example", "un mot de passe long")
		if p := other.get(page + "/edit"); p.status != 403 {
			t.Fatalf("another member's edit page: %d", p.status)
		}

		del := b.get(page + "/delete")
		if del.status != 200 || !strings.Contains(del.body, "Supprimer définitivement") {
			t.Fatalf("delete page: %d\n%s", del.status, del.body)
		}
		p = b.post(page+"/delete", url.Values{"_csrf": {del.csrf(t)}})
		if p.status != 200 || !strings.Contains(p.body, "est supprimée") || strings.Contains(p.body, "adhésion au collectif</a>") || !strings.HasSuffix(p.url, "/c/alpes/resources") {
			t.Fatalf("delete: %d %s\n%s", p.status, p.url, p.body)
		}
		if len(r.stored()) != 0 {
			t.Fatalf("files left: %v", r.stored())
		}
		if p := b.get(r.base + links[0][1]); p.status != 404 {
			t.Fatalf("deleted file: %d", p.status)
		}
	})
}

func TestMembersOnlyResourceIsNotFoundForOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newResourceRig(t, db, resource.Deps{})
		insider := r.person("rssi@ville.example", model.RoleMember, r.private.ID)
		r.person("camille@ville.example", model.RoleMember, "")
		tok := r.token(insider, "read,write")
		pub := r.apiJSON(tok, "POST", "/api/v1/resources", map[string]any{"collective": "alpes", "title": "Guide public", "type": "guide"})
		sec := r.apiJSON(tok, "POST", "/api/v1/resources", map[string]any{"collective": "alpes", "group": "securite", "title": "Plan de continuité", "type": "study"})
		if pub.status != 201 || sec.status != 201 {
			t.Fatalf("create: %d %d %s", pub.status, sec.status, sec.raw)
		}
		secID := sec.body["id"].(string)
		body, ctype := multipartBody(t, nil, part{"file", "plan.pdf", "application/pdf", pdfBytes})
		att := r.api(tok, "POST", "/api/v1/resources/"+secID+"/attachments", body, ctype)
		if att.status != 201 {
			t.Fatalf("attach: %d %s", att.status, att.raw)
		}
		fileURL := att.body["attachments"].([]any)[0].(map[string]any)["url"].(string)
		filePath := strings.TrimPrefix(fileURL, r.base)

		visitor := newBrowser(t)
		member := newBrowser(t)
		member.login(r.base, "camille@ville.example", "un mot de passe long")
		memberTok := r.token(mustAccount(t, r, "camille@ville.example"), "read")
		for name, b := range map[string]*browser{"visitor": visitor, "member outside the group": member} {
			if p := b.get(r.base + "/c/alpes/r/" + secID); p.status != 404 || strings.Contains(p.body, "Plan de continuité") {
				t.Fatalf("%s: resource page %d", name, p.status)
			}
			if p := b.get(r.base + filePath); p.status != 404 || strings.Contains(p.body, "%PDF") {
				t.Fatalf("%s: file %d", name, p.status)
			}
			if p := b.get(r.base + "/c/alpes/resources"); strings.Contains(p.body, "Plan de continuité") || !strings.Contains(p.body, "1 ressource") || strings.Contains(p.body, "Sécurité") {
				t.Fatalf("%s: list page shows the members-only resource or group:\n%s", name, p.body)
			}
		}
		for name, tk := range map[string]string{"visitor": "", "member outside the group": memberTok} {
			l := r.api(tk, "GET", "/api/v1/resources", nil, "")
			if l.status != 200 || l.body["total"] != float64(1) || strings.Contains(l.raw, secID) {
				t.Fatalf("%s: API list %s", name, l.raw)
			}
			if g := r.api(tk, "GET", "/api/v1/resources/"+secID, nil, ""); g.status != 404 {
				t.Fatalf("%s: API get %d", name, g.status)
			}
			if g := r.api(tk, "GET", "/api/v1/resources?collective=alpes&group=securite", nil, ""); g.status != 404 {
				t.Fatalf("%s: API list of the group %d", name, g.status)
			}
		}
		// The group's member sees it everywhere.
		if l := r.api(tok, "GET", "/api/v1/resources?collective=alpes", nil, ""); l.body["total"] != float64(2) || !strings.Contains(l.raw, secID) {
			t.Fatalf("insider's list: %s", l.raw)
		}
		in := newBrowser(t)
		in.login(r.base, "rssi@ville.example", "un mot de passe long")
		if p := in.get(r.base + "/c/alpes/r/" + secID); p.status != 200 || !strings.Contains(p.body, "Plan de continuité") {
			t.Fatalf("insider's page: %d", p.status)
		}
		if p := in.get(r.base + filePath); p.status != 200 || p.header.Get("Cache-Control") != "private, no-cache" {
			t.Fatalf("insider's download: %d %v", p.status, p.header)
		}
	})
}

func TestListParametersAreChecked(t *testing.T) {
	r := newResourceRig(t, storetest.Open(t, store.SQLite), resource.Deps{MaxFileSize: 64 << 10})
	partner := r.person("agence@numerique.gouv.example", model.RolePartner, "")
	tok := r.token(partner, "read,write")
	for i := range 3 {
		if a := r.apiJSON(tok, "POST", "/api/v1/resources", map[string]any{"collective": "alpes", "title": "Guide " + string(rune('A'+i)), "type": "guide"}); a.status != 201 {
			t.Fatal(a.raw)
		}
	}
	for _, c := range []struct{ query, field string }{
		{"cursor=not-a-cursor", "cursor"},
		{"limit=abc", "limit"},
		{"limit=0", "limit"},
		{"type=podcast", "type"},
		{"licence=WTFPL", "licence"},
	} {
		a := r.api("", "GET", "/api/v1/resources?"+c.query, nil, "")
		if a.status != 422 || a.errorField() != c.field || a.errorMessage() == "" {
			t.Fatalf("?%s: %d %s", c.query, a.status, a.raw)
		}
	}
	if a := r.api("", "GET", "/api/v1/resources?collective=nulle-part", nil, ""); a.status != 404 || a.errorField() != "collective" {
		t.Fatalf("unknown collective: %d %s", a.status, a.raw)
	}
	// Pages of two: the cursor walks the list once.
	seen := map[string]bool{}
	next := ""
	for range 3 {
		q := "/api/v1/resources?limit=2"
		if next != "" {
			q += "&cursor=" + url.QueryEscape(next)
		}
		a := r.api("", "GET", q, nil, "")
		for _, it := range a.body["items"].([]any) {
			seen[it.(map[string]any)["id"].(string)] = true
		}
		n, _ := a.body["next"].(string)
		if next = n; next == "" {
			break
		}
	}
	if len(seen) != 3 || next != "" {
		t.Fatalf("pages saw %d resources, next %q", len(seen), next)
	}
	p := newBrowser(t).get(r.base + "/c/alpes/resources?cursor=abc")
	if p.status != 422 || !strings.Contains(p.body, "curseur de pagination invalide") {
		t.Fatalf("page with a bad cursor: %d\n%s", p.status, p.body)
	}
	p = newBrowser(t).get(r.base + "/c/alpes/resources?type=guide")
	if p.status != 200 || !strings.Contains(p.body, "3 ressources correspondant aux filtres") || !strings.Contains(p.body, `<option value="guide" selected>`) {
		t.Fatalf("filtered page: %d\n%s", p.status, p.body)
	}
	// A file over the limit is refused by the handler's own count.
	list := r.api("", "GET", "/api/v1/resources", nil, "")
	id := list.body["items"].([]any)[0].(map[string]any)["id"].(string)
	body, ctype := multipartBody(t, nil, part{"file", "gros.txt", "text/plain", bytes.Repeat([]byte("a"), 65<<10)})
	if a := r.api(tok, "POST", "/api/v1/resources/"+id+"/attachments", body, ctype); a.status != 413 || a.errorField() != "file" {
		t.Fatalf("file over the limit: %d %s", a.status, a.raw)
	}
	if len(r.stored()) != 0 {
		t.Fatalf("files left: %v", r.stored())
	}
}
