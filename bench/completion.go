package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"collectif/federation/signature"
)

// Fan-out: 100 sink hosts on 127.0.1.1 … 127.0.1.100 (all loopback on
// Linux), ten followers each, follow a working group's actor; then one
// topic is posted in the group, and the time runs until every host has
// received it.
const (
	fanHosts     = 100
	fanPerHost   = 10
	fanWaitLimit = 2 * time.Minute
)

// sink is one remote host: it serves its followers' actor documents and
// counts what reaches its inboxes.
type sink struct {
	base    string
	srv     *http.Server
	accepts atomic.Int64
	got     chan struct{} // closed when the marked post arrives
	once    sync.Once
}

func fanOut(ctx context.Context, e *Env) (Completion, error) {
	group := "/c/" + e.Data.Collectives[0] + "/g/gt-001"
	ga, err := e.actor(ctx, group)
	if err != nil {
		return Completion{}, err
	}
	pem, err := signature.EncodePublicKeyPEM(&e.Key.PublicKey)
	if err != nil {
		return Completion{}, err
	}
	marker := fmt.Sprintf("banc-%d", time.Now().UnixNano())
	var sinks []*sink
	defer func() {
		for _, s := range sinks {
			s.srv.Close()
		}
	}()
	for h := range fanHosts {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.1.%d:0", h+1))
		if err != nil {
			return Completion{}, fmt.Errorf("sink host %d: %w", h+1, err)
		}
		s := &sink{base: "http://" + ln.Addr().String(), got: make(chan struct{})}
		s.srv = &http.Server{Handler: s.handler(pem, marker), ReadHeaderTimeout: 10 * time.Second}
		go s.srv.Serve(ln)
		sinks = append(sinks, s)
	}

	// Every follower sends a signed Follow.
	var errs atomic.Int64
	var wg sync.WaitGroup
	work := make(chan int)
	for range max(e.Conc, 8) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				s := sinks[i%fanHosts]
				actor := fmt.Sprintf("%s/users/f%d", s.base, i)
				body, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
					"id": actor + "/follow/" + marker, "type": "Follow", "actor": actor, "object": ga.ID})
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.Base+pathOf(ga.Inbox), bytes.NewReader(body))
				req.Header.Set("Content-Type", activityJSON)
				signer := signature.Signer{KeyID: actor + "#main-key", Key: e.Key}
				if err := signer.Sign(req, body); err != nil {
					errs.Add(1)
					continue
				}
				resp, err := e.Client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					errs.Add(1)
				}
			}
		}()
	}
	for i := range fanHosts * fanPerHost {
		work <- i
	}
	close(work)
	wg.Wait()
	if n := errs.Load(); n > 0 {
		return Completion{Requests: fanHosts * fanPerHost, Errors: int(n)}, fmt.Errorf("%d of %d Follow requests refused", n, fanHosts*fanPerHost)
	}
	// The follows are processed when each follower has its Accept.
	deadline := time.Now().Add(fanWaitLimit)
	for {
		var n int64
		for _, s := range sinks {
			n += s.accepts.Load()
		}
		if n >= fanHosts*fanPerHost {
			break
		}
		if time.Now().After(deadline) {
			return Completion{}, fmt.Errorf("only %d of %d follows accepted after %s", n, fanHosts*fanPerHost, fanWaitLimit)
		}
		sleep(ctx, 50*time.Millisecond)
	}

	// The post, by the login account, through the JSON API.
	body, _ := json.Marshal(map[string]string{"title": "Annonce " + marker, "body": "Un message pour tous les abonnés : " + marker})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.Base+"/api/v1/collectives/"+e.Data.Collectives[0]+"/groups/gt-001/topics", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", e.CSRF)
	e.session(req)
	t0 := time.Now()
	resp, err := e.Client.Do(req)
	if err != nil {
		return Completion{}, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return Completion{}, fmt.Errorf("posting the topic: status %d", resp.StatusCode)
	}
	missing := 0
	for _, s := range sinks {
		select {
		case <-s.got:
		case <-time.After(time.Until(t0.Add(fanWaitLimit))):
			missing++
		}
	}
	c := Completion{Took: time.Since(t0), Requests: fanHosts*fanPerHost + 1, Errors: missing,
		Note: fmt.Sprintf("%d followers on %d hosts", fanHosts*fanPerHost, fanHosts)}
	if missing > 0 {
		c.Note += fmt.Sprintf("; %d hosts never got the post", missing)
	}
	return c, nil
}

func pathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[i+3+j:]
		}
		return "/"
	}
	return u
}

func (s *sink) handler(pem, marker string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{name}", func(w http.ResponseWriter, r *http.Request) {
		id := s.base + "/users/" + r.PathValue("name")
		w.Header().Set("Content-Type", activityJSON)
		json.NewEncoder(w).Encode(map[string]any{
			"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       id, "type": "Person", "preferredUsername": r.PathValue("name"),
			"inbox": id + "/inbox", "outbox": id + "/outbox", "endpoints": map[string]string{"sharedInbox": s.base + "/inbox"},
			"publicKey": map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": pem},
		})
	})
	deliver := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var act struct {
			Type string `json:"type"`
		}
		json.Unmarshal(b, &act)
		switch {
		case act.Type == "Accept":
			s.accepts.Add(1)
		case bytes.Contains(b, []byte(marker)) && act.Type != "Follow":
			s.once.Do(func() { close(s.got) })
		}
		w.WriteHeader(http.StatusAccepted)
	}
	mux.HandleFunc("POST /inbox", deliver)
	mux.HandleFunc("POST /users/{name}/inbox", deliver)
	return mux
}

// Registration burst: 1,000 people register at once (50 at a time) for an
// event of 500 places; the time runs until every one has an answer, and
// more than 500 confirmed is overbooking, counted as errors.
const (
	burstPeople = 1000
	burstPlaces = 500
	burstConc   = 50
)

func registrationBurst(ctx context.Context, e *Env) (Completion, error) {
	if len(e.Data.Events) == 0 {
		return Completion{}, unavailable("no events in the dataset")
	}
	path := "/api/v1/events/" + e.Data.Events[0] + "/registrations"
	client := newClient(burstConc)
	var confirmed, waiting, errs atomic.Int64
	var notFound atomic.Bool
	work := make(chan int)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range burstConc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				body, _ := json.Marshal(map[string]string{"name": fmt.Sprintf("Participant %d", i), "email": fmt.Sprintf("participant%04d@bench.example", i)})
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.Base+path, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				var out struct {
					Status string `json:"status"`
				}
				json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&out)
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusNotFound:
					notFound.Store(true)
					errs.Add(1)
				case resp.StatusCode/100 != 2:
					errs.Add(1)
				case strings.Contains(out.Status, "wait"):
					waiting.Add(1)
				default:
					confirmed.Add(1)
				}
			}
		}()
	}
	for i := range burstPeople {
		work <- i
	}
	close(work)
	wg.Wait()
	took := time.Since(t0)
	if notFound.Load() && confirmed.Load() == 0 {
		return Completion{}, unavailable("POST %s answers 404", path)
	}
	c := Completion{Took: took, Requests: burstPeople, Errors: int(errs.Load()),
		Note: fmt.Sprintf("%d confirmed, %d on the waiting list", confirmed.Load(), waiting.Load())}
	if over := confirmed.Load() - burstPlaces; over > 0 {
		c.Errors += int(over)
		c.Note += fmt.Sprintf("; OVERBOOKED by %d", over)
	}
	return c, nil
}
