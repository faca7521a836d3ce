package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"collectif/federation/signature"
	"collectif/model"
	"collectif/store"
)

// outcome is what one POST to an inbox came to.
type outcome int

const (
	delivered   outcome = iota
	permanent           // never retried: 4xx but 408 and 429, refused address
	temporary           // retried at the next round
	unreachable         // the host did not answer (or asked to slow down): the round stops for it
	untried             // not tried in this run (budget, busy host, stopping)
)

type result struct {
	inbox      string
	outcome    outcome
	status     int
	err        string
	retryAfter time.Duration
}

// run is one delivery job: the round's inboxes of one host.
func (s *Service) run(ctx context.Context, a deliverArgs) error {
	var act activityRow
	if err := s.d.DB.R.NewSelect().Model(&act).Where("id = ?", a.Activity).Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil // delivered or given up already: a job run twice
		}
		return err
	}
	var targets []targetRow
	if err := s.d.DB.R.NewSelect().Model(&targets).
		Where("activity_id = ? AND host = ? AND round = ?", a.Activity, a.Host, a.Round).
		Order("inbox").Scan(ctx); err != nil {
		return err
	}
	if len(targets) == 0 {
		return nil
	}
	results := make([]result, len(targets))
	for i, t := range targets {
		results[i] = result{inbox: t.Inbox, outcome: untried}
	}
	busy := false
	hostname := hostOnly(a.Host)
	switch {
	case s.d.Blocked != nil && s.d.Blocked(ctx, hostname):
		for i := range results {
			results[i].outcome, results[i].err = permanent, "hôte bloqué"
		}
	default:
		keyID, key, err := s.signingKey(ctx, act.Actor)
		if err != nil {
			s.log.WarnContext(ctx, "no signing key", "actor", act.Actor, "err", err)
			for i := range results {
				results[i].outcome, results[i].err = temporary, "clé de signature indisponible"
			}
			break
		}
		busy = s.post(ctx, a.Host, signature.Signer{KeyID: keyID, Key: key}, []byte(act.Body), results)
	}
	// The results are recorded even when the job is being stopped: what
	// was delivered must not be delivered again.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return s.record(wctx, a, act, results, busy)
}

// post sends body to the inboxes of results, at most PerHost at once, and
// fills in their outcomes. It reports whether it left inboxes untried
// because the host was busy with other jobs.
func (s *Service) post(ctx context.Context, host string, sg signature.Signer, body []byte, results []result) (busy bool) {
	start := s.now()
	var mu sync.Mutex
	stop := "" // the host-wide error that ends the round
	var stopAfter time.Duration
	next := 0
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if stop != "" {
			// The host is down or asked to slow down: the other inboxes
			// count as tried with the same answer.
			for ; next < len(results); next++ {
				results[next].outcome, results[next].err, results[next].retryAfter = temporary, stop, stopAfter
			}
			return -1
		}
		if next >= len(results) || busy || ctx.Err() != nil || s.now().Sub(start) > s.d.RunBudget {
			return -1
		}
		next++
		return next - 1
	}
	var wg sync.WaitGroup
	for range min(s.d.PerHost, len(results)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := take(); i >= 0; i = take() {
				release, ok := s.slots.acquire(ctx, host, s.d.HostWait)
				if !ok {
					mu.Lock()
					busy = ctx.Err() == nil
					mu.Unlock()
					return
				}
				r := s.postOne(ctx, sg, results[i].inbox, body)
				release()
				mu.Lock()
				results[i] = r
				if r.outcome == unreachable && stop == "" {
					stop, stopAfter = r.err, r.retryAfter
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return busy
}

// postOne posts the activity to one inbox.
func (s *Service) postOne(ctx context.Context, sg signature.Signer, inbox string, body []byte) result {
	r := result{inbox: inbox}
	req, err := http.NewRequestWithContext(withSigner(ctx, sg), http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		r.outcome, r.err = permanent, err.Error()
		return r
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("Accept", Accept)
	start := time.Now()
	resp, err := s.signed.Do(req)
	s.m.latency.Observe(time.Since(start).Seconds())
	if err != nil {
		switch {
		case ctx.Err() != nil:
			r.outcome = untried
			s.m.attempts.WithLabelValues("cancelled").Inc()
		case errors.Is(err, ErrAddressRefused):
			r.outcome, r.err = permanent, shortError(err)
			s.m.attempts.WithLabelValues("refused").Inc()
		default:
			r.outcome, r.err = unreachable, shortError(err)
			s.m.attempts.WithLabelValues("network").Inc()
		}
		return r
	}
	// The answer's body is not needed; a little is read so that the
	// connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r.status = resp.StatusCode
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		r.outcome = delivered
		s.m.attempts.WithLabelValues("delivered").Inc()
		return r
	case c == http.StatusTooManyRequests:
		r.outcome = unreachable
		r.retryAfter = retryAfter(resp.Header.Get("Retry-After"), s.now())
		s.m.attempts.WithLabelValues("http_429").Inc()
	case c == http.StatusRequestTimeout:
		r.outcome = temporary
		s.m.attempts.WithLabelValues("http_4xx").Inc()
	case c >= 400 && c < 500:
		r.outcome = permanent
		s.m.attempts.WithLabelValues("http_4xx").Inc()
	case c >= 500:
		r.outcome = temporary
		s.m.attempts.WithLabelValues("http_5xx").Inc()
	default:
		r.outcome = temporary // 1xx, 3xx: a POST is not redirected
		s.m.attempts.WithLabelValues("http_other").Inc()
	}
	r.err = fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	return r
}

// shortError keeps the end of a transport error, which says what happened,
// without the "Post "https://…":" prefix that repeats the inbox.
func shortError(err error) string {
	s := err.Error()
	if i := strings.Index(s, "\": "); i > 0 && strings.HasPrefix(s, "Post \"") {
		s = s[i+3:]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

type errorRow struct {
	bun.BaseModel `bun:"table:delivery_errors"`

	ID       string    `bun:"id,pk"`
	Host     string    `bun:"host"`
	At       time.Time `bun:"at"`
	Inbox    string    `bun:"inbox"`
	Activity string    `bun:"activity"`
	Status   int       `bun:"status"`
	Error    string    `bun:"error"`
	Final    bool      `bun:"final"`
}

// record writes a run's outcome in one transaction: inboxes done leave the
// table, those to retry move to the next round, the host's status and
// recent errors are updated, and the follow-up jobs enqueued.
func (s *Service) record(ctx context.Context, a deliverArgs, act activityRow, results []result, busy bool) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	last := a.Round >= s.Attempts()
	var done, retry, again []string
	var asked time.Duration
	var errs []errorRow
	okCount, failCount, consecutive, reset := 0, 0, 0, false
	for _, r := range results {
		switch r.outcome {
		case delivered:
			done = append(done, r.inbox)
			okCount++
			consecutive, reset = 0, true
			s.m.final.WithLabelValues("delivered").Inc()
			continue
		case untried:
			again = append(again, r.inbox)
			continue
		case permanent:
			done = append(done, r.inbox)
		default:
			asked = max(asked, r.retryAfter)
			if last {
				done = append(done, r.inbox)
			} else {
				retry = append(retry, r.inbox)
			}
		}
		final := r.outcome == permanent || last
		if final {
			failCount++
			s.m.final.WithLabelValues("failed").Inc()
			s.log.WarnContext(ctx, "delivery failed", "inbox", r.inbox, "activity", act.ActivityID, "attempt", a.Round, "err", r.err)
		}
		consecutive++
		if len(errs) < RecentErrors {
			errs = append(errs, errorRow{ID: model.NewID(), Host: a.Host, At: now, Inbox: r.inbox, Activity: act.ActivityID,
				Status: r.status, Error: r.err, Final: final})
		}
	}
	return s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if len(done) > 0 {
			res, err := tx.NewDelete().Model((*targetRow)(nil)).
				Where("activity_id = ? AND host = ? AND round = ? AND inbox IN (?)", a.Activity, a.Host, a.Round, bun.List(done)).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				// The row lock this takes orders the jobs of one activity
				// that finish at once, so the last one deletes it.
				if _, err := tx.NewUpdate().Model((*activityRow)(nil)).Set("remaining = remaining - ?", n).Where("id = ?", a.Activity).Exec(ctx); err != nil {
					return err
				}
				if _, err := tx.NewDelete().Model((*activityRow)(nil)).Where("id = ? AND remaining <= 0", a.Activity).Exec(ctx); err != nil {
					return err
				}
			}
		}
		if len(retry) > 0 {
			if _, err := tx.NewUpdate().Model((*targetRow)(nil)).Set("round = ?", a.Round+1).
				Where("activity_id = ? AND host = ? AND round = ? AND inbox IN (?)", a.Activity, a.Host, a.Round, bun.List(retry)).Exec(ctx); err != nil {
				return err
			}
			at := now.Add(s.delay(a.Round+1, asked))
			if err := s.d.Queue.EnqueueAt(ctx, tx, deliverArgs{Activity: a.Activity, Host: a.Host, Round: a.Round + 1}, at); err != nil {
				return err
			}
		}
		if len(again) > 0 {
			at := time.Time{}
			if busy {
				at = now.Add(s.d.BusyDelay)
			}
			if err := s.d.Queue.EnqueueAt(ctx, tx, a, at); err != nil {
				return err
			}
		}
		if okCount+len(errs) == 0 {
			return nil
		}
		if err := s.updateHost(ctx, tx, a.Host, now, okCount, failCount, consecutive, reset); err != nil {
			return err
		}
		if len(errs) > 0 {
			if _, err := tx.NewInsert().Model(&errs).Exec(ctx); err != nil {
				return err
			}
			// Keep the newest RecentErrors of the host.
			_, err := tx.NewDelete().Model((*errorRow)(nil)).Where("host = ?", a.Host).
				Where("id NOT IN (?)", tx.NewSelect().Model((*errorRow)(nil)).Column("id").Where("host = ?", a.Host).
					Order("at DESC", "id DESC").Limit(RecentErrors)).Exec(ctx)
			return err
		}
		return nil
	})
}

type hostRow struct {
	bun.BaseModel `bun:"table:delivery_hosts"`

	Host                string    `bun:"host,pk"`
	LastSuccessAt       time.Time `bun:"last_success_at,nullzero"`
	LastFailureAt       time.Time `bun:"last_failure_at,nullzero"`
	ConsecutiveFailures int       `bun:"consecutive_failures"`
	Delivered           int64     `bun:"delivered"`
	Failed              int64     `bun:"failed"`
	UpdatedAt           time.Time `bun:"updated_at"`
}

func (s *Service) updateHost(ctx context.Context, tx bun.Tx, host string, now time.Time, ok, failed, consecutive int, reset bool) error {
	row := &hostRow{Host: host, ConsecutiveFailures: consecutive, Delivered: int64(ok), Failed: int64(failed), UpdatedAt: now}
	if ok > 0 {
		row.LastSuccessAt = now
	}
	if consecutive > 0 || failed > 0 {
		row.LastFailureAt = now
	}
	q := tx.NewInsert().Model(row).On("CONFLICT (host) DO UPDATE").
		Set("last_success_at = COALESCE(EXCLUDED.last_success_at, ?TableAlias.last_success_at)").
		Set("last_failure_at = COALESCE(EXCLUDED.last_failure_at, ?TableAlias.last_failure_at)").
		Set("delivered = ?TableAlias.delivered + EXCLUDED.delivered").
		Set("failed = ?TableAlias.failed + EXCLUDED.failed").
		Set("updated_at = EXCLUDED.updated_at")
	if reset {
		q = q.Set("consecutive_failures = EXCLUDED.consecutive_failures")
	} else {
		q = q.Set("consecutive_failures = ?TableAlias.consecutive_failures + EXCLUDED.consecutive_failures")
	}
	_, err := q.Exec(ctx)
	return err
}

// hostOnly drops the port of a host:port.
func hostOnly(hostport string) string {
	if strings.HasPrefix(hostport, "[") {
		if i := strings.Index(hostport, "]"); i > 0 {
			return hostport[1:i]
		}
	}
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.Contains(hostport[:i], ":") {
		return hostport[:i]
	}
	return hostport
}
