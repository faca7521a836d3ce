package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"collectif/bench"
)

// benchCmd runs the load benchmark: see package bench and docs/PERFORMANCE.md.
func benchCmd(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("bench", e)
	size := bench.DefaultSize
	fs.IntVar(&size.Collectives, "collectives", size.Collectives, "collectives in the dataset")
	fs.IntVar(&size.Organizations, "organizations", size.Organizations, "organizations in the dataset")
	fs.IntVar(&size.Members, "members", size.Members, "members in the dataset")
	fs.IntVar(&size.Groups, "groups", size.Groups, "working groups in the dataset")
	fs.IntVar(&size.Posts, "posts", size.Posts, "discussion posts (topics and replies) in the dataset")
	fs.IntVar(&size.Resources, "resources", size.Resources, "resources in the dataset")
	fs.IntVar(&size.Software, "software", size.Software, "catalog entries in the dataset")
	fs.IntVar(&size.Usages, "usages", size.Usages, "usage declarations of the catalog in the dataset")
	fs.IntVar(&size.Events, "events", size.Events, "events in the dataset (the first one is the registration burst's)")
	fs.IntVar(&size.Registrations, "registrations", size.Registrations, "registrations to the other events in the dataset")
	fs.IntVar(&size.Followers, "followers", size.Followers, "remote followers of one group, spread over up to 100 loopback sink hosts")
	seed := fs.Uint64("seed", 2024, "seed of the dataset: the same seed gives the same data")
	dataDir := fs.String("data-dir", "", "directory for the embedded database, index and logs (default: a temporary one, removed afterwards)")
	dbURL := fs.String("database-url", "", "PostgreSQL URL: run on PostgreSQL, in a schema collectif_bench made afresh")
	redisURL := fs.String("redis-url", "", "Redis URL: sessions and rate limits in Redis")
	conc := fs.Int("c", 4, "concurrent connections")
	dur := fs.Duration("d", 10*time.Second, "measured duration of each scenario run")
	warm := fs.Duration("warmup", 2*time.Second, "warm-up before each measured run")
	runs := fs.Int("runs", 3, "runs of every scenario; the table shows medians")
	only := fs.String("scenarios", "", "comma-separated scenario names (or prefixes) to run; default: all")
	profile := fs.String("profile", "", "write CPU and heap profiles of the hub per scenario into this directory (needs COLLECTIF_PPROF_ADDR support in serve)")
	if err := parse(fs, args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var names []string
	for n := range strings.SplitSeq(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return bench.Run(ctx, bench.Options{
		Exe: exe, Version: versionString(), Size: size, Seed: *seed, DataDir: *dataDir,
		DatabaseURL: *dbURL, RedisURL: *redisURL, Concurrency: *conc, Duration: *dur, Warmup: *warm,
		Runs: *runs, Only: names, ProfileDir: *profile, Out: e.stdout, Log: e.stderr,
	})
}

// benchReference is the reference server of `collectif bench`, run by it as
// a child process: a minimal Fiber handler on COLLECTIF_ADDR.
func benchReference(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("bench-reference", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	addr := e.getenv("COLLECTIF_ADDR")
	if addr == "" {
		return fmt.Errorf("COLLECTIF_ADDR is required")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return bench.ServeReference(ctx, ln)
}
