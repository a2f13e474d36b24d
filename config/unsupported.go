package config

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// unsupported lists the keys that Loupe accepts, so that Clair configs load,
// but does not act on yet. Validate reports each one that is set to a
// non-zero value, and only in modes that would use it (the first path element
// decides: indexer in combo and indexer modes, matcher, matchers and updaters
// in combo and matcher modes, notifier in combo and notifier modes, anything
// else in every mode).
//
// Delete an entry in the change that makes Loupe honour the key. Paths are
// "$." followed by dot-separated keys.
var unsupported = []string{
	"$.trace.jaeger", // no Jaeger exporter: OTLP only (Jaeger takes OTLP)
	"$.trace.sentry", // no Sentry exporter, in Clair either
	"$.metrics.otlp", // Prometheus metrics only, for now
	"$.indexer.airgap",
	"$.indexer.scanlock_retry",
	"$.matchers.config",
}

const unsupportedMessage = "accepted but not acted on by this version of Loupe"

// honouredScannerKeys are the indexer.scanner settings Loupe reads, by
// "<kind>.<scanner name>"; every other one is reported as not acted on.
var honouredScannerKeys = map[string][]string{
	// Red Hat's repository-to-CPE mapping, which the rhel matcher reads.
	"repo.rhel-repository-scanner": {"repo2cpe_mapping_url", "repo2cpe_mapping_file"},
}

// lintScanners reports every indexer.scanner setting Loupe does not read.
func lintScanners(c *Config, m Mode, r *report) {
	if !sectionUsed("indexer", m) {
		return
	}
	for _, kind := range []struct {
		name string
		m    map[string]json.RawMessage
	}{{"package", c.Indexer.Scanner.Package}, {"dist", c.Indexer.Scanner.Dist}, {"repo", c.Indexer.Scanner.Repo}} {
		names := make([]string, 0, len(kind.m))
		for name := range kind.m {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			base := "$.indexer.scanner." + kind.name + "." + name
			var settings map[string]any
			if err := json.Unmarshal(kind.m[name], &settings); err != nil {
				r.warn(base, unsupportedMessage) // not an object: nothing Loupe reads
				continue
			}
			keys := make([]string, 0, len(settings))
			for k, v := range settings {
				if !isZero(v) && !slices.Contains(honouredScannerKeys[kind.name+"."+name], k) {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				r.warn(base+"."+k, unsupportedMessage)
			}
		}
	}
}

func lintUnsupported(c *Config, m Mode, r *report) {
	lintScanners(c, m, r)
	b, err := json.Marshal(c)
	if err != nil {
		return // only an invalid LogLevel does this, and validation reports it
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return
	}
	for _, p := range unsupported {
		keys := strings.Split(strings.TrimPrefix(p, "$."), ".")
		if !sectionUsed(keys[0], m) {
			continue
		}
		v := doc
		for _, k := range keys {
			obj, _ := v.(map[string]any)
			v = obj[k]
		}
		if !isZero(v) {
			r.warn(p, unsupportedMessage)
		}
	}
}

func sectionUsed(key string, m Mode) bool {
	switch key {
	case "indexer":
		return m.runsIndexer()
	case "matcher", "matchers", "updaters":
		return m.runsMatcher()
	case "notifier":
		return m.runsNotifier()
	}
	return true
}

// isZero reports whether v is its type's zero value. For generic JSON that
// means null, false, 0, "" or an empty object or array.
func isZero(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map, reflect.Slice:
		return rv.Len() == 0
	}
	return rv.IsZero()
}
