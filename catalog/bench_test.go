package catalog_test

import (
	"context"
	"testing"

	"collectif/access"
	"collectif/catalog"
	"collectif/store"
	"collectif/store/storetest"
)

// Import time of the real SILL file (240 entries) in one transaction, into
// an empty catalog and again over itself (nothing changes):
//
//	go test ./catalog -run '^$' -bench ImportSILL -benchmem
//
// With COLLECTIF_TEST_DATABASE_URL set, PostgreSQL is measured too.
func BenchmarkImportSILL(b *testing.B) {
	ctx := context.Background()
	for _, e := range storetest.Engines() {
		b.Run(string(e)+"/empty", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := storetest.Open(b, e)
				svc := catalog.New(catalog.Deps{DB: db})
				b.StartTimer()
				if _, err := svc.Import(ctx, access.System(), sillFile(b)); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
		})
		b.Run(string(e)+"/again", func(b *testing.B) {
			db := storetest.Open(b, e)
			svc := catalog.New(catalog.Deps{DB: db})
			if _, err := svc.Import(ctx, access.System(), sillFile(b)); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				rep, err := svc.Import(ctx, access.System(), sillFile(b))
				if err != nil || rep.Unchanged != 240 {
					b.Fatal(rep, err)
				}
			}
		})
	}
	_ = store.SQLite
}
