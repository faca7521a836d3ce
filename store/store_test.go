package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

func TestMigrateFromEmptyThenNoop(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, storetest.Options(t, e))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			pending, err := db.Pending(ctx)
			if err != nil || len(pending) == 0 {
				t.Fatalf("pending on an empty database = %v, %v; want every migration", pending, err)
			}
			applied, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(applied, ",") != strings.Join(pending, ",") {
				t.Fatalf("applied %v, want %v", applied, pending)
			}
			again, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(again) != 0 {
				t.Fatalf("second run applied %v, want nothing", again)
			}
			if p, _ := db.Pending(ctx); len(p) != 0 {
				t.Fatalf("pending after migrate = %v", p)
			}
			// The schema is there: a row goes in and comes out.
			now := time.Now().UTC().Truncate(time.Microsecond)
			c := &model.Collective{ID: model.NewID(), Slug: "alpes", Name: "Collectif des Alpes", Scope: model.ScopeRegional, CreatedAt: now, UpdatedAt: now}
			if _, err := db.W.NewInsert().Model(c).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			var got model.Collective
			if err := db.R.NewSelect().Model(&got).Where("slug = ?", "alpes").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if got.Name != c.Name || !got.CreatedAt.Equal(now) {
				t.Fatalf("read back %+v, want %+v", got, c)
			}
		})
	}
}

func TestConcurrentMigrateAppliesOnce(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			opts := storetest.Options(t, e)
			// Two handles on one database, as two nodes starting at once.
			a, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			type result struct {
				applied []string
				err     error
			}
			ch := make(chan result, 2)
			for _, db := range []*store.DB{a, b} {
				go func() {
					v, err := db.Migrate(ctx)
					ch <- result{v, err}
				}()
			}
			r1, r2 := <-ch, <-ch
			if r1.err != nil || r2.err != nil {
				t.Fatalf("migrate: %v / %v", r1.err, r2.err)
			}
			all, _ := store.Migrations(e)
			if n := len(r1.applied) + len(r2.applied); n != len(all) {
				t.Fatalf("the two nodes applied %d migrations in all (%v, %v), want %d", n, r1.applied, r2.applied, len(all))
			}
		})
	}
}

func TestErrorsTranslated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		c := &model.Collective{ID: model.NewID(), Slug: "national", Name: "National", Scope: model.ScopeNational, CreatedAt: now, UpdatedAt: now}
		if _, err := db.W.NewInsert().Model(c).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		c.ID = model.NewID()
		_, err := db.W.NewInsert().Model(c).Exec(ctx)
		if !errors.Is(store.Conflict(err), store.ErrConflict) {
			t.Fatalf("duplicate slug: %v, want ErrConflict", err)
		}
		var got model.Collective
		err = db.R.NewSelect().Model(&got).Where("slug = ?", "nope").Scan(ctx)
		if !errors.Is(store.NotFound(err), store.ErrNotFound) {
			t.Fatalf("missing row: %v, want ErrNotFound", err)
		}
		// A constraint of the schema holds on both engines.
		bad := &model.Collective{ID: model.NewID(), Slug: "Bad Slug!", Name: "x", Scope: model.ScopeLocal, CreatedAt: now, UpdatedAt: now}
		if _, err := db.W.NewInsert().Model(bad).Exec(ctx); err == nil {
			t.Fatal("a malformed slug was stored")
		}
	})
}

func TestSQLiteIsDurableAndReadersSeeCommits(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	var mode, sync string
	if err := db.W.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := db.W.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != "2" { // 2 = FULL
		t.Fatalf("journal_mode=%s synchronous=%s, want wal and 2 (FULL)", mode, sync)
	}
	var fk int
	if err := db.R.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys on readers = %d, %v", fk, err)
	}
	// Readers map the file, keep an 8 MB page cache and sort in memory.
	var mmap, cache, temp int64
	for _, pr := range []struct {
		name string
		v    *int64
	}{{"mmap_size", &mmap}, {"cache_size", &cache}, {"temp_store", &temp}} {
		if err := db.R.QueryRowContext(ctx, "PRAGMA "+pr.name).Scan(pr.v); err != nil {
			t.Fatal(err)
		}
	}
	if mmap != 256<<20 || cache != -8192 || temp != 2 { // 2 = MEMORY
		t.Fatalf("readers: mmap_size=%d cache_size=%d temp_store=%d, want %d, -8192, 2", mmap, cache, temp, 256<<20)
	}
	// A commit on the writer is seen at once by the read pool (WAL).
	now := time.Now().UTC()
	c := &model.Collective{ID: model.NewID(), Slug: "vue", Name: "Vue", Scope: model.ScopeLocal, CreatedAt: now, UpdatedAt: now}
	if _, err := db.W.NewInsert().Model(c).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM collectives WHERE slug = 'vue'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the reader sees %d rows after the commit (%v), want 1", n, err)
	}
	// The read pool refuses writes.
	if _, err := db.R.ExecContext(ctx, "DELETE FROM collectives"); err == nil {
		t.Fatal("the read pool accepted a write")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(db.Path), store.SQLiteFile)); err != nil {
		t.Fatal(err)
	}
}

func TestCheckDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := store.CheckDataDir(dir); err != nil {
		t.Fatalf("a new nested directory: %v", err)
	}
	if os.Geteuid() == 0 {
		// root writes anywhere; a file in the way still fails.
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, nil, 0o600)
		if err := store.CheckDataDir(filepath.Join(f, "sub")); err == nil {
			t.Fatal("a path under a regular file was accepted")
		}
		return
	}
	ro := t.TempDir()
	os.Chmod(ro, 0o500)
	if err := store.CheckDataDir(ro); err == nil {
		t.Fatal("a read-only directory was accepted")
	}
}
