package server_test

import (
	"context"
	"net/http"
	"testing"

	"collectif/collective"
	"collectif/demo"
	"collectif/store"
	"collectif/store/storetest"
)

// The catalog page and API with the demonstration data (the SILL and our
// file imported, the demo's declarations), over loopback, one request at
// a time, as a visitor:
//
//	go test ./server -run '^$' -bench 'CatalogPage' -benchmem
func BenchmarkCatalogPage(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b, store.SQLite)
	r := newCatalogRig(b, db)
	if _, err := demo.Load(ctx, demo.Deps{Accounts: r.accounts, Collectives: collective.New(db), Directory: r.dir, Catalog: r.svc}); err != nil {
		b.Fatal(err)
	}
	b.Run("catalog", func(b *testing.B) { benchGet(b, http.DefaultClient, r.base+"/logiciels") })
	b.Run("catalog-filtered", func(b *testing.B) {
		benchGet(b, http.DefaultClient, r.base+"/logiciels?category=videoconferencing&contact=1&sort=recent")
	})
	b.Run("software", func(b *testing.B) { benchGet(b, http.DefaultClient, r.base+"/logiciels/nextcloud") })
	b.Run("api-q", func(b *testing.B) { benchGet(b, http.DefaultClient, r.base+"/api/v1/software?q=Teams") })
	b.Run("usages.csv", func(b *testing.B) { benchGet(b, http.DefaultClient, r.base+"/api/v1/usages.csv") })
}
