package delivery

import (
	"context"
	"sync"
	"time"
)

// hostSlots bounds the requests in flight to each remote host from this
// process. A host's entry lives while someone holds or waits for a slot, so
// the map stays as small as the hosts being delivered to.
type hostSlots struct {
	per int
	m   *metrics

	mu    sync.Mutex
	hosts map[string]*hostSlot
}

type hostSlot struct {
	ch    chan struct{}
	users int // holders and waiters
}

func newHostSlots(per int, m *metrics) *hostSlots {
	return &hostSlots{per: per, m: m, hosts: map[string]*hostSlot{}}
}

// acquire takes a slot of host, waiting at most wait; ok is false when
// none came free in time or ctx ended.
func (h *hostSlots) acquire(ctx context.Context, host string, wait time.Duration) (release func(), ok bool) {
	h.mu.Lock()
	sl := h.hosts[host]
	if sl == nil {
		sl = &hostSlot{ch: make(chan struct{}, h.per)}
		h.hosts[host] = sl
		h.m.busyHosts.Inc()
	}
	sl.users++
	h.mu.Unlock()
	leave := func() {
		h.mu.Lock()
		sl.users--
		if sl.users == 0 {
			delete(h.hosts, host)
			h.m.busyHosts.Dec()
		}
		h.mu.Unlock()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case sl.ch <- struct{}{}:
	case <-t.C:
		leave()
		return nil, false
	case <-ctx.Done():
		leave()
		return nil, false
	}
	h.m.inFlight.Inc()
	return func() {
		<-sl.ch
		h.m.inFlight.Dec()
		leave()
	}, true
}
