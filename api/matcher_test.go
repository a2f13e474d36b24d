package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/api"
)

const (
	vulnReportPath  = "/matcher/api/v1/vulnerability_report"
	updateOpPath    = "/matcher/api/v1/internal/update_operation"
	updateDiffPath  = "/matcher/api/v1/internal/update_diff"
	refA            = "8a1c5ff4-29f7-4a5e-9d3c-2d2c4a7c9f01"
	refB            = "0f9b2a3e-5d4c-4b6a-8e7f-1a2b3c4d5e6f"
	defaultCacheAge = 6 * time.Hour
)

// finishedGetter returns finished reports for every digest.
var finishedGetter = getterFunc(func(_ context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
	return finishedReport(d), nil
})

// notCalledGetter fails the test if it is used.
func notCalledGetter(t *testing.T) api.ReportGetter {
	return getterFunc(func(context.Context, loupe.Digest) (*loupe.IndexReport, error) {
		t.Error("ReportGetter called")
		return nil, errors.New("unexpected")
	})
}

func TestVulnerabilityReportNotInitialized(t *testing.T) {
	m := &fakeMatcher{
		initialized: func(context.Context) (bool, error) { return false, nil },
		scan: func(context.Context, *loupe.IndexReport) (*loupe.VulnerabilityReport, error) {
			t.Error("Scan called before initialization")
			return nil, errors.New("unexpected")
		},
	}
	srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{CacheAge: defaultCacheAge})
	r := srv.do(t, http.MethodGet, vulnReportPath+"/"+digestA.String(), "")
	checkStatus(t, r, http.StatusAccepted)
	checkEmpty(t, r)
	if len(r.raw) != 0 {
		t.Errorf("raw body: got %q, want empty", r.raw)
	}
}

func TestVulnerabilityReportInitializedError(t *testing.T) {
	m := &fakeMatcher{initialized: func(context.Context) (bool, error) { return false, errors.New("db down") }}
	srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})
	r := srv.do(t, http.MethodGet, vulnReportPath+"/"+digestA.String(), "")
	checkError(t, r, http.StatusInternalServerError, "internal-error")
}

func TestVulnerabilityReportMissingIndexReport(t *testing.T) {
	errGone := errors.New("index report: 404")
	isNotFound := func(err error) bool { return errors.Is(err, errGone) || errors.Is(err, api.ErrNotFound) }
	tests := []struct {
		name   string
		report *loupe.IndexReport
		err    error
		status int
	}{
		{"NotFound", nil, errGone, http.StatusNotFound},
		{"NotFoundWrapped", nil, fmt.Errorf("get: %w", api.ErrNotFound), http.StatusNotFound},
		{"IndexError", &loupe.IndexReport{Hash: digestA, State: loupe.StateIndexError, Err: "boom"}, nil, http.StatusNotFound},
		{"InProgress", &loupe.IndexReport{Hash: digestA, State: loupe.StateScanLayers}, nil, http.StatusNotFound},
		{"EmptyState", &loupe.IndexReport{Hash: digestA}, nil, http.StatusNotFound},
		{"GetterError", nil, errors.New("connection refused"), http.StatusInternalServerError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &fakeMatcher{scan: func(context.Context, *loupe.IndexReport) (*loupe.VulnerabilityReport, error) {
				t.Error("Scan called without a finished index report")
				return nil, errors.New("unexpected")
			}}
			g := getterFunc(func(context.Context, loupe.Digest) (*loupe.IndexReport, error) { return tc.report, tc.err })
			srv := matcherServer(t, m, g, api.MatcherOptions{IsNotFound: isNotFound})
			r := srv.do(t, http.MethodGet, vulnReportPath+"/"+digestA.String(), "")
			if tc.status == http.StatusNotFound {
				msg := checkError(t, r, http.StatusNotFound, "not-found")
				if want := `index report for manifest "` + digestA.String() + `" not found`; msg != want {
					t.Errorf("message: got %q, want %q", msg, want)
				}
				return
			}
			msg := checkError(t, r, tc.status, "internal-error")
			if !strings.Contains(msg, tc.err.Error()) {
				t.Errorf("message: got %q, want it to contain %q", msg, tc.err.Error())
			}
		})
	}
}

func TestVulnerabilityReportScanError(t *testing.T) {
	m := &fakeMatcher{scan: func(context.Context, *loupe.IndexReport) (*loupe.VulnerabilityReport, error) {
		return nil, errors.New("matcher exploded")
	}}
	srv := matcherServer(t, m, finishedGetter, api.MatcherOptions{})
	r := srv.do(t, http.MethodGet, vulnReportPath+"/"+digestA.String(), "")
	checkError(t, r, http.StatusInternalServerError, "internal-error")
	if v := r.header.Get("Cache-Control"); v != "" {
		t.Errorf("Cache-Control on error: got %q, want none", v)
	}
}

func TestVulnerabilityReport(t *testing.T) {
	vuln := &loupe.Vulnerability{
		ID:                 "7",
		Updater:            "ubuntu/updater/jammy",
		Name:               "CVE-2024-0001",
		Description:        "bad",
		Issued:             time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		Links:              "https://ubuntu.com/security/CVE-2024-0001",
		Severity:           "medium",
		NormalizedSeverity: loupe.Medium,
		Package:            &loupe.Package{Name: "openssl"},
		FixedInVersion:     "3.0.2-0ubuntu1.1",
	}
	var gotDigest loupe.Digest
	var scanned *loupe.IndexReport
	g := getterFunc(func(_ context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
		gotDigest = d
		return finishedReport(d), nil
	})
	m := &fakeMatcher{scan: func(_ context.Context, ir *loupe.IndexReport) (*loupe.VulnerabilityReport, error) {
		scanned = ir
		return &loupe.VulnerabilityReport{
			Hash:                   ir.Hash,
			Packages:               ir.Packages,
			Distributions:          ir.Distributions,
			Repositories:           ir.Repositories,
			Environments:           ir.Environments,
			Vulnerabilities:        map[string]*loupe.Vulnerability{"7": vuln},
			PackageVulnerabilities: map[string][]string{"1": {"7"}},
			Enrichments:            map[string][]json.RawMessage{"message/vnd.clair.map.vulnerability; enricher=clair.cvss": {json.RawMessage(`{"7":[{"baseScore":5.5}]}`)}},
		}, nil
	}}
	srv := matcherServer(t, m, g, api.MatcherOptions{CacheAge: defaultCacheAge})
	r := srv.do(t, http.MethodGet, vulnReportPath+"/sha256:"+strings.Repeat("A", 64), "")
	checkStatus(t, r, http.StatusOK)
	checkHeader(t, r, "Content-Type", "application/vnd.clair.index_report.v1+json")
	checkHeader(t, r, "Cache-Control", "max-age=21600")
	if v := r.header.Get("ETag"); v != "" {
		t.Errorf("ETag: got %q, want none", v)
	}
	if gotDigest.String() != digestA.String() {
		t.Errorf("digest passed to the ReportGetter: got %q, want %q", gotDigest, digestA)
	}
	if diff := cmp.Diff(finishedReport(digestA), scanned, digestCmp); diff != "" {
		t.Errorf("index report passed to Scan (-want +got):\n%s", diff)
	}
	var vr loupe.VulnerabilityReport
	if err := json.Unmarshal(r.body, &vr); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if vr.Hash.String() != digestA.String() {
		t.Errorf("manifest_hash: got %q, want %q", vr.Hash, digestA)
	}
	if diff := cmp.Diff(map[string]*loupe.Vulnerability{"7": vuln}, vr.Vulnerabilities, digestCmp); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{"1": {"7"}}, vr.PackageVulnerabilities); diff != "" {
		t.Errorf("package_vulnerabilities (-want +got):\n%s", diff)
	}
	if got := len(vr.Enrichments); got != 1 {
		t.Errorf("enrichments: got %d keys, want 1", got)
	}
	jsonObjects(t, r.body, "packages", "distributions", "repository", "environments",
		"vulnerabilities", "package_vulnerabilities", "enrichments")
}

// TestVulnerabilityReportEmptyMaps: with nothing found, every map is {}.
func TestVulnerabilityReportEmptyMaps(t *testing.T) {
	m := &fakeMatcher{scan: func(_ context.Context, ir *loupe.IndexReport) (*loupe.VulnerabilityReport, error) {
		return &loupe.VulnerabilityReport{Hash: ir.Hash}, nil
	}}
	srv := matcherServer(t, m, finishedGetter, api.MatcherOptions{CacheAge: time.Minute})
	r := srv.do(t, http.MethodGet, vulnReportPath+"/"+digestA.String(), "")
	checkStatus(t, r, http.StatusOK)
	checkHeader(t, r, "Cache-Control", "max-age=60")
	jsonObjects(t, r.body, "packages", "distributions", "repository", "environments",
		"vulnerabilities", "package_vulnerabilities", "enrichments")
	var m2 map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m2); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"vulnerabilities", "package_vulnerabilities", "enrichments"} {
		if got := strings.TrimSpace(string(m2[k])); got != "{}" {
			t.Errorf("%s: got %s, want {}", k, got)
		}
	}
}

func TestVulnerabilityReportCacheAge(t *testing.T) {
	tests := []struct {
		age  time.Duration
		want string
	}{
		{0, "max-age=0"},
		{time.Second, "max-age=1"},
		{90 * time.Minute, "max-age=5400"},
		{defaultCacheAge, "max-age=21600"},
	}
	for _, tc := range tests {
		t.Run(tc.age.String(), func(t *testing.T) {
			srv := matcherServer(t, &fakeMatcher{}, finishedGetter, api.MatcherOptions{CacheAge: tc.age})
			r := srv.do(t, http.MethodGet, vulnReportPath+"/"+digestA.String(), "")
			checkStatus(t, r, http.StatusOK)
			checkHeader(t, r, "Cache-Control", tc.want)
		})
	}
}

func TestVulnerabilityReportBadDigest(t *testing.T) {
	for _, tc := range badDigests {
		t.Run(tc.name, func(t *testing.T) {
			m := &fakeMatcher{initialized: func(context.Context) (bool, error) {
				t.Error("Initialized called for a bad digest")
				return true, nil
			}}
			srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})
			r := srv.do(t, http.MethodGet, vulnReportPath+"/"+tc.seg, "")
			checkError(t, r, http.StatusBadRequest, "bad-request")
		})
	}
}

func TestUpdateOperations(t *testing.T) {
	ops := map[string][]loupe.UpdateOperation{
		"ubuntu/updater/jammy": {
			{Ref: refA, Updater: "ubuntu/updater/jammy", Fingerprint: "etag-1", Date: time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC), Kind: loupe.VulnerabilityUpdate},
			{Ref: refB, Updater: "ubuntu/updater/jammy", Fingerprint: "etag-0", Date: time.Date(2025, 5, 5, 7, 8, 9, 0, time.UTC), Kind: loupe.VulnerabilityUpdate},
		},
	}
	tests := []struct {
		name       string
		query      string
		wantKind   string
		wantLatest bool
	}{
		{"Default", "", loupe.VulnerabilityUpdate, false},
		{"EmptyKind", "?kind=", loupe.VulnerabilityUpdate, false},
		{"Vulnerability", "?kind=vulnerability", loupe.VulnerabilityUpdate, false},
		{"Enrichment", "?kind=enrichment", loupe.EnrichmentUpdate, false},
		{"LatestTrue", "?latest=true", loupe.VulnerabilityUpdate, true},
		{"LatestOne", "?latest=1", loupe.VulnerabilityUpdate, true},
		{"LatestT", "?latest=t", loupe.VulnerabilityUpdate, true},
		{"LatestFalse", "?latest=false", loupe.VulnerabilityUpdate, false},
		{"LatestZero", "?latest=0", loupe.VulnerabilityUpdate, false},
		{"LatestEmpty", "?latest=", loupe.VulnerabilityUpdate, false},
		{"EnrichmentLatest", "?kind=enrichment&latest=true", loupe.EnrichmentUpdate, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gotKind, gotRefKind string
			var gotLatest bool
			m := &fakeMatcher{
				updateOps: func(_ context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error) {
					gotKind, gotLatest = kind, latest
					return ops, nil
				},
				latestRef: func(_ context.Context, kind string) (string, error) {
					gotRefKind = kind
					return refA, nil
				},
			}
			srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})
			r := srv.do(t, http.MethodGet, updateOpPath+tc.query, "")
			checkStatus(t, r, http.StatusOK)
			if gotKind != tc.wantKind {
				t.Errorf("kind passed to UpdateOperations: got %q, want %q", gotKind, tc.wantKind)
			}
			if gotRefKind != tc.wantKind {
				t.Errorf("kind passed to LatestRef: got %q, want %q", gotRefKind, tc.wantKind)
			}
			if gotLatest != tc.wantLatest {
				t.Errorf("latest passed to UpdateOperations: got %v, want %v", gotLatest, tc.wantLatest)
			}
			checkHeader(t, r, "ETag", `"`+refA+`"`)
			var got map[string][]loupe.UpdateOperation
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("body %q: %v", r.body, err)
			}
			if diff := cmp.Diff(ops, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateOperationsBadQuery(t *testing.T) {
	for _, q := range []string{"?kind=bogus", "?kind=Vulnerability", "?latest=garbage", "?latest=yes", "?kind=enrichment&latest=2"} {
		t.Run(q, func(t *testing.T) {
			m := &fakeMatcher{updateOps: func(context.Context, string, bool) (map[string][]loupe.UpdateOperation, error) {
				t.Error("UpdateOperations called for a bad query")
				return nil, errors.New("unexpected")
			}}
			srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})
			r := srv.do(t, http.MethodGet, updateOpPath+q, "")
			checkError(t, r, http.StatusBadRequest, "bad-request")
		})
	}
}

func TestUpdateOperationsConditional(t *testing.T) {
	var calls atomic.Int32
	m := &fakeMatcher{
		updateOps: func(context.Context, string, bool) (map[string][]loupe.UpdateOperation, error) {
			calls.Add(1)
			return map[string][]loupe.UpdateOperation{}, nil
		},
		latestRef: func(context.Context, string) (string, error) { return refA, nil },
	}
	srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})

	r := srv.do(t, http.MethodGet, updateOpPath+"?latest=true", "", "If-None-Match", `"`+refA+`"`)
	checkStatus(t, r, http.StatusNotModified)
	checkEmpty(t, r)
	if n := calls.Load(); n != 0 {
		t.Errorf("UpdateOperations calls on 304: got %d, want 0", n)
	}

	r = srv.do(t, http.MethodGet, updateOpPath+"?latest=true", "", "If-None-Match", `"`+refB+`"`)
	checkStatus(t, r, http.StatusOK)
	checkHeader(t, r, "ETag", `"`+refA+`"`)
	if got := strings.TrimSpace(string(r.body)); got != "{}" {
		t.Errorf("body: got %s, want {}", got)
	}
}

func TestUpdateOperationsNoETag(t *testing.T) {
	tests := []struct {
		name string
		ref  string
		err  error
	}{
		{"NoOperations", "", nil},
		{"LatestRefError", refA, errors.New("db down")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &fakeMatcher{latestRef: func(context.Context, string) (string, error) { return tc.ref, tc.err }}
			srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})
			r := srv.do(t, http.MethodGet, updateOpPath, "", "If-None-Match", `""`)
			checkStatus(t, r, http.StatusOK)
			if v := r.header.Get("ETag"); v != "" {
				t.Errorf("ETag: got %q, want none", v)
			}
		})
	}
}

func TestUpdateOperationsError(t *testing.T) {
	m := &fakeMatcher{updateOps: func(context.Context, string, bool) (map[string][]loupe.UpdateOperation, error) {
		return nil, errors.New("db down")
	}}
	srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})
	r := srv.do(t, http.MethodGet, updateOpPath, "")
	checkError(t, r, http.StatusInternalServerError, "internal-error")
}

func TestDeleteUpdateOperation(t *testing.T) {
	tests := []struct {
		name, seg, want string
	}{
		{"Canonical", refA, refA},
		{"Uppercase", strings.ToUpper(refA), refA},
		{"NoDashes", strings.ReplaceAll(refA, "-", ""), refA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			m := &fakeMatcher{deleteOps: func(_ context.Context, refs ...string) (int, error) {
				got = refs
				return len(refs), nil
			}}
			srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})
			r := srv.do(t, http.MethodDelete, updateOpPath+"/"+tc.seg, "")
			checkStatus(t, r, http.StatusOK)
			checkEmpty(t, r)
			if diff := cmp.Diff([]string{tc.want}, got); diff != "" {
				t.Errorf("refs passed to DeleteUpdateOperations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeleteUpdateOperationErrors(t *testing.T) {
	tests := []struct {
		name, seg string
		err       error
		status    int
		code      string
	}{
		{"NotUUID", "not-a-uuid", nil, http.StatusBadRequest, "bad-request"},
		{"Truncated", refA[:30], nil, http.StatusBadRequest, "bad-request"},
		{"Digest", digestA.String(), nil, http.StatusBadRequest, "bad-request"},
		{"StoreError", refA, errors.New("db down"), http.StatusInternalServerError, "internal-error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &fakeMatcher{deleteOps: func(context.Context, ...string) (int, error) {
				if tc.err == nil {
					t.Error("DeleteUpdateOperations called for a bad ref")
				}
				return 0, tc.err
			}}
			srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})
			r := srv.do(t, http.MethodDelete, updateOpPath+"/"+tc.seg, "")
			checkError(t, r, tc.status, tc.code)
		})
	}
}

func TestUpdateDiff(t *testing.T) {
	diff := &loupe.UpdateDiff{
		Prev:  loupe.UpdateOperation{Ref: refB, Updater: "u", Kind: loupe.VulnerabilityUpdate, Date: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		Cur:   loupe.UpdateOperation{Ref: refA, Updater: "u", Kind: loupe.VulnerabilityUpdate, Date: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)},
		Added: []loupe.Vulnerability{{ID: "1", Name: "CVE-2025-1", Updater: "u", NormalizedSeverity: loupe.High}},
	}
	tests := []struct {
		name, query       string
		wantPrev, wantCur string
	}{
		{"CurOnly", "?cur=" + refA, "", refA},
		{"NilPrev", "?cur=" + refA + "&prev=00000000-0000-0000-0000-000000000000", "", refA},
		{"EmptyPrev", "?cur=" + refA + "&prev=", "", refA},
		{"Both", "?cur=" + refA + "&prev=" + refB, refB, refA},
		{"Uppercase", "?cur=" + strings.ToUpper(refA) + "&prev=" + strings.ToUpper(refB), refB, refA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gotPrev, gotCur string
			m := &fakeMatcher{updateDiff: func(_ context.Context, prev, cur string) (*loupe.UpdateDiff, error) {
				gotPrev, gotCur = prev, cur
				return diff, nil
			}}
			srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})
			r := srv.do(t, http.MethodGet, updateDiffPath+tc.query, "")
			checkStatus(t, r, http.StatusOK)
			if gotPrev != tc.wantPrev || gotCur != tc.wantCur {
				t.Errorf("UpdateDiff(prev, cur): got (%q, %q), want (%q, %q)", gotPrev, gotCur, tc.wantPrev, tc.wantCur)
			}
			var got loupe.UpdateDiff
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("body %q: %v", r.body, err)
			}
			if d := cmp.Diff(diff, &got); d != "" {
				t.Errorf("body (-want +got):\n%s", d)
			}
		})
	}
}

func TestUpdateDiffErrors(t *testing.T) {
	tests := []struct {
		name, query string
		err         error
		status      int
		code, msg   string
	}{
		{"NoQuery", "", nil, http.StatusBadRequest, "bad-request", `"cur" query param is required`},
		{"EmptyCur", "?cur=", nil, http.StatusBadRequest, "bad-request", `"cur" query param is required`},
		{"PrevOnly", "?prev=" + refB, nil, http.StatusBadRequest, "bad-request", `"cur" query param is required`},
		{"BadCur", "?cur=nope", nil, http.StatusBadRequest, "bad-request", ""},
		{"BadPrev", "?cur=" + refA + "&prev=nope", nil, http.StatusBadRequest, "bad-request", ""},
		{"StoreError", "?cur=" + refA, errors.New("kinds differ"), http.StatusInternalServerError, "internal-error", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &fakeMatcher{updateDiff: func(context.Context, string, string) (*loupe.UpdateDiff, error) {
				if tc.err == nil {
					t.Error("UpdateDiff called for a bad query")
				}
				return nil, tc.err
			}}
			srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})
			r := srv.do(t, http.MethodGet, updateDiffPath+tc.query, "")
			msg := checkError(t, r, tc.status, tc.code)
			if tc.msg != "" && msg != tc.msg {
				t.Errorf("message: got %q, want %q", msg, tc.msg)
			}
		})
	}
}

func TestMatcherMethodNotAllowed(t *testing.T) {
	tests := []struct{ method, path string }{
		{http.MethodPost, vulnReportPath + "/" + digestA.String()},
		{http.MethodDelete, vulnReportPath + "/" + digestA.String()},
		{http.MethodHead, vulnReportPath + "/" + digestA.String()},
		{http.MethodPost, updateOpPath},
		{http.MethodDelete, updateOpPath},
		{http.MethodHead, updateOpPath},
		{http.MethodGet, updateOpPath + "/" + refA},
		{http.MethodPut, updateOpPath + "/" + refA},
		{http.MethodPost, updateDiffPath + "?cur=" + refA},
		{http.MethodHead, updateDiffPath + "?cur=" + refA},
	}
	for _, tc := range tests {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			m := &fakeMatcher{
				initialized: func(context.Context) (bool, error) {
					t.Error("Initialized called")
					return true, nil
				},
				updateOps: func(context.Context, string, bool) (map[string][]loupe.UpdateOperation, error) {
					t.Error("UpdateOperations called")
					return nil, nil
				},
				deleteOps: func(context.Context, ...string) (int, error) {
					t.Error("DeleteUpdateOperations called")
					return 0, nil
				},
				updateDiff: func(context.Context, string, string) (*loupe.UpdateDiff, error) {
					t.Error("UpdateDiff called")
					return nil, nil
				},
			}
			srv := matcherServer(t, m, notCalledGetter(t), api.MatcherOptions{})
			r := srv.do(t, tc.method, tc.path, "")
			checkMethodNotAllowed(t, tc.method, r)
		})
	}
}
