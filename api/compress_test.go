package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/api"
)

// bigReport is an index report large enough that compression matters.
func bigReport(d loupe.Digest) *loupe.IndexReport {
	r := finishedReport(d)
	for i := range 200 {
		id := strings.Repeat("9", 1+i%5) + string(rune('a'+i%26))
		r.Packages[id] = &loupe.Package{ID: id, Name: "pkg-" + id, Version: "1.0." + id}
	}
	return r
}

func compressionServer(t *testing.T) *testServer {
	t.Helper()
	ix := &fakeIndexer{report: func(_ context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
		return bigReport(d), nil
	}}
	m := &fakeMatcher{initialized: func(context.Context) (bool, error) { return false, nil }}
	return newServer(t, api.Routes{
		Indexer: api.IndexerHandler(ix, api.IndexerOptions{}),
		Matcher: api.MatcherHandler(m, finishedGetter, api.MatcherOptions{}),
	})
}

func TestCompression(t *testing.T) {
	tests := []struct {
		name   string
		accept []string // Accept-Encoding header lines; nil for none
		want   string   // Content-Encoding; "" for identity
		status int
	}{
		{"None", nil, "", http.StatusOK},
		{"Gzip", []string{"gzip"}, "gzip", http.StatusOK},
		{"XGzip", []string{"x-gzip"}, "gzip", http.StatusOK},
		{"Zstd", []string{"zstd"}, "zstd", http.StatusOK},
		{"Deflate", []string{"deflate"}, "deflate", http.StatusOK},
		{"Identity", []string{"identity"}, "", http.StatusOK},
		{"Uppercase", []string{"GZIP"}, "gzip", http.StatusOK},
		{"QOrder", []string{"gzip;q=0.5, zstd"}, "zstd", http.StatusOK},
		{"QOrderSpaces", []string{"zstd; q=0.1, deflate ;q=0.9"}, "deflate", http.StatusOK},
		{"FirstOfEqualQ", []string{"deflate, gzip, zstd"}, "deflate", http.StatusOK},
		{"TwoHeaderLines", []string{"br", "zstd"}, "zstd", http.StatusOK},
		{"Star", []string{"*"}, "gzip", http.StatusOK},
		{"StarGzipRefused", []string{"*, gzip;q=0"}, "", http.StatusOK},
		{"UnsupportedOnly", []string{"br"}, "", http.StatusOK},
		{"RefusedSkipped", []string{"zstd;q=0, gzip;q=0.2"}, "gzip", http.StatusOK},
		{"Browser", []string{"gzip, deflate, br, zstd"}, "gzip", http.StatusOK},
		{"IdentityRefused", []string{"identity;q=0"}, "", http.StatusUnsupportedMediaType},
		{"StarRefused", []string{"*;q=0"}, "", http.StatusUnsupportedMediaType},
		{"UnsupportedAndIdentityRefused", []string{"br, identity;q=0"}, "", http.StatusUnsupportedMediaType},
		{"AllRefused", []string{"gzip;q=0, identity;q=0"}, "", http.StatusUnsupportedMediaType},
		{"IdentityRefusedGzipOK", []string{"gzip, identity;q=0"}, "gzip", http.StatusOK},
	}
	srv := compressionServer(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			for _, a := range tc.accept {
				hdr = append(hdr, "Accept-Encoding", a)
			}
			r := srv.do(t, http.MethodGet, indexReportPath+"/"+digestA.String(), "", hdr...)
			if tc.status == http.StatusUnsupportedMediaType {
				checkError(t, r, tc.status, "internal-error")
				checkHeader(t, r, "Content-Encoding", "")
				return
			}
			checkStatus(t, r, tc.status)
			checkHeader(t, r, "Content-Encoding", tc.want)
			if tc.want == "" {
				checkHeader(t, r, "Accept-Encoding", "zstd, gzip, deflate")
			} else if string(r.raw) == string(r.body) {
				t.Errorf("raw body equals decoded body; want it %s-compressed", tc.want)
			}
			var report loupe.IndexReport
			if err := json.Unmarshal(r.body, &report); err != nil {
				t.Fatalf("decoded body is not JSON: %v (%q)", err, r.body)
			}
			if got, want := len(report.Packages), len(bigReport(digestA).Packages); got != want {
				t.Errorf("packages after decoding: got %d, want %d", got, want)
			}
		})
	}
}

// TestCompressionEveryRoute checks that each route group compresses,
// errors included.
func TestCompressionEveryRoute(t *testing.T) {
	srv := compressionServer(t)
	for _, coding := range []string{"gzip", "zstd", "deflate"} {
		t.Run(coding, func(t *testing.T) {
			r := srv.do(t, http.MethodGet, indexStatePath, "", "Accept-Encoding", coding)
			checkStatus(t, r, http.StatusOK)
			checkHeader(t, r, "Content-Encoding", coding)
			var state map[string]string
			if err := json.Unmarshal(r.body, &state); err != nil || state["state"] != testState {
				t.Errorf("index_state body: got %q (%v), want {\"state\":%q}", r.body, err, testState)
			}

			r = srv.do(t, http.MethodGet, updateOpPath, "", "Accept-Encoding", coding)
			checkStatus(t, r, http.StatusOK)
			checkHeader(t, r, "Content-Encoding", coding)
			if !json.Valid(r.body) {
				t.Errorf("update_operation body: got %q, want JSON", r.body)
			}

			// Error bodies are compressed too, and decode to Clair's error.
			r = srv.do(t, http.MethodGet, indexReportPath+"/sha256:zz", "", "Accept-Encoding", coding)
			checkHeader(t, r, "Content-Encoding", coding)
			checkError(t, r, http.StatusBadRequest, "bad-request")
		})
	}
}

// TestCompressionNoBody: responses that cannot have a body carry no
// Content-Encoding; 202 decodes to an empty body.
func TestCompressionNoBody(t *testing.T) {
	srv := compressionServer(t)
	for _, coding := range []string{"gzip", "zstd", "deflate"} {
		t.Run(coding, func(t *testing.T) {
			r := srv.do(t, http.MethodDelete, indexReportPath+"/"+digestA.String(), "", "Accept-Encoding", coding)
			checkStatus(t, r, http.StatusNoContent)
			checkHeader(t, r, "Content-Encoding", "")
			if len(r.raw) != 0 {
				t.Errorf("204 body: got %q, want empty", r.raw)
			}

			r = srv.do(t, http.MethodGet, indexStatePath, "", "Accept-Encoding", coding, "If-None-Match", `"`+testState+`"`)
			checkStatus(t, r, http.StatusNotModified)
			checkHeader(t, r, "Content-Encoding", "")
			if len(r.raw) != 0 {
				t.Errorf("304 body: got %q, want empty", r.raw)
			}

			r = srv.do(t, http.MethodGet, indexReportPath+"/"+digestA.String(), "", "Accept-Encoding", coding, "If-None-Match", `"`+testState+`"`)
			checkStatus(t, r, http.StatusNotModified)
			checkHeader(t, r, "Content-Encoding", "")

			r = srv.do(t, http.MethodGet, vulnReportPath+"/"+digestA.String(), "", "Accept-Encoding", coding)
			checkStatus(t, r, http.StatusAccepted)
			checkEmpty(t, r)
		})
	}
}
