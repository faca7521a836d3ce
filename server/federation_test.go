package server_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/catalog"
	"collectif/collective"
	"collectif/federation"
	"collectif/federation/delivery"
	"collectif/federation/signature"
	"collectif/jobs"
	"collectif/model"
	"collectif/server"
	"collectif/store"
	"collectif/store/storetest"
)

// sent is one activity handed to the outbox.
type sent struct {
	Actor    string
	Activity map[string]any
	Inboxes  []string
}

// recordingOutbox stands for the delivery service: it keeps what would be
// delivered.
type recordingOutbox struct {
	mu   sync.Mutex
	sent []sent
}

func (o *recordingOutbox) Send(_ context.Context, _ bun.Tx, actor string, activity json.RawMessage, inboxes []string) error {
	var m map[string]any
	if err := json.Unmarshal(activity, &m); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, sent{Actor: actor, Activity: m, Inboxes: inboxes})
	return nil
}

func (o *recordingOutbox) all() []sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]sent(nil), o.sent...)
}

type fedRig struct {
	*rig
	fed *federation.Service
	out *recordingOutbox
}

type fedOptions struct {
	authorizedFetch bool
	// catalog, when set, federates usage declarations and serves the
	// catalog's pages.
	catalog *catalog.Service
	deps    func(d *server.Deps) // services the test's pages need
}

// newFedRig starts a hub with federation and a job queue that works, and
// the collective alpes with three groups: sig (open, public), marches
// (approval, public) and prive (members only).
func newFedRig(t *testing.T, db *store.DB, o fedOptions) *fedRig {
	t.Helper()
	if _, err := jobs.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	fr := &fedRig{out: &recordingOutbox{}}
	fr.rig = newRig(t, db.Engine(), rigOptions{db: db, catalog: o.catalog, deps: o.deps, fed: func(base *url.URL, db *store.DB) *federation.Service {
		f := federation.New(federation.Deps{DB: db, BaseURL: base, Outbox: fr.out, AuthorizedFetch: o.authorizedFetch,
			AllowedNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		// Remote documents are fetched as the hub does: the guarded client
		// of the delivery package, allowed on loopback.
		f.SetGetter(delivery.New(delivery.Deps{DB: db, Keys: f, Blocked: f.Blocked, Client: delivery.NewClient(delivery.Options{
			AllowedNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, UserAgent: delivery.UserAgent("test", base.String())})}))
		if o.catalog != nil {
			f.SetCatalog(o.catalog)
		}
		reg := jobs.NewRegistry(nil)
		f.RegisterJobs(reg)
		q, err := jobs.New(db, reg, jobs.Options{Workers: 2, PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = q.Stop(ctx)
		})
		f.SetQueue(q)
		fr.fed = f
		return f
	}})
	ctx := context.Background()
	cs := collective.New(fr.db)
	if _, err := cs.Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Collectif des Alpes", Scope: model.ScopeRegional}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []collective.NewGroup{
		{Slug: "sig", Name: "Cartographie libre", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic},
		{Slug: "marches", Name: "Marchés publics", JoinPolicy: model.JoinApproval, Visibility: model.VisibilityPublic},
		{Slug: "prive", Name: "Groupe privé", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityMembers},
	} {
		if _, err := cs.CreateGroup(ctx, access.System(), "alpes", g); err != nil {
			t.Fatal(err)
		}
	}
	return fr
}

// remoteServer plays another fediverse server on a loopback address: it
// serves its actor's document and key and signs what it sends with our
// Signer.
type remoteServer struct {
	t       testing.TB
	base    string
	actor   string
	keyID   string
	key     *rsa.PrivateKey
	stubKey bool // keyId names a key document whose owner is the actor
	srv     *httptest.Server
	docs    sync.Map // path -> document served on GET (see serve)
}

var remoteKey *rsa.PrivateKey // one key for every test: generating is slow

func newRemote(t testing.TB, ip string, stubKey bool) *remoteServer {
	t.Helper()
	if remoteKey == nil {
		k, err := signature.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		remoteKey = k
	}
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	rs := &remoteServer{t: t, key: remoteKey, stubKey: stubKey}
	rs.base = "http://" + ln.Addr().String()
	rs.actor = rs.base + "/users/alice"
	rs.keyID = rs.actor + "#main-key"
	if stubKey {
		rs.keyID = rs.base + "/keys/alice"
	}
	pem, _ := signature.EncodePublicKeyPEM(&rs.key.PublicKey)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/alice", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Signature") == "" {
			http.Error(w, "signed fetches only", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       rs.actor, "type": "Person", "preferredUsername": "alice", "name": "Alice",
			"inbox":     rs.actor + "/inbox",
			"endpoints": map[string]string{"sharedInbox": rs.base + "/inbox"},
			"publicKey": map[string]string{"id": rs.keyID, "owner": rs.actor, "publicKeyPem": pem},
		})
	})
	mux.HandleFunc("GET /.well-known/webfinger", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("resource") != "acct:alice@"+rs.host() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(map[string]any{"subject": "acct:alice@" + rs.host(),
			"links": []map[string]string{{"rel": "self", "type": "application/activity+json", "href": rs.actor}}})
	})
	mux.HandleFunc("GET /keys/alice", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{"@context": "https://w3id.org/security/v1", "id": rs.keyID, "owner": rs.actor, "publicKeyPem": pem})
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		doc, ok := rs.docs.Load(r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(doc.([]byte))
	})
	rs.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	rs.srv.Start()
	t.Cleanup(rs.srv.Close)
	return rs
}

// serve makes the remote server answer GETs of path with doc (an object
// it published, fetched by its IRI).
func (rs *remoteServer) serve(path string, doc []byte) { rs.docs.Store(path, doc) }

func (rs *remoteServer) host() string { return strings.TrimPrefix(rs.base, "http://") }

// post sends body to u signed by the remote actor; edit runs after
// signing (to forge).
func (rs *remoteServer) post(u string, body []byte, contentType string, edit func(*http.Request)) (int, string) {
	rs.t.Helper()
	req, _ := http.NewRequest("POST", u, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if err := (signature.Signer{KeyID: rs.keyID, Key: rs.key}).Sign(req, body); err != nil {
		rs.t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rs.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (rs *remoteServer) activity(typ string, object any) []byte {
	b, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": rs.base + "/activities/" + model.NewID(), "type": typ, "actor": rs.actor, "object": object})
	return b
}

const asJSON = "application/activity+json"

// followerState returns the state of the remote actor's follow of a local
// actor, "" when there is none.
func (fr *fedRig) followerState(local, remote string) string {
	var state string
	err := fr.db.R.NewSelect().TableExpr("federation_followers").Column("state").Where("local_actor = ? AND remote_actor = ?", local, remote).Scan(context.Background(), &state)
	if err != nil {
		return ""
	}
	return state
}

// waitState waits until the follow reaches want (processing runs in the
// job queue), for at most 15 seconds.
func (fr *fedRig) waitState(local, remote, want string) {
	fr.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if fr.followerState(local, remote) == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	fr.t.Fatalf("follow of %s by %s: state %q, want %q", local, remote, fr.followerState(local, remote), want)
}

func (fr *fedRig) received() int {
	n, err := fr.db.R.NewSelect().TableExpr("federation_received").Count(context.Background())
	if err != nil {
		fr.t.Fatal(err)
	}
	return int(n)
}

// TestFederationFollowAcceptedUndone: a remote actor follows an open
// public group, is accepted at once and the Accept goes to its inbox; a
// second delivery of the same Follow changes nothing; Undo forgets it.
func TestFederationFollowAcceptedUndone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fr := newFedRig(t, db, fedOptions{})
		rs := newRemote(t, "127.0.0.2", false)
		group := fr.base + "/c/alpes/g/sig"
		follow := rs.activity("Follow", group)
		if code, body := rs.post(group+"/inbox", follow, asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("follow: %d %s", code, body)
		}
		fr.waitState(group, rs.actor, "accepted")
		var id string
		var f map[string]any
		json.Unmarshal(follow, &f)
		id = f["id"].(string)
		got := fr.out.all()
		if len(got) != 1 {
			t.Fatalf("sent %d activities, want one Accept: %+v", len(got), got)
		}
		acc := got[0]
		obj, _ := acc.Activity["object"].(map[string]any)
		if acc.Activity["type"] != "Accept" || acc.Actor != group || acc.Activity["actor"] != group || obj["id"] != id ||
			len(acc.Inboxes) != 1 || acc.Inboxes[0] != rs.actor+"/inbox" {
			t.Fatalf("accept = %+v", acc)
		}

		// The same Follow again (a retry by the sender): accepted, ignored.
		if code, _ := rs.post(fr.base+"/inbox", follow, asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("second delivery: %d", code)
		}
		if n := fr.received(); n != 1 {
			t.Fatalf("%d activities recorded, want 1", n)
		}
		jobsN, err := fr.db.R.NewSelect().TableExpr("river_job").Where("kind = 'federation.inbox'").Count(context.Background())
		if err != nil || jobsN != 1 {
			t.Fatalf("%d inbox jobs (%v), want 1", jobsN, err)
		}

		// The followers collection counts it.
		doc := getAS(t, group+"/followers", nil)
		if doc["totalItems"] != float64(1) {
			t.Fatalf("followers = %v", doc)
		}

		undo := rs.activity("Undo", f)
		if code, body := rs.post(fr.base+"/inbox", undo, `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, nil); code != http.StatusAccepted {
			t.Fatalf("undo: %d %s", code, body)
		}
		fr.waitState(group, rs.actor, "")
	})
}

// TestFederationFollowApproval: a group whose members are approved puts a
// follow in its moderators' queue; accepting it from the page sends the
// Accept; a refusal sends a Reject; a ban refuses the next follows.
func TestFederationFollowApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fr := newFedRig(t, db, fedOptions{})
		rs := newRemote(t, "127.0.0.3", true) // keyId names a key document
		group := fr.base + "/c/alpes/g/marches"
		if code, body := rs.post(group+"/inbox", rs.activity("Follow", group), asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("follow: %d %s", code, body)
		}
		fr.waitState(group, rs.actor, "pending")
		if len(fr.out.all()) != 0 {
			t.Fatal("something was sent before a moderator decided")
		}
		fr.user("admin@hub.example", true)
		b := newBrowser(t)
		b.login(fr.base, "admin@hub.example", "un mot de passe long")
		p := b.get(fr.base + "/c/alpes/federation")
		if p.status != 200 || !strings.Contains(p.body, "@alice@"+rs.host()) || !strings.Contains(p.body, "Marchés publics") {
			t.Fatalf("queue page: %d\n%s", p.status, p.body)
		}
		m := regexp.MustCompile(`action="(/c/alpes/federation/follows/[^"]+)"`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatal("no decision form")
		}
		p = b.post(fr.base+m[1], url.Values{"_csrf": {p.csrf(t)}, "decision": {"accept"}})
		if p.status != 200 || !strings.Contains(p.body, "abonnement est accepté") {
			t.Fatalf("decision: %d\n%s", p.status, p.body)
		}
		if st := fr.followerState(group, rs.actor); st != "accepted" {
			t.Fatalf("state %q", st)
		}
		if got := fr.out.all(); len(got) != 1 || got[0].Activity["type"] != "Accept" {
			t.Fatalf("sent %+v", got)
		}

		// Another follower is refused and banned; it cannot follow again.
		rs2 := newRemote(t, "127.0.0.4", false)
		if code, _ := rs2.post(group+"/inbox", rs2.activity("Follow", group), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		fr.waitState(group, rs2.actor, "pending")
		q, err := fr.fed.ModerationQueue(context.Background(), access.System(), "alpes")
		if err != nil || len(q.Follows) != 1 {
			t.Fatalf("queue %+v %v", q, err)
		}
		if err := fr.fed.DecideFollow(context.Background(), access.System(), "alpes", q.Follows[0].ID, federation.DecisionBan); err != nil {
			t.Fatal(err)
		}
		if got := fr.out.all(); len(got) != 2 || got[1].Activity["type"] != "Reject" {
			t.Fatalf("sent %+v", got)
		}
		if code, _ := rs2.post(group+"/inbox", rs2.activity("Follow", group), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		waitFor(t, func() bool { return len(fr.out.all()) == 3 })
		if got := fr.out.all(); got[2].Activity["type"] != "Reject" || fr.followerState(group, rs2.actor) != "rejected" {
			t.Fatalf("banned actor: sent %+v, state %q", got[2], fr.followerState(group, rs2.actor))
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("condition not reached in 15 s")
}

// TestFederationInboxRefusals: nothing is recorded without a valid
// signature, with a wrong digest or a stale date, for plain JSON, or from
// a blocked instance.
func TestFederationInboxRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fr := newFedRig(t, db, fedOptions{})
		rs := newRemote(t, "127.0.0.5", false)
		group := fr.base + "/c/alpes/g/sig"
		other, err := signature.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name        string
			contentType string
			edit        func(*http.Request)
			body        []byte
			want        int
		}{
			{"forged signature", asJSON, func(r *http.Request) {
				s := signature.Signer{KeyID: rs.keyID, Key: other}
				r.Header.Del("Signature")
				s.Sign(r, nil)
			}, nil, http.StatusUnauthorized},
			{"no signature", asJSON, func(r *http.Request) { r.Header.Del("Signature") }, nil, http.StatusUnauthorized},
			{"wrong digest", asJSON, func(r *http.Request) {
				r.Header.Set("Digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
			}, nil, http.StatusUnauthorized},
			{"stale date", asJSON, nil, nil, http.StatusUnauthorized},
			{"plain JSON", "application/json", nil, nil, http.StatusUnsupportedMediaType},
			{"too large", asJSON, nil, []byte(`{"type":"Follow","actor":"` + rs.actor + `","content":"` + strings.Repeat("x", 300<<10) + `"}`), http.StatusRequestEntityTooLarge},
			{"not JSON", asJSON, nil, []byte("<html>"), http.StatusBadRequest},
		}
		for _, c := range cases {
			body := c.body
			if body == nil {
				body = rs.activity("Follow", group)
			}
			edit := c.edit
			if c.name == "stale date" {
				req, _ := http.NewRequest("POST", group+"/inbox", bytes.NewReader(body))
				req.Header.Set("Content-Type", asJSON)
				req.Header.Set("Date", time.Now().Add(-13*time.Hour).UTC().Format(http.TimeFormat))
				signature.Signer{KeyID: rs.keyID, Key: rs.key}.Sign(req, body)
				stale := req.Header.Clone()
				edit = func(r *http.Request) { r.Header = stale }
			}
			if code, msg := rs.post(group+"/inbox", body, c.contentType, edit); code != c.want {
				t.Errorf("%s: %d %s, want %d", c.name, code, msg, c.want)
			}
		}
		if n := fr.received(); n != 0 {
			t.Fatalf("%d activities recorded after refusals", n)
		}

		// A blocked instance is refused with 403, its followers forgotten.
		if code, _ := rs.post(group+"/inbox", rs.activity("Follow", group), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		fr.waitState(group, rs.actor, "accepted")
		fr.user("root@hub.example", true)
		b := newBrowser(t)
		b.login(fr.base, "root@hub.example", "un mot de passe long")
		p := b.get(fr.base + "/admin/federation")
		p = b.post(fr.base+"/admin/federation/blocks", url.Values{"_csrf": {p.csrf(t)}, "host": {"127.0.0.5"}, "reason": {"spam"}})
		if p.status != 200 || !strings.Contains(p.body, "127.0.0.5") {
			t.Fatalf("block: %d %s", p.status, p.body)
		}
		if code, _ := rs.post(group+"/inbox", rs.activity("Follow", group), asJSON, nil); code != http.StatusForbidden {
			t.Fatalf("blocked instance: %d", code)
		}
		if st := fr.followerState(group, rs.actor); st != "" {
			t.Fatalf("follower of a blocked instance kept: %q", st)
		}
		if !fr.fed.Blocked(context.Background(), rs.host()) {
			t.Fatal("Blocked(host:port) is false")
		}
	})
}

// TestFederationGoldenFollows: the Follow of each server, in its
// documented shape, produces a follower.
func TestFederationGoldenFollows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fr := newFedRig(t, db, fedOptions{})
		files, _ := filepath.Glob("../federation/testdata/follows/*.json")
		if len(files) < 6 {
			t.Fatalf("fixtures: %v", files)
		}
		for i, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rs := newRemote(t, fmt.Sprintf("127.0.1.%d", i+1), i%2 == 0)
			group := fr.base + "/c/alpes"
			if i%2 == 1 {
				group = fr.base + "/c/alpes/g/sig"
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			m["id"] = rs.base + "/activities/" + filepath.Base(f)
			m["actor"] = keepShape(m["actor"], rs.actor)
			m["object"] = keepShape(m["object"], group)
			body, _ := json.Marshal(m)
			if code, msg := rs.post(fr.base+"/inbox", body, asJSON, nil); code != http.StatusAccepted {
				t.Fatalf("%s: %d %s", f, code, msg)
			}
			fr.waitState(group, rs.actor, "accepted")
		}
	})
}

// keepShape replaces an IRI by iri in the same form: string, array or
// object with an id.
func keepShape(v any, iri string) any {
	switch x := v.(type) {
	case []any:
		if len(x) > 0 {
			return []any{keepShape(x[0], iri)}
		}
	case map[string]any:
		x["id"] = iri
		return x
	}
	return iri
}

// TestFederationReportsAndDeletes: a Flag lands in the moderators' queue;
// the Delete of a remote actor forgets its follows.
func TestFederationReportsAndDeletes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fr := newFedRig(t, db, fedOptions{})
		rs := newRemote(t, "127.0.0.6", false)
		col := fr.base + "/c/alpes"
		flag, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": rs.base + "/flags/1", "type": "Flag",
			"actor": rs.actor, "object": []string{col, col + "/g/sig/t/123"}, "content": "Contenu trompeur"})
		if code, msg := rs.post(fr.base+"/inbox", flag, asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("flag: %d %s", code, msg)
		}
		waitFor(t, func() bool {
			q, err := fr.fed.ModerationQueue(context.Background(), access.System(), "alpes")
			return err == nil && len(q.Reports) == 1 && q.Reports[0].Content == "Contenu trompeur"
		})

		if code, _ := rs.post(col+"/inbox", rs.activity("Follow", col), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
		fr.waitState(col, rs.actor, "accepted")
		if code, msg := rs.post(fr.base+"/inbox", rs.activity("Delete", rs.actor), asJSON, nil); code != http.StatusAccepted {
			t.Fatalf("delete: %d %s", code, msg)
		}
		fr.waitState(col, rs.actor, "")

		// A type without a handler is recorded and ignored.
		if code, _ := rs.post(fr.base+"/inbox", rs.activity("Like", col+"/g/sig/t/123"), asJSON, nil); code != http.StatusAccepted {
			t.Fatal(code)
		}
	})
}

// getAS fetches an ActivityStreams document (signed by rs when given).
func getAS(t *testing.T, u string, rs *remoteServer) map[string]any {
	t.Helper()
	code, doc, _ := getASStatus(t, u, rs, asJSON)
	if code != 200 {
		t.Fatalf("GET %s: %d", u, code)
	}
	return doc
}

func getASStatus(t *testing.T, u string, rs *remoteServer, accept string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", accept)
	if rs != nil {
		signature.Signer{KeyID: rs.keyID, Key: rs.key}.Sign(req, nil)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &doc)
	return resp.StatusCode, doc, resp.Header
}

// TestFederationActorsAndDiscovery: the pages' URLs serve actors to
// ActivityStreams clients and HTML to browsers; WebFinger loops back;
// NodeInfo is valid against the official schemas; keys are stable.
func TestFederationActorsAndDiscovery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fr := newFedRig(t, db, fedOptions{})
		host := strings.TrimPrefix(fr.base, "http://")
		for _, c := range []struct {
			path, typ string
			manual    bool
		}{
			{"/c/alpes", "Group", false}, {"/c/alpes/g/sig", "Group", false}, {"/c/alpes/g/marches", "Group", true}, {"/actor", "Application", false},
		} {
			for _, accept := range []string{asJSON, `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`} {
				code, doc, h := getASStatus(t, fr.base+c.path, nil, accept)
				if code != 200 || doc["type"] != c.typ || doc["id"] != fr.base+c.path || doc["manuallyApprovesFollowers"] != c.manual {
					t.Fatalf("%s (%s): %d %v", c.path, accept, code, doc)
				}
				if !strings.HasPrefix(h.Get("Content-Type"), "application/activity+json") || !strings.Contains(h.Get("Vary"), "Accept") {
					t.Fatalf("%s headers %v", c.path, h)
				}
				pk, _ := doc["publicKey"].(map[string]any)
				ep, _ := doc["endpoints"].(map[string]any)
				if pk["owner"] != doc["id"] || !strings.Contains(pk["publicKeyPem"].(string), "BEGIN PUBLIC KEY") || ep["sharedInbox"] != fr.base+"/inbox" ||
					doc["inbox"] != fr.base+c.path+"/inbox" || doc["outbox"] != fr.base+c.path+"/outbox" {
					t.Fatalf("%s: %v", c.path, doc)
				}
			}
			doc := getAS(t, fr.base+c.path, nil)
			// WebFinger loops back to the same actor.
			user := doc["preferredUsername"].(string)
			resp, err := http.Get(fr.base + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+user+"@"+host))
			if err != nil {
				t.Fatal(err)
			}
			var jrd struct {
				Subject string
				Links   []struct{ Rel, Type, Href string }
			}
			json.NewDecoder(resp.Body).Decode(&jrd)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/jrd+json") || jrd.Subject != "acct:"+user+"@"+host {
				t.Fatalf("webfinger %s: %d %+v", user, resp.StatusCode, jrd)
			}
			self := ""
			for _, l := range jrd.Links {
				if l.Rel == "self" && l.Type == asJSON {
					self = l.Href
				}
			}
			if self != doc["id"] {
				t.Fatalf("webfinger %s: self %q, want %v", user, self, doc["id"])
			}
		}
		// Browsers get the page.
		p := newBrowser(t).get(fr.base + "/c/alpes")
		if p.status != 200 || !strings.Contains(p.body, "<html") || !strings.Contains(p.header.Get("Vary"), "Accept") {
			t.Fatalf("HTML page: %d %v", p.status, p.header)
		}
		// A members-only group is no actor; unknown handles are 404.
		if code, _, _ := getASStatus(t, fr.base+"/c/alpes/g/prive", nil, asJSON); code != 404 {
			t.Fatalf("private group: %d", code)
		}
		for _, res := range []string{"acct:alpes_prive@" + host, "acct:nobody@" + host, "acct:alpes@elsewhere.example"} {
			resp, err := http.Get(fr.base + "/.well-known/webfinger?resource=" + url.QueryEscape(res))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 404 {
				t.Fatalf("webfinger %s: %d", res, resp.StatusCode)
			}
		}

		// Keys are stable: a second service on the same database signs with
		// the same key.
		doc := getAS(t, fr.base+"/c/alpes", nil)
		base, _ := url.Parse(fr.base)
		again := federation.New(federation.Deps{DB: fr.db, BaseURL: base})
		_, k, err := again.SigningKey(context.Background(), fr.base+"/c/alpes")
		if err != nil {
			t.Fatal(err)
		}
		pem, _ := signature.EncodePublicKeyPEM(&k.PublicKey)
		if pem != doc["publicKey"].(map[string]any)["publicKeyPem"] || k.N.BitLen() != 2048 {
			t.Fatal("the key changed")
		}

		// NodeInfo 2.0 and 2.1 are valid.
		resp, err := http.Get(fr.base + "/.well-known/nodeinfo")
		if err != nil {
			t.Fatal(err)
		}
		var links struct{ Links []struct{ Rel, Href string } }
		json.NewDecoder(resp.Body).Decode(&links)
		resp.Body.Close()
		if len(links.Links) != 2 {
			t.Fatalf("nodeinfo links %+v", links)
		}
		for _, l := range links.Links {
			version := l.Rel[strings.LastIndex(l.Rel, "/")+1:]
			c := jsonschema.NewCompiler()
			sch, err := c.Compile("../federation/testdata/nodeinfo/schema-" + version + ".json")
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(l.Href)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Fatalf("nodeinfo %s: %v", version, err)
			}
		}

		// host-meta points at WebFinger.
		hm := newBrowser(t).get(fr.base + "/.well-known/host-meta")
		if hm.status != 200 || !strings.Contains(hm.body, fr.base+"/.well-known/webfinger?resource={uri}") {
			t.Fatalf("host-meta: %d %s", hm.status, hm.body)
		}
	})
}

// TestFederationAuthorizedFetch: with the option, actors are served only
// to signed GETs, the instance actor to anyone.
func TestFederationAuthorizedFetch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fr := newFedRig(t, db, fedOptions{authorizedFetch: true})
		rs := newRemote(t, "127.0.0.7", false)
		if code, _, _ := getASStatus(t, fr.base+"/c/alpes", nil, asJSON); code != http.StatusUnauthorized {
			t.Fatalf("unsigned GET: %d", code)
		}
		if code, doc, _ := getASStatus(t, fr.base+"/c/alpes", rs, asJSON); code != 200 || doc["type"] != "Group" {
			t.Fatalf("signed GET: %d %v", code, doc)
		}
		if code, _, _ := getASStatus(t, fr.base+"/actor", nil, asJSON); code != 200 {
			t.Fatalf("instance actor: %d", code)
		}
		// Browsers still get the page.
		if p := newBrowser(t).get(fr.base + "/c/alpes"); p.status != 200 {
			t.Fatalf("page: %d", p.status)
		}
	})
	t.Run("off", func(t *testing.T) {
		fr := newFedRig(t, storetest.Open(t, store.SQLite), fedOptions{})
		if code, _, _ := getASStatus(t, fr.base+"/c/alpes", nil, asJSON); code != 200 {
			t.Fatalf("unsigned GET without the option: %d", code)
		}
	})
}

// TestFederationPersonOptIn: a member is an ActivityPub Person only after
// ticking the box on the account page.
func TestFederationPersonOptIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fr := newFedRig(t, db, fedOptions{})
		a := fr.user("camille@ville.example", false)
		person := fr.base + "/u/" + a.ID
		if code, _, _ := getASStatus(t, person, nil, asJSON); code != 404 {
			t.Fatalf("before opting in: %d", code)
		}
		b := newBrowser(t)
		b.login(fr.base, "camille@ville.example", "un mot de passe long")
		p := b.get(fr.base + "/account")
		if !strings.Contains(p.body, `id="federated"`) || strings.Contains(p.body, `name="federated" checked`) {
			t.Fatalf("account page: the box is missing or ticked by default\n%s", p.body)
		}
		p = b.post(fr.base+"/account/federation", url.Values{"_csrf": {p.csrf(t)}, "federated": {"on"}})
		if p.status != 200 || !strings.Contains(p.body, `name="federated" checked`) {
			t.Fatalf("opt in: %d", p.status)
		}
		doc := getAS(t, person, nil)
		if doc["type"] != "Person" || doc["name"] != "Camille Martin" {
			t.Fatalf("person %v", doc)
		}
		host := strings.TrimPrefix(fr.base, "http://")
		resp, err := http.Get(fr.base + "/.well-known/webfinger?resource=acct:" + doc["preferredUsername"].(string) + "@" + host)
		if err != nil {
			t.Fatal(err)
		}
		var jrd struct{ Links []struct{ Rel, Href string } }
		json.NewDecoder(resp.Body).Decode(&jrd)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(jrd.Links) == 0 || jrd.Links[0].Href != person {
			t.Fatalf("webfinger: %d %+v", resp.StatusCode, jrd)
		}
		p = b.get(fr.base + "/account")
		b.post(fr.base+"/account/federation", url.Values{"_csrf": {p.csrf(t)}})
		if code, _, _ := getASStatus(t, person, nil, asJSON); code != 404 {
			t.Fatalf("after opting out: %d", code)
		}
	})
}
