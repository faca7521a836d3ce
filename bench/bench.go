package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"collectif/federation/signature"
	"collectif/store"
)

// Options say what to run.
type Options struct {
	Exe     string // the collectif binary: it runs migrate, reindex, serve and bench-reference as child processes
	Version string // printed with the table

	Size Size
	Seed uint64
	// DataDir holds the embedded database, the index and the logs; empty:
	// a temporary directory, removed at the end.
	DataDir string
	// DatabaseURL selects PostgreSQL: the benchmark works in a schema of
	// its own, collectif_bench, dropped and created afresh. RedisURL adds
	// Redis (sessions, rate limits; keys under the hub's own prefix).
	DatabaseURL, RedisURL string

	Concurrency int
	Duration    time.Duration
	Warmup      time.Duration
	Runs        int
	Only        []string // scenario names to run (a prefix is enough); empty: all
	// ProfileDir, when set, receives a CPU and a heap profile of the hub
	// per scenario (first run), read from its net/http/pprof server at
	// COLLECTIF_PPROF_ADDR.
	ProfileDir string

	Out io.Writer // the table
	Log io.Writer // progress
}

// Run generates the dataset, starts the hub and the reference as child
// processes, drives every scenario and prints the table to o.Out.
func Run(ctx context.Context, o Options) (err error) {
	if o.Exe == "" || o.Runs < 1 || o.Concurrency < 1 || o.Duration <= 0 || o.Warmup < 0 {
		return errors.New("bench: Exe, Runs ≥ 1, Concurrency ≥ 1 and Duration > 0 are required")
	}
	if err := o.Size.check(); err != nil {
		return err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	scenarios, err := selectScenarios(o.Only)
	if err != nil {
		return err
	}
	if o.DataDir == "" {
		if o.DataDir, err = os.MkdirTemp("", "collectif-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.DataDir)
	} else if err := os.MkdirAll(o.DataDir, 0o750); err != nil {
		return err
	} else if _, err := os.Stat(filepath.Join(o.DataDir, store.SQLiteFile)); err == nil && o.DatabaseURL == "" {
		return fmt.Errorf("%s already holds a database: the benchmark needs an empty data dir", o.DataDir)
	}
	logf := func(f string, a ...any) { fmt.Fprintf(o.Log, f+"\n", a...) }
	childLog, err := os.Create(filepath.Join(o.DataDir, "bench.log"))
	if err != nil {
		return err
	}
	defer childLog.Close()

	addr, err := freePort()
	if err != nil {
		return err
	}
	dbURL := o.DatabaseURL
	if dbURL != "" {
		if dbURL, err = freshSchema(ctx, dbURL); err != nil {
			return fmt.Errorf("--database-url: %w", err)
		}
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"COLLECTIF_DATA_DIR=" + o.DataDir, "COLLECTIF_ADDR=" + addr, "COLLECTIF_BASE_URL=http://" + addr,
		"COLLECTIF_LOG_FORMAT=json",
		// Signatures are verified on GETs too, and deliveries may reach the
		// sink hosts on loopback.
		"COLLECTIF_FEDERATION_AUTHORIZED_FETCH=true", "COLLECTIF_FEDERATION_ALLOWED_NETS=127.0.0.0/8"}
	if dbURL != "" {
		env = append(env, "COLLECTIF_DATABASE_URL="+dbURL)
	}
	if o.RedisURL != "" {
		env = append(env, "COLLECTIF_REDIS_URL="+o.RedisURL)
	}

	// The remote hosts of the followers, listening before the dataset
	// names them.
	sinks, stopSinks, err := startSinks(min(fanHostsMax, o.Size.Followers))
	if err != nil {
		return err
	}
	defer stopSinks()
	remote := Remote{Base: "http://" + addr}
	for _, s := range sinks {
		remote.Sinks = append(remote.Sinks, s.base)
	}

	// The dataset.
	t0 := time.Now()
	if err := run(ctx, o.Exe, env, childLog, "migrate"); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Options{DatabaseURL: dbURL, DataDir: o.DataDir})
	if err != nil {
		return err
	}
	logf("generating %s (seed %d)", o.Size, o.Seed)
	ds, err := Generate(ctx, db, o.Size, o.Seed, remote, func(s string) { logf("  %s  %s", time.Since(t0).Round(time.Millisecond), s) })
	db.Close()
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	gen := time.Since(t0)
	t1 := time.Now()
	if err := run(ctx, o.Exe, env, childLog, "reindex"); err != nil {
		return err
	}
	index := time.Since(t1)
	logf("dataset written in %s, indexed in %s", gen.Round(time.Millisecond), index.Round(time.Millisecond))

	// The two servers.
	pprofAddr := ""
	if o.ProfileDir != "" {
		if err := os.MkdirAll(o.ProfileDir, 0o750); err != nil {
			return err
		}
		if pprofAddr, err = freePort(); err != nil {
			return err
		}
		env = append(env, "COLLECTIF_PPROF_ADDR="+pprofAddr)
	}
	refAddr, err := freePort()
	if err != nil {
		return err
	}
	ref, _, err := start(ctx, "reference", o.Exe, []string{"PATH=" + os.Getenv("PATH"), "COLLECTIF_ADDR=" + refAddr}, childLog, refAddr, "/readyz", "bench-reference")
	if err != nil {
		return err
	}
	defer ref.stop()
	hub, cold, err := start(ctx, "hub", o.Exe, env, childLog, addr, "/readyz", "serve")
	if err != nil {
		return err
	}
	defer func() {
		if e := hub.stop(); e != nil && err == nil {
			err = e
		}
	}()
	sleep(ctx, time.Second)
	idle, err := hub.memory("VmRSS")
	if err != nil {
		return err
	}
	anon, _ := hub.memory("RssAnon")
	file, _ := hub.memory("RssFile")
	logf("hub ready in %s, idle RSS %s (%s anonymous, %s file-backed)", cold.Round(time.Millisecond), mib(idle), mib(anon), mib(file))
	if pprofAddr != "" {
		p := &profiler{addr: pprofAddr, dir: o.ProfileDir}
		if err := p.fetch(ctx, "/debug/pprof/heap", "idle.heap.pprof"); err != nil {
			logf("idle heap profile: %v (profiles need COLLECTIF_PPROF_ADDR, served by collectif serve)", err)
		}
	}

	// The benchmark reads outcomes in the hub's database (and enqueues the
	// fan-out's delivery there) through a connection of its own.
	if db, err = store.Open(ctx, store.Options{DatabaseURL: dbURL, DataDir: o.DataDir}); err != nil {
		return err
	}
	defer db.Close()
	e := &Env{Base: "http://" + addr, Host: addr, Data: ds, Conc: o.Concurrency, Client: newClient(o.Concurrency), DB: db, Sinks: sinks}
	if err := e.login(ctx); err != nil {
		return fmt.Errorf("login of %s: %w", LoginEmail, err)
	}
	stopKeys, err := e.serveKey()
	if err != nil {
		return err
	}
	defer stopKeys()

	// The measures: runs rounds, each measuring the reference, then every
	// scenario. Completion scenarios run in the first round only.
	results := make([]*row, len(scenarios))
	for i, s := range scenarios {
		results[i] = &row{s: s}
	}
	var refs []sample
	refReq := func(ctx context.Context, _ int) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, "http://"+refAddr+"/", nil)
	}
	profiles := pprofAddr != ""
	for round := range o.Runs {
		logf("run %d of %d", round+1, o.Runs)
		rs := measure(ctx, ref, newClient(o.Concurrency), refReq, 200, o, nil)
		refs = append(refs, rs)
		logf("  %-20s %8.0f req/s", "reference", rs.rate)
		for _, r := range results {
			if r.unavailable != "" || r.failed != "" {
				continue
			}
			if r.s.Complete != nil {
				if round > 0 {
					continue
				}
				var prof *profiler
				if profiles {
					// The work's length is not known beforehand: the
					// profile covers its first completionProfile.
					prof = &profiler{addr: pprofAddr, dir: o.ProfileDir, name: r.s.Name, seconds: completionProfile}
				}
				r.completion(ctx, e, hub, prof)
				logf("  %-20s %s", r.s.Name, r.summary())
				continue
			}
			if r.next == nil && !r.setup(ctx, e) {
				logf("  %-20s %s", r.s.Name, r.summary())
				continue
			}
			var prof *profiler
			if round == 0 && profiles {
				prof = &profiler{addr: pprofAddr, dir: o.ProfileDir, name: r.s.Name, seconds: int(math.Ceil(o.Duration.Seconds()))}
			}
			smp := measure(ctx, hub, e.Client, r.next, r.want, o, prof)
			if prof != nil && prof.err != nil {
				logf("  profiles: %v (profiles need COLLECTIF_PPROF_ADDR, served by collectif serve)", prof.err)
				profiles = false
			}
			smp.ratio = smp.rate / rs.rate
			r.samples = append(r.samples, smp)
			logf("  %-20s %8.0f req/s  p99 %s  errors %d", r.s.Name, smp.rate, ms(smp.p99), smp.errors)
		}
	}
	report(o, ds, results, refs, cold, idle, gen, index)
	return nil
}

// row gathers a scenario's measures.
type row struct {
	s           Scenario
	next        Request
	want        int
	samples     []sample
	done        *Completion
	rss         int64
	cpu         time.Duration
	unavailable string
	failed      string
}

func (r *row) summary() string {
	switch {
	case r.unavailable != "":
		return r.unavailable
	case r.failed != "":
		return "failed: " + r.failed
	case r.done != nil:
		return fmt.Sprintf("done in %s, %d errors", r.done.Took.Round(time.Millisecond), r.done.Errors)
	}
	return ""
}

// setup prepares a throughput scenario and probes it with one request.
func (r *row) setup(ctx context.Context, e *Env) bool {
	next, want, err := r.s.Setup(ctx, e)
	if err == nil {
		err = probe(ctx, e.Client, next, want)
	}
	switch {
	case errors.Is(err, ErrUnavailable):
		r.unavailable = err.Error()
		return false
	case err != nil:
		r.failed = err.Error()
		return false
	}
	r.next, r.want = next, want
	return true
}

// probe sends one request; 404 means the feature is not in this build.
func probe(ctx context.Context, c *http.Client, next Request, want int) error {
	req, err := next(ctx, 0)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case want:
		return nil
	case http.StatusNotFound:
		return unavailable("%s %s answers 404", req.Method, req.URL.RequestURI())
	}
	return fmt.Errorf("%s %s answers %d, want %d", req.Method, req.URL.RequestURI(), resp.StatusCode, want)
}

// completionProfile is the length, in seconds, of the CPU profile of a
// completion scenario.
const completionProfile = 10

func (r *row) completion(ctx context.Context, e *Env, hub *child, prof *profiler) {
	hub.resetPeak()
	c0, _ := hub.cpu()
	if prof != nil {
		prof.startCPU(ctx)
	}
	c, err := r.s.Complete(ctx, e)
	c1, _ := hub.cpu()
	if prof != nil {
		prof.finish(ctx)
	}
	switch {
	case errors.Is(err, ErrUnavailable):
		r.unavailable = err.Error()
		return
	case err != nil:
		r.failed = err.Error()
		return
	}
	r.done = &c
	r.cpu = c1 - c0
	r.rss, _ = hub.memory("VmHWM")
}

// sample is one run of one throughput scenario.
type sample struct {
	rate     float64
	p50, p99 time.Duration
	requests int
	errors   int
	firstErr string
	cpuPer1k float64 // CPU seconds of the server per 1,000 requests
	rss      int64   // peak RSS during the run
	ratio    float64 // rate over the reference's in the same round
}

// measure drives one scenario against c, reading c's CPU time over the
// measured window and its RSS peak over the run.
func measure(ctx context.Context, c *child, client *http.Client, next Request, want int, o Options, prof *profiler) sample {
	c.resetPeak()
	var cpu0, cpu1 time.Duration
	res := drive(ctx, client, next, want, o.Concurrency, o.Warmup, o.Duration, func(begin bool) {
		if begin {
			cpu0, _ = c.cpu()
			if prof != nil {
				prof.startCPU(ctx)
			}
			return
		}
		cpu1, _ = c.cpu()
	})
	if prof != nil {
		prof.finish(ctx)
	}
	s := sample{rate: res.rate(), p50: res.P50, p99: res.P99, requests: res.Requests, errors: res.Errors, firstErr: res.FirstErr}
	if res.Requests > 0 {
		s.cpuPer1k = (cpu1 - cpu0).Seconds() * 1000 / float64(res.Requests)
	}
	s.rss, _ = c.memory("VmHWM")
	return s
}

func selectScenarios(only []string) ([]Scenario, error) {
	if len(only) == 0 {
		return Scenarios, nil
	}
	var out []Scenario
	for _, s := range Scenarios {
		for _, o := range only {
			if o != "" && strings.HasPrefix(s.Name, o) {
				out = append(out, s)
				break
			}
		}
	}
	if len(out) == 0 {
		var names []string
		for _, s := range Scenarios {
			names = append(names, s.Name)
		}
		return nil, fmt.Errorf("no scenario matches %q; there are: %s", strings.Join(only, ","), strings.Join(names, ", "))
	}
	return out, nil
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// login logs the login account in through the real form, as a browser
// does, and keeps the session cookie and its anti-forgery token.
func (e *Env) login(ctx context.Context) error {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	page := func(req *http.Request) (string, int, error) {
		resp, err := c.Do(req)
		if err != nil {
			return "", 0, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), resp.StatusCode, err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.Base+"/login", nil)
	body, _, err := page(req)
	if err != nil {
		return err
	}
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		return errors.New("no _csrf field on the login page")
	}
	form := url.Values{"email": {LoginEmail}, "password": {LoginPassword}, "_csrf": {m[1]}, "next": {"/c/" + e.Data.Collectives[0]}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, e.Base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	body, status, err := page(req)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("login answered %d", status)
	}
	if m = csrfRE.FindStringSubmatch(body); m == nil {
		return errors.New("the collective page after login has no form")
	}
	e.CSRF = m[1]
	u, _ := url.Parse(e.Base)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	e.Cookie = strings.Join(parts, "; ")
	return nil
}

// serveKey generates the benchmark's actor key and serves its actor
// document on loopback, where a hub verifying its signatures fetches it.
func (e *Env) serveKey() (func(), error) {
	key, err := signature.GenerateKey()
	if err != nil {
		return nil, err
	}
	pem, err := signature.EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.KeyServer = "http://" + ln.Addr().String()
	actor := e.KeyServer + "/actor"
	e.Key = key
	e.Signer = signature.Signer{KeyID: actor + "#main-key", Key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /actor", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", activityJSON)
		fmt.Fprintf(w, `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],"id":%q,"type":"Service","preferredUsername":"banc","inbox":%q,"outbox":%q,"publicKey":{"id":%q,"owner":%q,"publicKeyPem":%q}}`,
			actor, actor+"/inbox", actor+"/outbox", actor+"#main-key", actor, pem)
	})
	mux.HandleFunc("POST /actor/inbox", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.WriteHeader(http.StatusAccepted)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() { srv.Close() }, nil
}

// freshSchema drops and creates the schema collectif_bench and returns a
// URL whose connections use it.
func freshSchema(ctx context.Context, dbURL string) (string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS collectif_bench CASCADE"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA collectif_bench"); err != nil {
		return "", err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", "collectif_bench")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func mib(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/1e6) }

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "—"
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.0f ms", float64(d.Milliseconds()))
}

func median[T int | int64 | float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func machine() string {
	return fmt.Sprintf("%s/%s, %d cores, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
}
