package indexer

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Index outcomes: the report's state.
const (
	outcomeFinished = "finished"
	outcomeFailed   = "failed"
)

// Layer error stages.
const (
	stageFetch = "fetch" // the blob could not be had: unreachable, refused, cut short, wrong digest
	stageScan  = "scan"  // its content: not an archive, a media type that disagrees, a scanner failed
	stageStore = "store" // loading or storing findings, or the layer's lock
)

// metrics are the indexer's metrics.
type metrics struct {
	fetched, fetchedBytes, scanned, reused prometheus.Counter
	layerErrors                            *prometheus.CounterVec
	duration                               *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		fetched: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "loupe", Subsystem: "indexer", Name: "layers_fetched_total",
			Help: "Layer blobs fetched (over HTTP or from a file).",
		}),
		fetchedBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "loupe", Subsystem: "indexer", Name: "layer_fetched_bytes_total",
			Help: "Bytes of layer blobs read, as served (compressed).",
		}),
		scanned: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "loupe", Subsystem: "indexer", Name: "layers_scanned_total",
			Help: "Layers read and scanned, their findings stored.",
		}),
		reused: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "loupe", Subsystem: "indexer", Name: "layers_reused_total",
			Help: "Layers whose findings were found in the store instead of reading the layer (scanned before, or by another indexer meanwhile).",
		}),
		layerErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "loupe", Subsystem: "indexer", Name: "layer_errors_total",
			Help: "Layers that failed, by stage: fetch (the blob could not be had), scan (its content), store (the database).",
		}, []string{"stage"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "loupe", Subsystem: "indexer", Name: "index_duration_seconds",
			Help:    "Manifests indexed, by outcome (finished or failed), and how long each took. Requests answered from a finished report are not counted.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"outcome"}),
	}
	// Every label value exists from the start, at zero.
	for _, s := range []string{stageFetch, stageScan, stageStore} {
		m.layerErrors.WithLabelValues(s)
	}
	return m
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.fetched, m.fetchedBytes, m.scanned, m.reused, m.layerErrors, m.duration} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
