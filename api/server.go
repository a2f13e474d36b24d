package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe/internal/httproute"
)

// Routes are the API's parts; nil parts are not mounted.
type Routes struct {
	Indexer  http.Handler
	Matcher  http.Handler
	Notifier http.Handler
	// Auth, when set, guards every route but /robots.txt.
	Auth *PSK
	// Registerer, when set, gets the HTTP metrics: every request by route
	// pattern, method and status code, with its duration, and the
	// requests in flight.
	Registerer prometheus.Registerer
}

// startTime is served as robots.txt's Last-Modified.
var startTime = time.Now()

// Handler assembles the API: the service routes under their prefixes,
// /robots.txt, compression, authentication, request logging and metrics.
//
// Each service's route table marks the route it matched (see httproute),
// so that middleware, here or wrapped around the result (tracing), can
// name the route whatever copies of the request lie in between.
func Handler(rt Routes) http.Handler {
	mux := http.NewServeMux()
	if rt.Indexer != nil {
		mux.Handle(indexerPrefix, compressed(rt.Indexer))
	}
	if rt.Matcher != nil {
		mux.Handle(matcherPrefix, compressed(rt.Matcher))
	}
	if rt.Notifier != nil {
		mux.Handle(notifierPrefix, compressed(rt.Notifier))
	}
	var h http.Handler = mux
	if rt.Auth != nil {
		h = authenticate(rt.Auth, h)
	}
	top := http.NewServeMux()
	top.Handle("/robots.txt", httproute.Routed(http.HandlerFunc(robots)))
	top.Handle("/", h)
	// What no route table claimed matched no route: not top's "/".
	var out http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer httproute.Mark(r, "")
		top.ServeHTTP(w, r)
	})
	if rt.Registerer != nil {
		out = newHTTPMetrics(rt.Registerer).instrument(out)
	}
	return logged(out)
}

func robots(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Last-Modified", startTime.UTC().Format(http.TimeFormat))
	w.Write([]byte("User-agent: *\nDisallow: /\n"))
}

// logged logs one line per request.
func logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		slog.DebugContext(r.Context(), "handled HTTP request",
			"remote_addr", r.RemoteAddr, "method", r.Method, "request_uri", r.RequestURI,
			"status", rec.status, "written", rec.written, "duration", time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status  int
	written int64
	wrote   bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	n, err := s.ResponseWriter.Write(b)
	s.written += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
