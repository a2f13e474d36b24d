package config

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func decodeYAML(t *testing.T, doc string) *Config {
	t.Helper()
	c, err := Decode(t.Name(), strings.NewReader(doc), "yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// touch creates an empty file under a temporary directory and returns its
// path.
func touch(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOnlyListenAddr(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	c := decodeYAML(t, `http_listen_addr: "127.0.0.1:7000"`)
	lints, err := Validate(c, ComboMode)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lints {
		t.Log(l)
	}
	if c.DataDir != "/data/loupe" {
		t.Errorf("data_dir = %q", c.DataDir)
	}
}

func TestDefaults(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	irrc := runtime.GOMAXPROCS(0) * 4
	indexer := Indexer{ScanLockRetry: 1, LayerScanConcurrency: 10, IndexReportRequestConcurrency: irrc}
	matcher := Matcher{Period: Duration(6 * time.Hour), CacheAge: Duration(6 * time.Hour), UpdateRetention: 10}
	metrics := Metrics{Name: "prometheus", Prometheus: Prometheus{Endpoint: ptr("/metrics")}}
	tests := []struct {
		mode Mode
		doc  string
		want *Config
	}{
		{
			mode: ComboMode,
			doc:  `{}`,
			want: &Config{
				HTTPListenAddr:    ":6060",
				IntrospectionAddr: ":8089",
				Indexer:           indexer,
				Matcher:           matcher,
				Metrics:           metrics,
				DataDir:           "/data/loupe",
			},
		},
		{
			mode: IndexerMode,
			doc:  `{indexer: {connstring: "host=db"}}`,
			want: &Config{
				HTTPListenAddr:    ":6060",
				IntrospectionAddr: ":8089",
				Indexer:           Indexer{ConnString: "host=db", ScanLockRetry: 1, LayerScanConcurrency: 10, IndexReportRequestConcurrency: irrc},
				Metrics:           metrics,
			},
		},
		{
			mode: MatcherMode,
			doc:  `{matcher: {indexer_addr: "http://indexer:6060/", period: 30s, update_retention: -3}}`,
			want: &Config{
				HTTPListenAddr:    ":6060",
				IntrospectionAddr: ":8089",
				Matcher: Matcher{
					IndexerAddr: "http://indexer:6060/",
					Period:      Duration(6 * time.Hour),
					CacheAge:    Duration(30 * time.Second),
				},
				Metrics: metrics,
				DataDir: "/data/loupe",
			},
		},
		{
			mode: NotifierMode,
			doc: `
notifier:
  connstring: sqlite:/var/lib/notifier.db
  indexer_addr: indexer:6060
  matcher_addr: https://matcher/
  poll_interval: 30s
  webhook: {target: "http://hook/", callback: "http://notifier/notifier/api/v1/notification"}
matcher: {update_retention: 1}
`,
			want: &Config{
				HTTPListenAddr:    ":6060",
				IntrospectionAddr: ":8089",
				Matcher:           Matcher{UpdateRetention: 1},
				Notifier: Notifier{
					ConnString:       "sqlite:/var/lib/notifier.db",
					IndexerAddr:      "http://indexer:6060/",
					MatcherAddr:      "https://matcher/",
					PollInterval:     Duration(6 * time.Hour),
					DeliveryInterval: Duration(time.Hour),
					Webhook:          &Webhook{Target: "http://hook/", Callback: "http://notifier/notifier/api/v1/notification/"},
				},
				Metrics: metrics,
			},
		},
		{
			mode: ComboMode,
			doc: `
indexer: {connstring: "host=db", layer_scan_concurrency: 3, index_report_request_concurrency: -1}
matcher: {connstring: "host=db", period: 12h, update_retention: 5, disable_updaters: true}
updaters: {sets: [alpine]}
trace:
  otlp:
    http: {}
    grpc: {endpoint: "otel:4317"}
metrics:
  name: otlp
  otlp:
    http: {url_path: /custom/}
`,
			want: &Config{
				HTTPListenAddr:    ":6060",
				IntrospectionAddr: ":8089",
				Indexer:           Indexer{ConnString: "host=db", ScanLockRetry: 1, LayerScanConcurrency: 3, IndexReportRequestConcurrency: -1},
				Matcher: Matcher{
					ConnString: "host=db", Period: Duration(12 * time.Hour), CacheAge: Duration(12 * time.Hour),
					UpdateRetention: 5, DisableUpdaters: true,
				},
				Updaters: Updaters{Sets: []string{}},
				Trace: Trace{OTLP: OTLP{
					HTTP: &OTLPHTTP{Endpoint: "localhost:4318", URLPath: "/v1/traces", Timeout: ptr(Duration(10 * time.Second))},
					GRPC: &OTLPGRPC{Endpoint: "otel:4317", Timeout: ptr(Duration(10 * time.Second))},
				}},
				Metrics: Metrics{Name: "otlp", OTLP: OTLP{
					HTTP: &OTLPHTTP{Endpoint: "localhost:4318", URLPath: "/custom", Timeout: ptr(Duration(10 * time.Second))},
				}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.mode.String(), func(t *testing.T) {
			c := decodeYAML(t, tc.doc)
			if _, err := Validate(c, tc.mode); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, c, ignoreUnexported); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestFatal(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	cert, key := touch(t, "tls.crt"), touch(t, "tls.key")
	tests := []struct {
		name string
		mode Mode
		doc  string
		want []string // each must appear in the error
	}{
		{name: "ListenAddr", doc: `http_listen_addr: "6060"`,
			want: []string{"$.http_listen_addr: address 6060: missing port in address"}},
		{name: "MatcherNoIndexer", mode: MatcherMode, doc: `{}`,
			want: []string{"$.matcher.indexer_addr: matcher mode requires the indexer's address"}},
		{name: "MatcherRelativeIndexer", mode: MatcherMode, doc: `matcher: {indexer_addr: /indexer}`,
			want: []string{`$.matcher.indexer_addr: "/indexer" is not an absolute http or https URL`}},
		{name: "MatcherBadIndexer", mode: MatcherMode, doc: `matcher: {indexer_addr: "http://[::1"}`,
			want: []string{`$.matcher.indexer_addr: parse "http://[::1": missing ']' in host`}},
		{name: "MatcherSchemeIndexer", mode: MatcherMode, doc: `matcher: {indexer_addr: "ftp://indexer/"}`,
			want: []string{`$.matcher.indexer_addr: "ftp://indexer/" is not an absolute http or https URL`}},
		{name: "NotifierNoPeers", mode: NotifierMode, doc: `notifier: {webhook: {target: "http://hook/"}}`,
			want: []string{
				"$.notifier.indexer_addr: notifier mode requires the indexer's address",
				"$.notifier.matcher_addr: notifier mode requires the matcher's address",
			}},
		{name: "NotifierNoDelivery", mode: NotifierMode,
			doc:  `notifier: {indexer_addr: "http://i/", matcher_addr: "http://m/"}`,
			want: []string{"$.notifier: notifier mode requires a delivery mechanism"}},
		{name: "WebhookTarget", doc: `notifier: {webhook: {target: "http://[bad", callback: "http://n/"}}`,
			want: []string{"$.notifier.webhook.target: parse"}},
		{name: "WebhookCallback", doc: `notifier: {webhook: {target: "http://hook/", callback: " http://n"}}`,
			want: []string{"$.notifier.webhook.callback: parse"}},
		{name: "AMQPRequired", doc: `notifier: {amqp: {direct: true}}`,
			want: []string{
				"$.notifier.amqp.exchange.type: exchange type is required",
				"$.notifier.amqp.routing_key: routing key is required",
				"$.notifier.amqp.uris: at least one broker URI is required",
			}},
		{name: "AMQPBadURI", doc: `notifier: {amqp: {direct: true, exchange: {type: fanout}, routing_key: k, uris: ["amqp://ok/", "amqp://[x"]}}`,
			want: []string{"$.notifier.amqp.uris[1]: parse"}},
		{name: "AMQPTLSHalf", doc: `notifier: {amqp: {direct: true, exchange: {type: fanout}, routing_key: k, uris: ["amqps://b/"], tls: {key: "` + key + `"}}}`,
			want: []string{"$.notifier.amqp.tls: both cert and key are required"}},
		{name: "STOMPRequired", doc: `notifier: {stomp: {direct: true}}`,
			want: []string{"$.notifier.stomp.uris: at least one broker address is required"}},
		{name: "STOMPNotHostPort", doc: `notifier: {stomp: {direct: true, uris: ["stomp://broker:61613"]}}`,
			want: []string{"$.notifier.stomp.uris[0]: want host:port"}},
		{name: "STOMPTLSHalf", doc: `notifier: {stomp: {direct: true, uris: ["b:1"], tls: {cert: "` + cert + `"}}}`,
			want: []string{"$.notifier.stomp.tls: both cert and key are required"}},
		{name: "TLSHalf", doc: `tls: {key: "` + key + `"}`,
			want: []string{"$.tls: both cert and key are required"}},
		{name: "TLSEmpty", doc: `tls: {}`,
			want: []string{"$.tls: cert and key are required to serve TLS"}},
		{name: "TLSMissingFile", doc: `tls: {cert: "` + cert + `", key: /nonexistent/tls.key, root_ca: /nonexistent/ca.pem}`,
			want: []string{
				"$.tls.key: stat /nonexistent/tls.key: no such file or directory",
				"$.tls.root_ca: stat /nonexistent/ca.pem",
			}},
		{name: "OTLPClientTLS", doc: `trace: {otlp: {grpc: {client_tls: {cert: /nonexistent/c, key: /nonexistent/k}}}}`,
			want: []string{"$.trace.otlp.grpc.client_tls.cert: stat", "$.trace.otlp.grpc.client_tls.key: stat"}},
		{name: "PSKEmptyKey", doc: `auth: {psk: {iss: [quay]}}`,
			want: []string{"$.auth.psk.key: key is empty"}},
		{name: "PSKBadBase64", doc: `auth: {psk: {key: "not base64!", iss: [quay]}}`,
			want: []string{"$.auth.psk.key: key is not valid base64"}},
		{name: "PSKUnpadded", doc: `auth: {psk: {key: "c2VjcmV0MQ", iss: [quay]}}`,
			want: []string{"$.auth.psk.key: key is not valid base64"}},
		{name: "PSKNoIssuers", doc: `auth: {psk: {key: c2VjcmV0, iss: []}}`,
			want: []string{"$.auth.psk.iss: no issuers defined"}},
		{name: "Keyserver", doc: `auth: {keyserver: {api: "https://quay/keys/"}}`,
			want: []string{"$.auth.keyserver: quay keyserver support has been removed"}},
		{name: "TraceURLPath", doc: `trace: {otlp: {http: {url_path: v1/traces}}}`,
			want: []string{`$.trace.otlp.http.url_path: path "v1/traces" must be absolute`}},
		{name: "MetricsURLPath", doc: `metrics: {otlp: {http: {url_path: "./metrics"}}}`,
			want: []string{`$.metrics.otlp.http.url_path: path "metrics" must be absolute`}},
		{name: "Several", mode: MatcherMode, doc: `{http_listen_addr: x, auth: {psk: {}}}`,
			want: []string{"$.http_listen_addr", "$.matcher.indexer_addr", "$.auth.psk.key", "$.auth.psk.iss"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := decodeYAML(t, tc.doc)
			_, err := Validate(c, tc.mode)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}

	t.Run("UnknownMode", func(t *testing.T) {
		if _, err := Validate(&Config{}, Mode(9)); err == nil || err.Error() != "unknown mode Mode(9)" {
			t.Errorf("got %v", err)
		}
	})
	t.Run("ModeGated", func(t *testing.T) {
		// The notifier block is not checked where the notifier does not run,
		// and combo mode ignores the peer addresses.
		c := decodeYAML(t, `notifier: {amqp: {}}`)
		for _, m := range []Mode{IndexerMode, MatcherMode} {
			c := *c
			if m == MatcherMode {
				c.Matcher.IndexerAddr = "http://indexer/"
			}
			if _, err := Validate(&c, m); err != nil {
				t.Errorf("%v: %v", m, err)
			}
		}
	})
}

func TestPSKSecret(t *testing.T) {
	c := decodeYAML(t, `{http_listen_addr: ":1", indexer: {connstring: "host=db"}, matcher: {connstring: "host=db"}, auth: {psk: {key: "c2VjcmV0", iss: [quay]}}}`)
	if got := c.Auth.PSK.Secret(); got != nil {
		t.Errorf("secret before Validate: %q", got)
	}
	if _, err := Validate(c, ComboMode); err != nil {
		t.Fatal(err)
	}
	if got := string(c.Auth.PSK.Secret()); got != "secret" {
		t.Errorf("secret = %q", got)
	}
}

// lintsOf validates doc in mode m, which must succeed, and returns the lints
// as strings.
func lintsOf(t *testing.T, m Mode, doc string) []string {
	t.Helper()
	c := decodeYAML(t, doc)
	lints, err := Validate(c, m)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(lints))
	for i, l := range lints {
		out[i] = l.String()
	}
	return out
}

// quiet is a combo config that should produce no lints at all.
const quiet = `
introspection_addr: ":8089"
indexer: {connstring: "host=db dbname=indexer", index_report_request_concurrency: 16}
matcher: {connstring: "postgres://db/matcher"}
`

func TestNoLints(t *testing.T) {
	if got := lintsOf(t, ComboMode, quiet); len(got) != 0 {
		t.Errorf("unexpected lints:\n%s", strings.Join(got, "\n"))
	}
}

func TestLints(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	caFile := touch(t, "ca.pem")
	tests := []struct {
		name string
		mode Mode
		doc  string
		want []string
	}{
		{name: "Introspection", doc: `introspection_addr: ""`,
			want: []string{`introspection address not provided; using ":8089" (at $.introspection_addr)`}},
		{name: "IntrospectionBad", doc: `introspection_addr: "8089"`,
			want: []string{"the introspection server will not start: address 8089: missing port in address (at $.introspection_addr)"}},
		{name: "AutoConcurrency", doc: `indexer: {connstring: "host=db"}`,
			want: []string{"automatically sizing number of concurrent requests to "}},
		{name: "ScanLockRetry", doc: `indexer: {connstring: "host=db", index_report_request_concurrency: 1, scanlock_retry: 11}`,
			want: []string{"large values will increase latency (at $.indexer.scanlock_retry)"}},
		{name: "LayerConcurrencySmall", doc: `indexer: {connstring: "host=db", index_report_request_concurrency: 1, layer_scan_concurrency: 2}`,
			want: []string{"small values will limit resource utilization and increase latency (at $.indexer.layer_scan_concurrency)"}},
		{name: "LayerConcurrencyLarge", doc: `indexer: {connstring: "host=db", index_report_request_concurrency: 1, layer_scan_concurrency: 33}`,
			want: []string{"large values may exceed resource quotas (at $.indexer.layer_scan_concurrency)"}},
		{name: "Period", doc: `matcher: {connstring: "host=db", period: 1h}`,
			want: []string{"updater period is very aggressive: most sources are updated daily (at $.matcher.period)"}},
		{name: "PeriodTooShort", doc: `matcher: {connstring: "host=db", period: 10s}`,
			want: []string{"10s is below the 1m0s minimum; using 6h0m0s (at $.matcher.period)"}},
		{name: "CacheAge", doc: `matcher: {connstring: "host=db", cache_age: 1h}`,
			want: []string{"expiry very low: may result in increased workload (at $.matcher.cache_age)"}},
		{name: "RetentionOff", doc: `matcher: {connstring: "host=db", update_retention: -1}`,
			want: []string{"update garbage collection is off (at $.matcher.update_retention)"}},
		{name: "MaxConnPool", doc: `matcher: {connstring: "host=db", max_conn_pool: 10}`,
			want: []string{"deprecated and ignored: set pool_max_conns in the connection string (at $.matcher.max_conn_pool)"}},
		{name: "BareIndexerAddr", mode: MatcherMode, doc: `matcher: {connstring: "host=db", indexer_addr: "clair-indexer:6060"}`,
			want: []string{`"clair-indexer:6060" is not a URL; using "http://clair-indexer:6060/" (Clair requires a URL with a scheme) (at $.matcher.indexer_addr)`}},
		{name: "BareHost", mode: MatcherMode, doc: `matcher: {connstring: "host=db", indexer_addr: "indexer-service"}`,
			want: []string{`using "http://indexer-service/"`}},
		{name: "DisableUpdaters", doc: `matcher: {connstring: "host=db", disable_updaters: true}
updaters: {sets: [alpine]}`,
			want: []string{"ignored because matcher.disable_updaters is set (at $.updaters.sets)"}},
		{name: "Filter", doc: `updaters: {filter: "^alpine"}`,
			want: []string{"ignored: choose updaters with updaters.sets (at $.updaters.filter)"}},
		{name: "ConnStringURL", doc: `indexer: {connstring: "mysql://db/x", index_report_request_concurrency: 1}`,
			want: []string{"connection string looks like a URL but its scheme is not postgres, postgresql or sqlite (at $.indexer.connstring)"}},
		{name: "ConnStringJunk", doc: `indexer: {connstring: "db", index_report_request_concurrency: 1}`,
			want: []string{"unable to make sense of connection string (at $.indexer.connstring)"}},
		{name: "TLSRootCA", doc: `tls: {cert: "` + caFile + `", key: "` + caFile + `", root_ca: "` + caFile + `"}`,
			want: []string{`deprecated and ignored here: add trusted CAs with the "SSL_CERT_FILE" or "SSL_CERT_DIR" environment variables (at $.tls.root_ca)`}},
		{name: "NoDelivery", doc: `notifier: {connstring: "host=db"}`,
			want: []string{"no delivery mechanism specified: the notifier will not run (at $.notifier)"}},
		{name: "Delivery", doc: `
notifier:
  connstring: "host=db"
  poll_interval: 1h
  delivery_interval: 5s
  disable_summary: true
  webhook: {target: "http://hook/", callback: "http://n/notifier/api/v1/notification", signed: true}
  amqp:
    exchange: {type: direct}
    routing_key: k
    uris: ["amqp://b/"]
    direct: true
    rollup: 1
    callback: "http://n/"
    tls: {}
  stomp: {uris: ["b:61613"], callback: "http://n/"}
`,
			want: []string{
				"multiple delivery mechanisms specified: only webhook is used (at $.notifier)",
				"interval is very fast: may result in increased workload (at $.notifier.poll_interval)",
				"5s is below the 1m0s minimum; using 1h0m0s (at $.notifier.delivery_interval)",
				"disabling notification summary significantly increases memory consumption (at $.notifier.disable_summary)",
				`URL should end in "/"; one was added (at $.notifier.webhook.callback)`,
				"deprecated and ignored: webhooks are signed whenever auth.psk is set (at $.notifier.webhook.signed)",
				"AMQP delivery is deprecated: deliver by webhook to a bridge instead (at $.notifier.amqp)",
				"rollup of 1 is the same as no rollup (at $.notifier.amqp.rollup)",
				"ignored in direct mode (at $.notifier.amqp.callback)",
				"STOMP delivery is deprecated: deliver by webhook to a bridge instead (at $.notifier.stomp)",
			}},
		{name: "BarePeers", mode: NotifierMode, doc: `notifier: {connstring: "host=db", indexer_addr: "indexer", matcher_addr: "matcher:6060", webhook: {target: "http://h/", callback: "http://n/"}}`,
			want: []string{
				`using "http://indexer/" (Clair requires a URL with a scheme) (at $.notifier.indexer_addr)`,
				`using "http://matcher:6060/" (Clair requires a URL with a scheme) (at $.notifier.matcher_addr)`,
			}},
		{name: "Trace", doc: `
trace:
  name: jaeger
  probability: 2
  jaeger: {agent: {endpoint: "j:6831"}}
  otlp:
    http: {url_path: "/v1/traces/", timeout: 0s}
    grpc: {}
`,
			want: []string{
				`trace provider "jaeger" is deprecated; migrate to "otlp" (at $.trace.name)`,
				`deprecated: migrate to "otlp" (at $.trace.jaeger)`,
				"2 is outside 0 to 1 (at $.trace.probability)",
				`both "http" and "grpc" are configured, which may submit everything twice (at $.trace.otlp)`,
				`path "/v1/traces/" ends in a slash, which is probably wrong (at $.trace.otlp.http.url_path)`,
				"timeout of 0s is almost certainly wrong (at $.trace.otlp.http.timeout)",
				"accepted but not acted on by this version of Loupe (at $.trace.jaeger)",
			}},
		{name: "TraceNames", doc: `trace: {name: zipkin}`,
			want: []string{`unrecognized trace provider "zipkin": nothing is traced (at $.trace.name)`}},
		{name: "Sentry", doc: `trace: {name: sentry}`,
			want: []string{`trace provider "sentry" exports nothing (at $.trace.name)`}},
		{name: "Metrics", doc: `metrics: {name: otlp, otlp: {http: {}, grpc: {}}}`,
			want: []string{
				`metrics via "otlp" are in beta (at $.metrics.name)`,
				`both "http" and "grpc" are configured, which may submit everything twice (at $.metrics.otlp)`,
				"accepted but not acted on by this version of Loupe (at $.metrics.otlp)",
			}},
		{name: "MetricsUnknown", doc: `metrics: {name: statsd}`,
			want: []string{`unrecognized metrics provider "statsd": no metrics are exported (at $.metrics.name)`}},
		{name: "PrometheusEndpoint", doc: `metrics: {prometheus: {endpoint: metrics}}`,
			want: []string{`"metrics" is not an absolute URL path (at $.metrics.prometheus.endpoint)`}},
		{name: "IntegerDuration", doc: `matcher: {connstring: "host=db", period: 43200000000000}`,
			want: []string{`integer 43200000000000 read as nanoseconds (12h0m0s); Clair 4.7 and later only accept strings such as "6h" (at $.matcher.period)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := lintsOf(t, tc.mode, tc.doc)
			for _, w := range tc.want {
				if !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, w) }) {
					t.Errorf("missing lint %q; got:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}
