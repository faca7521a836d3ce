package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Request makes the n-th request of a scenario; each call builds a new
// request (signed requests are signed here, afresh, never replayed).
type Request func(ctx context.Context, n int) (*http.Request, error)

// loadResult is one measured window of one scenario.
type loadResult struct {
	Requests int
	Errors   int
	Elapsed  time.Duration
	P50, P99 time.Duration
	FirstErr string
}

func (r loadResult) rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// newClient is a keep-alive HTTP/1.1 client with one connection per worker.
func newClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
		},
		// Redirects are answers of their own: a page that sends to the
		// login form is an error for a scenario that expects the page.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// drive runs conc workers sending requests back to back for warm+dur,
// measuring only after warm; window, when set, is called when the
// measured part starts and ends, so that the server's CPU is read at the
// same moments.
func drive(ctx context.Context, client *http.Client, next Request, want int, conc int, warm, dur time.Duration, window func(start bool)) loadResult {
	var (
		seq      atomic.Int64
		measure  atomic.Bool
		stop     atomic.Bool
		mu       sync.Mutex
		lat      []time.Duration
		errs     int
		firstErr string
		wg       sync.WaitGroup
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			nerr := 0
			var ferr string
			for !stop.Load() && ctx.Err() == nil {
				n := int(seq.Add(1))
				t0 := time.Now()
				err := once(ctx, client, next, n, want)
				d := time.Since(t0)
				if !measure.Load() {
					continue
				}
				if err != nil {
					nerr++
					if ferr == "" {
						ferr = err.Error()
					}
					continue
				}
				local = append(local, d)
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += nerr
			if firstErr == "" {
				firstErr = ferr
			}
			mu.Unlock()
		}()
	}
	sleep(ctx, warm)
	if window != nil {
		window(true)
	}
	t0 := time.Now()
	measure.Store(true)
	sleep(ctx, dur)
	measure.Store(false)
	elapsed := time.Since(t0)
	if window != nil {
		window(false)
	}
	stop.Store(true)
	wg.Wait()
	r := loadResult{Requests: len(lat) + errs, Errors: errs, Elapsed: elapsed, FirstErr: firstErr}
	r.P50, r.P99 = percentiles(lat)
	return r
}

// once sends one request and reads the whole answer.
func once(ctx context.Context, client *http.Client, next Request, n, want int) error {
	req, err := next(ctx, n)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d", req.Method, req.URL.RequestURI(), resp.StatusCode, want)
	}
	return nil
}

// percentiles returns the median and the 99th percentile (nearest rank).
func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	slices.Sort(lat)
	at := func(p float64) time.Duration {
		i := int(p*float64(len(lat))+0.999999) - 1
		return lat[max(0, min(i, len(lat)-1))]
	}
	return at(0.50), at(0.99)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
