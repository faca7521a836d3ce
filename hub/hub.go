// Package hub assembles one `collectif` process from its configuration:
// database, migrations, job queue, shared state, mail, domain services and
// the HTTP server, built explicitly in that order and shut down in reverse.
// The binary and the end-to-end tests start the same Hub.
//
// It imports every other package of the module but cmd/.
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uptrace/bun"

	"collectif/account"
	"collectif/catalog"
	"collectif/collective"
	"collectif/config"
	"collectif/demo"
	"collectif/directory"
	"collectif/discussion"
	"collectif/event"
	"collectif/federation"
	"collectif/federation/delivery"
	"collectif/finder"
	"collectif/frontend"
	"collectif/indexer"
	"collectif/jobs"
	"collectif/kv"
	"collectif/mail"
	"collectif/openid"
	"collectif/resource"
	"collectif/search"
	"collectif/search/embedded"
	"collectif/search/meili"
	"collectif/server"
	"collectif/store"
	"collectif/territory"
)

// Hub is one running hub process.
type Hub struct {
	Config      config.Config
	Log         *slog.Logger
	DB          *store.DB
	KV          kv.Backend
	Queue       *jobs.Queue
	Mail        mail.Sender
	Accounts    *account.Service
	Collectives *collective.Service
	Discussions *discussion.Service
	Resources   *resource.Service
	Catalog     *catalog.Service
	Events      *event.Service
	Directory   *directory.Service
	Search      search.Index
	Indexer     *indexer.Indexer
	OpenID      *openid.RP // nil when no provider is configured
	Server      *server.Server
	Federation  *federation.Service
	Metrics     *prometheus.Registry
	Delivery    *delivery.Service // outgoing federation: guarded client, signed GETs, deliveries

	workers bool
	tool    bool
}

// Options say what kind of process to build.
type Options struct {
	// Workers: run background jobs (serve). Command-line tools only enqueue.
	Workers bool
	// Tool: a command-line tool. The embedded search index is opened
	// detached (a running server holds the live one): searches and writes
	// are unavailable, and Rebuild builds a new index the server switches to.
	Tool bool
	// OIDCClient is the HTTP client used to reach OpenID providers
	// (tests trust their provider's certificate with it); nil: default.
	OIDCClient *http.Client
	// Version names the software in the User-Agent of federation requests.
	Version string
}

// OpenDB checks the data directory and opens the database; errors name the
// variable to fix.
func OpenDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	if err := store.CheckDataDir(cfg.DataDir); err != nil {
		return nil, &config.Error{Var: "COLLECTIF_DATA_DIR", Cause: err.Error()}
	}
	db, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		v := "COLLECTIF_DATA_DIR"
		if cfg.DatabaseURL != "" {
			v = "COLLECTIF_DATABASE_URL"
		}
		return nil, &config.Error{Var: v, Cause: "cannot open the database: " + err.Error()}
	}
	return db, nil
}

// Migrate applies the hub's and the queue's pending migrations.
func Migrate(ctx context.Context, db *store.DB) ([]string, error) {
	applied, err := db.Migrate(ctx)
	if err != nil {
		return applied, err
	}
	q, err := jobs.Migrate(ctx, db)
	return append(applied, q...), err
}

// Open builds a hub: it opens and migrates the database and connects to the
// configured services. Nothing runs until Serve.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (_ *Hub, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{Config: cfg, Log: log, workers: opts.Workers, tool: opts.Tool}
	defer func() {
		if err != nil {
			h.Close() // what was opened before the failure
		}
	}()
	if h.DB, err = OpenDB(ctx, cfg, log); err != nil {
		return nil, err
	}
	applied, err := Migrate(ctx, h.DB)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	for _, v := range applied {
		log.Info("migration applied", "version", v)
	}

	if cfg.RedisURL != "" {
		r, err := kv.NewRedis(ctx, cfg.RedisURL, kv.Options{Namespace: "collectif"})
		if err != nil {
			return nil, &config.Error{Var: "COLLECTIF_REDIS_URL", Cause: err.Error()}
		}
		h.KV = r
	} else {
		h.KV = kv.NewMemory(kv.Options{})
	}

	if cfg.SMTPURL != "" {
		s, err := mail.NewSMTP(cfg.SMTPURL, cfg.BaseURL.Hostname())
		if err != nil {
			return nil, &config.Error{Var: "COLLECTIF_SMTP_URL", Cause: err.Error()}
		}
		h.Mail = s
	} else {
		h.Mail = &mail.Files{Dir: filepath.Join(cfg.DataDir, "mail"), Host: cfg.BaseURL.Hostname()}
	}

	if err := h.openSearch(ctx); err != nil {
		return nil, err
	}
	reg := jobs.NewRegistry(log)
	account.RegisterJobs(reg, account.JobDeps{DB: h.DB, Mail: h.Mail, From: cfg.MailFrom, BaseURL: cfg.BaseURL})
	discussion.RegisterJobs(reg, discussion.JobDeps{DB: h.DB, Mail: h.Mail, From: cfg.MailFrom, BaseURL: cfg.BaseURL, Logger: log})
	version := opts.Version
	if version == "" {
		version = buildVersion()
	}
	h.Federation = federation.New(federation.Deps{DB: h.DB, BaseURL: cfg.BaseURL, AuthorizedFetch: cfg.AuthorizedFetch, Version: version, Logger: log,
		AllowedNets: cfg.FederationAllowedNets})
	h.Federation.RegisterJobs(reg)
	client := delivery.Options{AllowedNets: cfg.FederationAllowedNets, UserAgent: delivery.UserAgent(version, cfg.Base())}
	if cfg.FederationCAFile != "" {
		if client.RootCAs, err = delivery.LoadCAFile(cfg.FederationCAFile); err != nil {
			return nil, &config.Error{Var: "COLLECTIF_FEDERATION_CA_FILE", Cause: err.Error()}
		}
	}
	// Outgoing federation: the guarded client signs with the federation's
	// keys, skips blocked instances, fetches remote documents and delivers
	// what the federation sends (Accept, Reject, content).
	h.Delivery = delivery.New(delivery.Deps{DB: h.DB, Logger: log, Keys: h.Federation, Blocked: h.Federation.Blocked,
		Client: delivery.NewClient(client)})
	delivery.RegisterJobs(reg, h.Delivery)
	h.Federation.SetGetter(h.Delivery)
	h.Federation.SetOutbox(outbox{h.Delivery})
	event.RegisterJobs(reg, event.JobDeps{DB: h.DB, Mail: h.Mail, From: cfg.MailFrom, BaseURL: cfg.BaseURL, Retention: cfg.EventRetention, Logger: log})
	h.Resources = resource.New(resource.Deps{DB: h.DB, Dir: filepath.Join(cfg.DataDir, "uploads"), Logger: log})
	resource.RegisterJobs(reg, h.Resources)
	// The index handler is registered now; the indexer it calls is built
	// with the services below, before any worker starts.
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, j search.IndexJob) error { return h.Indexer.Apply(ctx, j) })
	workers := 0
	if opts.Workers {
		workers = cfg.Workers
	}
	if h.Queue, err = jobs.New(h.DB, reg, jobs.Options{Logger: log, Workers: workers, Periodic: append(append(discussion.Periodic(),
		jobs.Periodic{Every: resource.SweepEvery, Args: func() jobs.Args { return resource.SweepArgs{} }}), event.Periodic()...),
		Queues: map[string]int{delivery.QueueName: delivery.DefaultWorkers, federation.InboxQueue: federation.InboxWorkers}}); err != nil {
		return nil, err
	}

	ref, err := territory.Load()
	if err != nil {
		return nil, err
	}
	h.Directory = directory.New(h.DB, ref)
	h.Discussions = discussion.New(discussion.Deps{DB: h.DB, Queue: h.Queue, Logger: log})
	h.Events = event.New(event.Deps{DB: h.DB, Queue: h.Queue, Logger: log})
	h.Federation.SetEvents(h.Events) // remote actors join events (Join, Leave)
	h.Accounts = account.New(account.Deps{DB: h.DB, Queue: h.Queue, Logger: log, Directory: h.Directory,
		Content: []account.ContentHook{{
			Name:   "posts",
			Forget: h.Discussions.ForgetAccount,
			Export: func(ctx context.Context, id string) (any, error) { return discussion.ExportAccount(ctx, h.DB.R, id) },
		}, {
			Name:   "resources",
			Forget: h.Resources.ForgetAccount,
			Export: func(ctx context.Context, id string) (any, error) { return resource.ExportAccount(ctx, h.DB.R, id) },
		}, {
			Name: "software_usages",
			Forget: func(ctx context.Context, tx bun.Tx, id string, keep bool) error {
				return h.Catalog.ForgetAccount(ctx, tx, id, keep)
			},
			Export: func(ctx context.Context, id string) (any, error) { return catalog.ExportAccount(ctx, h.DB.R, id) },
		}, {
			Name:   "network_replies",
			Forget: h.Federation.ForgetAccount,
			Export: h.Federation.ExportAccount,
		}}})
	file, err := readFile(cfg.ConfigFile)
	if err != nil {
		return nil, &config.Error{Var: "COLLECTIF_CONFIG", Cause: err.Error()}
	}
	if len(file.OIDCProviders) > 0 {
		h.OpenID, err = openid.New(ctx, openid.Options{Providers: file.OIDCProviders, BaseURL: cfg.Base(), Logger: log, HTTPClient: opts.OIDCClient})
		if err != nil {
			return nil, &config.Error{Var: "COLLECTIF_CONFIG", Cause: "oidc_providers: " + err.Error()}
		}
	}
	h.Federation.SetQueue(h.Queue)
	h.Collectives = collective.New(h.DB)
	h.Collectives.SetQueue(h.Queue)
	h.Resources.SetQueue(h.Queue)
	h.Delivery.SetQueue(h.Queue)
	h.Catalog = catalog.New(catalog.Deps{DB: h.DB, Territory: ref, Queue: h.Queue, Logger: log})
	h.Federation.SetCatalog(h.Catalog) // usage declarations federate (the catalog extension)
	h.Indexer = indexer.New(h.Search, log, slices.Concat(h.Collectives.IndexSources(), h.Discussions.IndexSources(), h.Resources.IndexSources(),
		h.Catalog.IndexSources(), h.Events.IndexSources())...)

	fe, err := frontend.New()
	if err != nil {
		return nil, err
	}
	h.Metrics = prometheus.NewRegistry()
	h.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newQueueCollector(h.Queue))
	registerDBMetrics(h.Metrics, h.DB)
	h.Metrics.MustRegister(h.Delivery.Collectors()...)
	h.Server = server.New(server.Deps{
		BaseURL:        cfg.BaseURL,
		Logger:         log,
		Frontend:       fe,
		Collectives:    h.Collectives,
		Accounts:       h.Accounts,
		Directory:      h.Directory,
		Discussions:    h.Discussions,
		Resources:      h.Resources,
		Federation:     h.Federation,
		Catalog:        h.Catalog,
		Events:         h.Events,
		UploadLimit:    h.Resources.UploadBodyLimit(),
		TrustedProxies: cfg.TrustedProxies,
		KV:             h.KV,
		OpenID:         h.OpenID,
		Finder:         finder.New(h.DB, newTimedIndex(h.Search, h.Metrics)),
		Ready:          h.readiness(),
		Metrics:        h.Metrics,
		Delivery:       h.Delivery,
	})
	return h, nil
}

func (h *Hub) readiness() []server.Check {
	checks := []server.Check{{Name: "database", Check: h.DB.Ping}}
	if h.Config.RedisURL != "" {
		checks = append(checks, server.Check{Name: "redis", Check: h.KV.Ping})
	}
	if h.Config.MeiliURL != "" {
		checks = append(checks, server.Check{Name: "meilisearch", Check: h.Search.Ping})
	}
	return checks
}

// Serve runs the workers and answers HTTP on ln until ctx ends, then shuts
// down gracefully: no new connections, requests in flight finish, running
// jobs finish or are handed back to the queue, then the database closes.
func (h *Hub) Serve(ctx context.Context, ln net.Listener) error {
	stopPprof, err := h.servePprof()
	if err != nil {
		h.Close()
		return &config.Error{Var: "COLLECTIF_PPROF_ADDR", Cause: "cannot listen: " + err.Error()}
	}
	if h.workers {
		if err := h.Queue.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("start workers: %w", err)
		}
	}
	followCtx, stopFollow := context.WithCancel(context.WithoutCancel(ctx))
	followed := make(chan struct{})
	if e, ok := h.Search.(*embedded.Index); ok && h.workers {
		go func() {
			defer close(followed)
			e.Follow(followCtx, followEvery, func(since time.Time) { h.requeueSince(followCtx, since) },
				func(err error) { h.Log.Error("search index switch failed", "err", err) })
		}()
	} else {
		close(followed)
	}
	errc := make(chan error, 1)
	go func() { errc <- h.Server.Serve(ln) }()
	h.Log.Info("collectif listening", "addr", ln.Addr().String(), "base_url", h.Config.Base(),
		"database", string(h.DB.Engine()), "kv", h.KV.Name(), "mail", h.Mail.Name())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	h.Log.Info("shutting down", "grace", h.Config.ShutdownIn.String())
	sctx, cancel := context.WithTimeout(context.Background(), h.Config.ShutdownIn)
	defer cancel()
	var errs []error
	if err := h.Server.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	if err := stopPprof(sctx); err != nil {
		errs = append(errs, fmt.Errorf("pprof shutdown: %w", err))
	}
	if h.workers {
		if err := h.Queue.Stop(sctx); err != nil {
			errs = append(errs, fmt.Errorf("workers: %w", err))
		}
	}
	if serveErr != nil {
		errs = append(errs, serveErr)
	}
	stopFollow()
	<-followed
	errs = append(errs, h.Close())
	h.Log.Info("stopped")
	return errors.Join(errs...)
}

// followEvery is how often a server checks whether `collectif reindex`
// has built a new embedded index to switch to.
const followEvery = 2 * time.Second

// requeueSince enqueues again the index jobs created since a rebuild
// began: this server applied them to the index the rebuild replaced.
func (h *Hub) requeueSince(ctx context.Context, since time.Time) {
	n, err := indexer.Requeue(ctx, h.DB, h.Queue, since)
	if err != nil {
		h.Log.Error("search index switched, but the changes made during the rebuild could not be queued again: run collectif reindex again", "err", err)
		return
	}
	h.Log.Info("search index switched to a rebuilt one", "requeued", n)
}

// openSearch opens Meilisearch when configured, the embedded index in the
// data dir otherwise. Meilisearch being down at start does not stop the
// hub: writes go on, index jobs wait in the queue, /readyz says so.
func (h *Hub) openSearch(ctx context.Context) error {
	if h.Config.MeiliURL != "" {
		m, err := meili.New(h.Config.MeiliURL, h.Config.MeiliKey, meili.Options{})
		if err != nil {
			return &config.Error{Var: "COLLECTIF_MEILI_URL", Cause: err.Error()}
		}
		h.Search = m
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := m.Setup(sctx); err != nil {
			h.Log.Warn("meilisearch settings not applied yet", "err", err)
		}
		return nil
	}
	open := embedded.Open
	if h.tool {
		open = embedded.OpenDetached
	}
	e, err := open(filepath.Join(h.Config.DataDir, "search"))
	if err != nil {
		return &config.Error{Var: "COLLECTIF_DATA_DIR", Cause: "search index: " + err.Error()}
	}
	h.Search = e
	return e.Setup(ctx)
}

// Close releases what Open took. It is safe on a partly built hub.
func (h *Hub) Close() error {
	var errs []error
	if h.Search != nil {
		errs = append(errs, h.Search.Close())
		h.Search = nil
	}
	if h.KV != nil {
		errs = append(errs, h.KV.Close())
		h.KV = nil
	}
	if h.DB != nil {
		errs = append(errs, h.DB.Close())
		h.DB = nil
	}
	return errors.Join(errs...)
}

// queueCollector exports the job queue's figures at each scrape.
type queueCollector struct {
	q                                *jobs.Queue
	pending, running, failed, oldest *prometheus.Desc
}

func newQueueCollector(q *jobs.Queue) *queueCollector {
	return &queueCollector{
		q:       q,
		pending: prometheus.NewDesc("collectif_jobs_pending", "Jobs waiting to run (due, scheduled or to retry).", nil, nil),
		running: prometheus.NewDesc("collectif_jobs_running", "Jobs running now.", nil, nil),
		failed:  prometheus.NewDesc("collectif_jobs_failed", "Jobs discarded after their last attempt, still kept.", nil, nil),
		oldest:  prometheus.NewDesc("collectif_jobs_oldest_pending_seconds", "Age of the oldest due job not yet run.", nil, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.running
	ch <- c.failed
	ch <- c.oldest
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := c.q.Stats(ctx)
	if err != nil {
		// A scrape must not fail because the queue could not be read:
		// the database readiness check says why.
		return
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(s.Pending))
	ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, float64(s.Running))
	ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, float64(s.Failed))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, s.OldestAge.Seconds())
}

// DemoDeps are the services `collectif demo` fills.
func (h *Hub) DemoDeps() demo.Deps {
	return demo.Deps{Accounts: h.Accounts, Collectives: h.Collectives, Directory: h.Directory,
		Content: &demo.ContentDeps{Discussions: h.Discussions, Resources: h.Resources}, Catalog: h.Catalog, Events: h.Events}
}

// buildVersion is the module version the binary was built from, for
// NodeInfo and the User-Agent.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// outbox hands what the federation sends to the durable delivery queue.
type outbox struct{ d *delivery.Service }

func (o outbox) Send(ctx context.Context, tx bun.Tx, actor string, activity json.RawMessage, inboxes []string) error {
	return o.d.Enqueue(ctx, tx, delivery.Delivery{Actor: actor, Activity: activity, Inboxes: inboxes})
}
