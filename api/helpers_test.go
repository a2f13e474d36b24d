package api_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/api"
)

// testState is the indexer state the fake indexer reports by default.
const testState = "0123456789abcdef0123456789abcdef"

var (
	digestA = loupe.MustParseDigest("sha256:" + strings.Repeat("a", 64))
	digestB = loupe.MustParseDigest("sha256:" + strings.Repeat("b", 64))
	layerC  = loupe.MustParseDigest("sha256:" + strings.Repeat("c", 64))
	layerD  = loupe.MustParseDigest("sha512:" + strings.Repeat("d", 128))
)

// digestCmp compares Digests by their string form (the type has
// unexported fields).
var digestCmp = cmp.Comparer(func(a, b loupe.Digest) bool { return a.String() == b.String() })

// TestMain keeps the handlers' logging out of the test output unless -v.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		slog.SetDefault(slog.New(slog.DiscardHandler))
	}
	os.Exit(m.Run())
}

// ---- fakes ----------------------------------------------------------------

// fakeIndexer is an api.Indexer whose methods are function fields; nil
// fields get a simple default.
type fakeIndexer struct {
	state  string
	index  func(context.Context, *loupe.Manifest) (*loupe.IndexReport, error)
	report func(context.Context, loupe.Digest) (*loupe.IndexReport, error)
	del    func(context.Context, ...loupe.Digest) ([]loupe.Digest, error)
}

var _ api.Indexer = (*fakeIndexer)(nil)

func (f *fakeIndexer) Index(ctx context.Context, m *loupe.Manifest) (*loupe.IndexReport, error) {
	if f.index == nil {
		return finishedReport(m.Hash), nil
	}
	return f.index(ctx, m)
}

func (f *fakeIndexer) Report(ctx context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
	if f.report == nil {
		return nil, fmt.Errorf("report %s: %w", d, api.ErrNotFound)
	}
	return f.report(ctx, d)
}

func (f *fakeIndexer) Delete(ctx context.Context, ds ...loupe.Digest) ([]loupe.Digest, error) {
	if f.del == nil {
		return nil, nil
	}
	return f.del(ctx, ds...)
}

func (f *fakeIndexer) State() string {
	if f.state == "" {
		return testState
	}
	return f.state
}

// fakeMatcher is an api.Matcher whose methods are function fields; nil
// fields get a simple default.
type fakeMatcher struct {
	scan        func(context.Context, *loupe.IndexReport) (*loupe.VulnerabilityReport, error)
	initialized func(context.Context) (bool, error)
	updateOps   func(ctx context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error)
	latestRef   func(ctx context.Context, kind string) (string, error)
	deleteOps   func(ctx context.Context, refs ...string) (int, error)
	updateDiff  func(ctx context.Context, prev, cur string) (*loupe.UpdateDiff, error)
}

var _ api.Matcher = (*fakeMatcher)(nil)

func (f *fakeMatcher) Scan(ctx context.Context, ir *loupe.IndexReport) (*loupe.VulnerabilityReport, error) {
	if f.scan == nil {
		return &loupe.VulnerabilityReport{Hash: ir.Hash}, nil
	}
	return f.scan(ctx, ir)
}

func (f *fakeMatcher) Initialized(ctx context.Context) (bool, error) {
	if f.initialized == nil {
		return true, nil
	}
	return f.initialized(ctx)
}

func (f *fakeMatcher) UpdateOperations(ctx context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error) {
	if f.updateOps == nil {
		return map[string][]loupe.UpdateOperation{}, nil
	}
	return f.updateOps(ctx, kind, latest)
}

func (f *fakeMatcher) LatestRef(ctx context.Context, kind string) (string, error) {
	if f.latestRef == nil {
		return "", nil
	}
	return f.latestRef(ctx, kind)
}

func (f *fakeMatcher) DeleteUpdateOperations(ctx context.Context, refs ...string) (int, error) {
	if f.deleteOps == nil {
		return len(refs), nil
	}
	return f.deleteOps(ctx, refs...)
}

func (f *fakeMatcher) UpdateDiff(ctx context.Context, prev, cur string) (*loupe.UpdateDiff, error) {
	if f.updateDiff == nil {
		return &loupe.UpdateDiff{}, nil
	}
	return f.updateDiff(ctx, prev, cur)
}

// getterFunc is an api.ReportGetter.
type getterFunc func(context.Context, loupe.Digest) (*loupe.IndexReport, error)

func (g getterFunc) Report(ctx context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
	return g(ctx, d)
}

// finishedReport is a small successful IndexReport for d.
func finishedReport(d loupe.Digest) *loupe.IndexReport {
	return &loupe.IndexReport{
		Hash:  d,
		State: loupe.StateIndexFinished,
		Packages: map[string]*loupe.Package{
			"1": {ID: "1", Name: "openssl", Version: "3.0.2-0ubuntu1", Kind: loupe.BinaryPackage, CPE: ""},
		},
		Distributions: map[string]*loupe.Distribution{
			"2": {ID: "2", DID: "ubuntu", Name: "Ubuntu", Version: "22.04 (Jammy Jellyfish)", VersionCodeName: "jammy", VersionID: "22.04", PrettyName: "Ubuntu 22.04"},
		},
		Repositories: map[string]*loupe.Repository{},
		Environments: map[string][]*loupe.Environment{
			"1": {{PackageDB: "var/lib/dpkg/status", IntroducedIn: layerC, DistributionID: "2"}},
		},
		Success: true,
	}
}

// ---- servers and requests -------------------------------------------------

type testServer struct {
	*httptest.Server
	client *http.Client
}

// newServer serves api.Handler(rt) on loopback. Its client never adds
// Accept-Encoding itself and never decompresses transparently.
func newServer(t *testing.T, rt api.Routes) *testServer {
	t.Helper()
	srv := httptest.NewServer(api.Handler(rt))
	t.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DisableCompression = true
	t.Cleanup(tr.CloseIdleConnections)
	return &testServer{Server: srv, client: &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

func indexerServer(t *testing.T, ix api.Indexer, opts api.IndexerOptions) *testServer {
	t.Helper()
	return newServer(t, api.Routes{Indexer: api.IndexerHandler(ix, opts)})
}

func matcherServer(t *testing.T, m api.Matcher, g api.ReportGetter, opts api.MatcherOptions) *testServer {
	t.Helper()
	return newServer(t, api.Routes{Matcher: api.MatcherHandler(m, g, opts)})
}

type response struct {
	status int
	header http.Header
	raw    []byte // as received
	body   []byte // with Content-Encoding undone
}

// do sends a request; hdr holds header name/value pairs (a name may
// repeat). It fails the test now on a transport error.
func (s *testServer) do(t *testing.T, method, path, body string, hdr ...string) response {
	t.Helper()
	r, err := s.try(method, path, body, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// try is do for goroutines other than the test's: it reports errors
// instead of failing the test.
func (s *testServer) try(method, path, body string, hdr ...string) (response, error) {
	if len(hdr)%2 != 0 {
		return response{}, fmt.Errorf("do: odd number of header arguments: %q", hdr)
	}
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	for i := 0; i < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	res, err := s.client.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: reading body: %w", method, path, err)
	}
	dec, err := decode(res.Header.Get("Content-Encoding"), raw)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: undoing Content-Encoding %q: %w", method, path, res.Header.Get("Content-Encoding"), err)
	}
	return response{status: res.StatusCode, header: res.Header, raw: raw, body: dec}, nil
}

// decode undoes a content coding.
func decode(coding string, b []byte) ([]byte, error) {
	switch coding {
	case "", "identity":
		return b, nil
	case "gzip":
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	case "deflate":
		return io.ReadAll(flate.NewReader(bytes.NewReader(b)))
	case "zstd":
		r, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	}
	return nil, fmt.Errorf("unknown content coding %q", coding)
}

// checkStatus fails the test now if the status is not want.
func checkStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status: got %d, want %d (body %q)", r.status, want, r.body)
	}
}

// checkEmpty checks that the (decoded) body is empty.
func checkEmpty(t *testing.T, r response) {
	t.Helper()
	if len(r.body) != 0 {
		t.Errorf("body: got %q, want empty", r.body)
	}
}

// checkError checks a Clair error response: status, Content-Type
// application/json, X-Content-Type-Options nosniff, and a body that is
// exactly {"code":code,"message":<non-empty>}. It returns the message.
func checkError(t *testing.T, r response, status int, code string) string {
	t.Helper()
	checkStatus(t, r, status)
	if got, want := r.header.Get("Content-Type"), "application/json"; got != want {
		t.Errorf("error Content-Type: got %q, want %q", got, want)
	}
	if got, want := r.header.Get("X-Content-Type-Options"), "nosniff"; got != want {
		t.Errorf("error X-Content-Type-Options: got %q, want %q", got, want)
	}
	if got := r.header.Values("Link"); len(got) != 0 {
		t.Errorf("error Link headers: got %q, want none", got)
	}
	msg, err := parseErrorBody(r.body)
	if err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	if msg.Code != code {
		t.Errorf("error code: got %q, want %q", msg.Code, code)
	}
	return msg.Message
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// parseErrorBody decodes a Clair error body strictly: one JSON object
// with exactly the keys code and message, both non-empty strings.
func parseErrorBody(b []byte) (errorBody, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return errorBody{}, err
	}
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return errorBody{}, err
	}
	if _, ok := m["code"]; !ok {
		return e, fmt.Errorf("no \"code\" key")
	}
	if _, ok := m["message"]; !ok {
		return e, fmt.Errorf("no \"message\" key")
	}
	if e.Code == "" || e.Message == "" {
		return e, fmt.Errorf("empty code or message: %+v", e)
	}
	return e, nil
}

// checkHeader checks a single-valued response header.
func checkHeader(t *testing.T, r response, name, want string) {
	t.Helper()
	if got := r.header.Get(name); got != want {
		t.Errorf("%s: got %q, want %q", name, got, want)
	}
}

// jsonObjects checks that each key of the JSON object body is present and
// holds an object (not null).
func jsonObjects(t *testing.T, body []byte, keys ...string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			t.Errorf("key %q: missing from %s", k, body)
			continue
		}
		if v := bytes.TrimSpace(v); len(v) == 0 || v[0] != '{' {
			t.Errorf("key %q: got %s, want a JSON object", k, v)
		}
	}
}

// manifestJSON is a valid Index request body for digestA.
func manifestJSON() string {
	return `{"hash":"` + digestA.String() + `","layers":[` +
		`{"hash":"` + layerC.String() + `","uri":"https://registry.example/v2/x/blobs/` + layerC.String() + `","headers":{"Authorization":["Bearer abc"],"Accept":["application/gzip"]},"media_type":"application/vnd.oci.image.layer.v1.tar+gzip"},` +
		`{"hash":"` + layerD.String() + `","uri":"https://registry.example/v2/x/blobs/` + layerD.String() + `"}` +
		`]}`
}
