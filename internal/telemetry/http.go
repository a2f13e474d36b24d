package telemetry

import (
	"net/http"
	"net/url"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/loupe-dev/loupe/internal/httproute"
)

// Handler traces the requests next serves: a server span per request,
// continuing the trace the caller propagated, named "METHOD route" after
// the route pattern the request matched, or "METHOD" when it matched
// none. Requests pass straight through while tracing is off.
func Handler(next http.Handler) http.Handler {
	// otelhttp renames the span after serving when the request it handed
	// on has a Pattern: named sets that Pattern to the route recorded
	// below it, which copies of the request would otherwise hide.
	named := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2, tr := httproute.Track(r)
		next.ServeHTTP(w, r2)
		route, ok := tr.Route()
		if !ok {
			route = r2.Pattern // a plain ServeMux below, not marking
		}
		route = pathOf(route)
		r.Pattern = route
		if route != "" {
			trace.SpanFromContext(r.Context()).SetAttributes(semconv.HTTPRoute(route))
		}
	})
	traced := otelhttp.NewHandler(named, "", otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
		if r.Pattern == "" {
			return methodName(r.Method)
		}
		return methodName(r.Method) + " " + r.Pattern
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if active.Load() == 0 {
			next.ServeHTTP(w, r)
			return
		}
		traced.ServeHTTP(w, r)
	})
}

// Transport traces the requests base (nil: http.DefaultTransport) sends:
// a client span per request, named by its method, whose context goes to
// the server in the W3C traceparent header. Requests pass straight
// through while tracing is off.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{
		base: base,
		traced: otelhttp.NewTransport(redacting{base},
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return methodName(r.Method) })),
	}
}

type transport struct {
	base, traced http.RoundTripper
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if active.Load() == 0 {
		return t.base.RoundTrip(r)
	}
	return t.traced.RoundTrip(r)
}

// CloseIdleConnections passes through to the base transport, so that
// http.Client.CloseIdleConnections reaches it.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// redacting replaces the URL the client span recorded with one whose
// query values are redacted: presigned layer URLs carry credentials there.
type redacting struct{ base http.RoundTripper }

func (rd redacting) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL != nil && r.URL.RawQuery != "" {
		trace.SpanFromContext(r.Context()).SetAttributes(semconv.URLFull(redactURL(r.URL)))
	}
	return rd.base.RoundTrip(r)
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	q := c.Query()
	for k, vs := range q {
		for i := range vs {
			vs[i] = "REDACTED"
		}
		q[k] = vs
	}
	c.RawQuery = q.Encode()
	return c.String()
}

// pathOf returns the path part of a ServeMux pattern ("[METHOD ][HOST]/PATH"),
// which is what http.route holds.
func pathOf(pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:]
	}
	return pattern
}

// methodName bounds span names to the standard methods.
func methodName(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "HTTP"
}
