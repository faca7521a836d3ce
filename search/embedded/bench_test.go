package embedded_test

// Benchmarks on 100,000 generated French documents (searchtest.Generator).
// Each builds its index once; run them one at a time so they do not share
// the two cores (a few minutes in all on 2 cores):
//
//	go test ./search/embedded -run '^$' -bench 'Index100k|Search100k' -benchtime 1x -timeout 30m
//
// BenchmarkIndex100k reports indexing throughput (docs/s) through Rebuild,
// the bulk path, and the index size on disk (bytes). BenchmarkSearch100k
// builds the same index outside the timer, then reports the latency
// percentiles (p50-ms, p99-ms) of the 20 queries of searchtest.BenchQueries,
// each asking for three facets, run 10 times each.

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"collectif/search"
	"collectif/search/embedded"
	"collectif/search/searchtest"
)

const (
	benchDocs    = 100_000
	benchSeed    = 2024
	benchRepeats = 10
)

func build100k(b *testing.B, dir string) *embedded.Index {
	b.Helper()
	idx, err := embedded.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	gen := searchtest.NewGenerator(benchSeed)
	err = idx.Rebuild(context.Background(), func(emit func(search.Document) error) error {
		for range benchDocs {
			if err := emit(gen.Next()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return idx
}

func dirSize(b *testing.B, dir string) int64 {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}

func BenchmarkIndex100k(b *testing.B) {
	var size int64
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		idx := build100k(b, dir)
		b.StopTimer()
		if err := idx.Close(); err != nil {
			b.Fatal(err)
		}
		size = dirSize(b, dir)
		b.StartTimer()
	}
	b.ReportMetric(float64(benchDocs)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(size), "bytes")
}

func BenchmarkSearch100k(b *testing.B) {
	idx := build100k(b, b.TempDir())
	defer idx.Close()
	ctx := context.Background()
	queries := searchtest.BenchQueries()
	var lat []time.Duration
	var hits int
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		for range benchRepeats {
			for _, q := range queries {
				start := time.Now()
				res, err := idx.Search(ctx, q)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				hits += len(res.Hits)
			}
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if hits == 0 {
		b.Fatal("no query found anything")
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(lat)), "ns/query")
	// CPU time per query (user and system, all threads of the process):
	// unlike latency it barely moves when other processes share the cores.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(lat)), "cpu-ms/query")
}

// cpuTime is the CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
