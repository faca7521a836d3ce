package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"collectif/search"
	"collectif/store"
)

// servePprof serves net/http/pprof on COLLECTIF_PPROF_ADDR, a loopback
// address (config refuses any other): the public listener never has it.
// It returns a function that stops it.
func (h *Hub) servePprof() (stop func(context.Context) error, err error) {
	if h.Config.PprofAddr == "" {
		return func(context.Context) error { return nil }, nil
	}
	ln, err := net.Listen("tcp", h.Config.PprofAddr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.Log.Warn("pprof server stopped", "err", err)
		}
	}()
	h.Log.Info("pprof listening", "addr", ln.Addr().String())
	return srv.Shutdown, nil
}

// timedIndex measures the searches people run.
type timedIndex struct {
	search.Index
	seconds *prometheus.HistogramVec
}

func newTimedIndex(idx search.Index, reg prometheus.Registerer) search.Index {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "collectif_search_duration_seconds",
		Help:    "Time to answer a search query, by engine and outcome (ok, unavailable, invalid, error).",
		Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"engine", "outcome"})
	reg.MustRegister(h)
	return &timedIndex{Index: idx, seconds: h}
}

func (t *timedIndex) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	start := time.Now()
	res, err := t.Index.Search(ctx, q)
	outcome := "ok"
	switch {
	case errors.Is(err, search.ErrUnavailable):
		outcome = "unavailable"
	case errors.Is(err, search.ErrInvalidQuery):
		outcome = "invalid"
	case err != nil:
		outcome = "error"
	}
	t.seconds.WithLabelValues(t.Index.Name(), outcome).Observe(time.Since(start).Seconds())
	return res, err
}

// registerDBMetrics exports the connection pools: on SQLite the writer
// (one connection) and the readers; on PostgreSQL the pgx pool.
func registerDBMetrics(reg prometheus.Registerer, db *store.DB) {
	reg.MustRegister(collectors.NewDBStatsCollector(db.SQL, "writer"))
	if db.Engine() == store.SQLite {
		reg.MustRegister(collectors.NewDBStatsCollector(db.R.DB, "reader"))
	}
	if db.Pool != nil {
		reg.MustRegister(newPgxCollector(db.Pool))
	}
}

// pgxCollector exports pgxpool's figures at each scrape.
type pgxCollector struct {
	pool                                         *pgxpool.Pool
	acquired, idle, total, max                   *prometheus.Desc
	acquires, emptyAcquires, waitSeconds, cancel *prometheus.Desc
}

func newPgxCollector(p *pgxpool.Pool) *pgxCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("collectif_db_pool_"+name, help, nil, nil)
	}
	return &pgxCollector{
		pool:          p,
		acquired:      d("acquired_connections", "PostgreSQL connections in use."),
		idle:          d("idle_connections", "PostgreSQL connections open and idle."),
		total:         d("connections", "PostgreSQL connections open."),
		max:           d("max_connections", "Most PostgreSQL connections the pool opens."),
		acquires:      d("acquires_total", "Connections taken from the pool."),
		emptyAcquires: d("empty_acquires_total", "Acquires that had to wait or open a connection because none was idle."),
		waitSeconds:   d("acquire_wait_seconds_total", "Time spent waiting for a connection."),
		cancel:        d("canceled_acquires_total", "Acquires given up because their context ended."),
	}
}

func (c *pgxCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.idle, c.total, c.max, c.acquires, c.emptyAcquires, c.waitSeconds, c.cancel} {
		ch <- d
	}
}

func (c *pgxCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	n := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	g(c.acquired, float64(s.AcquiredConns()))
	g(c.idle, float64(s.IdleConns()))
	g(c.total, float64(s.TotalConns()))
	g(c.max, float64(s.MaxConns()))
	n(c.acquires, float64(s.AcquireCount()))
	n(c.emptyAcquires, float64(s.EmptyAcquireCount()))
	n(c.waitSeconds, s.AcquireDuration().Seconds())
	n(c.cancel, float64(s.CanceledAcquireCount()))
}

// Reindex rebuilds the search index from the database, then applies again
// the index jobs enqueued since it began. The running nodes apply those to
// the index that was live while the rebuild ran, which the switch drops:
// without this second pass a change made during a rebuild would be missing
// from the new index until it changed again.
func (h *Hub) Reindex(ctx context.Context, progress func(typ string, done int)) (map[string]int, int, error) {
	var mark int64
	if err := h.DB.R.QueryRowContext(ctx, "SELECT COALESCE(max(id), 0) FROM river_job").Scan(&mark); err != nil {
		return nil, 0, fmt.Errorf("reindex: %w", err)
	}
	counts, err := h.Indexer.Rebuild(ctx, progress)
	if err != nil {
		return nil, 0, err
	}
	args := "args::text"
	if h.DB.Engine() == store.SQLite {
		args = "json(args)"
	}
	rows, err := h.DB.R.QueryContext(ctx, "SELECT "+args+" FROM river_job WHERE kind = ? AND id > ? ORDER BY id", search.IndexJob{}.Kind(), mark)
	if err != nil {
		return counts, 0, fmt.Errorf("reindex: changes made meanwhile: %w", err)
	}
	seen := map[search.IndexJob]bool{}
	var again []search.IndexJob
	for rows.Next() {
		var raw string
		var j search.IndexJob
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return counts, 0, err
		}
		if json.Unmarshal([]byte(raw), &j) == nil && !seen[j] {
			seen[j] = true
			again = append(again, j)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return counts, 0, err
	}
	for _, j := range again {
		if err := h.Indexer.Apply(ctx, j); err != nil {
			return counts, 0, err
		}
	}
	return counts, len(again), nil
}
