package server_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/federation/delivery"
	"collectif/federation/signature"
	"collectif/jobs"
	"collectif/store"
	"collectif/store/storetest"
)

type oneKey struct{ k *rsa.PrivateKey }

func (o oneKey) SigningKey(_ context.Context, actor string) (string, *rsa.PrivateKey, error) {
	return actor + "#main-key", o.k, nil
}

// TestDeliveryFailuresForAdmins delivers to a remote that answers 410 Gone
// and checks that administrators, and only they, see the failure.
func TestDeliveryFailuresForAdmins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Fatal(err)
		}
		remote := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })}
		go remote.Serve(ln)
		defer remote.Close()

		key, err := signature.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		reg := jobs.NewRegistry(nil)
		svc := delivery.New(delivery.Deps{DB: db, Keys: oneKey{key},
			Client: delivery.NewClient(delivery.Options{AllowedNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})})
		delivery.RegisterJobs(reg, svc)
		q, err := jobs.New(db, reg, jobs.Options{Workers: 1, Queues: map[string]int{delivery.QueueName: 2}, PollInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		svc.SetQueue(q)
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(ctx)
		inbox := "http://" + ln.Addr().String() + "/users/parti/inbox"
		if err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return svc.Enqueue(ctx, tx, delivery.Delivery{Actor: "http://hub.test/c/alpes", Inboxes: []string{inbox},
				Activity: []byte(`{"id":"http://hub.test/activities/1","type":"Create"}`)})
		}); err != nil {
			t.Fatal(err)
		}
		r := newRig(t, db.Engine(), rigOptions{db: db, delivery: svc})
		admin := r.user("admin@hub.test", true)
		member := r.user("membre@hub.test", false)
		adminTok, _, err := r.accounts.CreateToken(ctx, access.System(), admin.ID, "supervision", "read")
		if err != nil {
			t.Fatal(err)
		}
		memberTok, _, err := r.accounts.CreateToken(ctx, access.System(), member.ID, "outil", "read")
		if err != nil {
			t.Fatal(err)
		}
		get := func(tok string) (int, string) {
			req, _ := http.NewRequest("GET", r.base+"/api/v1/admin/federation/deliveries?failing=true", nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			p := newBrowser(t).do(req)
			return p.status, p.body
		}
		var body struct {
			Items []delivery.HostStatus `json:"items"`
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			st, b := get(adminTok)
			if st != 200 {
				t.Fatalf("admin: %d %s", st, b)
			}
			if err := json.Unmarshal([]byte(b), &body); err != nil {
				t.Fatal(err)
			}
			if len(body.Items) == 1 && body.Items[0].Failed == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the failure is not listed: %s", b)
			}
			time.Sleep(50 * time.Millisecond)
		}
		h := body.Items[0]
		if h.Host != ln.Addr().String() || len(h.RecentErrors) != 1 || h.RecentErrors[0].Status != 410 || !h.RecentErrors[0].Final ||
			h.RecentErrors[0].Inbox != inbox || h.Pending != 0 || h.LastFailureAt == nil {
			t.Fatalf("host = %+v", h)
		}
		if st, _ := get(memberTok); st != 403 {
			t.Fatalf("a member gets %d", st)
		}
		if st, _ := get(""); st != 401 {
			t.Fatalf("a visitor gets %d", st)
		}

		b := newBrowser(t)
		b.login(r.base, "admin@hub.test", "un mot de passe long")
		p := b.get(r.base + "/admin/federation/deliveries")
		if p.status != 200 || !strings.Contains(p.body, ln.Addr().String()) || !strings.Contains(p.body, "HTTP 410 Gone") ||
			!strings.Contains(p.body, "abandonné") || !strings.Contains(p.body, "Livraisons fédérées") {
			t.Fatalf("admin page: %d\n%s", p.status, p.body)
		}
		m := newBrowser(t)
		m.login(r.base, "membre@hub.test", "un mot de passe long")
		if p := m.get(r.base + "/admin/federation/deliveries"); p.status != 403 {
			t.Fatalf("a member sees the admin page: %d", p.status)
		}
	})
}
