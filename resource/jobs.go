package resource

import (
	"context"
	"time"

	"collectif/jobs"
)

// SweepArgs is the periodic job that runs Sweep.
type SweepArgs struct{}

// Kind names the job; it is stored in the queue, so it never changes.
func (SweepArgs) Kind() string { return "resource.sweep" }

// SweepEvery is how often the hub should enqueue SweepArgs.
const SweepEvery = 6 * time.Hour

// RegisterJobs registers the resource jobs with the queue's registry.
func RegisterJobs(reg *jobs.Registry, s *Service) {
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, _ SweepArgs) error {
		n, err := s.Sweep(ctx, time.Hour)
		if n > 0 {
			s.log.InfoContext(ctx, "resource files swept", "removed", n)
		}
		return err
	})
}
