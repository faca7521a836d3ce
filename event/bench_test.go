package event_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"collectif/access"
	"collectif/collective"
	"collectif/event"
	"collectif/jobs"
	mailer "collectif/mail"
	"collectif/model"
	"collectif/outbox"
	"collectif/search"
	"collectif/store/storetest"
)

// BenchmarkRegister measures registrations per second, many at once, into
// one 350-place event (most of them end up waitlisted, as at a full
// conference), with the confirmation job enqueued in each transaction.
func BenchmarkRegister(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, e)
			if _, err := jobs.Migrate(ctx, db); err != nil {
				b.Fatal(err)
			}
			q, err := jobs.New(db, nil, jobs.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := collective.New(db).Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Alpes", Scope: model.ScopeRegional}); err != nil {
				b.Fatal(err)
			}
			s := event.New(event.Deps{DB: db, Queue: q})
			start := time.Now().Add(30 * 24 * time.Hour)
			v, err := s.Create(ctx, access.System(), "alpes", event.Input{Title: "Bench", StartsAt: start, EndsAt: start.Add(time.Hour), Capacity: 350})
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Publish(ctx, access.System(), v.ID); err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			b.SetParallelism(8) // 16 clients on 2 cores
			b.ResetTimer()
			t0 := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					if _, err := s.Register(ctx, access.Anonymous(), v.ID, event.Registrant{Name: "P", Email: fmt.Sprintf("p%d@bench.example", i),
						Category: "citizen", Consent: true}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(n.Load())/time.Since(t0).Seconds(), "registrations/s")
		})
	}
}

// BenchmarkConfirmationPipeline measures, with the hub's queue settings
// and workers, the time from a registration's commit to its confirmation
// written as an .eml file by the worker.
func BenchmarkConfirmationPipeline(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			db := storetest.Open(b, e)
			if _, err := jobs.Migrate(ctx, db); err != nil {
				b.Fatal(err)
			}
			dir := b.TempDir()
			base, _ := url.Parse("https://hub.example")
			reg := jobs.NewRegistry(nil)
			event.RegisterJobs(reg, event.JobDeps{DB: db, Mail: &mailer.Files{Dir: dir, Host: "hub.example"}, From: "hub@hub.example", BaseURL: base})
			// Index jobs are the indexer's business, measured elsewhere: a no-op here.
			jobs.Handle(reg, func(context.Context, jobs.Job, search.IndexJob) error { return nil })
			jobs.Handle(reg, func(context.Context, jobs.Job, outbox.Job) error { return nil })
			q, err := jobs.New(db, reg, jobs.Options{Workers: 8})
			if err != nil {
				b.Fatal(err)
			}
			if err := q.Start(ctx); err != nil {
				b.Fatal(err)
			}
			defer q.Stop(context.Background())
			if _, err := collective.New(db).Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Alpes", Scope: model.ScopeRegional}); err != nil {
				b.Fatal(err)
			}
			s := event.New(event.Deps{DB: db, Queue: q})
			start := time.Now().Add(30 * 24 * time.Hour)
			v, err := s.Create(ctx, access.System(), "alpes", event.Input{Title: "Bench", StartsAt: start, EndsAt: start.Add(time.Hour), Capacity: 100})
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Publish(ctx, access.System(), v.ID); err != nil {
				b.Fatal(err)
			}
			var lat []time.Duration
			b.ResetTimer()
			for i := range b.N {
				r, err := s.Register(ctx, access.Anonymous(), v.ID, event.Registrant{Name: "P", Email: fmt.Sprintf("q%d@bench.example", i), Category: "citizen", Consent: true})
				if err != nil {
					b.Fatal(err)
				}
				committed := time.Now()
				path := filepath.Join(dir, "event-confirmation-"+r.ID+".eml")
				for deadline := committed.Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
					if _, err := os.Stat(path); err == nil {
						break
					}
					if time.Now().After(deadline) {
						b.Fatal("no confirmation mail after 30 s")
					}
				}
				lat = append(lat, time.Since(committed))
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
		})
	}
}
