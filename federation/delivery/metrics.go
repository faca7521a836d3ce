package delivery

import "github.com/prometheus/client_golang/prometheus"

// metrics of the delivery. No label names a host: their number is the
// fediverse's; the admin page and API give the per-host view.
type metrics struct {
	attempts  *prometheus.CounterVec // one per POST, by result
	final     *prometheus.CounterVec // one per inbox and activity, by outcome
	latency   prometheus.Histogram
	inFlight  prometheus.Gauge
	busyHosts prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "collectif_federation_delivery_attempts_total",
			Help: "POSTs to remote inboxes, by result: delivered, http_4xx, http_429, http_5xx, http_other, network, refused, cancelled.",
		}, []string{"result"}),
		final: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "collectif_federation_deliveries_total",
			Help: "Deliveries of an activity to an inbox that ended, by outcome: delivered, failed (permanent error or attempts exhausted), dropped (blocked host).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "collectif_federation_delivery_duration_seconds",
			Help:    "Time of one POST to a remote inbox, signing included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "collectif_federation_delivery_in_flight",
			Help: "POSTs to remote inboxes in flight in this process.",
		}),
		busyHosts: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "collectif_federation_delivery_hosts_active",
			Help: "Remote hosts with a delivery in flight or waiting for a slot in this process.",
		}),
	}
	for _, r := range []string{"delivered", "http_4xx", "http_429", "http_5xx", "http_other", "network", "refused", "cancelled"} {
		m.attempts.WithLabelValues(r)
	}
	for _, o := range []string{"delivered", "failed", "dropped"} {
		m.final.WithLabelValues(o)
	}
	if reg != nil {
		reg.MustRegister(m.collectors()...)
	}
	return m
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.attempts, m.final, m.latency, m.inFlight, m.busyHosts}
}
