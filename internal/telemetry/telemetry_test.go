package telemetry_test

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/protobuf/proto"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/api"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/internal/telemetry"
)

// span is an exported span as a receiver decoded it.
type span struct {
	name, service             string
	kind                      tracepb.Span_SpanKind
	traceID, spanID, parentID string
	attrs                     map[string]string
}

// receiver collects what OTLP exporters send it.
type receiver struct {
	mu      sync.Mutex
	spans   []span
	headers []string // the x-test header or metadata of every export
	exports int
}

func (c *receiver) add(req *coltrace.ExportTraceServiceRequest, header string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exports++
	c.headers = append(c.headers, header)
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				attrs := map[string]string{}
				for _, kv := range s.GetAttributes() {
					v := kv.GetValue()
					switch {
					case v.GetStringValue() != "":
						attrs[kv.GetKey()] = v.GetStringValue()
					default:
						attrs[kv.GetKey()] = strings.TrimSpace(v.String())
					}
				}
				c.spans = append(c.spans, span{
					name: s.GetName(), service: service, kind: s.GetKind(),
					traceID: hex.EncodeToString(s.GetTraceId()), spanID: hex.EncodeToString(s.GetSpanId()),
					parentID: hex.EncodeToString(s.GetParentSpanId()), attrs: attrs,
				})
			}
		}
	}
}

func (c *receiver) collected() ([]span, []string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.spans), slices.Clone(c.headers), c.exports
}

// httpReceiver is an OTLP/HTTP collector on loopback, at path.
func httpReceiver(t *testing.T, path string) (*receiver, string) {
	c := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path || r.Method != http.MethodPost {
			t.Errorf("export to %s %s, want POST %s", r.Method, r.URL.Path, path)
			http.NotFound(w, r)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
			t.Errorf("export Content-Type %q", ct)
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Error(err)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Error(err)
			return
		}
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			t.Errorf("decoding export: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.add(&req, r.Header.Get("X-Test")+" "+r.Header.Get("Content-Encoding"))
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return c, strings.TrimPrefix(srv.URL, "http://")
}

// grpcReceiver is an OTLP/gRPC collector on loopback.
type grpcReceiver struct {
	coltrace.UnimplementedTraceServiceServer
	*receiver
}

func (g grpcReceiver) Export(ctx context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	compression, _ := ctx.Value(compressionKey{}).(*string)
	g.add(req, strings.Join(md.Get("x-test"), ",")+" "+*compression)
	return &coltrace.ExportTraceServiceResponse{}, nil
}

// compressionStats hands each RPC's compression (from its header, which
// gRPC keeps out of the metadata) to the handler.
type compressionStats struct{}

type compressionKey struct{}

func (compressionStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, compressionKey{}, new(string))
}

func (compressionStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if h, ok := s.(*stats.InHeader); ok {
		*ctx.Value(compressionKey{}).(*string) = h.Compression
	}
}

func (compressionStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

func (compressionStats) HandleConn(context.Context, stats.ConnStats) {}

func newGRPCReceiver(t *testing.T) (*receiver, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &receiver{}
	s := grpc.NewServer(grpc.StatsHandler(compressionStats{}))
	coltrace.RegisterTraceServiceServer(s, grpcReceiver{receiver: c})
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return c, ln.Addr().String()
}

// indexer is an api.Indexer whose Report fetches a blob from the
// downstream server, as the real one fetches layers.
type indexer struct {
	client  *http.Client
	blobURL string
}

func (ix *indexer) Report(ctx context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ix.blobURL, nil)
	if err != nil {
		return nil, err
	}
	res, err := ix.client.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return &loupe.IndexReport{Hash: d, State: loupe.StateIndexFinished, Success: true}, nil
}

func (*indexer) Index(context.Context, *loupe.Manifest) (*loupe.IndexReport, error) {
	return nil, errors.New("not here")
}
func (*indexer) Delete(context.Context, ...loupe.Digest) ([]loupe.Digest, error) { return nil, nil }
func (*indexer) State() string                                                   { return "state" }

const digest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// system is an API server whose index report route fetches from a blob
// server, both traced, and a traced client.
type system struct {
	api, blobs *httptest.Server
	client     *http.Client
	// traceparents are the traceparent headers the blob server received.
	mu           sync.Mutex
	traceparents []string
}

func newSystem(t *testing.T) *system {
	s := &system{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /blobs/{name}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.traceparents = append(s.traceparents, r.Header.Get("Traceparent"))
		s.mu.Unlock()
		io.WriteString(w, "blob")
	})
	s.blobs = httptest.NewServer(telemetry.Handler(mux))
	t.Cleanup(s.blobs.Close)
	s.client = &http.Client{Transport: telemetry.Transport(nil)}
	ix := &indexer{client: s.client, blobURL: s.blobs.URL + "/blobs/layer1?X-Amz-Signature=secret&X-Amz-Expires=300"}
	s.api = httptest.NewServer(telemetry.Handler(api.Handler(api.Routes{Indexer: api.IndexerHandler(ix, api.IndexerOptions{})})))
	t.Cleanup(s.api.Close)
	return s
}

// get asks for the index report; hdr are header name, value pairs.
func (s *system) get(t *testing.T, client *http.Client, path string, hdr ...string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.api.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
}

// TestMain keeps the package's logging out of the test output unless -v.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		slog.SetDefault(slog.New(slog.DiscardHandler))
	}
	os.Exit(m.Run())
}

func ptr[T any](v T) *T { return &v }

func setup(t *testing.T, cfg *config.Config) func() {
	t.Helper()
	shutdown, err := telemetry.Setup(context.Background(), cfg, "loupe-test")
	if err != nil {
		t.Fatal(err)
	}
	done := false
	flush := func() {
		if done {
			return
		}
		done = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(flush)
	return flush
}

// checkTrace checks the spans of one request through the system: the
// client's, the API server's, its fetch's and the blob server's, each the
// child of the one before, in one trace.
func checkTrace(t *testing.T, spans []span) {
	t.Helper()
	byName := func(name string, kind tracepb.Span_SpanKind) span {
		t.Helper()
		for _, s := range spans {
			if s.name == name && s.kind == kind {
				return s
			}
		}
		t.Fatalf("no %v span %q among %+v", kind, name, spans)
		return span{}
	}
	if len(spans) != 4 {
		t.Fatalf("%d spans, want 4: %+v", len(spans), spans)
	}
	client := byName("GET", tracepb.Span_SPAN_KIND_CLIENT)
	if client.parentID != "" {
		// There are two client spans: take the root one.
		for _, s := range spans {
			if s.kind == tracepb.Span_SPAN_KIND_CLIENT && s.parentID == "" {
				client = s
			}
		}
	}
	server := byName("GET /indexer/api/v1/index_report/{digest}", tracepb.Span_SPAN_KIND_SERVER)
	var fetch span
	for _, s := range spans {
		if s.kind == tracepb.Span_SPAN_KIND_CLIENT && s.parentID == server.spanID {
			fetch = s
		}
	}
	blob := byName("GET /blobs/{name}", tracepb.Span_SPAN_KIND_SERVER)
	if client.parentID != "" || server.parentID != client.spanID || fetch.spanID == "" || blob.parentID != fetch.spanID {
		t.Errorf("parents: client %q→%q, server %q→%q, fetch %q→%q, blob %q→%q",
			client.spanID, client.parentID, server.spanID, server.parentID, fetch.spanID, fetch.parentID, blob.spanID, blob.parentID)
	}
	for _, s := range spans {
		if s.traceID != client.traceID {
			t.Errorf("span %q in trace %s, want %s", s.name, s.traceID, client.traceID)
		}
		if s.service != "loupe-test" {
			t.Errorf("span %q service.name %q", s.name, s.service)
		}
	}
	if got := server.attrs["http.route"]; got != "/indexer/api/v1/index_report/{digest}" {
		t.Errorf("server http.route %q", got)
	}
	if got := blob.attrs["http.route"]; got != "/blobs/{name}" {
		t.Errorf("blob http.route %q", got)
	}
	if u := fetch.attrs["url.full"]; strings.Contains(u, "secret") || !strings.Contains(u, "X-Amz-Signature=REDACTED") {
		t.Errorf("fetch url.full %q: want the signature redacted", u)
	}
}

func TestOTLPHTTP(t *testing.T) {
	rcv, addr := httpReceiver(t, "/otlp/v1/traces")
	flush := setup(t, &config.Config{Trace: config.Trace{
		Name:        "otlp",
		Probability: ptr(1.0),
		OTLP: config.OTLP{HTTP: &config.OTLPHTTP{
			Endpoint: addr, URLPath: "/otlp/v1/traces", Insecure: true,
			Compression: config.CompressionGzip, Headers: map[string]string{"X-Test": "http"},
			Timeout: ptr(config.Duration(5 * time.Second)),
		}},
	}})
	sys := newSystem(t)
	sys.get(t, sys.client, "/indexer/api/v1/index_report/"+digest)
	flush()
	spans, headers, _ := rcv.collected()
	checkTrace(t, spans)
	for _, h := range headers {
		if h != "http gzip" {
			t.Errorf("export header and encoding %q, want %q", h, "http gzip")
		}
	}
	if len(sys.traceparents) != 1 || !strings.HasPrefix(sys.traceparents[0], "00-"+spans[0].traceID+"-") {
		t.Errorf("blob server got traceparent %q, want one in trace %s", sys.traceparents, spans[0].traceID)
	}
}

func TestOTLPGRPC(t *testing.T) {
	rcv, addr := newGRPCReceiver(t)
	flush := setup(t, &config.Config{Trace: config.Trace{
		Name:        "otlp",
		Probability: ptr(1.0),
		OTLP: config.OTLP{GRPC: &config.OTLPGRPC{
			Endpoint: addr, Insecure: true, Compression: config.CompressionGzip,
			Headers: map[string]string{"x-test": "grpc"}, Timeout: ptr(config.Duration(5 * time.Second)),
		}},
	}})
	sys := newSystem(t)
	sys.get(t, sys.client, "/indexer/api/v1/index_report/"+digest)
	flush()
	spans, headers, _ := rcv.collected()
	checkTrace(t, spans)
	for _, h := range headers {
		if h != "grpc gzip" {
			t.Errorf("export metadata and encoding %q, want %q", h, "grpc gzip")
		}
	}
}

// TestSampling: probability 0 starts no trace, but follows a caller's
// sampled one; debug logging samples everything.
func TestSampling(t *testing.T) {
	cfg := func(p float64, level config.LogLevel, h *config.OTLPHTTP) *config.Config {
		return &config.Config{LogLevel: level, Trace: config.Trace{Name: "otlp", Probability: ptr(p), OTLP: config.OTLP{HTTP: h}}}
	}
	t.Run("zero", func(t *testing.T) {
		rcv, addr := httpReceiver(t, "/v1/traces")
		flush := setup(t, cfg(0, config.LogInfo, &config.OTLPHTTP{Endpoint: addr, URLPath: "/v1/traces", Insecure: true}))
		sys := newSystem(t)
		for range 5 {
			sys.get(t, sys.client, "/indexer/api/v1/index_report/"+digest)
		}
		flush()
		if spans, _, exports := rcv.collected(); len(spans) != 0 || exports != 0 {
			t.Errorf("probability 0: %d exports, %d spans", exports, len(spans))
		}
		// The context still travels, unsampled.
		for _, tp := range sys.traceparents {
			if !strings.HasPrefix(tp, "00-") || !strings.HasSuffix(tp, "-00") {
				t.Errorf("traceparent %q, want an unsampled one", tp)
			}
		}
	})
	t.Run("sampled parent", func(t *testing.T) {
		rcv, addr := httpReceiver(t, "/v1/traces")
		flush := setup(t, cfg(0, config.LogInfo, &config.OTLPHTTP{Endpoint: addr, URLPath: "/v1/traces", Insecure: true}))
		sys := newSystem(t)
		const traceID, parent = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
		sys.get(t, http.DefaultClient, "/indexer/api/v1/index_report/"+digest, "Traceparent", "00-"+traceID+"-"+parent+"-01")
		flush()
		spans, _, _ := rcv.collected()
		if len(spans) != 3 {
			t.Fatalf("%d spans, want the server's, its fetch's and the blob server's: %+v", len(spans), spans)
		}
		for _, s := range spans {
			if s.traceID != traceID {
				t.Errorf("span %q in trace %s, want the caller's %s", s.name, s.traceID, traceID)
			}
			if s.kind == tracepb.Span_SPAN_KIND_SERVER && s.name == "GET /indexer/api/v1/index_report/{digest}" && s.parentID != parent {
				t.Errorf("server span's parent %s, want the caller's %s", s.parentID, parent)
			}
		}
	})
	t.Run("debug", func(t *testing.T) {
		rcv, addr := httpReceiver(t, "/v1/traces")
		flush := setup(t, cfg(0, config.LogDebug, &config.OTLPHTTP{Endpoint: addr, URLPath: "/v1/traces", Insecure: true}))
		sys := newSystem(t)
		sys.get(t, sys.client, "/indexer/api/v1/index_report/"+digest)
		flush()
		spans, _, _ := rcv.collected()
		checkTrace(t, spans)
	})
}

// TestOff: without a trace name, or with one that exports nothing,
// nothing is traced or propagated.
func TestOff(t *testing.T) {
	for _, name := range []string{"", "jaeger", "sentry", "zipkin"} {
		t.Run(name, func(t *testing.T) {
			rcv, addr := httpReceiver(t, "/v1/traces")
			flush := setup(t, &config.Config{Trace: config.Trace{Name: name, Probability: ptr(1.0),
				OTLP: config.OTLP{HTTP: &config.OTLPHTTP{Endpoint: addr, URLPath: "/v1/traces", Insecure: true}}}})
			sys := newSystem(t)
			sys.get(t, sys.client, "/indexer/api/v1/index_report/"+digest)
			flush()
			if spans, _, exports := rcv.collected(); len(spans) != 0 || exports != 0 {
				t.Errorf("%d exports, %d spans", exports, len(spans))
			}
			if len(sys.traceparents) != 1 || sys.traceparents[0] != "" {
				t.Errorf("traceparents %q, want none sent", sys.traceparents)
			}
		})
	}
}

// TestUnmatchedRoute: a request no route matched is named by its method.
func TestUnmatchedRoute(t *testing.T) {
	rcv, addr := httpReceiver(t, "/v1/traces")
	flush := setup(t, &config.Config{Trace: config.Trace{Name: "otlp", Probability: ptr(1.0),
		OTLP: config.OTLP{HTTP: &config.OTLPHTTP{Endpoint: addr, URLPath: "/v1/traces", Insecure: true}}}})
	sys := newSystem(t)
	sys.get(t, http.DefaultClient, "/indexer/api/v1/nope/"+digest)
	sys.get(t, http.DefaultClient, "/robots.txt")
	flush()
	spans, _, _ := rcv.collected()
	var names []string
	for _, s := range spans {
		names = append(names, s.name)
		if strings.Contains(s.name, "nope") {
			t.Errorf("span named by the raw path: %q", s.name)
		}
	}
	slices.Sort(names)
	if want := []string{"GET", "GET /robots.txt"}; !slices.Equal(names, want) {
		t.Errorf("span names %q, want %q", names, want)
	}
}
