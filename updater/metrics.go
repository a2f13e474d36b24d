package updater

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Run outcomes.
const (
	outcomeChanged   = "changed"   // an update operation landed
	outcomeUnchanged = "unchanged" // the feed, or what it parsed to, had not changed
	outcomeFailed    = "failed"
)

// metrics are the updaters' metrics, labelled by updater name.
type metrics struct {
	runs        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	vulns       *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
}

func newMetrics() *metrics {
	return &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "loupe", Subsystem: "updater", Name: "runs_total",
			Help: "Updater runs by updater and outcome: changed (an update operation landed), unchanged, failed. Runs left to another process holding the updater's lease are not counted.",
		}, []string{"updater", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "loupe", Subsystem: "updater", Name: "run_duration_seconds",
			Help:    "How long updater runs took: fetch, parse and store.",
			Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800},
		}, []string{"updater"}),
		vulns: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "loupe", Subsystem: "updater", Name: "vulnerabilities",
			Help: "Vulnerabilities in the updater's feed as of its last run that parsed it (a run that finds the feed unchanged leaves it be).",
		}, []string{"updater"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "loupe", Subsystem: "updater", Name: "last_success_timestamp_seconds",
			Help: "Unix time of the end of the updater's last run that did not fail.",
		}, []string{"updater"}),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.runs, m.duration, m.vulns, m.lastSuccess} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
