package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/api"
)

const (
	indexReportPath = "/indexer/api/v1/index_report"
	indexStatePath  = "/indexer/api/v1/index_state"
)

func TestIndexReportCreated(t *testing.T) {
	var got *loupe.Manifest
	want := finishedReport(digestA)
	ix := &fakeIndexer{index: func(_ context.Context, m *loupe.Manifest) (*loupe.IndexReport, error) {
		got = m
		return want, nil
	}}
	srv := indexerServer(t, ix, api.IndexerOptions{})

	r := srv.do(t, http.MethodPost, indexReportPath, manifestJSON())
	checkStatus(t, r, http.StatusCreated)

	wantManifest := &loupe.Manifest{
		Hash: digestA,
		Layers: []*loupe.Layer{
			{
				Hash:    layerC,
				URI:     "https://registry.example/v2/x/blobs/" + layerC.String(),
				Headers: http.Header{"Authorization": {"Bearer abc"}, "Accept": {"application/gzip"}},
			},
			{Hash: layerD, URI: "https://registry.example/v2/x/blobs/" + layerD.String()},
		},
	}
	if diff := cmp.Diff(wantManifest, got, digestCmp); diff != "" {
		t.Errorf("manifest passed to Index (-want +got):\n%s", diff)
	}

	checkHeader(t, r, "ETag", `"`+testState+`"`)
	checkHeader(t, r, "Location", indexReportPath+"/"+digestA.String())
	wantLinks := []string{
		`<` + indexReportPath + `/` + digestA.String() + `>; rel="https://projectquay.io/clair/v1/index_report"`,
		`</matcher/api/v1/vulnerability_report/` + digestA.String() + `>; rel="https://projectquay.io/clair/v1/vulnerability_report"`,
	}
	if diff := cmp.Diff(wantLinks, r.header.Values("Link")); diff != "" {
		t.Errorf("Link headers (-want +got):\n%s", diff)
	}

	var report loupe.IndexReport
	if err := json.Unmarshal(r.body, &report); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if diff := cmp.Diff(want, &report, digestCmp); diff != "" {
		t.Errorf("index report (-want +got):\n%s", diff)
	}
	jsonObjects(t, r.body, "packages", "distributions", "repository", "environments")
}

// TestIndexReportEmptyMaps checks that a report without contents still
// has its four maps as JSON objects, as Quay's schema requires.
func TestIndexReportEmptyMaps(t *testing.T) {
	ix := &fakeIndexer{index: func(_ context.Context, m *loupe.Manifest) (*loupe.IndexReport, error) {
		return &loupe.IndexReport{Hash: m.Hash, State: loupe.StateIndexFinished, Success: true}, nil
	}}
	srv := indexerServer(t, ix, api.IndexerOptions{})
	r := srv.do(t, http.MethodPost, indexReportPath, manifestJSON())
	checkStatus(t, r, http.StatusCreated)
	jsonObjects(t, r.body, "packages", "distributions", "repository", "environments")
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"manifest_hash", "state", "success", "err"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q: missing from %s", k, r.body)
		}
	}
}

func TestIndexReportBadManifest(t *testing.T) {
	layer := `{"hash":"` + layerC.String() + `","uri":"https://registry.example/blob"}`
	tests := []struct {
		name, body string
		wantPrefix string // of the error message
	}{
		{"EmptyBody", "", "failed to deserialize manifest"},
		{"Truncated", `{"hash":`, "failed to deserialize manifest"},
		{"NotJSON", `hash=sha256:aaaa`, "failed to deserialize manifest"},
		{"Array", `[]`, "failed to deserialize manifest"},
		{"String", `"sha256:aaaa"`, "failed to deserialize manifest"},
		{"BadHashDigest", `{"hash":"sha256:zz","layers":[` + layer + `]}`, "failed to deserialize manifest"},
		{"BadHashAlgorithm", `{"hash":"md5:` + strings.Repeat("a", 32) + `","layers":[` + layer + `]}`, "failed to deserialize manifest"},
		{"HashNotString", `{"hash":42,"layers":[` + layer + `]}`, "failed to deserialize manifest"},
		{"LayersNotArray", `{"hash":"` + digestA.String() + `","layers":{}}`, "failed to deserialize manifest"},
		{"MissingHash", `{"layers":[` + layer + `]}`, "bogus manifest"},
		{"EmptyHash", `{"hash":"","layers":[` + layer + `]}`, "bogus manifest"},
		{"MissingLayers", `{"hash":"` + digestA.String() + `"}`, "bogus manifest"},
		{"NullLayers", `{"hash":"` + digestA.String() + `","layers":null}`, "bogus manifest"},
		{"EmptyLayers", `{"hash":"` + digestA.String() + `","layers":[]}`, "bogus manifest"},
		{"NullLayer", `{"hash":"` + digestA.String() + `","layers":[null]}`, "bogus manifest"},
		{"Null", `null`, "bogus manifest"},
		{"EmptyObject", `{}`, "bogus manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := &fakeIndexer{index: func(context.Context, *loupe.Manifest) (*loupe.IndexReport, error) {
				t.Error("Index called for a bad manifest")
				return nil, errors.New("unexpected")
			}}
			srv := indexerServer(t, ix, api.IndexerOptions{})
			r := srv.do(t, http.MethodPost, indexReportPath, tc.body)
			msg := checkError(t, r, http.StatusBadRequest, "bad-request")
			if !strings.HasPrefix(msg, tc.wantPrefix) {
				t.Errorf("message: got %q, want prefix %q", msg, tc.wantPrefix)
			}
			for _, h := range []string{"ETag", "Location"} {
				if v := r.header.Get(h); v != "" {
					t.Errorf("%s: got %q, want none", h, v)
				}
			}
		})
	}
}

// TestIndexReportUnknownFields checks that unknown keys (media_type,
// anything else) are ignored and that the request Content-Type is not
// looked at.
func TestIndexReportUnknownFields(t *testing.T) {
	srv := indexerServer(t, &fakeIndexer{}, api.IndexerOptions{})
	body := `{"hash":"` + digestA.String() + `","extra":{"x":[1,2]},"layers":[{"hash":"` + layerC.String() + `","uri":"https://r/b","media_type":"x","size":12}]}`
	r := srv.do(t, http.MethodPost, indexReportPath, body, "Content-Type", "text/plain")
	checkStatus(t, r, http.StatusCreated)
}

func TestIndexReportIfNoneMatch(t *testing.T) {
	tests := []struct {
		name        string
		ifNoneMatch string
		want        int
	}{
		{"State", `"` + testState + `"`, http.StatusPreconditionFailed},
		{"OtherState", `"something-else"`, http.StatusCreated},
		{"Unquoted", testState, http.StatusCreated},
		{"Weak", `W/"` + testState + `"`, http.StatusCreated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			ix := &fakeIndexer{index: func(_ context.Context, m *loupe.Manifest) (*loupe.IndexReport, error) {
				calls.Add(1)
				return finishedReport(m.Hash), nil
			}}
			srv := indexerServer(t, ix, api.IndexerOptions{})
			r := srv.do(t, http.MethodPost, indexReportPath, manifestJSON(), "If-None-Match", tc.ifNoneMatch)
			checkStatus(t, r, tc.want)
			if tc.want != http.StatusPreconditionFailed {
				return
			}
			checkEmpty(t, r)
			if n := calls.Load(); n != 0 {
				t.Errorf("Index calls: got %d, want 0", n)
			}
			if got := len(r.header.Values("Link")); got != 2 {
				t.Errorf("Link headers on 412: got %d, want 2", got)
			}
		})
	}
}

var errBadLayer = errors.New("not a tar archive")

func TestIndexReportIndexError(t *testing.T) {
	isBadLayer := func(err error) bool { return errors.Is(err, errBadLayer) }
	tests := []struct {
		name   string
		err    error
		opts   api.IndexerOptions
		status int
		code   string
	}{
		{"Generic", errors.New("fetch failed"), api.IndexerOptions{}, http.StatusInternalServerError, "internal-error"},
		{"GenericWithClassifier", errors.New("fetch failed"), api.IndexerOptions{IsBadLayer: isBadLayer}, http.StatusInternalServerError, "internal-error"},
		{"BadLayer", errBadLayer, api.IndexerOptions{IsBadLayer: isBadLayer}, http.StatusBadRequest, "bad-request"},
		{"WrappedBadLayer", errors.Join(errors.New("layer 1"), errBadLayer), api.IndexerOptions{IsBadLayer: isBadLayer}, http.StatusBadRequest, "bad-request"},
		{"BadLayerWithoutClassifier", errBadLayer, api.IndexerOptions{}, http.StatusInternalServerError, "internal-error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := &fakeIndexer{index: func(context.Context, *loupe.Manifest) (*loupe.IndexReport, error) {
				return nil, tc.err
			}}
			srv := indexerServer(t, ix, tc.opts)
			r := srv.do(t, http.MethodPost, indexReportPath, manifestJSON())
			msg := checkError(t, r, tc.status, tc.code) // also checks Link was removed
			if !strings.HasPrefix(msg, "failed to start scan") {
				t.Errorf("message: got %q, want prefix %q", msg, "failed to start scan")
			}
			if !strings.Contains(msg, tc.err.Error()) {
				t.Errorf("message: got %q, want it to contain %q", msg, tc.err.Error())
			}
			for _, h := range []string{"ETag", "Location"} {
				if v := r.header.Get(h); v != "" {
					t.Errorf("%s: got %q, want none", h, v)
				}
			}
		})
	}
}

// blockingIndexer blocks Index until release is closed, after saying so
// on entered.
func blockingIndexer() (ix *fakeIndexer, entered chan struct{}, release chan struct{}) {
	entered, release = make(chan struct{}, 16), make(chan struct{})
	ix = &fakeIndexer{index: func(ctx context.Context, m *loupe.Manifest) (*loupe.IndexReport, error) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return finishedReport(m.Hash), nil
	}}
	return ix, entered, release
}

func TestIndexReportConcurrencyLimit(t *testing.T) {
	ix, entered, release := blockingIndexer()
	srv := indexerServer(t, ix, api.IndexerOptions{Concurrency: 1})

	var wg sync.WaitGroup
	var first response
	var firstErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		first, firstErr = srv.try(http.MethodPost, indexReportPath, manifestJSON())
	}()
	<-entered

	r := srv.do(t, http.MethodPost, indexReportPath, manifestJSON())
	msg := checkError(t, r, http.StatusTooManyRequests, "too-many-requests")
	if want := "server handling too many requests"; msg != want {
		t.Errorf("message: got %q, want %q", msg, want)
	}
	// Clair's quirk: bulk DELETE on the same path shares the limit.
	r = srv.do(t, http.MethodDelete, indexReportPath, `[]`)
	checkError(t, r, http.StatusTooManyRequests, "too-many-requests")
	// Other routes are not limited.
	r = srv.do(t, http.MethodGet, indexStatePath, "")
	checkStatus(t, r, http.StatusOK)
	r = srv.do(t, http.MethodDelete, indexReportPath+"/"+digestA.String(), "")
	checkStatus(t, r, http.StatusNoContent)

	close(release)
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	if first.status != http.StatusCreated {
		t.Fatalf("blocked request: got status %d, want %d (body %q)", first.status, http.StatusCreated, first.body)
	}
	// The slot is free again.
	r = srv.do(t, http.MethodPost, indexReportPath, manifestJSON())
	checkStatus(t, r, http.StatusCreated)
}

func TestIndexReportConcurrencyLimitTwo(t *testing.T) {
	ix, entered, release := blockingIndexer()
	srv := indexerServer(t, ix, api.IndexerOptions{Concurrency: 2})
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := srv.try(http.MethodPost, indexReportPath, manifestJSON())
			if err != nil {
				t.Error(err)
			}
			statuses[i] = r.status
		}()
	}
	<-entered
	<-entered
	r := srv.do(t, http.MethodPost, indexReportPath, manifestJSON())
	checkError(t, r, http.StatusTooManyRequests, "too-many-requests")
	close(release)
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusCreated {
			t.Errorf("request %d: got status %d, want %d", i, s, http.StatusCreated)
		}
	}
}

func TestIndexReportUnlimited(t *testing.T) {
	const n = 4
	ix, entered, release := blockingIndexer()
	srv := indexerServer(t, ix, api.IndexerOptions{Concurrency: 0})
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := srv.try(http.MethodPost, indexReportPath, manifestJSON())
			if err != nil {
				t.Error(err)
			}
			statuses[i] = r.status
		}()
	}
	for range n {
		<-entered // all n are inside Index at once
	}
	close(release)
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusCreated {
			t.Errorf("request %d: got status %d, want %d", i, s, http.StatusCreated)
		}
	}
}

func TestBulkDelete(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		deleted  []loupe.Digest
		wantArgs []loupe.Digest
		wantBody string
	}{
		{
			name:     "SomeDeleted",
			body:     `["` + digestA.String() + `","` + digestB.String() + `"]`,
			deleted:  []loupe.Digest{digestA},
			wantArgs: []loupe.Digest{digestA, digestB},
			wantBody: `["` + digestA.String() + `"]`,
		},
		{
			name:     "AllDeleted",
			body:     `["` + digestA.String() + `","` + layerD.String() + `"]`,
			deleted:  []loupe.Digest{digestA, layerD},
			wantArgs: []loupe.Digest{digestA, layerD},
			wantBody: `["` + digestA.String() + `","` + layerD.String() + `"]`,
		},
		{
			name:     "NoneDeletedNil",
			body:     `["` + digestA.String() + `"]`,
			deleted:  nil,
			wantArgs: []loupe.Digest{digestA},
			wantBody: `[]`,
		},
		{
			name:     "NoneDeletedEmpty",
			body:     `["` + digestA.String() + `"]`,
			deleted:  []loupe.Digest{},
			wantArgs: []loupe.Digest{digestA},
			wantBody: `[]`,
		},
		{
			name:     "EmptyRequest",
			body:     `[]`,
			wantBody: `[]`,
		},
		{
			name:     "UppercaseHex",
			body:     `["sha256:` + strings.Repeat("B", 64) + `"]`,
			deleted:  []loupe.Digest{digestB},
			wantArgs: []loupe.Digest{digestB},
			wantBody: `["` + digestB.String() + `"]`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var args []loupe.Digest
			ix := &fakeIndexer{del: func(_ context.Context, ds ...loupe.Digest) ([]loupe.Digest, error) {
				args = ds
				return tc.deleted, nil
			}}
			srv := indexerServer(t, ix, api.IndexerOptions{Concurrency: 1})
			r := srv.do(t, http.MethodDelete, indexReportPath, tc.body)
			checkStatus(t, r, http.StatusOK)
			if diff := cmp.Diff(tc.wantArgs, args, digestCmp, cmpEmptyEqual); diff != "" {
				t.Errorf("digests passed to Delete (-want +got):\n%s", diff)
			}
			if got := strings.TrimSpace(string(r.body)); got != tc.wantBody {
				t.Errorf("body: got %s, want %s", got, tc.wantBody)
			}
		})
	}
}

// cmpEmptyEqual treats nil and empty slices alike.
var cmpEmptyEqual = cmp.FilterValues(func(a, b []loupe.Digest) bool {
	return len(a) == 0 && len(b) == 0
}, cmp.Comparer(func(_, _ []loupe.Digest) bool { return true }))

func TestBulkDeleteErrors(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		err    error
		status int
		code   string
	}{
		{"Malformed", `[`, nil, http.StatusBadRequest, "bad-request"},
		{"Empty", ``, nil, http.StatusBadRequest, "bad-request"},
		{"Object", `{"a":1}`, nil, http.StatusBadRequest, "bad-request"},
		{"Numbers", `[1,2]`, nil, http.StatusBadRequest, "bad-request"},
		{"BadDigest", `["sha256:zz"]`, nil, http.StatusBadRequest, "bad-request"},
		{"MD5", `["md5:` + strings.Repeat("a", 32) + `"]`, nil, http.StatusBadRequest, "bad-request"},
		{"StoreError", `["` + digestA.String() + `"]`, errors.New("database is locked"), http.StatusInternalServerError, "internal-error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := &fakeIndexer{del: func(context.Context, ...loupe.Digest) ([]loupe.Digest, error) {
				if tc.err == nil {
					t.Error("Delete called for a bad request")
				}
				return nil, tc.err
			}}
			srv := indexerServer(t, ix, api.IndexerOptions{})
			r := srv.do(t, http.MethodDelete, indexReportPath, tc.body)
			checkError(t, r, tc.status, tc.code)
		})
	}
}

func TestGetIndexReport(t *testing.T) {
	var got []loupe.Digest
	ix := &fakeIndexer{report: func(_ context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
		got = append(got, d)
		return finishedReport(d), nil
	}}
	srv := indexerServer(t, ix, api.IndexerOptions{})
	r := srv.do(t, http.MethodGet, indexReportPath+"/"+digestA.String(), "")
	checkStatus(t, r, http.StatusOK)
	checkHeader(t, r, "ETag", `"`+testState+`"`)
	checkHeader(t, r, "Content-Type", "application/vnd.clair.index_report.v1+json")
	var report loupe.IndexReport
	if err := json.Unmarshal(r.body, &report); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if diff := cmp.Diff(finishedReport(digestA), &report, digestCmp); diff != "" {
		t.Errorf("index report (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]loupe.Digest{digestA}, got, digestCmp); diff != "" {
		t.Errorf("digests passed to Report (-want +got):\n%s", diff)
	}
}

func TestGetIndexReportDigests(t *testing.T) {
	tests := []struct {
		name, path string
		want       loupe.Digest
	}{
		{"SHA256", "sha256:" + strings.Repeat("a", 64), digestA},
		{"SHA256Upper", "sha256:" + strings.Repeat("A", 64), digestA},
		{"SHA256Mixed", "sha256:" + strings.Repeat("aA", 32), digestA},
		{"SHA512", layerD.String(), layerD},
		{"SHA512Upper", "sha512:" + strings.Repeat("D", 128), layerD},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got loupe.Digest
			ix := &fakeIndexer{report: func(_ context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
				got = d
				return finishedReport(d), nil
			}}
			srv := indexerServer(t, ix, api.IndexerOptions{})
			r := srv.do(t, http.MethodGet, indexReportPath+"/"+tc.path, "")
			checkStatus(t, r, http.StatusOK)
			if got.String() != tc.want.String() {
				t.Errorf("digest passed to Report: got %q, want %q", got, tc.want)
			}
		})
	}
}

// badDigests are path segments that are not digests Clair accepts.
var badDigests = []struct{ name, seg string }{
	{"ShortHex", "sha256:zz"},
	{"NotHex", "sha256:" + strings.Repeat("g", 64)},
	{"TooShort", "sha256:" + strings.Repeat("a", 63)},
	{"TooLong", "sha256:" + strings.Repeat("a", 65)},
	{"SHA512Short", "sha512:" + strings.Repeat("a", 64)},
	{"MD5", "md5:" + strings.Repeat("a", 32)},
	{"SHA1", "sha1:" + strings.Repeat("a", 40)},
	{"UpperAlgorithm", "SHA256:" + strings.Repeat("a", 64)},
	{"NoAlgorithm", strings.Repeat("a", 64)},
	{"EmptyHex", "sha256:"},
	{"Word", "latest"},
}

func TestGetIndexReportBadDigest(t *testing.T) {
	for _, tc := range badDigests {
		t.Run(tc.name, func(t *testing.T) {
			ix := &fakeIndexer{report: func(context.Context, loupe.Digest) (*loupe.IndexReport, error) {
				t.Error("Report called for a bad digest")
				return nil, errors.New("unexpected")
			}}
			srv := indexerServer(t, ix, api.IndexerOptions{})
			r := srv.do(t, http.MethodGet, indexReportPath+"/"+tc.seg, "")
			msg := checkError(t, r, http.StatusBadRequest, "bad-request")
			if !strings.HasPrefix(msg, "malformed path") {
				t.Errorf("message: got %q, want prefix %q", msg, "malformed path")
			}
		})
	}
}

func TestGetIndexReportErrors(t *testing.T) {
	errCustom := errors.New("no such manifest")
	tests := []struct {
		name   string
		err    error
		opts   api.IndexerOptions
		status int
		code   string
		msg    string
	}{
		{"NotFound", api.ErrNotFound, api.IndexerOptions{}, http.StatusNotFound, "not-found", "index report not found"},
		{"WrappedNotFound", errors.Join(errors.New("store"), api.ErrNotFound), api.IndexerOptions{}, http.StatusNotFound, "not-found", "index report not found"},
		{"CustomNotFound", errCustom, api.IndexerOptions{IsNotFound: func(err error) bool { return errors.Is(err, errCustom) }}, http.StatusNotFound, "not-found", "index report not found"},
		{"StoreError", errors.New("disk on fire"), api.IndexerOptions{}, http.StatusInternalServerError, "internal-error", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := &fakeIndexer{report: func(context.Context, loupe.Digest) (*loupe.IndexReport, error) {
				return nil, tc.err
			}}
			srv := indexerServer(t, ix, tc.opts)
			r := srv.do(t, http.MethodGet, indexReportPath+"/"+digestA.String(), "")
			msg := checkError(t, r, tc.status, tc.code)
			if tc.msg != "" && msg != tc.msg {
				t.Errorf("message: got %q, want %q", msg, tc.msg)
			}
			if v := r.header.Get("ETag"); v != "" {
				t.Errorf("ETag on error: got %q, want none", v)
			}
		})
	}
}

// TestGetIndexReportIndexError: a failed report is still a report.
func TestGetIndexReportIndexError(t *testing.T) {
	ix := &fakeIndexer{report: func(_ context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
		return &loupe.IndexReport{Hash: d, State: loupe.StateIndexError, Err: "fetch failed"}, nil
	}}
	srv := indexerServer(t, ix, api.IndexerOptions{})
	r := srv.do(t, http.MethodGet, indexReportPath+"/"+digestA.String(), "")
	checkStatus(t, r, http.StatusOK)
	var report loupe.IndexReport
	if err := json.Unmarshal(r.body, &report); err != nil {
		t.Fatal(err)
	}
	if report.State != loupe.StateIndexError || report.Success || report.Err != "fetch failed" {
		t.Errorf("report: got state %q success %v err %q, want IndexError false %q", report.State, report.Success, report.Err, "fetch failed")
	}
}

func TestGetIndexReportIfNoneMatch(t *testing.T) {
	var known atomic.Bool
	known.Store(true)
	ix := &fakeIndexer{report: func(_ context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
		if !known.Load() {
			return nil, api.ErrNotFound
		}
		return finishedReport(d), nil
	}}
	srv := indexerServer(t, ix, api.IndexerOptions{})
	// The state is the tag: a 304 for a report that exists.
	r := srv.do(t, http.MethodGet, indexReportPath+"/"+digestA.String(), "", "If-None-Match", `"`+testState+`"`)
	checkStatus(t, r, http.StatusNotModified)
	checkEmpty(t, r)
	checkHeader(t, r, "ETag", `"`+testState+`"`)
	r = srv.do(t, http.MethodGet, indexReportPath+"/"+digestA.String(), "", "If-None-Match", `"stale"`)
	checkStatus(t, r, http.StatusOK)
	// Deleted since: 404, not a 304 (Clair answers 304 without looking),
	// so that a client revalidating a cached report learns it is gone.
	known.Store(false)
	r = srv.do(t, http.MethodGet, indexReportPath+"/"+digestA.String(), "", "If-None-Match", `"`+testState+`"`)
	checkError(t, r, http.StatusNotFound, "not-found")
}

func TestGetIndexReportNegotiation(t *testing.T) {
	const (
		vendor = "application/vnd.clair.index_report.v1+json"
		plain  = "application/json"
	)
	tests := []struct {
		name   string
		accept []string // one value per header line; nil for none
		want   string   // content type, or "" for an error
		status int
	}{
		{"None", nil, vendor, http.StatusOK},
		{"Vendor", []string{vendor}, vendor, http.StatusOK},
		{"JSON", []string{plain}, plain, http.StatusOK},
		{"Any", []string{"*/*"}, vendor, http.StatusOK},
		{"ApplicationAny", []string{"application/*"}, vendor, http.StatusOK},
		{"QOrder", []string{plain + ";q=0.9, " + vendor}, vendor, http.StatusOK},
		{"QOrderJSON", []string{vendor + ";q=0.1, " + plain}, plain, http.StatusOK},
		{"SkipUnsupported", []string{"text/html, " + plain + ";q=0.1"}, plain, http.StatusOK},
		{"ZeroQNotExcluded", []string{plain + ";q=0"}, plain, http.StatusOK},
		{"StableOrder", []string{plain + ", " + vendor}, plain, http.StatusOK},
		{"TwoHeaderLines", []string{"text/html", plain}, plain, http.StatusOK},
		{"WithParams", []string{plain + "; charset=utf-8"}, plain, http.StatusOK},
		{"Unsupported", []string{"text/html"}, "", http.StatusUnsupportedMediaType},
		{"UnsupportedWildcard", []string{"text/*"}, "", http.StatusUnsupportedMediaType},
		{"Malformed", []string{"text/"}, "", http.StatusBadRequest},
		{"MalformedParam", []string{plain + "; q"}, "", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			for _, a := range tc.accept {
				hdr = append(hdr, "Accept", a)
			}
			ix := &fakeIndexer{report: func(_ context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
				return finishedReport(d), nil
			}}
			srv := indexerServer(t, ix, api.IndexerOptions{})
			r := srv.do(t, http.MethodGet, indexReportPath+"/"+digestA.String(), "", hdr...)
			switch tc.status {
			case http.StatusOK:
				checkStatus(t, r, http.StatusOK)
				checkHeader(t, r, "Content-Type", tc.want)
			case http.StatusUnsupportedMediaType:
				checkError(t, r, tc.status, "internal-error")
			case http.StatusBadRequest:
				checkError(t, r, tc.status, "bad-request")
			}
		})
	}
}

func TestDeleteIndexReport(t *testing.T) {
	tests := []struct {
		name    string
		seg     string
		deleted []loupe.Digest
		err     error
		want    loupe.Digest
		status  int
	}{
		{"Known", digestA.String(), []loupe.Digest{digestA}, nil, digestA, http.StatusNoContent},
		{"Unknown", digestA.String(), nil, nil, digestA, http.StatusNoContent},
		{"UppercaseHex", "sha256:" + strings.Repeat("B", 64), []loupe.Digest{digestB}, nil, digestB, http.StatusNoContent},
		{"StoreError", digestA.String(), nil, errors.New("database is locked"), digestA, http.StatusInternalServerError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []loupe.Digest
			ix := &fakeIndexer{del: func(_ context.Context, ds ...loupe.Digest) ([]loupe.Digest, error) {
				got = ds
				return tc.deleted, tc.err
			}}
			srv := indexerServer(t, ix, api.IndexerOptions{})
			r := srv.do(t, http.MethodDelete, indexReportPath+"/"+tc.seg, "")
			if tc.status == http.StatusNoContent {
				checkStatus(t, r, tc.status)
				checkEmpty(t, r)
			} else {
				checkError(t, r, tc.status, "internal-error")
			}
			if diff := cmp.Diff([]loupe.Digest{tc.want}, got, digestCmp); diff != "" {
				t.Errorf("digests passed to Delete (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeleteIndexReportBadDigest(t *testing.T) {
	for _, tc := range badDigests {
		t.Run(tc.name, func(t *testing.T) {
			ix := &fakeIndexer{del: func(context.Context, ...loupe.Digest) ([]loupe.Digest, error) {
				t.Error("Delete called for a bad digest")
				return nil, nil
			}}
			srv := indexerServer(t, ix, api.IndexerOptions{})
			r := srv.do(t, http.MethodDelete, indexReportPath+"/"+tc.seg, "")
			checkError(t, r, http.StatusBadRequest, "bad-request")
		})
	}
}

func TestIndexState(t *testing.T) {
	srv := indexerServer(t, &fakeIndexer{state: "abc123"}, api.IndexerOptions{})

	r := srv.do(t, http.MethodGet, indexStatePath, "")
	checkStatus(t, r, http.StatusOK)
	checkHeader(t, r, "ETag", `"abc123"`)
	checkHeader(t, r, "Content-Type", "application/vnd.clair.index_state.v1+json")
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if diff := cmp.Diff(map[string]any{"state": "abc123"}, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}

	r = srv.do(t, http.MethodGet, indexStatePath, "", "Accept", "application/json")
	checkStatus(t, r, http.StatusOK)
	checkHeader(t, r, "Content-Type", "application/json")

	r = srv.do(t, http.MethodGet, indexStatePath, "", "If-None-Match", `"abc123"`)
	checkStatus(t, r, http.StatusNotModified)
	checkEmpty(t, r)
	checkHeader(t, r, "ETag", `"abc123"`)

	r = srv.do(t, http.MethodGet, indexStatePath, "", "If-None-Match", `"old"`)
	checkStatus(t, r, http.StatusOK)

	r = srv.do(t, http.MethodGet, indexStatePath, "", "Accept", "text/html")
	checkError(t, r, http.StatusUnsupportedMediaType, "internal-error")

	r = srv.do(t, http.MethodGet, indexStatePath, "", "Accept", "text/")
	checkError(t, r, http.StatusBadRequest, "bad-request")
}

func TestIndexerMethodNotAllowed(t *testing.T) {
	one := indexReportPath + "/" + digestA.String()
	tests := []struct{ method, path string }{
		{http.MethodGet, indexReportPath},
		{http.MethodPut, indexReportPath},
		{http.MethodPatch, indexReportPath},
		{http.MethodHead, indexReportPath},
		{http.MethodPost, one},
		{http.MethodPut, one},
		{http.MethodHead, one},
		{http.MethodPost, indexStatePath},
		{http.MethodDelete, indexStatePath},
		{http.MethodHead, indexStatePath},
		{http.MethodOptions, indexStatePath},
	}
	for _, tc := range tests {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			srv := indexerServer(t, &fakeIndexer{
				index: func(context.Context, *loupe.Manifest) (*loupe.IndexReport, error) {
					t.Error("Index called")
					return nil, errors.New("unexpected")
				},
				del: func(context.Context, ...loupe.Digest) ([]loupe.Digest, error) {
					t.Error("Delete called")
					return nil, errors.New("unexpected")
				},
			}, api.IndexerOptions{Concurrency: 1})
			r := srv.do(t, tc.method, tc.path, "")
			checkMethodNotAllowed(t, tc.method, r)
		})
	}
}

// checkMethodNotAllowed checks a 405 error; HEAD responses carry no body.
func checkMethodNotAllowed(t *testing.T, method string, r response) {
	t.Helper()
	if method == http.MethodHead {
		checkStatus(t, r, http.StatusMethodNotAllowed)
		checkHeader(t, r, "Content-Type", "application/json")
		return
	}
	msg := checkError(t, r, http.StatusMethodNotAllowed, "method-not-allowed")
	if !strings.Contains(msg, method) && !strings.Contains(msg, "only allows") {
		t.Errorf("message: got %q, want it to name the method %s", msg, method)
	}
}
