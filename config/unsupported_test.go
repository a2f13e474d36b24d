package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnsupported(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	cert := touch(t, "tls.pem")
	tests := []struct {
		name string
		mode Mode
		doc  string
		want []string // paths reported as not acted on
	}{
		{name: "Nothing", doc: `{}`},
		{name: "ZeroValues", doc: `{indexer: {airgap: false, scanlock_retry: 0}, matchers: {config: {}}, trace: {}, notifier: {}}`},
		{
			name: "All",
			doc: `
notifier: {poll_interval: 6h}
trace: {name: otlp, otlp: {http: {}}, jaeger: {service_name: loupe}, sentry: {dsn: "https://k@sentry/1"}}
metrics: {otlp: {grpc: {}}}
indexer: {airgap: true, scanner: {package: {java: {}, rpm: {enable: true}}, repo: {rhel-repository-scanner: {repo2cpe_mapping_file: /m.json, timeout: 10s}}}, scanlock_retry: 5}
matchers: {config: {rhel: {ignore_unpatched: true}}}
`,
			want: []string{"$.indexer.airgap", "$.indexer.scanlock_retry", "$.indexer.scanner.package.rpm.enable", "$.indexer.scanner.repo.rhel-repository-scanner.timeout", "$.matchers.config", "$.metrics.otlp", "$.trace.jaeger", "$.trace.sentry"},
		},
		{
			name: "MatcherModeSkipsIndexerAndNotifier",
			mode: MatcherMode,
			doc: `
matcher: {indexer_addr: "http://indexer/"}
notifier: {poll_interval: 6h}
indexer: {airgap: true}
matchers: {config: {rhel: {}}}
`,
			want: []string{"$.matchers.config"},
		},
		{
			name: "Implemented",
			doc:  `{auth: {psk: {key: c2VjcmV0, iss: [quay]}}, tls: {cert: "` + cert + `", key: "` + cert + `"}}`,
		},
		{
			name: "Tracing",
			doc:  `{trace: {name: otlp, probability: 0.5, otlp: {grpc: {endpoint: "collector:4317", insecure: true}}}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := decodeYAML(t, tc.doc)
			lints, err := Validate(c, tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range lints {
				if l.Message == unsupportedMessage {
					got = append(got, l.Path)
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestUnsupportedTable(t *testing.T) {
	// Every entry must name a real key, or it silently never fires.
	for _, p := range unsupported {
		doc := "null"
		keys := strings.Split(strings.TrimPrefix(p, "$."), ".")
		for i := len(keys) - 1; i >= 0; i-- {
			doc = `{"` + keys[i] + `": ` + doc + `}`
		}
		if _, err := Decode(p, strings.NewReader(doc), "json"); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
