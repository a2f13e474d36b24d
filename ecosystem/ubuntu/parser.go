package ubuntu

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/version"
)

// maxRecordSize bounds one record file; a bigger one is skipped as
// malformed. Real records are at most a few MiB (the largest list every
// binary of the kernel sources).
const maxRecordSize = 64 << 20

// recordPrefix starts the id, and the file name, of Ubuntu's CVE records.
// The archives also hold USN-… and LSN-… notices, which repeat the fixes
// of the CVE records and carry no priority; they are skipped.
const recordPrefix = "UBUNTU-CVE-"

// securityPage is Ubuntu's page for a CVE, the first link of every
// vulnerability.
const securityPage = "https://ubuntu.com/security/"

// record is the part of an OSV record that Loupe uses. The long
// "versions" lists are left undecoded.
type record struct {
	ID        string   `json:"id"`
	Summary   string   `json:"summary"`
	Details   string   `json:"details"`
	Upstream  []string `json:"upstream"`
	Aliases   []string `json:"aliases"`
	Published string   `json:"published"`
	Withdrawn string   `json:"withdrawn"`
	Severity  []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	Affected   []affected `json:"affected"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
}

type affected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		Purl      string `json:"purl"`
	} `json:"package"`
	Ranges []struct {
		Type   string `json:"type"`
		Events []struct {
			Introduced   string `json:"introduced"`
			Fixed        string `json:"fixed"`
			LastAffected string `json:"last_affected"`
			Limit        string `json:"limit"`
		} `json:"events"`
	} `json:"ranges"`
}

// stats counts what a parse left out, for its log line.
type stats struct {
	Records, Withdrawn, Other, Malformed, Variant, NoRelease, Unusable, Filtered int
}

// parser turns records into vulnerabilities.
type parser struct {
	releases map[string]bool // keep only these codenames; nil keeps all
	dists    map[string]*loupe.Distribution
	out      []*loupe.Vulnerability
	stats    stats
	// scratch, reused across records
	seen map[relSource]int
}

type relSource struct{ codename, source string }

func newParser(releases map[string]bool) *parser {
	return &parser{
		releases: releases,
		dists:    make(map[string]*loupe.Distribution),
		seen:     make(map[relSource]int),
	}
}

// Parse implements updater.Updater. It reads Ubuntu's OSV data in any of
// the shapes doc.go lists (a zip such as OSV.dev's Ubuntu/all.zip, a tar
// or gzip-compressed tar of the records, or a JSON record or array of
// records) and returns one vulnerability per (CVE, release, source
// package) as doc.go describes. A record that does not decode is skipped
// with a warning; a body that is not one of those shapes, or an archive
// that does not decompress, fails the parse, so that a damaged download
// never replaces good data.
func (u *Updater) Parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, error) {
	p := newParser(u.releaseFilter())
	if err := p.parse(ctx, body); err != nil {
		return nil, fmt.Errorf("ubuntu: %w", err)
	}
	slog.InfoContext(ctx, "ubuntu: parse done", "updater", UpdaterName,
		"records", p.stats.Records, "vulnerabilities", len(p.out),
		"withdrawn", p.stats.Withdrawn, "other_records", p.stats.Other,
		"malformed", p.stats.Malformed, "pro_variants", p.stats.Variant,
		"unknown_release", p.stats.NoRelease, "no_usable_range", p.stats.Unusable,
		"filtered_releases", p.stats.Filtered)
	return p.out, nil
}

// statFile is what FetchURL's body offers: random access and a size, so
// that a zip is read in place.
type statFile interface {
	io.ReaderAt
	Stat() (fs.FileInfo, error)
}

var (
	zipMagic  = []byte("PK\x03\x04")
	zipEmpty  = []byte("PK\x05\x06")
	gzipMagic = []byte{0x1f, 0x8b}
	xzMagic   = []byte{0xfd, '7', 'z', 'X', 'Z', 0}
)

func (p *parser) parse(ctx context.Context, body io.Reader) error {
	if f, ok := body.(statFile); ok {
		var head [6]byte
		n, _ := f.ReadAt(head[:], 0)
		if isZip(head[:n]) {
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			z, err := zip.NewReader(f, fi.Size())
			if err != nil {
				return fmt.Errorf("reading zip: %w", err)
			}
			return p.zip(ctx, z)
		}
	}
	br := bufio.NewReaderSize(body, 64<<10)
	head, _ := br.Peek(512)
	switch {
	case isZip(head):
		b, err := io.ReadAll(br)
		if err != nil {
			return err
		}
		z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return fmt.Errorf("reading zip: %w", err)
		}
		return p.zip(ctx, z)
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("reading gzip: %w", err)
		}
		defer zr.Close()
		return p.tar(ctx, tar.NewReader(zr))
	case bytes.HasPrefix(head, xzMagic):
		return errors.New("xz-compressed archives (such as osv-all.tar.xz) are not supported: use OSV.dev's Ubuntu/all.zip, or a zip or .tar.gz of the records")
	case isTar(head):
		return p.tar(ctx, tar.NewReader(br))
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		var r record
		if err := decodeWhole(br, &r); err != nil {
			return fmt.Errorf("reading record: %w", err)
		}
		p.record(&r)
		return nil
	case len(trimmed) > 0 && trimmed[0] == '[':
		var rs []record
		if err := decodeWhole(br, &rs); err != nil {
			return fmt.Errorf("reading records: %w", err)
		}
		for i := range rs {
			if err := ctx.Err(); err != nil {
				return err
			}
			p.record(&rs[i])
		}
		return nil
	}
	return errors.New("feed is neither a zip, a tar, a gzip-compressed tar nor JSON")
}

func isZip(head []byte) bool {
	return bytes.HasPrefix(head, zipMagic) || bytes.HasPrefix(head, zipEmpty)
}

// isTar reports whether head is the start of a POSIX or GNU tar.
func isTar(head []byte) bool {
	return len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar"))
}

// decodeWhole decodes one JSON value from r, which must hold nothing
// else.
func decodeWhole(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// wanted reports whether an archive member is a CVE record.
func wanted(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(base, recordPrefix) && strings.HasSuffix(base, ".json")
}

func (p *parser) zip(ctx context.Context, z *zip.Reader) error {
	files := make([]*zip.File, 0, len(z.File))
	for _, f := range z.File {
		if !f.FileInfo().IsDir() && wanted(f.Name) {
			files = append(files, f)
		}
	}
	slices.SortStableFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	var buf bytes.Buffer
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.UncompressedSize64 > maxRecordSize {
			p.malformed(ctx, f.Name, fmt.Errorf("larger than %d bytes", maxRecordSize))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		buf.Reset()
		_, err = buf.ReadFrom(io.LimitReader(rc, maxRecordSize+1))
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		p.file(ctx, f.Name, buf.Bytes())
	}
	return nil
}

func (p *parser) tar(ctx context.Context, tr *tar.Reader) error {
	var buf bytes.Buffer
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		if (h.Typeflag != tar.TypeReg && h.Typeflag != '\x00') || !wanted(h.Name) {
			continue
		}
		if h.Size > maxRecordSize {
			p.malformed(ctx, h.Name, fmt.Errorf("larger than %d bytes", maxRecordSize))
			continue
		}
		buf.Reset()
		if _, err := buf.ReadFrom(tr); err != nil {
			return fmt.Errorf("reading tar: %s: %w", h.Name, err)
		}
		p.file(ctx, h.Name, buf.Bytes())
	}
}

// file decodes one record file.
func (p *parser) file(ctx context.Context, name string, b []byte) {
	if len(b) > maxRecordSize {
		p.malformed(ctx, name, fmt.Errorf("larger than %d bytes", maxRecordSize))
		return
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		p.malformed(ctx, name, err)
		return
	}
	p.record(&r)
}

func (p *parser) malformed(ctx context.Context, name string, err error) {
	p.stats.Malformed++
	slog.WarnContext(ctx, "ubuntu: skipping malformed record", "file", name, "reason", err)
}

// record turns one CVE record into vulnerabilities: one per release and
// source package it lists.
func (p *parser) record(r *record) {
	if !strings.HasPrefix(r.ID, recordPrefix) {
		p.stats.Other++
		return
	}
	p.stats.Records++
	if r.Withdrawn != "" {
		p.stats.Withdrawn++
		return
	}
	name := cveName(r)
	priority := ""
	for _, s := range r.Severity {
		if strings.EqualFold(s.Type, "Ubuntu") {
			priority = strings.TrimSpace(s.Score)
			break
		}
	}
	desc := r.Details
	if desc == "" {
		desc = r.Summary
	}
	var issued time.Time
	if t, err := time.Parse(time.RFC3339, r.Published); err == nil {
		issued = t.UTC()
	}
	links := recordLinks(name, r)
	normalized := NormalizePriority(priority)

	clear(p.seen)
	first := len(p.out)
	for i := range r.Affected {
		a := &r.Affected[i]
		ver, ok := ecosystemVersion(a.Package.Ecosystem)
		if !ok {
			p.stats.Variant++
			continue
		}
		codename := purlCodename(a.Package.Purl)
		if codename == "" {
			codename = codenameOf(ver)
		}
		src := strings.TrimSpace(a.Package.Name)
		if codename == "" || src == "" {
			p.stats.NoRelease++
			continue
		}
		if p.releases != nil && !p.releases[codename] && !p.releases[ver] {
			p.stats.Filtered++
			continue
		}
		fixed, ok := fixedVersion(a)
		if !ok {
			p.stats.Unusable++
			continue
		}
		key := relSource{codename, src}
		if j, dup := p.seen[key]; dup {
			// Listed twice for one release, in the standard and the Pro
			// (ESM) archive: keep the entry that knows a fix, and of two
			// fixes the later one.
			if prev := p.out[j].FixedInVersion; laterFix(fixed, prev) {
				p.out[j].FixedInVersion = fixed
			}
			continue
		}
		p.seen[key] = len(p.out)
		p.out = append(p.out, &loupe.Vulnerability{
			Updater:            UpdaterName,
			Name:               name,
			Description:        desc,
			Issued:             issued,
			Links:              links,
			Severity:           priority,
			NormalizedSeverity: normalized,
			Package:            &loupe.Package{Name: src, Kind: loupe.SourcePackage},
			Dist:               p.dist(ver, codename),
			FixedInVersion:     fixed,
		})
	}
	// One record's vulnerabilities in a stable order, whatever the
	// record's own order.
	vs := p.out[first:]
	slices.SortStableFunc(vs, func(a, b *loupe.Vulnerability) int {
		if c := strings.Compare(a.Dist.VersionCodeName, b.Dist.VersionCodeName); c != 0 {
			return c
		}
		return strings.Compare(a.Package.Name, b.Package.Name)
	})
}

// laterFix reports whether fixed should replace prev as the one fixed
// version of a (CVE, release, source package): a fix beats no fix, and a
// later fix an earlier one.
func laterFix(fixed, prev string) bool {
	switch {
	case fixed == "":
		return false
	case prev == "":
		return true
	}
	c, err := version.CompareDpkg(fixed, prev)
	return err == nil && c > 0
}

// dist returns the shared Distribution of a release.
func (p *parser) dist(ver, codename string) *loupe.Distribution {
	k := ver + "\x00" + codename
	d, ok := p.dists[k]
	if !ok {
		d = Distribution(ver, codename)
		p.dists[k] = d
	}
	return d
}

// cveName is the CVE a record is about: its upstream CVE id, or its own
// id without the "UBUNTU-" prefix.
func cveName(r *record) string {
	for _, u := range r.Upstream {
		if strings.HasPrefix(u, "CVE-") {
			return u
		}
	}
	return strings.TrimPrefix(r.ID, "UBUNTU-")
}

// recordLinks is Ubuntu's page for the CVE, then the record's references,
// space-separated, without duplicates or URLs containing spaces.
func recordLinks(name string, r *record) string {
	seen := map[string]bool{}
	var b strings.Builder
	add := func(u string) {
		u = strings.TrimSpace(u)
		if u == "" || seen[u] || strings.ContainsAny(u, " \t\r\n") {
			return
		}
		seen[u] = true
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(u)
	}
	add(securityPage + name)
	for _, ref := range r.References {
		add(ref.URL)
	}
	return b.String()
}

// ecosystemVersion reads an Ubuntu OSV ecosystem: "Ubuntu:22.04:LTS",
// "Ubuntu:25.04" and, for fixes in Ubuntu Pro's ESM archives,
// "Ubuntu:Pro:18.04:LTS" all name a release. Pro's other streams (FIPS,
// real-time kernels: "Ubuntu:Pro:FIPS:20.04:LTS",
// "Ubuntu:Pro:22.04:LTS:Realtime:Kernel") are package variants a plain
// release does not install, and are not read.
func ecosystemVersion(eco string) (string, bool) {
	parts := strings.Split(eco, ":")
	if len(parts) < 2 || parts[0] != "Ubuntu" {
		return "", false
	}
	parts = parts[1:]
	if parts[0] == "Pro" {
		parts = parts[1:]
	}
	if len(parts) == 0 || !isReleaseVersion(parts[0]) {
		return "", false
	}
	switch {
	case len(parts) == 1:
	case len(parts) == 2 && parts[1] == "LTS":
	default:
		return "", false
	}
	return parts[0], true
}

// isReleaseVersion reports whether s looks like "YY.MM".
func isReleaseVersion(s string) bool {
	y, m, ok := strings.Cut(s, ".")
	return ok && digits(y) && digits(m)
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// purlCodename reads the release codename from a purl's distro
// qualifier: "jammy", "esm-infra/focal", "esm-apps/noble",
// "esm-infra-legacy/trusty", "trusty/esm".
func purlCodename(purl string) string {
	_, q, ok := strings.Cut(purl, "?")
	if !ok {
		return ""
	}
	q, _, _ = strings.Cut(q, "#")
	vals, err := url.ParseQuery(q)
	if err != nil {
		return ""
	}
	for _, seg := range strings.Split(vals.Get("distro"), "/") {
		seg = strings.ToLower(strings.TrimSpace(seg))
		if seg == "" || strings.HasPrefix(seg, "esm") || strings.HasPrefix(seg, "fips") {
			continue
		}
		if !isWord(seg) {
			return ""
		}
		return seg
	}
	return ""
}

func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return s != ""
}

// fixedVersion returns the fixed version of an affected package: the
// fixed event of its ECOSYSTEM ranges ("" when there is none, which is an
// open issue), and false when its ranges say something a fixed version
// cannot (last_affected or limit events, no ECOSYSTEM range at all).
// Ubuntu writes one range, introduced "0" and at most one fix; should a
// package carry several fixes, the latest counts.
func fixedVersion(a *affected) (string, bool) {
	fixed, usable := "", false
	for _, r := range a.Ranges {
		if !strings.EqualFold(r.Type, "ECOSYSTEM") {
			continue
		}
		for _, e := range r.Events {
			switch {
			case e.Fixed != "":
				if laterFix(e.Fixed, fixed) {
					fixed = e.Fixed
				}
				usable = true
			case e.LastAffected != "", e.Limit != "":
				return "", false
			case e.Introduced != "":
				usable = true
			}
		}
	}
	return strings.TrimSpace(fixed), usable
}

// NormalizePriority maps an Ubuntu priority to a normalized severity:
// negligible, low, medium, high and critical are themselves, ignoring
// case; anything else (untriaged, none) is Unknown.
func NormalizePriority(p string) loupe.Severity {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "negligible":
		return loupe.Negligible
	case "low":
		return loupe.Low
	case "medium":
		return loupe.Medium
	case "high":
		return loupe.High
	case "critical":
		return loupe.Critical
	}
	return loupe.Unknown
}
