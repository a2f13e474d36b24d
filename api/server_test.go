package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api"
)

// checkRobots checks the /robots.txt response.
func checkRobots(t *testing.T, r response) {
	t.Helper()
	checkStatus(t, r, http.StatusOK)
	if got, want := string(r.body), "User-agent: *\nDisallow: /\n"; got != want {
		t.Errorf("robots.txt body: got %q, want %q", got, want)
	}
	checkHeader(t, r, "Content-Type", "text/plain; charset=utf-8")
	checkHeader(t, r, "Cache-Control", "no-store")
	checkHeader(t, r, "X-Content-Type-Options", "nosniff")
	lm := r.header.Get("Last-Modified")
	ts, err := http.ParseTime(lm)
	if err != nil {
		t.Errorf("Last-Modified %q: %v", lm, err)
	} else if ts.After(time.Now().Add(time.Second)) {
		t.Errorf("Last-Modified %q is in the future", lm)
	}
}

func TestRobots(t *testing.T) {
	for _, rt := range []struct {
		name   string
		routes api.Routes
	}{
		{"NoRoutes", api.Routes{}},
		{"AllRoutes", api.Routes{
			Indexer: api.IndexerHandler(&fakeIndexer{}, api.IndexerOptions{}),
			Matcher: api.MatcherHandler(&fakeMatcher{}, finishedGetter, api.MatcherOptions{}),
		}},
	} {
		t.Run(rt.name, func(t *testing.T) {
			srv := newServer(t, rt.routes)
			checkRobots(t, srv.do(t, http.MethodGet, "/robots.txt", ""))
		})
	}
}

func TestUnknownPath(t *testing.T) {
	srv := newServer(t, api.Routes{
		Indexer: api.IndexerHandler(&fakeIndexer{}, api.IndexerOptions{}),
		Matcher: api.MatcherHandler(&fakeMatcher{}, finishedGetter, api.MatcherOptions{}),
	})
	for _, p := range []string{
		"/",
		"/nope",
		"/indexer/api/v1/",
		"/indexer/api/v1/nope",
		"/indexer/api/v2/index_state",
		"/matcher/api/v1/",
		"/matcher/api/v1/nope",
		"/matcher/api/v1/vulnerability_report/" + digestA.String() + "/extra",
		"/notifier/api/v1/notification/" + refA,
	} {
		r := srv.do(t, http.MethodGet, p, "")
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s: got status %d, want 404", p, r.status)
			continue
		}
		if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
			t.Errorf("GET %s: Content-Type: got %q, want text/plain", p, got)
		}
	}
}

// TestUnmountedRoutes: a nil part is not served.
func TestUnmountedRoutes(t *testing.T) {
	srv := newServer(t, api.Routes{Indexer: api.IndexerHandler(&fakeIndexer{}, api.IndexerOptions{})})
	r := srv.do(t, http.MethodGet, updateOpPath, "")
	checkStatus(t, r, http.StatusNotFound)
	r = srv.do(t, http.MethodGet, indexStatePath, "")
	checkStatus(t, r, http.StatusOK)

	srv = newServer(t, api.Routes{Matcher: api.MatcherHandler(&fakeMatcher{}, finishedGetter, api.MatcherOptions{})})
	r = srv.do(t, http.MethodGet, indexStatePath, "")
	checkStatus(t, r, http.StatusNotFound)
	r = srv.do(t, http.MethodGet, updateOpPath, "")
	checkStatus(t, r, http.StatusOK)
}

// TestMethodCheckedBeforePath: Clair checks the method before it parses
// the last path segment, so a wrong method on a registered path is 405
// whatever that segment holds (contract §3.4: "Any other method on a
// registered path gives 405"; IMPL indexReportOne, vulnerabilityReport
// and updateOperationHandlerDelete all switch on r.Method first).
func TestMethodCheckedBeforePath(t *testing.T) {
	srv := newServer(t, api.Routes{
		Indexer: api.IndexerHandler(&fakeIndexer{}, api.IndexerOptions{}),
		Matcher: api.MatcherHandler(&fakeMatcher{}, finishedGetter, api.MatcherOptions{}),
	})
	tests := []struct{ method, path string }{
		{http.MethodPut, indexReportPath + "/sha256:zz"},
		{http.MethodPost, indexReportPath + "/not-a-digest"},
		{http.MethodHead, indexReportPath + "/sha256:zz"},
		{http.MethodPost, vulnReportPath + "/sha256:zz"},
		{http.MethodHead, vulnReportPath + "/not-a-digest"},
		{http.MethodGet, updateOpPath + "/not-a-uuid"},
		{http.MethodPost, updateOpPath + "/not-a-uuid"},
	}
	for _, tc := range tests {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			r := srv.do(t, tc.method, tc.path, "")
			if r.status != http.StatusMethodNotAllowed {
				t.Fatalf("got status %d (body %q), want 405 method-not-allowed: "+
					"the method must be checked before the path segment is parsed, as Clair does", r.status, r.body)
			}
			checkMethodNotAllowed(t, tc.method, r)
		})
	}
}
