package resource_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/collective"
	"collectif/model"
	"collectif/resource"
	"collectif/store"
)

// world is a collective with a public group and a members-only group, and
// people in every position the rules care about.
type world struct {
	t       *testing.T
	db      *store.DB
	svc     *resource.Service
	dir     string // the uploads directory
	alpes   *model.Collective
	public  *model.WorkingGroup // "marches": public, open
	private *model.WorkingGroup // "securite": members only

	visitor   access.Principal
	outsider  access.Principal // logged in, not a member
	member    access.Principal // member of the collective, in no group
	member2   access.Principal
	partner   access.Principal // the State's digital agency
	moderator access.Principal
	insider   access.Principal // member of the collective and of the private group
	banned    access.Principal // banned from the collective, still listed in the private group
	admin     access.Principal // instance administrator
}

func newWorld(t *testing.T, db *store.DB, d resource.Deps) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, db: db}
	w.dir = t.TempDir()
	d.DB, d.Dir = db, w.dir
	w.svc = resource.New(d)
	cs := collective.New(db)
	var err error
	if w.alpes, err = cs.Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Collectif des Alpes", Scope: model.ScopeRegional}); err != nil {
		t.Fatal(err)
	}
	if w.public, err = cs.CreateGroup(ctx, access.System(), "alpes", collective.NewGroup{Slug: "marches", Name: "Marchés publics", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic}); err != nil {
		t.Fatal(err)
	}
	if w.private, err = cs.CreateGroup(ctx, access.System(), "alpes", collective.NewGroup{Slug: "securite", Name: "Sécurité", JoinPolicy: model.JoinInvitation, Visibility: model.VisibilityMembers}); err != nil {
		t.Fatal(err)
	}
	w.visitor = access.Anonymous()
	w.outsider = w.person("outsider", "", "")
	w.member = w.person("member", model.RoleMember, "")
	w.member2 = w.person("member2", model.RoleMember, "")
	w.partner = w.person("partner", model.RolePartner, "")
	w.moderator = w.person("moderator", model.RoleModerator, "")
	w.insider = w.person("insider", model.RoleMember, w.private.ID)
	w.banned = w.person("banned", model.StatusBanned, w.private.ID)
	w.admin = access.Account(w.person("admin", "", "").AccountID, true)
	return w
}

// person makes an account with a role in the collective (or the status
// banned) and, when group is set, an active membership of that group.
func (w *world) person(name string, role any, group string) access.Principal {
	w.t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	a := &model.Account{ID: model.NewID(), Email: name + "@ville.example", Name: strings.ToUpper(name[:1]) + name[1:], CreatedAt: now, UpdatedAt: now}
	if _, err := w.db.W.NewInsert().Model(a).Exec(ctx); err != nil {
		w.t.Fatal(err)
	}
	m := &model.Membership{ID: model.NewID(), CollectiveID: w.alpes.ID, AccountID: a.ID, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
	switch r := role.(type) {
	case model.Role:
		m.Role = r
	case model.MembershipStatus:
		m.Role, m.Status = model.RoleMember, r
	}
	if m.Role != "" {
		if _, err := w.db.W.NewInsert().Model(m).Exec(ctx); err != nil {
			w.t.Fatal(err)
		}
	}
	if group != "" {
		gm := &model.GroupMembership{ID: model.NewID(), GroupID: group, AccountID: a.ID, Role: model.RoleMember, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
		if _, err := w.db.W.NewInsert().Model(gm).Exec(ctx); err != nil {
			w.t.Fatal(err)
		}
	}
	return access.Account(a.ID, false)
}

// post shares a valid resource, failing the test on error.
func (w *world) post(p access.Principal, group, title string, ups ...resource.Upload) *resource.View {
	w.t.Helper()
	v, err := w.svc.Create(context.Background(), p, resource.NewResource{Collective: "alpes", Group: group,
		Fields: resource.Fields{Title: title, Type: "guide", Licence: "etalab-2.0", Body: "# " + title}}, ups...)
	if err != nil {
		w.t.Fatalf("post %q: %v", title, err)
	}
	return v
}

func (w *world) count(table string) int {
	w.t.Helper()
	var n int
	if err := w.db.R.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// files lists the regular files under the uploads directory.
func (w *world) files() []string {
	w.t.Helper()
	var out []string
	filepath.WalkDir(w.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(w.dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func upload(name string, b []byte) resource.Upload {
	return resource.Upload{Name: name, R: bytes.NewReader(b)}
}

// A small but real PDF.
var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n" +
	"trailer << /Root 1 0 R >>\n%%EOF\n")

// odt returns an OpenDocument text as LibreOffice writes it: "mimetype"
// first and stored, then the content.
func odt(t testing.TB, mimetype string, extra ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(mimetype))
	for _, n := range append([]string{"content.xml", "META-INF/manifest.xml"}, extra...) {
		w, _ := zw.Create(n)
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><office:document-content/>`))
	}
	zw.Close()
	return buf.Bytes()
}

// ooxml returns an Office Open XML package with the given parts.
func ooxml(t testing.TB, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range append([]string{"[Content_Types].xml", "_rels/.rels"}, parts...) {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(`<?xml version="1.0"?><x/>`))
	}
	zw.Close()
	return buf.Bytes()
}

// writeOld writes a file dated two hours ago.
func writeOld(t testing.TB, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
}
