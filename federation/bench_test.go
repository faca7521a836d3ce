package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"collectif/access"
	"collectif/collective"
	"collectif/federation"
	"collectif/federation/delivery"
	"collectif/federation/signature"
	"collectif/jobs"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

// benchHub serves the federation handlers of a hub on loopback over an
// embedded database, with the collective alpes and its open group sig.
func benchHub(b *testing.B) (*federation.Service, string) {
	b.Helper()
	ctx := context.Background()
	db := storetest.Open(b, store.SQLite)
	if _, err := jobs.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	cs := collective.New(db)
	if _, err := cs.Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Collectif des Alpes", Scope: model.ScopeRegional}); err != nil {
		b.Fatal(err)
	}
	if _, err := cs.CreateGroup(ctx, access.System(), "alpes", collective.NewGroup{Slug: "sig", Name: "Cartographie libre", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic}); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	f := federation.New(federation.Deps{DB: db, BaseURL: base})
	f.SetGetter(delivery.New(delivery.Deps{DB: db, Keys: f, Blocked: f.Blocked, Client: delivery.NewClient(delivery.Options{
		AllowedNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, UserAgent: delivery.UserAgent("bench", base.String())})}))
	reg := jobs.NewRegistry(nil)
	f.RegisterJobs(reg)
	q, err := jobs.New(db, reg, jobs.Options{}) // insert-only: the bench measures acceptance
	if err != nil {
		b.Fatal(err)
	}
	f.SetQueue(q)
	mux := http.NewServeMux()
	mux.Handle("GET /c/{slug}/g/{group}", f.ActorHandler())
	mux.Handle("GET /.well-known/webfinger", f.WebFingerHandler())
	mux.Handle("POST /inbox", f.InboxHandler())
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	srv.Start()
	b.Cleanup(srv.Close)
	return f, base.String()
}

func benchGet(b *testing.B, u, accept string) {
	_, base := benchHub(b)
	u = strings.ReplaceAll(u, "{host}", strings.TrimPrefix(base, "http://"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", base+u, nil)
			req.Header.Set("Accept", accept)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("GET %s: %d", u, resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkActorGET: a group actor fetched by remote servers.
func BenchmarkActorGET(b *testing.B) {
	benchGet(b, "/c/alpes/g/sig", "application/activity+json")
}

// BenchmarkWebFingerGET: a handle looked up.
func BenchmarkWebFingerGET(b *testing.B) {
	benchGet(b, "/.well-known/webfinger?resource=acct:alpes_sig@{host}", "application/jrd+json")
}

// BenchmarkInboxPOST: signed Follows (distinct ids) accepted by the shared
// inbox: signature verified with the stored key, id recorded, job queued.
func BenchmarkInboxPOST(b *testing.B) {
	_, base := benchHub(b)
	key, err := signature.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	pem, _ := signature.EncodePublicKeyPEM(&key.PublicKey)
	rln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		b.Skip(err)
	}
	rbase := "http://" + rln.Addr().String()
	actor := rbase + "/users/alice"
	rmux := http.NewServeMux()
	rmux.HandleFunc("GET /users/alice", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{"id": actor, "type": "Person", "inbox": actor + "/inbox",
			"publicKey": map[string]string{"id": actor + "#main-key", "owner": actor, "publicKeyPem": pem}})
	})
	rs := &httptest.Server{Listener: rln, Config: &http.Server{Handler: rmux}}
	rs.Start()
	b.Cleanup(rs.Close)
	signer := signature.Signer{KeyID: actor + "#main-key", Key: key}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	// The requests are signed before the clock starts (about 1 ms of CPU
	// each, which would otherwise be most of what is measured): the
	// benchmark measures the hub's side, 16 requests in flight.
	type signed struct {
		body []byte
		hdr  http.Header
	}
	reqs := make(chan signed, b.N)
	for range b.N {
		body := []byte(fmt.Sprintf(`{"id":"%s/follows/%s","type":"Follow","actor":"%s","object":"%s/c/alpes/g/sig"}`, rbase, model.NewID(), actor, base))
		req, _ := http.NewRequest("POST", base+"/inbox", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		if err := signer.Sign(req, body); err != nil {
			b.Fatal(err)
		}
		reqs <- signed{body, req.Header}
	}
	close(reqs)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			sr := <-reqs
			req, _ := http.NewRequest("POST", base+"/inbox", bytes.NewReader(sr.body))
			req.Header = sr.hdr
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Errorf("POST: %d", resp.StatusCode)
				return
			}
		}
	})
}
