package resource_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"

	"collectif/indexer"
	"collectif/jobs"
	"collectif/resource"
	"collectif/search"
	"collectif/store"
	"collectif/store/storetest"
)

func TestChangesAreIndexedForSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		q, err := jobs.New(db, nil, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		w := newWorld(t, db, resource.Deps{Queue: q})
		jobsFor := func() int {
			t.Helper()
			var n int
			if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE kind = ?", search.IndexJob{}.Kind()).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		open := w.post(w.member, "", "Guide Nextcloud", upload("notes.md", []byte("# Réunion\n\nLes **agents** adoptent SOGo.")))
		secret := w.post(w.insider, "securite", "Plan de sécurité")
		if n := jobsFor(); n != 2 {
			t.Fatalf("%d index jobs after two creations", n)
		}
		// A refused change enqueues nothing.
		w.svc.Update(ctx, w.member, open.ID, resource.Patch{Licence: ptr("WTFPL")})
		if n := jobsFor(); n != 2 {
			t.Fatalf("a refused change enqueued a job (%d)", n)
		}

		src := w.svc.IndexSources()[0]
		d, err := src.Load(ctx, open.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.ID != "resource:"+open.ID || d.Title != "Guide Nextcloud" || d.URL != "/c/alpes/r/"+open.ID || d.Collective != "alpes" ||
			strings.Join(d.Audience, ",") != "public" || !strings.Contains(d.Body, "Les agents adoptent SOGo.") || !strings.Contains(d.Body, "notes.md") || d.Licence != "etalab-2.0" {
			t.Fatalf("document %+v", d)
		}
		d, err = src.Load(ctx, secret.ID)
		if err != nil || strings.Contains(strings.Join(d.Audience, ","), "public") || d.Group != "securite" {
			t.Fatalf("members-only document %+v, %v", d, err)
		}
		var all []search.Document
		if err := src.All(ctx, func(d search.Document) error { all = append(all, d); return nil }); err != nil || len(all) != 2 {
			t.Fatalf("All = %d documents, %v", len(all), err)
		}
		if err := w.svc.Delete(ctx, w.member, open.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := src.Load(ctx, open.ID); !errors.Is(err, indexer.ErrGone) {
			t.Fatalf("deleted resource: %v", err)
		}
		if n := jobsFor(); n != 3 {
			t.Fatalf("%d index jobs after the deletion", n)
		}
	})
}

// The text of a PDF attachment goes into the resource's document; a PDF
// whose text cannot be read is kept all the same, without text.
func TestPDFAttachmentTextIsIndexed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, resource.Deps{})
		pdf := fpdf.New("P", "mm", "A4", "")
		tr := pdf.UnicodeTranslatorFromDescriptor("cp1252")
		pdf.AddPage()
		pdf.SetFont("Helvetica", "", 12)
		pdf.MultiCell(0, 6, tr("Cahier des clauses techniques : réversibilité de l'hébergement Nextcloud à Échirolles."), "", "L", false)
		var buf bytes.Buffer
		if err := pdf.Output(&buf); err != nil {
			t.Fatal(err)
		}
		r := w.post(w.member, "", "Marché d'hébergement", upload("cctp.pdf", buf.Bytes()),
			upload("abime.pdf", []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")))
		if len(r.Files) != 2 {
			t.Fatalf("attachments %+v", r.Files)
		}
		d, err := w.svc.IndexSources()[0].Load(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		body := strings.Join(strings.Fields(d.Body), " ")
		for _, want := range []string{"réversibilité de l'hébergement Nextcloud à Échirolles", "cctp.pdf", "abime.pdf"} {
			if !strings.Contains(body, want) {
				t.Errorf("document body lacks %q:\n%s", want, body)
			}
		}
	})
}
