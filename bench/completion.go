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
)

// Fan-out: the dataset's remote followers of one group live on sink hosts
// 127.0.0.2, 127.0.0.3, … (all loopback on Linux), one listener each,
// started by the benchmark before the dataset is written. One activity of
// the group is delivered to them, and the time runs until every host has
// received it.
const (
	fanHostsMax  = 100
	fanWaitLimit = 2 * time.Minute
)

// sink is one remote host: it serves its followers' actor documents and
// records what reaches its inboxes.
type sink struct {
	base     string
	srv      *http.Server
	arrivals atomic.Int64
	mu       sync.Mutex
	marker   string
	got      chan struct{} // closed when the marked activity arrives
	gotAt    time.Time
}

// startSinks listens on n sink hosts; stop closes them.
func startSinks(n int) (sinks []*sink, stop func(), err error) {
	stop = func() {
		for _, s := range sinks {
			s.srv.Close()
		}
	}
	for h := range n {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", h+2))
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("sink host 127.0.0.%d: %w", h+2, err)
		}
		s := &sink{base: "http://" + ln.Addr().String()}
		s.srv = &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
		go s.srv.Serve(ln)
		sinks = append(sinks, s)
	}
	return sinks, stop, nil
}

// expect arms the sink for the activity whose body holds marker.
func (s *sink) expect(marker string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.marker, s.got = marker, make(chan struct{})
	return s.got
}

func (s *sink) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{name}", func(w http.ResponseWriter, r *http.Request) {
		id := s.base + "/users/" + r.PathValue("name")
		w.Header().Set("Content-Type", activityJSON)
		json.NewEncoder(w).Encode(map[string]any{
			"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       id, "type": "Person", "preferredUsername": r.PathValue("name"),
			"inbox": id + "/inbox", "outbox": id + "/outbox", "endpoints": map[string]string{"sharedInbox": s.base + "/inbox"},
		})
	})
	deliver := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		s.arrivals.Add(1)
		s.mu.Lock()
		if s.got != nil && s.marker != "" && bytes.Contains(b, []byte(s.marker)) && s.gotAt.IsZero() {
			s.gotAt = time.Now()
			close(s.got)
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}
	mux.HandleFunc("POST /inbox", deliver)
	mux.HandleFunc("POST /users/{name}/inbox", deliver)
	return mux
}

// fanOut posts a topic in the group that the remote followers follow,
// through the API as a member does, and waits until every sink host has
// the group's Create: the domain's outbox job, the federation's publish
// (one inbox per shared inbox of the followers) and the durable delivery,
// all in the hub. On the embedded engine the queue notices the jobs at its
// next fetch; on PostgreSQL on its notification.
func fanOut(ctx context.Context, e *Env) (Completion, error) {
	if e.Data.Followers == 0 || len(e.Sinks) == 0 {
		return Completion{}, unavailable("no remote followers in the dataset")
	}
	marker := fmt.Sprintf("banc-%d", time.Now().UnixNano())
	waits := make([]chan struct{}, len(e.Sinks))
	for i, s := range e.Sinks {
		waits[i] = s.expect(marker)
	}
	var shared int
	err := e.DB.R.NewSelect().TableExpr("federation_followers").
		ColumnExpr("count(DISTINCT CASE WHEN shared_inbox <> '' THEN shared_inbox ELSE inbox END)").
		Where("local_actor = ? AND state = 'accepted'", e.Base+e.Data.FanGroup).Scan(ctx, &shared)
	if err != nil {
		return Completion{}, err
	}
	// /c/<collective>/g/<group> → /api/v1/collectives/<collective>/groups/<group>/topics
	parts := strings.Split(strings.TrimPrefix(e.Data.FanGroup, "/c/"), "/g/")
	body, _ := json.Marshal(map[string]string{"title": "Message à tous les abonnés " + marker,
		"body": "Un message pour tous les abonnés du groupe : " + marker})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.Base+"/api/v1/collectives/"+parts[0]+"/groups/"+parts[1]+"/topics", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", e.Cookie)
	req.Header.Set("X-CSRF-Token", e.CSRF)
	t0 := time.Now()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return Completion{}, fmt.Errorf("post the topic: %w", err)
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return Completion{}, fmt.Errorf("post the topic: %d %s", resp.StatusCode, msg)
	}
	missing := 0
	var first time.Time
	for i, s := range e.Sinks {
		select {
		case <-waits[i]:
			s.mu.Lock()
			if first.IsZero() || s.gotAt.Before(first) {
				first = s.gotAt
			}
			s.mu.Unlock()
		case <-time.After(time.Until(t0.Add(fanWaitLimit))):
			missing++
		case <-ctx.Done():
			return Completion{}, ctx.Err()
		}
	}
	c := Completion{Took: time.Since(t0), Requests: shared, Errors: missing,
		Note: fmt.Sprintf("%d followers on %d hosts, %d shared inboxes; a topic posted through the API; first host after %s",
			e.Data.Followers, len(e.Sinks), shared, ms(first.Sub(t0)))}
	if missing > 0 {
		c.Note += fmt.Sprintf("; %d hosts never got it", missing)
	}
	return c, nil
}

// inboxBatch is how many signed activities the inbox-processed scenario
// posts.
const inboxBatch = 2000

// inboxProcessed posts inboxBatch signed Like activities (unique IDs,
// freshly signed) to the collective's inbox and times how long until the
// job queue has processed every one of them.
func inboxProcessed(ctx context.Context, e *Env) (Completion, error) {
	a, err := e.actor(ctx, "/c/"+e.Data.Collectives[0])
	if err != nil {
		return Completion{}, err
	}
	next := e.signedLike(pathOf(a.Inbox), a.ID)
	if err := e.queueIdle(ctx, fanWaitLimit); err != nil {
		return Completion{}, err
	}
	done0, err := e.inboxJobsDone(ctx)
	if err != nil {
		return Completion{}, err
	}
	var errs atomic.Int64
	var firstErr atomic.Value
	var seq atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range e.Conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(seq.Add(1))
				if n > inboxBatch {
					return
				}
				if err := once(ctx, e.Client, next, n, http.StatusAccepted); err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	accepted := time.Since(t0)
	ok := inboxBatch - int(errs.Load())
	deadline := time.Now().Add(fanWaitLimit)
	for {
		n, err := e.inboxJobsDone(ctx)
		if err != nil {
			return Completion{}, err
		}
		if n-done0 >= ok {
			break
		}
		if time.Now().After(deadline) {
			return Completion{}, fmt.Errorf("%d of %d activities processed after %s", n-done0, ok, fanWaitLimit)
		}
		sleep(ctx, 20*time.Millisecond)
	}
	took := time.Since(t0)
	c := Completion{Took: took, Requests: inboxBatch, Errors: int(errs.Load()),
		Note: fmt.Sprintf("%d Likes: accepted in %.2f s (%.0f/s), all processed after %.2f s (%.0f/s)",
			inboxBatch, accepted.Seconds(), float64(inboxBatch)/accepted.Seconds(), took.Seconds(), float64(ok)/took.Seconds())}
	if v := firstErr.Load(); v != nil {
		c.Note += "; first error: " + v.(string)
	}
	return c, nil
}

// inboxJobsDone counts the received activities the queue has finished.
func (e *Env) inboxJobsDone(ctx context.Context) (int, error) {
	n, err := e.DB.R.NewSelect().TableExpr("river_job").
		Where("kind = 'federation.inbox' AND state IN ('completed','discarded','cancelled')").Count(ctx)
	return int(n), err
}

// queueIdle waits until no job is due or running.
func (e *Env) queueIdle(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		n, err := e.DB.R.NewSelect().TableExpr("river_job").Where("state IN ('available','running')").Count(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d jobs still due or running after %s", n, limit)
		}
		sleep(ctx, 50*time.Millisecond)
	}
}

// Registration burst: 1,000 people register at once (16 at a time) for an
// event of 500 places; the time runs until every one has an answer. The
// database must then hold exactly 500 confirmed registrations: more is
// overbooking, fewer a lost place, both counted as errors.
const (
	burstPeople = 1000
	burstPlaces = 500
	burstConc   = 16
)

func registrationBurst(ctx context.Context, e *Env) (Completion, error) {
	if e.Data.BurstEvent == "" {
		return Completion{}, unavailable("no events in the dataset")
	}
	path := "/api/v1/events/" + e.Data.BurstEvent + "/registrations"
	client := newClient(burstConc)
	var confirmed, waiting, errs atomic.Int64
	var firstErr atomic.Value
	var notFound atomic.Bool
	work := make(chan int)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range burstConc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("Participant %d", i), "email": fmt.Sprintf("participant%04d@bench.example", i),
					"category": "collectivity", "organization": "Mairie de Grenoble", "consent": true})
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
					firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d", resp.StatusCode))
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
	n, err := e.DB.R.NewSelect().TableExpr("event_registrations").
		Where("event_id = ? AND status = 'confirmed'", e.Data.BurstEvent).Count(ctx)
	if err != nil {
		return Completion{}, err
	}
	stored := int(n)
	c := Completion{Took: took, Requests: burstPeople, Errors: int(errs.Load()),
		Note: fmt.Sprintf("%d answered confirmed, %d waiting list; %d confirmed in the database", confirmed.Load(), waiting.Load(), stored)}
	if stored != burstPlaces {
		c.Errors += max(stored-burstPlaces, burstPlaces-stored)
		if stored > burstPlaces {
			c.Note += fmt.Sprintf("; OVERBOOKED by %d", stored-burstPlaces)
		} else {
			c.Note += fmt.Sprintf("; %d places not taken", burstPlaces-stored)
		}
	}
	if v := firstErr.Load(); v != nil {
		c.Note += "; first error: " + v.(string)
	}
	return c, nil
}

// pathOf is the path (and query) of an absolute URL.
func pathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[i+3+j:]
		}
		return "/"
	}
	return u
}
