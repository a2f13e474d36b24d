package config

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignoreUnexported skips the load notes and the decoded PSK secret.
var ignoreUnexported = cmpopts.IgnoreUnexported(Config{}, PSK{})

func ptr[T any](v T) *T { return &v }

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// wantClair is testdata/clair/config.{yaml,json} as decoded, before Validate.
func wantClair() *Config {
	return &Config{
		HTTPListenAddr:    ":6060",
		IntrospectionAddr: ":8089",
		LogLevel:          LogDebug,
		TLS:               &TLS{Cert: "/etc/clair/tls/tls.crt", Key: "/etc/clair/tls/tls.key"},
		Indexer: Indexer{
			ConnString:                    "host=clair-db port=5432 dbname=clair user=clair sslmode=disable pool_max_conns=20",
			ScanLockRetry:                 10,
			LayerScanConcurrency:          5,
			IndexReportRequestConcurrency: -1,
			Migrations:                    true,
			Scanner: ScannerConfig{
				Package: map[string]json.RawMessage{
					"rhel_containerscanner": raw(`{"name2repos_mapping_url":"https://access.redhat.com/security/data/metrics/container-name-repos-map.json"}`),
				},
				Repo: map[string]json.RawMessage{
					"rhel-repository-scanner": raw(`{"repo2cpe_mapping_url":"https://access.redhat.com/security/data/metrics/repository-to-cpe.json"}`),
				},
			},
		},
		Matcher: Matcher{
			ConnString:        "postgresql://clair:secret@clair-db:5432/clair?sslmode=disable",
			IndexerAddr:       "http://clair-indexer:6060/",
			Period:            Duration(12 * time.Hour),
			UpdateRetention:   2,
			CacheAge:          Duration(6 * time.Hour),
			MaxConnPool:       100,
			Migrations:        true,
			DisableEnrichment: true,
		},
		Matchers: Matchers{
			Names:  []string{"alpine-matcher", "debian-matcher", "rhel", "ubuntu-matcher"},
			Config: map[string]json.RawMessage{"rhel": raw(`{"ignore_unpatched":true}`)},
		},
		Updaters: Updaters{
			Sets: []string{"alpine", "debian", "rhel-vex", "ubuntu", "clair.cvss"},
			Config: map[string]json.RawMessage{
				"clair.cvss": raw(`{"feed_root":"https://nvd.example.com/feeds/"}`),
				"osv":        raw(`{"allowlist":["pypi","go"]}`),
			},
			Filter: ".*",
		},
		Notifier: Notifier{
			ConnString:       "host=clair-db dbname=clair user=clair",
			Migrations:       true,
			IndexerAddr:      "http://clair-indexer:6060/",
			MatcherAddr:      "http://clair-matcher:6060/",
			PollInterval:     Duration(6 * time.Hour),
			DeliveryInterval: Duration(90 * time.Minute),
			Webhook: &Webhook{
				Target:   "https://quay.example.com/secscan/notification",
				Callback: "http://clair-notifier:6060/notifier/api/v1/notification",
				Headers:  http.Header{"X-Custom": {"one", "two"}},
				Signed:   true,
			},
			AMQP: &AMQP{
				Exchange:   Exchange{Name: "clair", Type: "direct", Durable: true},
				RoutingKey: "notifications",
				URIs:       []string{"amqp://guest:guest@rabbitmq:5672/"},
				Callback:   "http://clair-notifier:6060/notifier/api/v1/notification/",
				Rollup:     5,
				TLS:        &TLS{Cert: "/etc/clair/amqp/client.crt", Key: "/etc/clair/amqp/client.key"},
			},
			STOMP: &STOMP{
				Destination: "/queue/clair",
				URIs:        []string{"activemq:61613"},
				Callback:    "http://clair-notifier:6060/notifier/api/v1/notification/",
				Direct:      true,
				Rollup:      2,
				Login:       &STOMPLogin{Login: "clair", Passcode: "hunter2"},
			},
		},
		Auth: Auth{PSK: &PSK{Key: "c2VjcmV0LWtleS1mb3ItdGVzdHM=", Issuers: []string{"quay", "clairctl"}}},
		Trace: Trace{
			Name:        "otlp",
			Probability: ptr(0.25),
			Jaeger: Jaeger{
				Agent: JaegerAgent{Endpoint: "jaeger:6831"},
				Collector: JaegerCollector{
					Endpoint: "http://jaeger:14268/api/traces",
					Username: ptr("jaeger"),
					Password: ptr("s3cret"),
				},
				ServiceName: "clair",
				Tags:        map[string]string{"env": "prod"},
				BufferMax:   1000,
			},
			OTLP: OTLP{HTTP: &OTLPHTTP{
				Endpoint:    "otel-collector:4318",
				URLPath:     "/v1/traces",
				Compression: CompressionGzip,
				Headers:     map[string]string{"Authorization": "Bearer abc"},
				Insecure:    true,
				Timeout:     ptr(Duration(15 * time.Second)),
				ClientTLS:   &TLS{Cert: "/etc/clair/otel/client.crt", Key: "/etc/clair/otel/client.key"},
			}},
			Sentry: Sentry{DSN: "https://key@sentry.example.com/1", Environment: "production"},
		},
		Metrics: Metrics{
			Name:       "prometheus",
			Prometheus: Prometheus{Endpoint: ptr("/metrics")},
			OTLP: OTLP{GRPC: &OTLPGRPC{
				Endpoint:      "otel-collector:4317",
				Reconnect:     ptr(Duration(30 * time.Second)),
				ServiceConfig: `{"loadBalancingConfig":[{"round_robin":{}}]}`,
				Compression:   CompressionNone,
				Timeout:       ptr(Duration(5 * time.Second)),
			}},
		},
		DataDir: "/var/lib/loupe",
	}
}

func TestLoadClair(t *testing.T) {
	for _, name := range []string{"config.yaml", "config.json"} {
		t.Run(name, func(t *testing.T) {
			got, err := Load(filepath.Join("testdata", "clair", name))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(wantClair(), got, ignoreUnexported); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}

			// What Load returns encodes to JSON that decodes to the same thing.
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Decode("re-encoded", strings.NewReader(string(b)), "json")
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if d := cmp.Diff(got, again, ignoreUnexported); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
		})
	}
}

func TestLoadDropIns(t *testing.T) {
	got, err := Load(filepath.Join("testdata", "dropin", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		HTTPListenAddr: ":6060",
		Indexer:        Indexer{ConnString: "host=db dbname=indexer"},
		Matcher: Matcher{
			ConnString:  "host=db dbname=matcher password=hunter2",
			IndexerAddr: "http://indexer:6060/",
		},
		Matchers: Matchers{Names: []string{"rhel"}},
		Updaters: Updaters{Sets: []string{"alpine", "debian", "osv"}},
		Auth:     Auth{PSK: &PSK{Key: "c2VjcmV0", Issuers: []string{"quay"}}},
	}
	if d := cmp.Diff(want, got, ignoreUnexported); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string // written under a temp dir; the first key sorted is loaded unless load is set
		load  string
		want  []string // substrings of the error
	}{
		{
			name:  "UnknownExtension",
			files: map[string]string{"config.toml": "x = 1"},
			want:  []string{`unknown config kind ".toml"`},
		},
		{
			name:  "Missing",
			files: map[string]string{"other.yaml": ""},
			load:  "config.yaml",
			want:  []string{"no such file"},
		},
		{
			name:  "JSONNotObject",
			files: map[string]string{"config.json": `["a"]`},
			want:  []string{"config.json", "not a JSON object (got array)"},
		},
		{
			name:  "JSONEmpty",
			files: map[string]string{"config.json": ``},
			want:  []string{"empty JSON document"},
		},
		{
			name:  "JSONTrailing",
			files: map[string]string{"config.json": `{} {}`},
			want:  []string{"data after the top-level value"},
		},
		{
			name:  "YAMLNotObject",
			files: map[string]string{"config.yaml": "- a\n- b\n"},
			want:  []string{"not a JSON object (got array)"},
		},
		{
			name:  "YAMLMalformed",
			files: map[string]string{"config.yaml": "a: b: c\n"},
			want:  []string{"config.yaml", "malformed YAML: "},
		},
		{
			name:  "YAMLNonStringKey",
			files: map[string]string{"config.yaml": "updaters:\n  config:\n    1: x\n"},
			want:  []string{"$.updaters.config: mapping key 1 is not a string"},
		},
		{
			name:  "YAMLInfinity",
			files: map[string]string{"config.yaml": "trace:\n  probability: .inf\n"},
			want:  []string{"$.trace.probability: +Inf is not a JSON number"},
		},
		{
			name: "MergeNotObject",
			files: map[string]string{
				"config.yaml":          "{}",
				"config.yaml.d/a.yaml": "- 1\n",
			},
			want: []string{`drop-in "`, "a.yaml", "merge drop-in is not a JSON object"},
		},
		{
			name: "PatchNotArray",
			files: map[string]string{
				"config.json":                "{}",
				"config.json.d/a.json-patch": `{"op": "add"}`,
				"config.json.d/b.yaml-patch": "not: read",
			},
			want: []string{"a.json-patch", "JSON patch is not an array (got object)"},
		},
		{
			name: "PatchEmpty",
			files: map[string]string{
				"config.yaml":                "{}",
				"config.yaml.d/a.yaml-patch": "",
			},
			want: []string{"JSON patch is not an array (got null)"},
		},
		{
			name: "PatchBadPath",
			files: map[string]string{
				"config.json":                `{}`,
				"config.json.d/a.json-patch": `[{"op": "replace", "path": "/indexer/connstring", "value": "x"}]`,
			},
			want: []string{"applying JSON patch"},
		},
		{
			name: "PatchReplacesRoot",
			files: map[string]string{
				"config.json":                `{}`,
				"config.json.d/a.json-patch": `[{"op": "replace", "path": "", "value": [5]}]`,
			},
			want: []string{"expected object after drop-ins"},
		},
		{
			name:  "TypeMismatches",
			files: map[string]string{"config.yaml": "http_listen_addr: 6060\nindexer:\n  migrations: yes please\n  layer_scan_concurrency: 1.5\nmatcher: []\nupdaters:\n  sets: alpine\n"},
			want: []string{
				"$.http_listen_addr: expected string, got number",
				"$.indexer.migrations: expected boolean, got string",
				"$.indexer.layer_scan_concurrency: expected integer, got 1.5",
				"$.matcher: expected object, got array",
				"$.updaters.sets: expected array, got string",
			},
		},
		{
			name:  "IntegerOverflow",
			files: map[string]string{"config.json": `{"indexer": {"scanlock_retry": 99999999999999999999}}`},
			want:  []string{"$.indexer.scanlock_retry: expected integer, got 99999999999999999999"},
		},
		{
			name:  "ModeIsNotAKey",
			files: map[string]string{"config.yaml": "mode: combo\n"},
			want:  []string{"$.mode: unknown key"},
		},
		{
			name:  "OldStompLogin",
			files: map[string]string{"config.yaml": "notifier:\n  stomp:\n    login: {login: a}\n"},
			want:  []string{"$.notifier.stomp.login: unknown key"},
		},
		{
			name:  "OldUpdaterSets",
			files: map[string]string{"config.yaml": "updaters:\n  updater_sets: [a]\n"},
			want:  []string{"$.updaters.updater_sets: unknown key"},
		},
		{
			name:  "QuotedPath",
			files: map[string]string{"config.json": `{"notifier": {"webhook": {"headers": {"X.Y": "v"}}}}`},
			want:  []string{`$.notifier.webhook.headers["X.Y"]: expected array, got string`},
		},
		{
			name:  "ArrayElement",
			files: map[string]string{"config.json": `{"auth": {"psk": {"iss": ["quay", 7]}}}`},
			want:  []string{`$.auth.psk.iss[1]: expected string, got number`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			load := tc.load
			for name, body := range tc.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				if load == "" && !strings.Contains(name, "/") {
					load = name
				}
			}
			_, err := Load(filepath.Join(dir, load))
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
}

func TestUnknownKey(t *testing.T) {
	t.Run("Root", func(t *testing.T) {
		path := filepath.Join("testdata", "unknown", "config.yaml")
		_, err := Load(path)
		want := `config "` + path + `": $.matcher.perod: unknown key (did you mean "period"?)`
		if err == nil || err.Error() != want {
			t.Errorf("got error %v, want %s", err, want)
		}
	})
	t.Run("DropIns", func(t *testing.T) {
		root := filepath.Join("testdata", "unknown-dropin", "config.json")
		_, err := Load(root)
		want := strings.Join([]string{
			`config "` + root + `" (drop-in "` + root + `.d/20-indexer.json-patch"): $.indexer.scanlock: unknown key`,
			`config "` + root + `" (drop-in "` + root + `.d/10-delivery.json"): $.notifier.webhok: unknown key (did you mean "webhook"?)`,
		}, "\n")
		if err == nil || err.Error() != want {
			t.Errorf("got error:\n%v\nwant:\n%s", err, want)
		}
	})
	t.Run("InsideLists", func(t *testing.T) {
		dir := t.TempDir()
		root := filepath.Join(dir, "config.yaml")
		files := map[string]string{
			root:                                 "updaters: {sets: [alpine]}\nauth: {psk: {iss: [quay]}}\n",
			root + ".d/10-sets.yaml":             "updaters: {sets: [alpine, 7]}\n",
			root + ".d/20-append.yaml-patch":     "- {op: add, path: /updaters/sets/-, value: false}\n",
			root + ".d/30-unrelated.yaml-patch":  "- {op: add, path: /log_level, value: warn}\n",
			root + ".d/40-replace-auth.yaml":     "auth: {psk: {iss: [[nested]]}}\n",
			root + ".d/50-delete-elsewhere.yaml": "auth: {keyserver: null}\n",
			root + ".d/60-test-only.yaml-patch":  "- {op: test, path: /updaters/sets/1, value: 7}\n",
		}
		for name, body := range files {
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := Load(root)
		want := strings.Join([]string{
			`config "` + root + `" (drop-in "` + root + `.d/40-replace-auth.yaml"): $.auth.psk.iss[0]: expected string, got array`,
			`config "` + root + `" (drop-in "` + root + `.d/10-sets.yaml"): $.updaters.sets[1]: expected string, got number`,
			`config "` + root + `" (drop-in "` + root + `.d/20-append.yaml-patch"): $.updaters.sets[2]: expected string, got boolean`,
		}, "\n")
		if err == nil || err.Error() != want {
			t.Errorf("got error:\n%v\nwant:\n%s", err, want)
		}
	})
	t.Run("FreeFormBlocksAreNotChecked", func(t *testing.T) {
		const doc = `
updaters:
  config:
    anything: {goes: [here]}
matchers:
  config:
    rhel: {ignore_unpatched: true, unknown: 1}
indexer:
  scanner:
    package:
      java: {api: "https://search.maven.org/solrsearch/select", extra: null}
`
		if _, err := Decode("doc", strings.NewReader(doc), "yaml"); err != nil {
			t.Error(err)
		}
	})
	t.Run("CaseFolded", func(t *testing.T) {
		c, err := Decode("doc", strings.NewReader(`{"Matcher": {"PERIOD": "1h"}}`), "json")
		if err != nil {
			t.Fatal(err)
		}
		if c.Matcher.Period != Duration(time.Hour) {
			t.Errorf("period = %v", c.Matcher.Period)
		}
		want := []Lint{
			{Path: "$.Matcher", Message: `key matched "matcher" ignoring case; write it in lower case`},
			{Path: "$.Matcher.PERIOD", Message: `key matched "period" ignoring case; write it in lower case`},
		}
		if d := cmp.Diff(want, c.notes); d != "" {
			t.Errorf("notes (-want +got):\n%s", d)
		}
	})
}

func TestDropInTestOp(t *testing.T) {
	root := filepath.Join("testdata", "dropin-testfail", "config.json")
	_, err := Load(root)
	if err == nil {
		t.Fatal("a failing test op did not stop the load")
	}
	for _, w := range []string{root, "10-guard.json-patch", "applying JSON patch", "/indexer/connstring"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestLoadYML(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "clair.yml")
	if err := os.WriteFile(p, []byte("http_listen_addr: ':7000'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(p+".d", 0o755); err != nil {
		t.Fatal(err)
	}
	// Drop-ins follow the root's own extension.
	if err := os.WriteFile(filepath.Join(p+".d", "a.yml"), []byte("log_level: warn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p+".d", "b.yaml"), []byte("log_level: error\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPListenAddr != ":7000" || c.LogLevel != LogWarn {
		t.Errorf("got %+v", c)
	}
	if len(c.notes) != 1 || c.notes[0].Path != "$" || !strings.Contains(c.notes[0].Message, ".yml") {
		t.Errorf("notes = %v", c.notes)
	}
}

func TestEmptyYAML(t *testing.T) {
	for _, doc := range []string{"", "# only a comment\n", "---\n"} {
		c, err := Decode("empty", strings.NewReader(doc), "yaml")
		if err != nil {
			t.Errorf("%q: %v", doc, err)
			continue
		}
		if d := cmp.Diff(&Config{}, c, ignoreUnexported); d != "" {
			t.Errorf("%q (-want +got):\n%s", doc, d)
		}
	}
}

func TestDecodeFormat(t *testing.T) {
	for _, f := range []string{"yaml", "YML", ".json"} {
		if _, err := Decode("x", strings.NewReader("{}"), f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := Decode("x", strings.NewReader("{}"), "toml"); err == nil {
		t.Error("toml: no error")
	}
}

func TestLogLevel(t *testing.T) {
	tests := []struct {
		doc  string
		want LogLevel
		err  string
	}{
		{doc: `{}`, want: LogInfo},
		{doc: `{"log_level": null}`, want: LogInfo},
		{doc: `{"log_level": "WARN"}`, want: LogWarn},
		{doc: `{"log_level": "debug-color"}`, want: LogDebugColor},
		{doc: `{"log_level": ""}`, err: `$.log_level: unknown log level ""`},
		{doc: `{"log_level": "verbose"}`, err: `$.log_level: unknown log level "verbose"`},
		{doc: `{"log_level": 3}`, err: `$.log_level: log level must be a string`},
	}
	for _, tc := range tests {
		c, err := Decode("doc", strings.NewReader(tc.doc), "json")
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got error %v, want %q", tc.doc, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.doc, err)
		case c.LogLevel != tc.want:
			t.Errorf("%s: got %v, want %v", tc.doc, c.LogLevel, tc.want)
		}
	}
}

func TestCompression(t *testing.T) {
	tests := []struct {
		doc  string
		want Compression
		err  bool
	}{
		{doc: `"gzip"`, want: CompressionGzip},
		{doc: `"NONE"`, want: CompressionNone},
		{doc: `""`, want: CompressionDefault},
		{doc: `2`, want: CompressionGzip},
		{doc: `0`, want: CompressionDefault},
		{doc: `"zstd"`, err: true},
		{doc: `3`, err: true},
		{doc: `true`, err: true},
	}
	for _, tc := range tests {
		doc := `{"trace": {"otlp": {"http": {"compression": ` + tc.doc + `}}}}`
		c, err := Decode("doc", strings.NewReader(doc), "json")
		if tc.err {
			if err == nil || !strings.Contains(err.Error(), "$.trace.otlp.http.compression: ") {
				t.Errorf("%s: got error %v", tc.doc, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.doc, err)
			continue
		}
		if got := c.Trace.OTLP.HTTP.Compression; got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.doc, got, tc.want)
		}
	}
}
