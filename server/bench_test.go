package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"collectif/access"
	"collectif/collective"
	"collectif/demo"
	"collectif/directory"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

// Page and API timings with the demonstration data, over a real loopback
// connection (keep-alive), one request at a time:
//
//	go test ./server -run '^$' -bench 'CollectivePage|MemberDirectory|CollectivesAPI' -benchmem
func benchDemo(b *testing.B) (base string, member *http.Client) {
	b.Helper()
	ctx := context.Background()
	db := storetest.Open(b, store.SQLite)
	if _, err := jobsMigrate(db); err != nil {
		b.Fatal(err)
	}
	base = newBenchRig(b, db, nil)
	cs := collective.New(db)
	accounts := benchAccounts(b, db)
	if _, err := demo.Load(ctx, demo.Deps{Accounts: accounts, Collectives: cs, Directory: directory.New(db, refData(b))}); err != nil {
		b.Fatal(err)
	}
	a, err := accounts.CreateLocal(ctx, access.System(), accountNew("bench@alpes.example"))
	if err != nil {
		b.Fatal(err)
	}
	cs.Join(ctx, access.System(), "alpes", a.ID, model.RoleMember)
	br := newBrowser(b)
	if p := br.login(base, "bench@alpes.example", "un mot de passe long"); p.status != 200 {
		b.Fatalf("login for the benchmark: %d", p.status)
	}
	return base, br.c
}

func benchGet(b *testing.B, c *http.Client, u string) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", u, resp.StatusCode)
		}
	}
}

func BenchmarkCollectivePage(b *testing.B) {
	base, _ := benchDemo(b)
	benchGet(b, http.DefaultClient, base+"/c/alpes")
}

func BenchmarkMemberDirectory(b *testing.B) {
	base, member := benchDemo(b)
	benchGet(b, member, base+"/c/alpes/members?kind=commune&region=84")
}

func BenchmarkCollectivesAPI(b *testing.B) {
	base, member := benchDemo(b)
	b.Run("collective", func(b *testing.B) { benchGet(b, http.DefaultClient, base+"/api/v1/collectives/alpes") })
	b.Run("members", func(b *testing.B) {
		benchGet(b, member, base+"/api/v1/collectives/alpes/members?"+url.Values{"tool": {"Nextcloud"}}.Encode())
	})
	b.Run("organizations", func(b *testing.B) { benchGet(b, http.DefaultClient, base+"/api/v1/organizations?q=echirolles") })
}
