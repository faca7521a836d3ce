package delivery_test

import (
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"collectif/store"
	"collectif/store/storetest"
)

// BenchmarkFanOut measures the time from the transaction that enqueues one
// post for 1,000 followers spread over 100 remote hosts (one loopback
// listener each, 127.0.0.2 … 127.0.0.101) until every host has received
// it, with the production settings (16 delivery workers, 2 requests per
// host, the queue's default poll interval). personal: 10 inboxes per host
// (1,000 POSTs); shared: one shared inbox per host (100 POSTs).
//
//	go test -run '^$' -bench FanOut -benchtime 5x ./federation/delivery
func BenchmarkFanOut(b *testing.B) {
	for _, e := range storetest.Engines() {
		for _, perHost := range []int{10, 1} {
			name := "personal"
			if perHost == 1 {
				name = "shared"
			}
			b.Run(fmt.Sprintf("%s/%s", e, name), func(b *testing.B) { benchFanOut(b, e, perHost) })
		}
	}
}

func benchFanOut(b *testing.B, e store.Engine, inboxesPerHost int) {
	db := storetest.Open(b, e)
	w := newWorld(b, db, worldOptions{poll: -1})
	var got atomic.Int64
	done := make(chan struct{}, 1)
	var want atomic.Int64
	h := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.WriteHeader(http.StatusAccepted)
		if got.Add(1) == want.Load() {
			done <- struct{}{}
		}
	})
	var inboxes []string
	for i := 2; i <= 101; i++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", i))
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		b.Cleanup(func() { srv.Close() })
		for j := range inboxesPerHost {
			inboxes = append(inboxes, fmt.Sprintf("http://%s/users/%d/inbox", ln.Addr(), j))
		}
	}
	cpu0 := cpuTime()
	n := 0
	for i := 0; b.Loop(); i++ {
		n++
		got.Store(0)
		want.Store(int64(len(inboxes)))
		w.enqueue(fmt.Sprintf(`{"id":"https://hub.example/activities/%d","type":"Create","actor":%q,"object":{"type":"Note","content":"Bonjour"}}`, i, actor), inboxes...)
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			b.Fatalf("%d of %d delivered after 2 minutes", got.Load(), len(inboxes))
		}
	}
	b.ReportMetric(float64(len(inboxes)), "inboxes")
	// The CPU the process used per fan-out (signing, HTTP, database, and
	// the sinks): what the wall time comes to on an idle machine with
	// enough cores, whatever else runs beside the benchmark.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(n), "cpu-s/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
