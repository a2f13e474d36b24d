package config

import (
	"encoding/json"
	"reflect"
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
	"$.indexer.scanner",
	"$.indexer.scanlock_retry",
	"$.matchers.config",
}

const unsupportedMessage = "accepted but not acted on by this version of Loupe"

func lintUnsupported(c *Config, m Mode, r *report) {
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
