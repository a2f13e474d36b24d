package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"go.yaml.in/yaml/v3"
)

// Load reads the configuration file at path, applies its drop-ins and decodes
// the result strictly. See the package documentation for the pipeline.
//
// Errors name the root file, the drop-in a bad value came from when that
// can be told, and the JSON path of every unknown key or mistyped value.
func Load(path string) (*Config, error) {
	path = filepath.Clean(path)
	ext := filepath.Ext(path)
	format := formatOf(ext)
	if format == "" {
		return nil, fmt.Errorf("config %q: unknown config kind %q (want .yaml, .yml or .json)", path, ext)
	}
	l := &loader{root: path}
	if ext == ".yml" {
		l.notes = append(l.notes, Lint{Path: "$",
			Message: fmt.Sprintf("file name %q ends in .yml, which Clair refuses; use .yaml to stay compatible", filepath.Base(path))})
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := l.addRoot(b, format); err != nil {
		return nil, err
	}
	if err := l.dropIns(path+".d", ext, format); err != nil {
		return nil, err
	}
	return l.decode()
}

// Decode reads one configuration document in the given format ("yaml",
// "yml" or "json") from r and decodes it strictly, as Load does but without
// drop-ins. The name is used only in error messages.
func Decode(name string, r io.Reader, format string) (*Config, error) {
	format = formatOf("." + strings.ToLower(strings.TrimPrefix(format, ".")))
	if format == "" {
		return nil, fmt.Errorf("config %q: unknown format (want yaml or json)", name)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("config %q: %w", name, err)
	}
	l := &loader{root: name}
	if err := l.addRoot(b, format); err != nil {
		return nil, err
	}
	return l.decode()
}

func formatOf(ext string) string {
	switch ext {
	case ".yaml", ".yml":
		return "yaml"
	case ".json":
		return "json"
	}
	return ""
}

// loader carries one load through the pipeline.
type loader struct {
	root    string
	sources []source // root first, then drop-ins in the order applied
	doc     []byte   // merged document so far
	notes   []Lint
}

// source is one file that contributed to the document, kept to tell which
// file an offending key came from.
type source struct {
	name  string
	patch bool // an RFC 6902 patch; otherwise the root or a merge patch
	doc   any
}

func (l *loader) addRoot(b []byte, format string) error {
	v, err := parse(b, format)
	if err != nil {
		return l.errorf(l.root, err)
	}
	if v == nil && format == "yaml" { // empty YAML document
		v = map[string]any{}
	}
	if _, ok := v.(map[string]any); !ok {
		return l.errorf(l.root, fmt.Errorf("not a JSON object (got %s)", kindOf(v)))
	}
	l.sources = append(l.sources, source{name: l.root, doc: v})
	l.doc, err = json.Marshal(v)
	return err
}

// dropIns applies the files in dir in lexical order: same-extension files as
// RFC 7386 merge patches, ext+"-patch" files as RFC 6902 patches. Other files
// and subdirectories are skipped; a missing dir is fine.
func (l *loader) dropIns(dir, ext, format string) error {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil
	}
	ents, err := os.ReadDir(dir) // sorted by file name
	if err != nil {
		return fmt.Errorf("config %q: reading drop-ins: %w", l.root, err)
	}
	for _, e := range ents {
		name := filepath.Join(dir, e.Name())
		var isPatch bool
		switch {
		case e.IsDir():
			continue
		case filepath.Ext(name) == ext:
		case filepath.Ext(name) == ext+"-patch":
			isPatch = true
		default:
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return l.errorf(name, err)
		}
		v, err := parse(b, format)
		if err != nil {
			return l.errorf(name, err)
		}
		if isPatch {
			err = l.applyPatch(name, v)
		} else {
			err = l.applyMerge(name, v)
		}
		if err != nil {
			return l.errorf(name, err)
		}
	}
	return nil
}

func (l *loader) applyMerge(name string, v any) error {
	if v == nil { // empty YAML file: nothing to merge
		return nil
	}
	if _, ok := v.(map[string]any); !ok {
		return fmt.Errorf("merge drop-in is not a JSON object (got %s)", kindOf(v))
	}
	l.sources = append(l.sources, source{name: name, doc: v})
	b, _ := json.Marshal(v)
	out, err := jsonpatch.MergePatch(l.doc, b)
	if err != nil {
		return fmt.Errorf("merging: %w", err)
	}
	l.doc = out
	return nil
}

func (l *loader) applyPatch(name string, v any) error {
	if _, ok := v.([]any); !ok {
		return fmt.Errorf("JSON patch is not an array (got %s)", kindOf(v))
	}
	b, _ := json.Marshal(v)
	p, err := jsonpatch.DecodePatch(b)
	if err != nil {
		return fmt.Errorf("bad JSON patch: %w", err)
	}
	var before any
	_ = json.Unmarshal(l.doc, &before)
	pinAppends(before, v.([]any))
	l.sources = append(l.sources, source{name: name, patch: true, doc: v})
	out, err := p.Apply(l.doc)
	if err != nil {
		return fmt.Errorf("applying JSON patch: %w", err)
	}
	l.doc = out
	return nil
}

// decode checks the merged document against the Config type, then decodes it.
func (l *loader) decode() (*Config, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(l.doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, l.errorf(l.root, err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, l.errorf(l.root, fmt.Errorf("$: expected object after drop-ins, got %s", kindOf(v)))
	}
	var c checker
	c.check(nil, reflect.TypeFor[Config](), v)
	if len(c.problems) > 0 {
		errs := make([]error, len(c.problems))
		for i, p := range c.problems {
			errs[i] = l.errorf(l.origin(p.path), fmt.Errorf("%s: %s", p.path, p.msg))
		}
		return nil, errors.Join(errs...)
	}
	// Decode from the re-encoded generic value rather than the merged bytes:
	// it is canonical (compact, sorted keys), so free-form json.RawMessage
	// blocks come out the same however the file was written.
	canon, err := json.Marshal(v)
	if err != nil {
		return nil, l.errorf(l.root, err)
	}
	cfg := new(Config)
	dec = json.NewDecoder(bytes.NewReader(canon))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		// The check above should have caught this.
		return nil, l.errorf(l.root, errors.New(strings.TrimPrefix(err.Error(), "json: ")))
	}
	cfg.notes = append(l.notes, c.notes...)
	return cfg, nil
}

// errorf attributes err to the root file, or to one of its drop-ins.
func (l *loader) errorf(origin string, err error) error {
	if origin == l.root {
		return fmt.Errorf("config %q: %w", l.root, err)
	}
	return fmt.Errorf("config %q (drop-in %q): %w", l.root, origin, err)
}

// origin names the last file that set the value at p: the latest drop-in
// whose merge document holds p or whose patch writes at or above p, else the
// root file.
func (l *loader) origin(p jsonPath) string {
	for i := len(l.sources) - 1; i > 0; i-- {
		s := l.sources[i]
		if s.patch && patchWrites(s.doc, p) || !s.patch && mergeSets(s.doc, p) {
			return s.name
		}
	}
	return l.root
}

// mergeSets reports whether merge document doc sets the value at p, either
// directly or by replacing an enclosing array or scalar.
func mergeSets(doc any, p jsonPath) bool {
	for _, e := range p {
		obj, ok := doc.(map[string]any)
		if !ok {
			return doc != nil
		}
		k, ok := e.(string)
		if !ok {
			return false
		}
		if doc, ok = obj[k]; !ok {
			return false
		}
	}
	return doc != nil
}

// patchWrites reports whether one of the operations of patch doc writes at p
// or at a parent of p.
func patchWrites(doc any, p jsonPath) bool {
	ops, _ := doc.([]any)
	for _, op := range ops {
		op, _ := op.(map[string]any)
		switch op["op"] {
		case "add", "replace", "copy", "move":
		default:
			continue
		}
		ptr, _ := op["path"].(string)
		if pointerCovers(ptr, p) {
			return true
		}
	}
	return false
}

// pinAppends rewrites the paths of the "add" operations in ops that append
// to an array ("/a/-") to the index the value lands at in doc, the document
// the patch applies to. The rewritten ops are used only to blame errors.
func pinAppends(doc any, ops []any) {
	added := map[string]int{}
	for _, op := range ops {
		op, _ := op.(map[string]any)
		ptr, _ := op["path"].(string)
		parent, ok := strings.CutSuffix(ptr, "/-")
		if op["op"] != "add" || !ok {
			continue
		}
		segs, _ := splitPointer(parent)
		arr, ok := lookup(doc, segs).([]any)
		if !ok {
			continue
		}
		op["path"] = parent + "/" + strconv.Itoa(len(arr)+added[parent])
		added[parent]++
	}
}

// splitPointer splits a JSON pointer (RFC 6901) into unescaped tokens.
func splitPointer(ptr string) ([]string, bool) {
	if ptr == "" {
		return nil, true
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	segs := strings.Split(ptr[1:], "/")
	for i, s := range segs {
		segs[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
	}
	return segs, true
}

// lookup returns the value at segs in generic JSON doc, or nil.
func lookup(doc any, segs []string) any {
	for _, s := range segs {
		switch v := doc.(type) {
		case map[string]any:
			doc = v[s]
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			doc = v[i]
		default:
			return nil
		}
	}
	return doc
}

// pointerCovers reports whether JSON pointer ptr is p or one of its parents.
func pointerCovers(ptr string, p jsonPath) bool {
	segs, ok := splitPointer(ptr)
	if !ok || len(segs) > len(p) {
		return false
	}
	for i, s := range segs {
		switch e := p[i].(type) {
		case string:
			if s != e {
				return false
			}
		case int:
			if s != strconv.Itoa(e) {
				return false
			}
		}
	}
	return true
}

// parse turns a YAML or JSON document into generic JSON values, with numbers
// as json.Number. An empty YAML document is nil.
func parse(b []byte, format string) (any, error) {
	if format == "yaml" {
		var y any
		if err := yaml.Unmarshal(b, &y); err != nil {
			return nil, fmt.Errorf("malformed YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if y == nil {
			return nil, nil
		}
		y, err := jsonify(nil, y)
		if err != nil {
			return nil, err
		}
		if b, err = json.Marshal(y); err != nil {
			return nil, fmt.Errorf("YAML is not representable as JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty JSON document")
		}
		return nil, fmt.Errorf("malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("malformed JSON: data after the top-level value")
	}
	return v, nil
}

// jsonify rejects the parts of a decoded YAML document that have no JSON
// form: non-string mapping keys and non-finite numbers.
func jsonify(p jsonPath, v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			e, err := jsonify(p.key(k), e)
			if err != nil {
				return nil, err
			}
			v[k] = e
		}
	case map[any]any:
		for k := range v {
			if _, ok := k.(string); !ok {
				return nil, fmt.Errorf("%s: mapping key %v is not a string", p, k)
			}
		}
		return nil, fmt.Errorf("%s: mapping has non-string keys", p)
	case []any:
		for i, e := range v {
			e, err := jsonify(p.index(i), e)
			if err != nil {
				return nil, err
			}
			v[i] = e
		}
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("%s: %v is not a JSON number", p, v)
		}
	}
	return v, nil
}
