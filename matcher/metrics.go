package matcher

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the matcher's metrics.
type metrics struct {
	vulns         prometheus.Gauge
	builds        prometheus.Histogram
	buildFailures prometheus.Counter
	match         prometheus.Histogram
}

func newMetrics() *metrics {
	return &metrics{
		vulns: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "loupe", Subsystem: "matcher", Name: "index_vulnerabilities",
			Help: "Vulnerabilities in the in-memory index in use (claimed by a matcher, with a constraint that parsed).",
		}),
		builds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "loupe", Subsystem: "matcher", Name: "index_build_duration_seconds",
			Help:    "In-memory index builds (the first load and every reload), and how long each took to load from the database and build.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}),
		buildFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "loupe", Subsystem: "matcher", Name: "index_build_failures_total",
			Help: "In-memory index builds that failed: the index in use stays.",
		}),
		match: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "loupe", Subsystem: "matcher", Name: "match_duration_seconds",
			Help:    "Vulnerability reports computed from index reports, and how long matching took.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.vulns, m.builds, m.buildFailures, m.match} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
