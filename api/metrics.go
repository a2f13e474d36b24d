package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe/internal/httproute"
)

// routeOther is the route label of requests that matched no route: an
// unknown path, or one refused before routing (authentication).
const routeOther = "other"

// durationBuckets span quick reads to the indexing of a large image.
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// httpMetrics are the API server's metrics.
type httpMetrics struct {
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// newHTTPMetrics registers the metrics on reg. Registering on a registry
// that has them already (a second Handler) shares them.
func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	return &httpMetrics{
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "loupe", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "API requests by route pattern (\"other\" when none matched), method and status code, and how long they took to answer.",
			Buckets: durationBuckets,
		}, []string{"route", "method", "code"})),
		inFlight: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "loupe", Subsystem: "http", Name: "requests_in_flight",
			Help: "API requests being served.",
		})),
	}
}

// register registers c on reg, or returns the equal collector reg has
// already. Other errors are programming errors: it panics, as
// MustRegister does.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic(err)
}

// instrument observes every request next serves. The route label comes
// from the route table that chose the handler (see httproute), never from
// the path, which would make a series per digest.
func (m *httpMetrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Inc()
		r, tr := httproute.Track(r)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		returned := false
		defer func() {
			m.inFlight.Dec()
			code := rec.status
			if !returned && !rec.wrote {
				code = http.StatusInternalServerError // it panicked
			}
			route, _ := tr.Route()
			if route == "" {
				route = routeOther
			}
			m.duration.WithLabelValues(route, methodLabel(r.Method), strconv.Itoa(code)).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(rec, r)
		returned = true
	})
}

// methodLabel bounds the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "other"
}
