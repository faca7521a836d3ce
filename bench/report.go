package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// profiler fetches a CPU profile of the hub during a scenario's measured
// window, and a heap profile after it.
type profiler struct {
	addr, dir, name string
	seconds         int
	cpuDone         chan error
	err             error
}

func (p *profiler) fetch(ctx context.Context, path, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: time.Duration(p.seconds+30) * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	f, err := os.Create(filepath.Join(p.dir, file))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (p *profiler) startCPU(ctx context.Context) {
	p.cpuDone = make(chan error, 1)
	go func() {
		p.cpuDone <- p.fetch(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", max(1, p.seconds)), p.name+".cpu.pprof")
	}()
}

func (p *profiler) finish(ctx context.Context) {
	if p.cpuDone != nil {
		p.err = <-p.cpuDone
	}
	if p.err == nil {
		p.err = p.fetch(ctx, "/debug/pprof/heap", p.name+".heap.pprof")
	}
}

// report prints the table, in Markdown so that it can go into
// docs/PERFORMANCE.md as it is.
func report(o Options, ds *Dataset, rows []*row, refs []sample, cold time.Duration, idle int64, gen, index time.Duration) {
	w := o.Out
	refRates := make([]float64, len(refs))
	refP99 := make([]time.Duration, len(refs))
	for i, r := range refs {
		refRates[i], refP99[i] = r.rate, r.p99
	}
	fmt.Fprintf(w, "collectif %s · %s\n", o.Version, machine())
	fmt.Fprintf(w, "dataset: %s (seed %d), written in %s, indexed in %s\n", ds.Size, o.Seed, gen.Round(time.Second/10), index.Round(time.Second/10))
	engine := "embedded (SQLite, in-process cache, bleve)"
	if o.DatabaseURL != "" {
		engine = "PostgreSQL"
		if o.RedisURL != "" {
			engine += " + Redis"
		}
	}
	fmt.Fprintf(w, "engine: %s · %d connections, %s measured after %s of warm-up, median of %d runs\n", engine, o.Concurrency, o.Duration, o.Warmup, o.Runs)
	fmt.Fprintf(w, "reference (Fiber, fixed 2 KB body): %.0f req/s, p99 %s\n\n", median(refRates), ms(median(refP99)))

	fmt.Fprintln(w, "| scenario | req/s | p50 | p99 | time | errors | × ref | CPU s / 1k req | RSS peak | budget |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	var peak int64
	for _, r := range rows {
		switch {
		case r.unavailable != "":
			fmt.Fprintf(w, "| %s | %s | | | | | | | | %s |\n", r.s.Name, cell(r.unavailable), r.s.Budget)
		case r.failed != "":
			fmt.Fprintf(w, "| %s | failed: %s | | | | | | | | %s |\n", r.s.Name, cell(r.failed), r.s.Budget)
		case r.done != nil:
			c := r.done
			cpu := "—"
			if c.Requests > 0 {
				cpu = fmt.Sprintf("%.3f", r.cpu.Seconds()*1000/float64(c.Requests))
			}
			peak = max(peak, r.rss)
			verdict := ""
			if r.s.MaxTotal > 0 {
				verdict = mark(c.Took <= r.s.MaxTotal && c.Errors == 0)
			}
			fmt.Fprintf(w, "| %s | — | — | — | %.2f s | %d | — | %s | %s | %s %s%s |\n", r.s.Name, c.Took.Seconds(), c.Errors, cpu, mib(r.rss), r.s.Budget, verdict, note(c.Note))
		default:
			var rate, ratio, cpu []float64
			var p50, p99 []time.Duration
			errs, firstErr := 0, ""
			var rss int64
			for _, s := range r.samples {
				rate, ratio, cpu = append(rate, s.rate), append(ratio, s.ratio), append(cpu, s.cpuPer1k)
				p50, p99 = append(p50, s.p50), append(p99, s.p99)
				errs += s.errors
				rss = max(rss, s.rss)
				if firstErr == "" {
					firstErr = s.firstErr
				}
			}
			peak = max(peak, rss)
			verdict := ""
			if r.s.MinRate > 0 || r.s.MaxP99 > 0 {
				verdict = mark((r.s.MinRate == 0 || median(rate) >= r.s.MinRate) && (r.s.MaxP99 == 0 || median(p99) <= r.s.MaxP99) && errs == 0)
			}
			if firstErr != "" {
				firstErr = note("first error: " + firstErr)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | — | %d | %s | %.3f | %s | %s %s%s |\n", r.s.Name, rateText(median(rate)), ms(median(p50)), ms(median(p99)),
				errs, ratioText(median(ratio)), median(cpu), mib(rss), r.s.Budget, verdict, firstErr)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "cold start (exec to the first 200 on /readyz): %s (budget ≤ 1 s) %s\n", ms(cold), mark(cold <= time.Second))
	fmt.Fprintf(w, "idle RSS with the dataset loaded: %s (budget ≤ 120 MB) %s\n", mib(idle), mark(idle <= 120e6))
	if peak > 0 {
		fmt.Fprintf(w, "RSS peak under load: %s (budget ≤ 250 MB) %s\n", mib(peak), mark(peak <= 250e6))
	}
}

func rateText(r float64) string {
	if r < 100 {
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.0f", r)
}

func ratioText(r float64) string {
	if r < 0.01 {
		return fmt.Sprintf("%.1e", r)
	}
	return fmt.Sprintf("%.3f", r)
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗ missed"
}

func note(s string) string {
	if s == "" {
		return ""
	}
	return " (" + cell(s) + ")"
}

// cell keeps text on one line and out of the table's syntax.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 160 {
		s = s[:157] + "…"
	}
	return s
}
