package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzDecode feeds arbitrary YAML or JSON to Decode. Decoding must never
// panic, and whatever decodes must encode to JSON that decodes to an equal
// Config. Validate must not panic on it either.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{
		"clair/config.yaml",
		"clair/config.json",
		"dropin/config.yaml",
		"unknown/config.yaml",
		"unknown-dropin/config.json",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, filepath.Ext(name) == ".yaml")
	}
	for _, s := range []string{
		``,
		`{}`,
		`{"updaters": {"sets": []}, "matchers": {"names": null}}`,
		`{"matcher": {"period": 60000000000, "cache_age": "-1h"}}`,
		`{"notifier": {"webhook": {"headers": {"A": [], "B": null}}}}`,
		`{"trace": {"probability": -0, "otlp": {"grpc": {"compression": 2}}}}`,
		`{"Log_Level": "WARN", "log_level": "error"}`,
		`{"indexer": {"scanner": {"package": {"a": {"x": "<&>"}}}}}`,
	} {
		f.Add([]byte(s), false)
	}
	for _, s := range []string{
		"a: &x {b: 1}\nc: *x\n",
		"updaters:\n  config:\n    x: {when: 2024-01-01, n: 0x10}\n",
		"matcher:\n  period: 1h\n  <<: {cache_age: 2h}\n",
	} {
		f.Add([]byte(s), true)
	}

	modes := []Mode{ComboMode, IndexerMode, MatcherMode, NotifierMode}
	f.Fuzz(func(t *testing.T, data []byte, asYAML bool) {
		format := "json"
		if asYAML {
			format = "yaml"
		}
		c, err := Decode("fuzz", bytes.NewReader(data), format)
		if err != nil {
			return
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("encoding a decoded config: %v", err)
		}
		again, err := Decode("re-encoded", bytes.NewReader(b), "json")
		if err != nil {
			t.Fatalf("decoding a re-encoded config: %v\n%s", err, b)
		}
		// Empty and nil maps and slices encode alike, except for the two lists
		// where nil means "defaults"; those are compared separately.
		if d := cmp.Diff(c, again, ignoreUnexported, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("round trip (-first +second):\n%s\n%s", d, b)
		}
		if (c.Updaters.Sets == nil) != (again.Updaters.Sets == nil) || (c.Matchers.Names == nil) != (again.Matchers.Names == nil) {
			t.Fatalf("round trip lost the nil/empty distinction:\n%s", b)
		}
		for _, m := range modes {
			c, _ := Decode("re-encoded", bytes.NewReader(b), "json")
			Validate(c, m)
		}
	})
}
