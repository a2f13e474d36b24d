package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/api"
	"github.com/loupe-dev/loupe/internal/metricstest"
)

const httpDuration = "loupe_http_request_duration_seconds"

// requests returns how many requests the histogram counted for a route,
// method and code.
func requests(t *testing.T, g prometheus.Gatherer, route, method, code string) uint64 {
	t.Helper()
	n, _ := metricstest.Histogram(t, g, httpDuration, "route", route, "method", method, "code", code)
	return n
}

// copying is middleware that hands its handler a copy of the request, as
// tracing wrappers do: a ServeMux below it sets Pattern on the copy only.
func copying(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), copyKey{}, true)))
	})
}

type copyKey struct{}

func TestHTTPMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	release := make(chan struct{})
	started := make(chan struct{})
	ix := &fakeIndexer{index: func(ctx context.Context, m *loupe.Manifest) (*loupe.IndexReport, error) {
		if ctx.Value(copyKey{}) != true {
			t.Error("the copy of the request did not reach the handler")
		}
		close(started)
		<-release
		return finishedReport(m.Hash), nil
	}}
	n := newFakeNotifier()
	n.add(setA, 2)
	srv := newServer(t, api.Routes{
		// The copy sits between the API's muxes and the indexer's own.
		Indexer:    copying(api.IndexerHandler(ix, api.IndexerOptions{})),
		Matcher:    api.MatcherHandler(&fakeMatcher{}, finishedGetter, api.MatcherOptions{}),
		Notifier:   api.NotifierHandler(n, api.NotifierOptions{IsNotFound: isUnknownSet}),
		Registerer: reg,
	})

	// In flight while the index request is being served.
	done := make(chan response)
	go func() {
		r, err := srv.try(http.MethodPost, indexReportPath, manifestJSON())
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	<-started
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP loupe_http_requests_in_flight API requests being served.
# TYPE loupe_http_requests_in_flight gauge
loupe_http_requests_in_flight 1
`), "loupe_http_requests_in_flight"); err != nil {
		t.Error(err)
	}
	close(release)
	checkStatus(t, <-done, http.StatusCreated)

	for _, rq := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, indexReportPath + "/" + digestA.String(), http.StatusNotFound},
		{http.MethodGet, indexReportPath + "/" + digestB.String(), http.StatusNotFound},
		{http.MethodGet, indexStatePath, http.StatusOK},
		{http.MethodGet, indexStatePath, http.StatusOK},
		{http.MethodPut, indexStatePath, http.StatusMethodNotAllowed},
		{http.MethodGet, vulnReportPath + "/" + digestA.String(), http.StatusOK},
		{http.MethodGet, notificationPath + "/" + setA, http.StatusOK},
		{http.MethodGet, notificationPath + "/" + setUnknown, http.StatusNotFound},
		{http.MethodGet, "/robots.txt", http.StatusOK},
		{http.MethodGet, "/nope", http.StatusNotFound},
		{http.MethodGet, "/indexer/api/v1/nope", http.StatusNotFound},
		{http.MethodGet, "/matcher/api/v1/vulnerability_report/", http.StatusNotFound},
		{"PROPFIND", indexStatePath, http.StatusMethodNotAllowed},
	} {
		checkStatus(t, srv.do(t, rq.method, rq.path, ""), rq.status)
	}

	for _, want := range []struct {
		route, method, code string
		n                   uint64
	}{
		{"/indexer/api/v1/index_report", "POST", "201", 1},
		{"/indexer/api/v1/index_report/{digest}", "GET", "404", 2},
		{"/indexer/api/v1/index_state", "GET", "200", 2},
		{"/indexer/api/v1/index_state", "PUT", "405", 1},
		{"/indexer/api/v1/index_state", "other", "405", 1},
		{"/matcher/api/v1/vulnerability_report/{digest}", "GET", "200", 1},
		{"/notifier/api/v1/notification/{id}", "GET", "200", 1},
		{"/notifier/api/v1/notification/{id}", "GET", "404", 1},
		{"/robots.txt", "GET", "200", 1},
		{"other", "GET", "404", 3},
	} {
		if got := requests(t, reg, want.route, want.method, want.code); got != want.n {
			t.Errorf("%s %s %s: %d requests, want %d", want.method, want.route, want.code, got, want.n)
		}
	}
	// Nothing else: no raw paths.
	if n, err := testutil.GatherAndCount(reg, httpDuration); err != nil || n != 10 {
		t.Errorf("%d series, want 10:\n%s", n, strings.Join(metricstest.Series(t, reg, httpDuration), "\n"))
	}
	for _, s := range metricstest.Series(t, reg, httpDuration) {
		if strings.Contains(s, "sha256") || strings.Contains(s, setA) {
			t.Errorf("series %s names a raw path", s)
		}
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP loupe_http_requests_in_flight API requests being served.
# TYPE loupe_http_requests_in_flight gauge
loupe_http_requests_in_flight 0
`), "loupe_http_requests_in_flight"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// TestHTTPMetricsAuth: a request refused before routing matched no route.
func TestHTTPMetricsAuth(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := newServer(t, api.Routes{
		Indexer:    api.IndexerHandler(&fakeIndexer{}, api.IndexerOptions{}),
		Auth:       &api.PSK{Key: pskKey, Issuers: []string{"quay"}},
		Registerer: reg,
	})
	checkStatus(t, srv.do(t, http.MethodGet, indexStatePath, ""), http.StatusUnauthorized)
	checkStatus(t, srv.do(t, http.MethodGet, indexStatePath, "", "Authorization", "Bearer "+mint(t, jwt.SigningMethodHS256, pskKey, quayClaims())), http.StatusOK)
	if got := requests(t, reg, "other", "GET", "401"); got != 1 {
		t.Errorf("refused request: %d, want 1", got)
	}
	if got := requests(t, reg, "/indexer/api/v1/index_state", "GET", "200"); got != 1 {
		t.Errorf("authenticated request: %d, want 1", got)
	}
}

// TestHTTPMetricsShared: two handlers on one registry share the metrics
// instead of failing to register; no Registerer means no metrics.
func TestHTTPMetricsShared(t *testing.T) {
	reg := prometheus.NewRegistry()
	var hs []http.Handler
	for range 2 {
		hs = append(hs, api.Handler(api.Routes{Indexer: api.IndexerHandler(&fakeIndexer{}, api.IndexerOptions{}), Registerer: reg}))
	}
	hs = append(hs, api.Handler(api.Routes{Indexer: api.IndexerHandler(&fakeIndexer{}, api.IndexerOptions{})}))
	for _, h := range hs {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, indexStatePath, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if got := requests(t, reg, "/indexer/api/v1/index_state", "GET", "200"); got != 2 {
		t.Errorf("%d requests counted, want 2", got)
	}
}

// TestHTTPMetricsPanic: a handler that panics is counted as a 500.
func TestHTTPMetricsPanic(t *testing.T) {
	reg := prometheus.NewRegistry()
	ix := &fakeIndexer{report: func(context.Context, loupe.Digest) (*loupe.IndexReport, error) { panic(http.ErrAbortHandler) }}
	h := api.Handler(api.Routes{Indexer: api.IndexerHandler(ix, api.IndexerOptions{}), Registerer: reg})
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, indexReportPath+"/"+digestA.String(), nil))
	}()
	if got := requests(t, reg, "/indexer/api/v1/index_report/{digest}", "GET", "500"); got != 1 {
		t.Errorf("%d panicking requests counted, want 1: %v", got, metricstest.Series(t, reg, httpDuration))
	}
	if !slices.Contains(metricstest.Series(t, reg, httpDuration), "code=500,method=GET,route=/indexer/api/v1/index_report/{digest}") {
		t.Error("no series for the panic")
	}
}
