package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// This file checks generic JSON (the output of json.Decoder with UseNumber)
// against the Config type before it is decoded, so that an unknown key or a
// type mismatch is reported with its full path. It follows encoding/json's
// rules: keys match json tags exactly or, failing that, case-insensitively;
// null is allowed anywhere and leaves the field alone; types with an
// UnmarshalJSON method are tried on the value.

// jsonPath is a position in a JSON document: string elements are object keys,
// int elements are array indexes.
type jsonPath []any

func (p jsonPath) key(k string) jsonPath { return append(slices.Clip(p), k) }
func (p jsonPath) index(i int) jsonPath  { return append(slices.Clip(p), i) }

// String renders the path as "$.a.b[0]", quoting keys that are not plain
// words: $.updaters.config["clair.cvss"].
func (p jsonPath) String() string {
	var b strings.Builder
	b.WriteByte('$')
	for _, e := range p {
		switch e := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", e)
		case string:
			if isWord(e) {
				b.WriteByte('.')
				b.WriteString(e)
			} else {
				fmt.Fprintf(&b, "[%q]", e)
			}
		}
	}
	return b.String()
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != '_' && r != '-' && (r < '0' || r > '9') && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// problem is one strict-decoding failure.
type problem struct {
	path jsonPath
	msg  string
}

// checker accumulates problems and load-time lints.
type checker struct {
	problems []problem
	notes    []Lint
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	durationType    = reflect.TypeFor[Duration]()
)

// check compares the generic value v at path p against type t.
func (c *checker) check(p jsonPath, t reflect.Type, v any) {
	if v == nil {
		return
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		b, err := json.Marshal(v)
		if err == nil {
			err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(b)
		}
		if err != nil {
			c.fail(p, "%v", err)
			return
		}
		if n, ok := v.(json.Number); ok && t == durationType {
			d, _ := strconv.ParseInt(string(n), 10, 64)
			c.notes = append(c.notes, Lint{Path: p.String(),
				Message: fmt.Sprintf(`integer %s read as nanoseconds (%v); Clair 4.7 and later only accept strings such as "6h"`, n, Duration(d))})
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		c.check(p, t.Elem(), v)
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			c.mismatch(p, "object", v)
			return
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(obj) {
			f, folded, ok := lookupField(fields, k)
			if !ok {
				c.unknown(p.key(k), fields)
				continue
			}
			if folded {
				c.notes = append(c.notes, Lint{Path: p.key(k).String(),
					Message: fmt.Sprintf("key matched %q ignoring case; write it in lower case", f.name)})
			}
			c.check(p.key(k), f.typ, obj[k])
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			c.mismatch(p, "object", v)
			return
		}
		for _, k := range sortedKeys(obj) {
			c.check(p.key(k), t.Elem(), obj[k])
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			c.mismatch(p, "array", v)
			return
		}
		for i, e := range arr {
			c.check(p.index(i), t.Elem(), e)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			c.mismatch(p, "string", v)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			c.mismatch(p, "boolean", v)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			c.mismatch(p, "integer", v)
			return
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			c.fail(p, "expected integer, got %s", n)
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			c.mismatch(p, "number", v)
			return
		}
		if _, err := strconv.ParseFloat(string(n), t.Bits()); err != nil {
			c.fail(p, "number %s out of range", n)
		}
	case reflect.Interface:
		// Anything goes.
	default:
		panic("config: strict decoding does not handle " + t.String())
	}
}

func (c *checker) fail(p jsonPath, format string, args ...any) {
	c.problems = append(c.problems, problem{path: p, msg: fmt.Sprintf(format, args...)})
}

func (c *checker) mismatch(p jsonPath, want string, v any) {
	c.fail(p, "expected %s, got %s", want, kindOf(v))
}

func (c *checker) unknown(p jsonPath, fields []field) {
	k := p[len(p)-1].(string)
	msg := "unknown key"
	best := 3 // suggest only names at most two edits away
	if len(k) > 64 {
		fields = nil
	}
	for _, f := range fields {
		if d := editDistance(strings.ToLower(k), f.name); d < best {
			best = d
			msg = fmt.Sprintf("unknown key (did you mean %q?)", f.name)
		}
	}
	c.fail(p, "%s", msg)
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// field is a JSON-visible struct field.
type field struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the fields encoding/json would decode into, flattening
// untagged embedded structs.
func jsonFields(t reflect.Type) []field {
	var fs []field
	for sf := range t.Fields() {
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			fs = append(fs, jsonFields(sf.Type)...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fs = append(fs, field{name: name, typ: sf.Type})
	}
	return fs
}

// lookupField finds the field for key k: an exact match first, then a
// case-insensitive one, as encoding/json does.
func lookupField(fs []field, k string) (f field, folded, ok bool) {
	for _, f := range fs {
		if f.name == k {
			return f, false, true
		}
	}
	for _, f := range fs {
		if strings.EqualFold(f.name, k) {
			return f, true, true
		}
	}
	return field{}, false, false
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
