package secdb

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/version"
)

// Header is a document's fields other than its packages.
type Header struct {
	DistroVersion string   `json:"distroversion" yaml:"distroversion"`
	RepoName      string   `json:"reponame" yaml:"reponame"`
	URLPrefix     string   `json:"urlprefix" yaml:"urlprefix"`
	APKURL        string   `json:"apkurl" yaml:"apkurl"`
	Archs         []string `json:"archs" yaml:"archs"`
}

// secPackage is one package of a document.
type secPackage struct {
	Name     string
	SecFixes []secFix
}

// secFix is one secfixes entry: a version and the advisories it fixes, in
// document order. A package's entries are sorted by version.
type secFix struct {
	Version string
	IDs     []string
}

// Options say how Parse fills vulnerabilities.
type Options struct {
	// Updater is every vulnerability's Updater.
	Updater string
	// LinkPrefix is prepended to each advisory identifier to make a link,
	// for example "https://security.alpinelinux.org/vuln/".
	LinkPrefix string
}

// Parse reads a secdb document and returns its vulnerabilities, as the
// package documentation describes, and its header.
func Parse(ctx context.Context, r io.Reader, opts Options) ([]*loupe.Vulnerability, *Header, error) {
	var out []*loupe.Vulnerability
	h, err := read(ctx, r, func(p *secPackage) {
		out = appendVulns(out, p, &opts)
	})
	if err != nil {
		return nil, nil, err
	}
	return out, h, nil
}

// read reads a secdb document, JSON or YAML, calling fn with each package
// in document order; fn must not keep p. A package entry of the wrong
// shape, or without a name, is skipped with a warning.
func read(ctx context.Context, r io.Reader, fn func(p *secPackage)) (*Header, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := firstByte(br)
	if err != nil {
		return nil, fmt.Errorf("secdb: %w", err)
	}
	if first == '{' {
		return readJSON(ctx, br, fn)
	}
	return readYAML(ctx, br, fn)
}

// firstByte returns the first byte of br that is not white space or a
// byte-order mark, without consuming it.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, errors.New("empty document")
			}
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.Discard(1)
			continue
		case 0xEF:
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
				br.Discard(3)
				continue
			}
		}
		return b[0], nil
	}
}

// jsonPackage is one element of a JSON document's packages.
type jsonPackage struct {
	Pkg struct {
		Name     string       `json:"name"`
		SecFixes jsonSecFixes `json:"secfixes"`
	} `json:"pkg"`
}

// jsonSecFixes decodes the secfixes object. JSON objects have no order,
// so the entries are sorted by version, as apk compares them.
type jsonSecFixes []secFix

func (s *jsonSecFixes) UnmarshalJSON(b []byte) error {
	var m map[string][]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*s = make([]secFix, 0, len(m))
	for v, ids := range m {
		*s = append(*s, secFix{Version: v, IDs: ids})
	}
	sortFixes(*s)
	return nil
}

// sortFixes sorts fixes by version, as apk compares them, and then as
// strings, so that the output does not depend on the order of keys.
func sortFixes(fixes []secFix) {
	slices.SortFunc(fixes, func(a, b secFix) int {
		return cmp.Or(version.LaxAPK(a.Version).Compare(version.LaxAPK(b.Version)), strings.Compare(a.Version, b.Version))
	})
}

func readJSON(ctx context.Context, r io.Reader, fn func(*secPackage)) (*Header, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("secdb: %w", err)
	}
	var h Header
	var skipped int
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("secdb: %w", err)
		}
		key, _ := tok.(string)
		if key != "packages" {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, fmt.Errorf("secdb: %q: %w", key, err)
			}
			// A header field of the wrong type is left empty: nothing
			// depends on it.
			switch key {
			case "distroversion":
				_ = json.Unmarshal(raw, &h.DistroVersion)
			case "reponame":
				_ = json.Unmarshal(raw, &h.RepoName)
			case "urlprefix":
				_ = json.Unmarshal(raw, &h.URLPrefix)
			case "apkurl":
				_ = json.Unmarshal(raw, &h.APKURL)
			case "archs":
				_ = json.Unmarshal(raw, &h.Archs)
			}
			continue
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, fmt.Errorf("secdb: packages: %w", err)
		}
		if tok == nil {
			continue // "packages": null
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return nil, fmt.Errorf("secdb: packages: want an array, have %v", tok)
		}
		for i := 0; dec.More(); i++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var p jsonPackage
			err := dec.Decode(&p)
			var syn *json.SyntaxError
			switch {
			case err == nil:
			case errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
				return nil, fmt.Errorf("secdb: packages[%d]: %w", i, err)
			default:
				// A well-formed value of the wrong shape: the decoder
				// has read past it.
				skipped++
				slog.WarnContext(ctx, "secdb: skipping malformed package entry", "index", i, "reason", err)
				continue
			}
			if p.Pkg.Name == "" {
				skipped++
				continue
			}
			fn(&secPackage{Name: p.Pkg.Name, SecFixes: p.Pkg.SecFixes})
		}
		if err := expectDelim(dec, ']'); err != nil {
			return nil, fmt.Errorf("secdb: packages: %w", err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fmt.Errorf("secdb: %w", err)
	}
	if skipped > 0 {
		slog.WarnContext(ctx, "secdb: package entries skipped", "count", skipped)
	}
	return &h, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, have %v", want, tok)
	}
	return nil
}

// yamlDocument is the YAML form. Packages are decoded one at a time, so
// that one of the wrong shape can be skipped; secfixes stay nodes, since
// YAML would read a key such as 1.10 as a number and lose a digit.
type yamlDocument struct {
	Header   `yaml:",inline"`
	Packages []yaml.Node `yaml:"packages"`
}

type yamlPackage struct {
	Pkg struct {
		Name     string    `yaml:"name"`
		SecFixes yaml.Node `yaml:"secfixes"`
	} `yaml:"pkg"`
}

func readYAML(ctx context.Context, r io.Reader, fn func(*secPackage)) (*Header, error) {
	var doc yamlDocument
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("secdb: yaml: %w", err)
	}
	var skipped int
	for i := range doc.Packages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var p yamlPackage
		if err := doc.Packages[i].Decode(&p); err != nil || p.Pkg.Name == "" {
			skipped++
			slog.WarnContext(ctx, "secdb: skipping malformed package entry", "index", i, "reason", err)
			continue
		}
		fixes, err := yamlSecFixes(&p.Pkg.SecFixes)
		if err != nil {
			skipped++
			slog.WarnContext(ctx, "secdb: skipping malformed package entry", "index", i, "reason", err)
			continue
		}
		fn(&secPackage{Name: p.Pkg.Name, SecFixes: fixes})
	}
	if skipped > 0 {
		slog.WarnContext(ctx, "secdb: package entries skipped", "count", skipped)
	}
	return &doc.Header, nil
}

func yamlSecFixes(n *yaml.Node) ([]secFix, error) {
	switch {
	case n.Kind == 0, n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return nil, nil
	case n.Kind != yaml.MappingNode:
		return nil, fmt.Errorf("secfixes: line %d: not a mapping", n.Line)
	}
	out := make([]secFix, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("secfixes: line %d: key is not a scalar", k.Line)
		}
		var ids []string
		if err := v.Decode(&ids); err != nil {
			return nil, fmt.Errorf("secfixes %q: %w", k.Value, err)
		}
		out = append(out, secFix{Version: k.Value, IDs: ids})
	}
	sortFixes(out)
	return out, nil
}

// appendVulns appends p's vulnerabilities to out.
func appendVulns(out []*loupe.Vulnerability, p *secPackage, opts *Options) []*loupe.Vulnerability {
	name := strings.TrimSpace(p.Name)
	notAffected := make(map[string]bool)
	for _, f := range p.SecFixes {
		if strings.TrimSpace(f.Version) == "0" {
			for _, e := range f.IDs {
				for _, a := range advisories(e) {
					notAffected[a.name] = true
				}
			}
		}
	}
	pkg := &loupe.Package{Name: name, Kind: loupe.SourcePackage}
	seen := make(map[string]*loupe.Vulnerability)
	for _, f := range p.SecFixes {
		fixed := strings.TrimSpace(f.Version)
		if fixed == "" || fixed == "0" {
			continue
		}
		for _, e := range f.IDs {
			for _, a := range advisories(e) {
				if notAffected[a.name] {
					continue
				}
				if v, ok := seen[a.name]; ok {
					if higher(fixed, v.FixedInVersion) {
						v.FixedInVersion = fixed
					}
					continue
				}
				v := &loupe.Vulnerability{
					Updater:            opts.Updater,
					Name:               a.name,
					Links:              links(opts.LinkPrefix, a),
					NormalizedSeverity: loupe.Unknown,
					Package:            pkg,
					FixedInVersion:     fixed,
				}
				seen[a.name] = v
				out = append(out, v)
			}
		}
	}
	return out
}

// higher reports whether version a sorts after b, as apk compares them.
// A version without a leading number never replaces one with.
func higher(a, b string) bool {
	va, ok := apkVersion(a)
	if !ok {
		return false
	}
	vb, ok := apkVersion(b)
	return !ok || va.Compare(vb) > 0
}

// advisory is one vulnerability named by a secfixes entry, and the other
// identifiers the entry gives it.
type advisory struct {
	name    string
	aliases []string
}

// advisories splits a secfixes entry: one advisory per CVE it names, or
// one named by its first identifier when it names none.
func advisories(entry string) []advisory {
	ids := strings.Fields(entry)
	if len(ids) == 0 {
		return nil
	}
	if len(ids) == 1 {
		return []advisory{{name: ids[0]}}
	}
	var cves, others []string
	for _, id := range ids {
		if strings.HasPrefix(strings.ToUpper(id), "CVE-") {
			cves = append(cves, id)
		} else {
			others = append(others, id)
		}
	}
	if len(cves) == 0 {
		return []advisory{{name: ids[0], aliases: ids[1:]}}
	}
	out := make([]advisory, len(cves))
	for i, c := range cves {
		out[i] = advisory{name: c, aliases: others}
	}
	return out
}

func links(prefix string, a advisory) string {
	if prefix == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString(url.PathEscape(a.name))
	for _, al := range a.aliases {
		b.WriteByte(' ')
		b.WriteString(prefix)
		b.WriteString(url.PathEscape(al))
	}
	return b.String()
}
