package resource_test

import (
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"testing"

	"collectif/access"
	"collectif/fault"
	"collectif/jobs"
	"collectif/resource"
	"collectif/store"
	"collectif/store/storetest"
)

func ptr[T any](v T) *T { return &v }

func TestWhoMayPostEditDeleteAndSee(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, resource.Deps{})
		in := func(group string) resource.NewResource {
			return resource.NewResource{Collective: "alpes", Group: group, Fields: resource.Fields{Title: "Guide", Type: "guide"}}
		}
		posts := []struct {
			name  string
			p     access.Principal
			group string
			want  fault.Kind // 0xff: allowed
			field string
		}{
			{"partner shares in the collective", w.partner, "", ok, ""},
			{"member shares in the collective", w.member, "", ok, ""},
			{"visitor must log in", w.visitor, "", fault.Unauthorized, ""},
			{"non-member is refused", w.outsider, "", fault.Forbidden, ""},
			{"banned member is refused", w.banned, "", fault.Forbidden, ""},
			{"member outside a public group is refused in it", w.partner, "marches", fault.Forbidden, ""},
			{"moderator shares in any group", w.moderator, "securite", ok, ""},
			{"group member shares in the members-only group", w.insider, "securite", ok, ""},
			{"members-only group is unknown to a member outside it", w.member, "securite", fault.Invalid, "group"},
			{"members-only group is unknown to a banned group member", w.banned, "securite", fault.Invalid, "group"},
			{"unknown group", w.member, "inconnu", fault.Invalid, "group"},
		}
		for _, c := range posts {
			t.Run(c.name, func(t *testing.T) {
				_, err := w.svc.Create(ctx, c.p, in(c.group))
				checkKind(t, err, c.want, c.field)
			})
		}

		doc := w.post(w.member, "", "Guide de migration")
		secret := w.post(w.insider, "securite", "Plan de sécurité")
		changes := []struct {
			name string
			p    access.Principal
			id   string
			del  bool
			want fault.Kind
		}{
			{"author edits", w.member, doc.ID, false, ok},
			{"another member may not edit", w.member2, doc.ID, false, fault.Forbidden},
			{"partner may not edit", w.partner, doc.ID, false, fault.Forbidden},
			{"visitor must log in to edit", w.visitor, doc.ID, false, fault.Unauthorized},
			{"moderator edits", w.moderator, doc.ID, false, ok},
			{"outsider does not see the members-only resource", w.member, secret.ID, false, fault.NotFound},
			{"another member may not delete", w.member2, doc.ID, true, fault.Forbidden},
			{"outsider cannot delete the members-only resource", w.member, secret.ID, true, fault.NotFound},
			{"author deletes in the members-only group", w.insider, secret.ID, true, ok},
			{"moderator deletes", w.moderator, doc.ID, true, ok},
		}
		for _, c := range changes {
			t.Run(c.name, func(t *testing.T) {
				var err error
				if c.del {
					err = w.svc.Delete(ctx, c.p, c.id)
				} else {
					_, err = w.svc.Update(ctx, c.p, c.id, resource.Patch{Summary: ptr("Mis à jour.")})
				}
				checkKind(t, err, c.want, "")
			})
		}
	})
}

// ok stands for "allowed" in the tables.
const ok fault.Kind = 0xff

func checkKind(t *testing.T, err error, want fault.Kind, field string) {
	t.Helper()
	if want == ok {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	if err == nil || fault.KindOf(err) != want {
		t.Fatalf("err = %v, want a %s fault", err, want)
	}
	if field != "" && fault.FieldOf(err) != field {
		t.Fatalf("field = %q, want %q (%v)", fault.FieldOf(err), field, err)
	}
	if fault.MessageOf(err) == "" || strings.Contains(fault.MessageOf(err), "interne") {
		t.Fatalf("no clear message: %v", err)
	}
}

// TestMembersOnlyResourcesStayHidden checks, for every kind of principal,
// that lists (the SQL form of the rule) show exactly what Get (access.Can)
// lets them see, and that a members-only resource and its file are simply
// not found by the others.
func TestMembersOnlyResourcesStayHidden(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, resource.Deps{})
		open := w.post(w.partner, "", "Guide ouvert")
		inGroup := w.post(w.moderator, "marches", "Modèle de CCTP")
		secret := w.post(w.insider, "securite", "Plan de sécurité", upload("plan.pdf", pdf))
		want := map[string][]string{
			"visitor":   {open.ID, inGroup.ID},
			"outsider":  {open.ID, inGroup.ID},
			"member":    {open.ID, inGroup.ID},
			"banned":    {open.ID, inGroup.ID},
			"insider":   {open.ID, inGroup.ID, secret.ID},
			"moderator": {open.ID, inGroup.ID, secret.ID},
			"admin":     {open.ID, inGroup.ID, secret.ID},
		}
		who := map[string]access.Principal{"visitor": w.visitor, "outsider": w.outsider, "member": w.member, "banned": w.banned,
			"insider": w.insider, "moderator": w.moderator, "admin": w.admin}
		for name, p := range who {
			t.Run(name, func(t *testing.T) {
				for _, f := range []resource.Filter{{}, {Collective: "alpes"}, {Collective: w.alpes.ID, Type: "guide"}} {
					pg, err := w.svc.List(ctx, p, f)
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, it := range pg.Items {
						got = append(got, it.ID)
					}
					sort.Strings(got)
					exp := append([]string(nil), want[name]...)
					sort.Strings(exp)
					if strings.Join(got, ",") != strings.Join(exp, ",") || pg.Total != len(exp) {
						t.Fatalf("List(%+v) = %v (total %d), want %v", f, got, pg.Total, exp)
					}
				}
				_, err := w.svc.Get(ctx, p, secret.ID)
				sees := len(want[name]) == 3
				if sees != (err == nil) || !sees && !fault.Is(err, fault.NotFound) {
					t.Fatalf("Get(secret) = %v, want seen=%v or not found", err, sees)
				}
				d, err := w.svc.Open(ctx, p, secret.Files[0].ID)
				if sees != (err == nil) || !sees && !fault.Is(err, fault.NotFound) {
					t.Fatalf("Open(secret file) = %v, want seen=%v or not found", err, sees)
				}
				if d != nil {
					d.File.Close()
				}
				// The group filter does not reveal that the group exists.
				_, err = w.svc.List(ctx, p, resource.Filter{Collective: "alpes", Group: "securite"})
				if sees != (err == nil) || !sees && !fault.Is(err, fault.NotFound) {
					t.Fatalf("List(group=securite) = %v, want seen=%v or not found", err, sees)
				}
				pg, err := w.svc.List(ctx, p, resource.Filter{Collective: "alpes"})
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range pg.Groups {
					if g.ID == w.private.ID && !sees {
						t.Fatal("the members-only group is offered in the filters")
					}
				}
			})
		}
	})
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, resource.Deps{})
		good := resource.Fields{Title: "Guide", Type: "guide", Licence: "CC-BY-4.0"}
		with := func(f func(*resource.Fields)) resource.Fields {
			x := good
			f(&x)
			return x
		}
		elevenTags := make([]string, 11)
		for i := range elevenTags {
			elevenTags[i] = "tag" + string(rune('a'+i))
		}
		cases := []struct {
			name  string
			in    resource.NewResource
			field string
		}{
			{"empty title", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Title = "  " })}, "title"},
			{"title too long", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Title = strings.Repeat("é", 201) })}, "title"},
			{"summary too long", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Summary = strings.Repeat("x", 501) })}, "summary"},
			{"10 MB of Markdown", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Body = strings.Repeat("# Titre\n", 10<<20/8) })}, "body"},
			{"unknown licence", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Licence = "WTFPL" })}, "licence"},
			{"bad type", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Type = "podcast" })}, "type"},
			{"no type", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Type = "" })}, "type"},
			{"too many tags", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Tags = elevenTags })}, "tags"},
			{"tag too long", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Tags = []string{strings.Repeat("a", 41)} })}, "tags"},
			{"tag with a slash", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Tags = []string{"a/b"} })}, "tags"},
			{"javascript link", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Link = "javascript:alert(1)" })}, "link"},
			{"ftp link", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Link = "ftp://example.org/a" })}, "link"},
			{"link without host", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Link = "https://" })}, "link"},
			{"link with credentials", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Link = "https://user:pw@example.org/" })}, "link"},
			{"video without its link", resource.NewResource{Collective: "alpes", Fields: with(func(f *resource.Fields) { f.Type = "video" })}, "link"},
			{"unknown collective", resource.NewResource{Collective: "nulle-part", Fields: good}, "collective"},
			{"no collective", resource.NewResource{Fields: good}, "collective"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := w.svc.Create(ctx, w.member, c.in, upload("guide.pdf", pdf))
				checkKind(t, err, fault.Invalid, c.field)
				if n := w.count("resources"); n != 0 {
					t.Fatalf("%d resources written", n)
				}
				if n := w.count("resource_files"); n != 0 {
					t.Fatalf("%d files recorded", n)
				}
				if f := w.files(); len(f) != 0 {
					t.Fatalf("files left on disk: %v", f)
				}
			})
		}
		// A bad patch changes nothing either.
		v := w.post(w.member, "", "Guide")
		_, err := w.svc.Update(ctx, w.member, v.ID, resource.Patch{Title: ptr("Nouveau titre"), Licence: ptr("WTFPL")}, upload("b.pdf", pdf))
		checkKind(t, err, fault.Invalid, "licence")
		again, _ := w.svc.Get(ctx, w.member, v.ID)
		if again.Title != "Guide" || len(again.Files) != 0 || len(w.files()) != 0 {
			t.Fatalf("a refused patch changed the resource: %+v, files %v", again.Resource, w.files())
		}
	})
}

func TestFieldsAreNormalized(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, resource.Deps{})
		v, err := w.svc.Create(ctx, w.partner, resource.NewResource{Collective: w.alpes.ID, Fields: resource.Fields{
			Title: "  Rediffusion : migrer vers Nextcloud ", Type: "video", Link: "https://video.ville.example/w/abc",
			Tags: []string{"#Nextcloud", " Logiciel  Libre ", "nextcloud", "", "Marchés_Publics"}, Body: "Voir **la vidéo**.\n\n<script>alert(1)</script>"}})
		if err != nil {
			t.Fatal(err)
		}
		if v.Title != "Rediffusion : migrer vers Nextcloud" || v.Licence != "etalab-2.0" || v.AuthorName != "Partner" {
			t.Fatalf("stored %+v", v.Resource)
		}
		if strings.Join(v.Tags, ",") != "logiciel-libre,marchés-publics,nextcloud" {
			t.Fatalf("tags = %v", v.Tags)
		}
		if !strings.Contains(string(v.BodyHTML), "<strong>la vidéo</strong>") || strings.Contains(string(v.BodyHTML), "<script") {
			t.Fatalf("body HTML = %s", v.BodyHTML)
		}
		v, err = w.svc.Update(ctx, w.partner, v.ID, resource.Patch{Tags: &[]string{"peertube"}, Type: ptr("link")})
		if err != nil || strings.Join(v.Tags, ",") != "peertube" || v.Kind != "link" || v.Link == "" {
			t.Fatalf("patch: %v %+v", err, v)
		}
	})
}

func TestListPagesFiltersAndCursor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, resource.Deps{})
		kinds := []string{"guide", "study", "deliberation"}
		for i := range 25 {
			f := resource.Fields{Title: "Ressource " + string(rune('A'+i)), Type: kinds[i%3], Licence: "etalab-2.0"}
			if i%5 == 0 {
				f.Tags, f.Licence = []string{"nextcloud"}, "CC-BY-SA-4.0"
			}
			if _, err := w.svc.Create(ctx, w.member, resource.NewResource{Collective: "alpes", Fields: f}); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]bool{}
		cur, pages := "", 0
		var prev *resource.Item
		for {
			pg, err := w.svc.List(ctx, w.visitor, resource.Filter{Collective: "alpes", Cursor: cur, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if pg.Total != 25 {
				t.Fatalf("total = %d", pg.Total)
			}
			for _, it := range pg.Items {
				if seen[it.ID] {
					t.Fatalf("%s on two pages", it.ID)
				}
				if prev != nil && (it.CreatedAt.After(prev.CreatedAt) || it.CreatedAt.Equal(prev.CreatedAt) && it.ID > prev.ID) {
					t.Fatalf("not newest first: %s after %s", it.Title, prev.Title)
				}
				seen[it.ID], prev = true, &it
			}
			if pg.Next == "" {
				break
			}
			cur = pg.Next
		}
		if pages != 3 || len(seen) != 25 {
			t.Fatalf("%d pages, %d resources", pages, len(seen))
		}
		for _, c := range []struct {
			f    resource.Filter
			want int
		}{
			{resource.Filter{Tag: "#NextCloud"}, 5},
			{resource.Filter{Licence: "CC-BY-SA-4.0"}, 5},
			{resource.Filter{Type: "study"}, 8},
			{resource.Filter{Type: "study", Tag: "nextcloud"}, 1},
			{resource.Filter{Collective: "alpes", Group: "marches"}, 0},
		} {
			pg, err := w.svc.List(ctx, w.visitor, c.f)
			if err != nil || pg.Total != c.want || len(pg.Items) != min(c.want, 20) {
				t.Fatalf("List(%+v) = %v, total %d, want %d", c.f, err, pg.Total, c.want)
			}
		}
		for _, c := range []struct {
			f     resource.Filter
			field string
		}{
			{resource.Filter{Cursor: "pas-un-curseur"}, "cursor"},
			{resource.Filter{Cursor: "eyJ0IjoxfQ"}, "cursor"},
			{resource.Filter{Type: "podcast"}, "type"},
			{resource.Filter{Licence: "WTFPL"}, "licence"},
			{resource.Filter{Limit: 1000}, "limit"},
		} {
			_, err := w.svc.List(ctx, w.visitor, c.f)
			checkKind(t, err, fault.Invalid, c.field)
		}
		latest, err := w.svc.Latest(ctx, w.visitor, w.alpes.ID, 3)
		if err != nil || len(latest) != 3 || latest[0].Title != "Ressource Y" {
			t.Fatalf("Latest = %v, %v", latest, err)
		}
	})
}

func TestUploadsAreSniffedAndStoredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, resource.Deps{})
		refused := []struct {
			name    string
			content []byte
			says    string
		}{
			{"guide.pdf", append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 600)...), "ELF"},
			{"guide.pdf", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 600)...), "Windows"},
			{"notes.txt", []byte("#!/bin/sh\nrm -rf ~\n"), "script"},
			{"cours.pdf", []byte("\xca\xfe\xba\xbe\x00\x00\x00\x34"), "Java"},
			{"mac.pdf", []byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01"), "Mach-O"},
			{"ancien.doc", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"), "OLE"},
			{"logo.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "SVG"},
			{"page.txt", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), "text/html"},
			{"archive.zip", ooxml(t, "random.bin"), "ZIP"},
			{"macro.docx", ooxml(t, "word/document.xml", "word/vbaProject.bin"), "macros"},
			{"macro.odt", odt(t, "application/vnd.oasis.opendocument.text", "Basic/Standard/Module1.xml"), "macros"},
			{"vide.pdf", nil, "vide"},
		}
		for _, c := range refused {
			t.Run(c.name+"/"+c.says, func(t *testing.T) {
				_, err := w.svc.Create(ctx, w.member, resource.NewResource{Collective: "alpes", Fields: resource.Fields{Title: "Guide", Type: "guide"}},
					upload("ok.pdf", pdf), upload(c.name, c.content))
				checkKind(t, err, fault.Invalid, "file")
				if !strings.Contains(fault.MessageOf(err), c.says) {
					t.Fatalf("message %q does not say %q", fault.MessageOf(err), c.says)
				}
				if w.count("resources") != 0 || len(w.files()) != 0 {
					t.Fatalf("a refused upload left %d resources and files %v", w.count("resources"), w.files())
				}
			})
		}

		doc := odt(t, "application/vnd.oasis.opendocument.text")
		a := w.post(w.member, "", "Délibération type", upload("délibération.odt", doc), upload("../../etc/annexe.pdf", pdf),
			upload("tableau.xlsx", ooxml(t, "xl/workbook.xml")))
		b := w.post(w.partner, "", "Étude", upload("étude.PDF", pdf))
		types := map[string]string{}
		for _, f := range a.Files {
			types[f.Name] = f.ContentType
		}
		wantTypes := map[string]string{
			"délibération.odt": "application/vnd.oasis.opendocument.text",
			"annexe.pdf":       "application/pdf",
			"tableau.xlsx":     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		}
		for n, ct := range wantTypes {
			if types[n] != ct {
				t.Fatalf("attachments %v, want %s as %s", types, n, ct)
			}
		}
		if b.Files[0].Name != "étude.PDF" || b.Files[0].Size != int64(len(pdf)) {
			t.Fatalf("b's file: %+v", b.Files[0])
		}
		// The PDF is stored once for both resources.
		if n := len(w.files()); n != 3 || w.count("resource_files") != 3 || w.count("resource_attachments") != 4 {
			t.Fatalf("files on disk %v, rows %d, attachments %d", w.files(), w.count("resource_files"), w.count("resource_attachments"))
		}
		// The same file twice on one resource is refused.
		_, err := w.svc.Update(ctx, w.partner, b.ID, resource.Patch{}, upload("copie.pdf", pdf))
		checkKind(t, err, fault.Invalid, "file")

		// Downloads give back the bytes.
		d, err := w.svc.Open(ctx, w.visitor, b.Files[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(d.File)
		d.File.Close()
		if string(got) != string(pdf) || d.Inline || !d.Public || d.ContentType != "application/pdf" {
			t.Fatalf("download: %d bytes, %+v", len(got), d.Attachment)
		}

		// Deleting a removes its own files, not the PDF that b still uses.
		if err := w.svc.Delete(ctx, w.member, a.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(w.files()); n != 1 || w.count("resource_files") != 1 {
			t.Fatalf("after deleting a: files %v", w.files())
		}
		if _, err := w.svc.Open(ctx, w.visitor, a.Files[0].ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("a deleted resource's file: %v", err)
		}
		// Removing b's only attachment removes the file.
		if err := w.svc.RemoveAttachment(ctx, w.partner, b.ID, b.Files[0].ID); err != nil {
			t.Fatal(err)
		}
		if n := len(w.files()); n != 0 || w.count("resource_files") != 0 {
			t.Fatalf("after removing the attachment: files %v", w.files())
		}
	})
}

func TestTextIsExtractedForSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, resource.Deps{})
		v := w.post(w.member, "", "Notes", upload("notes.md", []byte("# Réunion\n\nMigration **Nextcloud**.\n")),
			upload("budget.csv", []byte("poste;montant\nlicences \xe9vit\xe9es;350000\n")))
		var texts []string
		if err := db.R.NewSelect().Table("resource_files").Column("text").OrderExpr("text").Scan(context.Background(), &texts); err != nil {
			t.Fatal(err)
		}
		if len(texts) != 2 || texts[0] != "Réunion\nMigration Nextcloud." || !strings.Contains(texts[1], "licences évitées") {
			t.Fatalf("texts = %q", texts)
		}
		if ct := v.Files[0].ContentType; ct != "text/markdown; charset=utf-8" {
			t.Fatalf("markdown served as %q", ct)
		}
		if ct := v.Files[1].ContentType; ct != "text/csv" {
			t.Fatalf("Windows-1252 CSV served as %q", ct)
		}
	})
}

// failingReader gives n bytes, then fails as a dropped connection does.
type failingReader struct{ n int }

func (f *failingReader) Read(b []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset by peer")
	}
	k := min(len(b), f.n)
	for i := range k {
		b[i] = 'a'
	}
	f.n -= k
	return k, nil
}

func TestFileWritesAreAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, resource.Deps{MaxFileSize: 64 << 10, MaxFiles: 2})
		v := w.post(w.member, "", "Guide")
		cases := []struct {
			name string
			ups  []resource.Upload
			kind fault.Kind
		}{
			{"connection drops mid-file", []resource.Upload{{Name: "long.txt", R: &failingReader{n: 40 << 10}}}, fault.Invalid},
			{"file over the limit", []resource.Upload{{Name: "gros.txt", R: &failingReader{n: 1 << 20}}}, fault.TooLarge},
			{"announced size over the limit", []resource.Upload{{Name: "gros.pdf", Size: 1 << 30, R: strings.NewReader("%PDF-")}}, fault.TooLarge},
			{"too many files", []resource.Upload{upload("a.txt", []byte("a")), upload("b.txt", []byte("b")), upload("c.txt", []byte("c"))}, fault.Invalid},
			{"a good file then a bad one", []resource.Upload{upload("a.pdf", pdf), upload("b.pdf", []byte("MZ"))}, fault.Invalid},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := w.svc.Update(ctx, w.member, v.ID, resource.Patch{}, c.ups...)
				checkKind(t, err, c.kind, "file")
				if f := w.files(); len(f) != 0 {
					t.Fatalf("left on disk: %v", f)
				}
				if n := w.count("resource_attachments"); n != 0 {
					t.Fatalf("%d attachments written", n)
				}
			})
		}
		// A file at exactly the limit is accepted.
		exact := make([]byte, 64<<10)
		for i := range exact {
			exact[i] = 'x'
		}
		if _, err := w.svc.Update(ctx, w.member, v.ID, resource.Patch{}, upload("limite.txt", exact)); err != nil {
			t.Fatal(err)
		}
		// Stored files are never temporary files, and nothing is left in tmp.
		for _, f := range w.files() {
			if strings.Contains(f, "tmp") {
				t.Fatalf("temporary file left: %s", f)
			}
		}
	})
}

func TestSweepRemovesLeftovers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, resource.Deps{})
		v := w.post(w.member, "", "Guide", upload("guide.pdf", pdf))
		// What a crash leaves: a temporary file, a stored file without a
		// row, a row without attachments.
		writeOld(t, w.dir+"/resources/tmp/upload-123", "partial")
		writeOld(t, w.dir+"/resources/files/ab/ab"+strings.Repeat("0", 62), "orphan")
		if _, err := db.W.ExecContext(ctx, "INSERT INTO resource_files (sha256, size, text, created_at) VALUES (?, 1, '', ?)", strings.Repeat("c", 64), v.CreatedAt); err != nil {
			t.Fatal(err)
		}
		n, err := w.svc.Sweep(ctx, 1)
		if err != nil || n != 3 {
			t.Fatalf("Sweep = %d, %v; want 3", n, err)
		}
		if f := w.files(); len(f) != 1 || w.count("resource_files") != 1 {
			t.Fatalf("after sweep: %v", f)
		}
		if _, err := w.svc.Open(ctx, w.visitor, v.Files[0].ID); err != nil {
			t.Fatalf("the used file was swept: %v", err)
		}
	})
}

func TestDeleteAllByAnAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, resource.Deps{})
		w.post(w.member, "", "Un", upload("a.pdf", pdf))
		w.post(w.member, "", "Deux")
		kept := w.post(w.partner, "", "Trois", upload("a.pdf", pdf))
		if _, err := w.svc.DeleteAllBy(ctx, w.partner, w.member.AccountID); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("someone else's content: %v", err)
		}
		n, err := w.svc.DeleteAllBy(ctx, w.member, w.member.AccountID)
		if err != nil || n != 2 || w.count("resources") != 1 {
			t.Fatalf("DeleteAllBy = %d, %v; %d resources left", n, err, w.count("resources"))
		}
		if _, err := w.svc.Open(ctx, w.visitor, kept.Files[0].ID); err != nil || len(w.files()) != 1 {
			t.Fatalf("the shared file went too: %v %v", err, w.files())
		}
	})
}

func TestSweepJobIsRegistered(t *testing.T) {
	reg := jobs.NewRegistry(nil)
	resource.RegisterJobs(reg, resource.New(resource.Deps{Dir: t.TempDir()}))
	if k := reg.Kinds(); len(k) != 1 || k[0] != (resource.SweepArgs{}).Kind() {
		t.Fatalf("kinds = %v", k)
	}
}
