package bench

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"collectif/federation/signature"
	"collectif/search/searchtest"
	"collectif/store"
)

// Scenario is one line of the table. A throughput scenario (Setup) is
// driven at fixed concurrency for a fixed time and reads as requests per
// second; a completion scenario (Complete) does one piece of work and
// reads as the time it took. To add a scenario, add an entry to
// Scenarios.
type Scenario struct {
	Name   string
	What   string // what it measures, in a few words
	Budget string // the budget of docs/PERFORMANCE.md, "" when none is set

	// Setup returns how to make the scenario's requests and the status
	// each must answer. A first request answered 404 means the build has
	// not the feature yet: the scenario's row says so.
	Setup func(ctx context.Context, e *Env) (Request, int, error)
	// Complete does the work once and reports it.
	Complete func(ctx context.Context, e *Env) (Completion, error)
	// Budgets read by the runner to mark a missed one; zero: none.
	MinRate  float64       // requests per second
	MaxP99   time.Duration // 99th percentile
	MaxTotal time.Duration // completion time
}

// Completion is what a completion scenario did.
type Completion struct {
	Took     time.Duration
	Requests int
	Errors   int
	Note     string // e.g. "500 confirmed, 500 on the waiting list"
}

// ErrUnavailable marks a scenario the running build cannot serve yet.
var ErrUnavailable = errors.New("not available in this build")

func unavailable(why string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnavailable, fmt.Sprintf(why, args...))
}

// Env is what scenarios get: the hub's address, the dataset, a logged-in
// session and the benchmark's signing key.
type Env struct {
	Base   string // http://127.0.0.1:port
	Host   string // 127.0.0.1:port
	Data   *Dataset
	Cookie string // session cookie of the login account ("name=value")
	CSRF   string // that session's anti-forgery token
	Conc   int
	Client *http.Client
	// Signer signs as the benchmark's own actor, whose key document the
	// benchmark serves at KeyServer on loopback.
	Signer    signature.Signer
	Key       *rsa.PrivateKey
	KeyServer string
	// DB is the hub's database, opened by the benchmark too: completion
	// scenarios read their outcome there (queue, registrations, followers).
	DB *store.DB
	// Sinks are the remote hosts of the dataset's followers.
	Sinks []*sink
}

// Scenarios is the table, in the order of the printed table.
var Scenarios = []Scenario{
	{Name: "collective-page", What: "collective home page (HTML)", Budget: "≥ 6,000/s, p99 ≤ 25 ms", MinRate: 6000, MaxP99: 25 * time.Millisecond,
		Setup: func(_ context.Context, e *Env) (Request, int, error) {
			return e.get(func(int) string { return "/c/" + e.Data.Collectives[0] }, nil), 200, nil
		}},
	{Name: "member-directory", What: "member directory, two filters, logged in (HTML)", Budget: "≥ 6,000/s, p99 ≤ 25 ms", MinRate: 6000, MaxP99: 25 * time.Millisecond,
		Setup: func(_ context.Context, e *Env) (Request, int, error) {
			return e.get(func(int) string { return "/c/" + e.Data.Collectives[0] + "/members?kind=commune&region=84" }, e.session), 200, nil
		}},
	{Name: "resource-page", What: "resource page (HTML), 1,000 resources in turn", Budget: "≥ 6,000/s, p99 ≤ 25 ms", MinRate: 6000, MaxP99: 25 * time.Millisecond,
		Setup: func(_ context.Context, e *Env) (Request, int, error) {
			rs := e.Data.Resources
			return e.get(func(n int) string { r := rs[n%len(rs)]; return "/c/" + r.Collective + "/r/" + r.ID }, nil), 200, nil
		}},
	{Name: "topic-page", What: "discussion topic page with its replies (HTML)", Budget: "≥ 6,000/s, p99 ≤ 25 ms", MinRate: 6000, MaxP99: 25 * time.Millisecond,
		Setup: func(_ context.Context, e *Env) (Request, int, error) {
			ts := e.Data.Topics
			if len(ts) == 0 {
				return nil, 0, unavailable("no posts in the dataset")
			}
			return e.get(func(n int) string { return ts[n%len(ts)] }, nil), 200, nil
		}},
	{Name: "catalog-page", What: "software catalog page (HTML)", Budget: "≥ 6,000/s, p99 ≤ 25 ms", MinRate: 6000, MaxP99: 25 * time.Millisecond,
		Setup: func(_ context.Context, e *Env) (Request, int, error) {
			return e.get(func(int) string { return "/logiciels" }, nil), 200, nil
		}},
	{Name: "event-programme", What: "event programme page (HTML), the events in turn", Budget: "≥ 6,000/s, p99 ≤ 25 ms", MinRate: 6000, MaxP99: 25 * time.Millisecond,
		Setup: func(_ context.Context, e *Env) (Request, int, error) {
			if len(e.Data.Events) == 0 {
				return nil, 0, unavailable("no events in the dataset")
			}
			ev := e.Data.Events
			return e.get(func(n int) string { return "/evenements/" + ev[n%len(ev)] + "/programme" }, nil), 200, nil
		}},
	{Name: "api-resources", What: "JSON API: a page of 20 resources of a collective",
		Setup: func(_ context.Context, e *Env) (Request, int, error) {
			return e.get(func(int) string { return "/api/v1/resources?collective=" + e.Data.Collectives[0] + "&limit=20" }, nil), 200, nil
		}},
	{Name: "api-software", What: "JSON API: software detail with its usage figures, the entries in turn",
		Setup: func(_ context.Context, e *Env) (Request, int, error) {
			if len(e.Data.Software) == 0 {
				return nil, 0, unavailable("no software in the dataset")
			}
			sw := e.Data.Software
			return e.get(func(n int) string { return "/api/v1/software/" + sw[n%len(sw)] }, nil), 200, nil
		}},
	{Name: "search", What: "JSON API: 20 French queries with facets in turn", Budget: "p99 ≤ 30 ms", MaxP99: 30 * time.Millisecond,
		Setup: func(_ context.Context, e *Env) (Request, int, error) {
			var paths []string
			for _, q := range searchtest.BenchQueries() {
				paths = append(paths, "/api/v1/search?"+url.Values{"q": {q.Text}}.Encode())
			}
			return e.get(func(n int) string { return paths[n%len(paths)] }, nil), 200, nil
		}},
	{Name: "webfinger", What: "WebFinger of a collective", Budget: "≥ 45,000/s", MinRate: 45000,
		Setup: func(_ context.Context, e *Env) (Request, int, error) {
			p := "/.well-known/webfinger?" + url.Values{"resource": {"acct:" + e.Data.Collectives[0] + "@" + e.Host}}.Encode()
			return e.get(func(int) string { return p }, nil), 200, nil
		}},
	{Name: "actor-signed", What: "signed GET of the collective's Group actor", Budget: "≥ 25,000/s", MinRate: 25000,
		Setup: func(ctx context.Context, e *Env) (Request, int, error) {
			if _, err := e.actor(ctx, "/c/"+e.Data.Collectives[0]); err != nil {
				return nil, 0, err
			}
			return e.signedGet("/c/" + e.Data.Collectives[0]), 200, nil
		}},
	{Name: "outbox-signed", What: "signed GET of the collective's outbox (first page)", Budget: "≥ 24,000/s (the established server's figure)", MinRate: 24000,
		Setup: func(ctx context.Context, e *Env) (Request, int, error) {
			a, err := e.actor(ctx, "/c/"+e.Data.Collectives[0])
			if err != nil {
				return nil, 0, err
			}
			u, err := url.Parse(a.Outbox)
			if err != nil || a.Outbox == "" {
				return nil, 0, unavailable("the actor has no outbox")
			}
			return e.signedGet(u.RequestURI()), 200, nil
		}},
	{Name: "inbox-signed", What: "signed POST of a new Like (unique ID, fresh signature) to the collective's inbox, accepted", Budget: "≥ 1,500/s accepted", MinRate: 1500,
		Setup: func(ctx context.Context, e *Env) (Request, int, error) {
			a, err := e.actor(ctx, "/c/"+e.Data.Collectives[0])
			if err != nil {
				return nil, 0, err
			}
			u, err := url.Parse(a.Inbox)
			if err != nil || a.Inbox == "" {
				return nil, 0, unavailable("the actor has no inbox")
			}
			return e.signedLike(u.RequestURI(), a.ID), http.StatusAccepted, nil
		}},
	{Name: "inbox-processed", What: "2,000 signed Likes posted, until the job queue has processed them all", Budget: "≥ 1,000/s processed (≤ 2 s)", MaxTotal: 2 * time.Second,
		Complete: inboxProcessed},
	{Name: "fan-out", What: "one topic posted through the API, sent to its group's 1,000 followers on 100 loopback hosts, until every host has it", Budget: "≤ 5 s", MaxTotal: 5 * time.Second,
		Complete: fanOut},
	{Name: "registration-burst", What: "1,000 registrations at once for 500 places, no overbooking", Budget: "≤ 3 s", MaxTotal: 3 * time.Second,
		Complete: registrationBurst},
}

// get makes GET requests to the paths path(n) returns, with the session
// cookie when auth is e.session.
func (e *Env) get(path func(n int) string, auth func(*http.Request)) Request {
	return func(ctx context.Context, n int) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.Base+path(n), nil)
		if err != nil {
			return nil, err
		}
		if auth != nil {
			auth(req)
		}
		return req, nil
	}
}

func (e *Env) session(req *http.Request) { req.Header.Set("Cookie", e.Cookie) }

// ActivityPub requests.
const (
	activityJSON = "application/activity+json"
	ldJSON       = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// signedGet signs every request afresh (a new Date each second, a new
// signature each time), as a remote server does.
func (e *Env) signedGet(path string) Request {
	return func(ctx context.Context, n int) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.Base+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", activityJSON)
		return req, e.Signer.Sign(req, nil)
	}
}

// signedLike posts a new Like of the actor to, signed.
func (e *Env) signedLike(path, to string) Request {
	return func(ctx context.Context, n int) (*http.Request, error) {
		body := like(e.KeyServer, to, n)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.Base+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", ldJSON)
		return req, e.Signer.Sign(req, body)
	}
}

// like is a Like of the actor to from the benchmark's actor, with an ID
// unique per run and n: the inbox records it and the queue processes it
// (the hub keeps no Likes of actors yet, so processing is the job's
// round trip: read, parse, look up the recipient, check blocks).
func like(actorBase, to string, n int) []byte {
	b, _ := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       fmt.Sprintf("%s/likes/%d-%d", actorBase, time.Now().UnixNano(), n), "type": "Like", "actor": actorBase + "/actor",
		"object": to, "to": []string{to},
	})
	return b
}

// actorDoc is what scenarios read of an actor document.
type actorDoc struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Inbox  string `json:"inbox"`
	Outbox string `json:"outbox"`
}

// actor fetches path as ActivityPub JSON (signed, as a remote server
// would); a page that answers HTML means the build does not federate.
func (e *Env) actor(ctx context.Context, path string) (*actorDoc, error) {
	req, err := e.signedGet(path)(ctx, 0)
	if err != nil {
		return nil, err
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode == http.StatusNotFound || !strings.Contains(ct, "json") {
		return nil, unavailable("GET %s with Accept: %s answers %d %s, not an actor", path, activityJSON, resp.StatusCode, ct)
	}
	var a actorDoc
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("actor %s: %w", path, err)
	}
	return &a, nil
}
