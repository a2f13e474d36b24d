package osv

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
)

// zipDir packs the files under dir into a zip, named by their path
// relative to dir, with directory entries too.
func zipDir(t testing.TB, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			_, err := w.Create(name + "/")
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := w.Create(name)
		if err != nil {
			return err
		}
		_, err = f.Write(b)
		return err
	})
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipFiles packs name → content into a zip.
func zipFiles(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, content := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(f, content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// updaterFor returns the set's updater of an OSV ecosystem.
func updaterFor(t testing.TB, eco string) *Updater {
	t.Helper()
	for _, u := range UpdaterSet().Updaters {
		if u := u.(*Updater); u.Ecosystem() == eco {
			return u
		}
	}
	t.Fatalf("no updater for ecosystem %q", eco)
	return nil
}

// captureLogs sends slog's default logger to a recorder until the test
// ends.
func captureLogs(t *testing.T) *logRecorder {
	t.Helper()
	rec := &logRecorder{}
	old := slog.Default()
	slog.SetDefault(slog.New(rec))
	t.Cleanup(func() { slog.SetDefault(old) })
	return rec
}

type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (*logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

// warnings returns the messages and "file" attributes of the warnings.
func (r *logRecorder) warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.records {
		if rec.Level != slog.LevelWarn {
			continue
		}
		s := rec.Message
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "file" {
				s += " " + a.Value.String()
			}
			return true
		})
		out = append(out, s)
	}
	return out
}

// row is the part of a vulnerability that differs between the fixture
// vulnerabilities.
type row struct {
	Name, Package, Range, Fixed, Severity, Normalized string
}

func rowOf(v *loupe.Vulnerability) row {
	return row{v.Name, v.Package.Name, rangeString(v.Range), v.FixedInVersion, v.Severity, v.NormalizedSeverity.String()}
}

// rangeString writes a semver range as "[1.2.3,1.4.0)", an open bound as
// nothing, and no range as "".
func rangeString(r *loupe.Range) string {
	if r == nil {
		return ""
	}
	ver := func(v loupe.Version) string {
		switch {
		case v.Kind == "":
			return ""
		case v.Kind != semverKind || v.V[0] != 0 || [6]int32(v.V[4:]) != [6]int32{}:
			b, _ := v.MarshalText()
			return "!" + string(b)
		}
		return fmt.Sprintf("%d.%d.%d", v.V[1], v.V[2], v.V[3])
	}
	return "[" + ver(r.Lower) + "," + ver(r.Upper) + ")"
}

const (
	v3Medium   = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N"                    // 6.5
	v3Low      = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N"                    // 3.7
	v3None     = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"                    // 0.0
	v30Crit    = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"                    // 9.8
	v2Medium   = "AV:N/AC:M/Au:N/C:N/I:P/A:N"                                      // 4.3
	v4Critical = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" // 9.3
)

func TestParse(t *testing.T) {
	archive := zipDir(t, "testdata/advisories")
	for _, tc := range []struct {
		eco  string
		want []row
	}{
		{"Go", []row{
			// introduced 0 is an open lower bound; two pairs in one
			// range are two vulnerabilities; the GIT range and the npm
			// package are left out; CVSS v3 wins over v4.
			{"GO-2024-0001", "example.com/web", "[0.0.0,1.2.3)", "1.2.3", v3Medium, "Medium"},
			{"GO-2024-0001", "example.com/web", "[1.4.0,1.4.2)", "1.4.2", v3Medium, "Medium"},
			// last_affected is the patch after it, with no fixed version.
			{"GO-2024-0001", "example.com/web/v2", "[2.0.0,2.3.5)", "", v3Medium, "Medium"},
			// No fixed version: open above. A limit is an exclusive
			// upper bound. An ECOSYSTEM range of Go is read as SemVer.
			// No CVSS: the database's severity word.
			{"GO-2024-0002", "example.com/parse", "[1.0.0,)", "", "HIGH", "High"},
			{"GO-2024-0002", "example.com/parse", "[0.5.0,0.6.0)", "", "HIGH", "High"},
			{"GO-2024-0002", "example.com/parse", "[3.0.0,3.1.0)", "3.1.0", "HIGH", "High"},
			// GO-2024-0003 is withdrawn, GO-2024-0004 affects nothing,
			// GO-2024-0005 has only a GIT range.
		}},
		{"npm", []row{
			{"GHSA-npm0-0000-0001", "deep-merge", "[1.0.0,1.3.0)", "1.3.0", v3Low, "Low"},
			{"GHSA-npm0-0000-0001", "deep-merge", "[0.0.0,0.9.2)", "", v3Low, "Low"},
			// The npm package of a Go advisory.
			{"GO-2024-0001", "example-web", "[0.0.0,9.9.9)", "9.9.9", v3Medium, "Medium"},
		}},
		{"PyPI", []row{
			// An unparsable vector falls back to the database's word;
			// an ECOSYSTEM range with no fix is just its introduced
			// version.
			{"GHSA-pypi-0000-0001", "archivist", "", "introduced=1.0", "MODERATE", "Medium"},
			// YAML, in a directory; introduced 0 is left out; the GIT
			// range and the versions list are not used when a range is.
			{"PYSEC-2024-10", "webthing", "", "fixed=1.0a12", v2Medium, "Medium"},
			{"PYSEC-2024-10", "webthing", "", "introduced=2.0&lastAffected=2.1.3", v2Medium, "Medium"},
		}},
		{"Maven", []row{
			// CVSS v4 wins over the database's word; FixedInVersion is a
			// query for ECOSYSTEM and SEMVER ranges alike; SEMVER ranges
			// also have a Range; "Maven:<registry>" is Maven.
			{"GHSA-mvn1-2345-6789", "com.example:thing-databind", "", "fixed=2.9.11&introduced=2.8.0", v4Critical, "Critical"},
			{"GHSA-mvn1-2345-6789", "com.example:thing-databind", "[0.0.0,2.7.9)", "fixed=2.7.9", v4Critical, "Critical"},
			{"GHSA-mvn1-2345-6789", "com.google.example:thing", "", "introduced=1.0", v4Critical, "Critical"},
		}},
		{"crates.io", []row{
			// Versions only (and a GIT range): one vulnerability listing
			// them. A CVSS score of 0 is Negligible.
			{"RUSTSEC-2024-0001", "foo", "", "versions=0.1.0&versions=0.1.1", v3None, "Negligible"},
			// A per-package severity; "0.0.0-0" is 0.0.0; an inverted
			// range and an unparsable version are left out.
			{"RUSTSEC-2024-0002", "bar", "[0.0.0,0.3.1)", "0.3.1", v30Crit, "Critical"},
		}},
		{"RubyGems", nil},
	} {
		t.Run(tc.eco, func(t *testing.T) {
			logs := captureLogs(t)
			u := updaterFor(t, tc.eco)
			vulns, err := u.Parse(context.Background(), bytes.NewReader(archive))
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			for _, v := range vulns {
				got = append(got, rowOf(v))
				if v.Updater != u.Name() || v.Package.Kind != loupe.BinaryPackage || v.Repo == nil || v.Repo.Name != u.eco.Repo || v.Repo.URI != u.eco.URI {
					t.Errorf("%s: got updater %q, package %+v, repo %+v; want %q, a binary package, repo %q %q",
						v.Name, v.Updater, v.Package, v.Repo, u.Name(), u.eco.Repo, u.eco.URI)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			// One warning, for the one malformed file.
			if got, want := logs.warnings(), []string{"osv: skipping malformed advisory broken.json"}; !cmp.Equal(got, want) {
				t.Errorf("got warnings %q, want %q", got, want)
			}
		})
	}
}

// TestParseFields checks every field of one advisory's vulnerabilities.
func TestParseFields(t *testing.T) {
	archive := zipDir(t, "testdata/advisories")
	vulns, err := updaterFor(t, "Go").Parse(context.Background(), bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	if len(vulns) < 3 {
		t.Fatalf("got %d vulnerabilities, want at least 3", len(vulns))
	}
	repo := &loupe.Repository{Name: "go", URI: "https://pkg.go.dev/"}
	web := &loupe.Package{Name: "example.com/web", Kind: loupe.BinaryPackage}
	proto := loupe.Vulnerability{
		Updater:     "osv/go",
		Name:        "GO-2024-0001",
		Description: "Request smuggling in example.com/web",
		Issued:      time.Date(2024, 4, 2, 10, 20, 30, 0, time.UTC),
		// References, deduplicated, then the advisory's and its
		// aliases' osv.dev pages.
		Links: "https://github.com/example/web/security/advisories/GHSA-aaaa-bbbb-cccc" +
			" https://github.com/example/web/commit/4b825dc642cb6eb9a060e54bf8d69288fbee4904" +
			" https://osv.dev/vulnerability/GO-2024-0001" +
			" https://osv.dev/vulnerability/CVE-2024-1111" +
			" https://osv.dev/vulnerability/GHSA-aaaa-bbbb-cccc",
		Severity:           v3Medium,
		NormalizedSeverity: loupe.Medium,
		Package:            web,
		Repo:               repo,
	}
	sv := func(maj, min, patch int32) loupe.Version {
		return loupe.Version{Kind: "semver", V: [10]int32{0, maj, min, patch}}
	}
	want := []loupe.Vulnerability{proto, proto, proto}
	want[0].FixedInVersion = "1.2.3"
	want[0].Range = &loupe.Range{Lower: loupe.Version{Kind: "semver"}, Upper: sv(1, 2, 3)}
	want[1].FixedInVersion = "1.4.2"
	want[1].Range = &loupe.Range{Lower: sv(1, 4, 0), Upper: sv(1, 4, 2)}
	want[2].Package = &loupe.Package{Name: "example.com/web/v2", Kind: loupe.BinaryPackage}
	want[2].Range = &loupe.Range{Lower: sv(2, 0, 0), Upper: sv(2, 3, 5)}
	for i := range want {
		if diff := cmp.Diff(&want[i], vulns[i]); diff != "" {
			t.Errorf("vulnerability %d (-want +got):\n%s", i, diff)
		}
	}
	// One advisory's vulnerabilities share their strings, packages and
	// repository rather than copying them.
	if vulns[0].Package != vulns[1].Package || vulns[0].Repo != vulns[2].Repo {
		t.Error("got distinct package or repository values, want them shared")
	}
	if unsafe.StringData(vulns[0].Links) != unsafe.StringData(vulns[2].Links) || unsafe.StringData(vulns[0].Description) != unsafe.StringData(vulns[2].Description) {
		t.Error("got copied description or links, want them shared")
	}
	// Without a summary, the details; without a published date, zero.
	for _, v := range vulns[3:] {
		if v.Name == "GO-2024-0002" && (v.Description != "Only details, no summary: unbounded allocation in example.com/parse." || !v.Issued.IsZero()) {
			t.Errorf("GO-2024-0002: got description %q, issued %v; want the details and the zero time", v.Description, v.Issued)
		}
	}
}

func TestParseReaders(t *testing.T) {
	archive := zipDir(t, "testdata/advisories")
	u := updaterFor(t, "Go")
	want, err := u.Parse(context.Background(), bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	// A file, read in place.
	f, err := os.CreateTemp(t.TempDir(), "all-*.zip")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(archive); err != nil {
		t.Fatal(err)
	}
	got, err := u.Parse(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse of a file (-want +got):\n%s", diff)
	}
	// A plain stream, read into memory.
	got, err = u.Parse(context.Background(), io.MultiReader(bytes.NewReader(archive)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse of a stream (-want +got):\n%s", diff)
	}
}

func TestParseBadInput(t *testing.T) {
	logs := captureLogs(t)
	u := updaterFor(t, "Go")
	for name, in := range map[string][]byte{
		"empty":     nil,
		"not a zip": []byte(`{"id": "GO-2024-0001"}`),
		"truncated": zipFiles(t, map[string]string{"a.json": `{"id":"GO-1"}`})[:30],
	} {
		_, err := u.Parse(context.Background(), bytes.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), "osv: osv/go: reading archive") {
			t.Errorf("%s: got error %v, want a reading archive error", name, err)
		}
	}

	// Malformed files are skipped, whatever is wrong with them.
	archive := zipFiles(t, map[string]string{
		"a.json":  `{"id": "GO-1", "affected": "nope"}`,
		"b.json":  `[]`,
		"c.json":  `{"summary": "no id"}`,
		"d.yaml":  "id: [\n",
		"e.yml":   "",
		"f.json":  `{"id": "GO-2", "affected": [{"package": {"ecosystem": "Go", "name": "m"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}], "database_specific": "free-form"}`,
		"dir/":    "",
		"g.JSON":  `{"id": "GO-3", "affected": [{"package": {"ecosystem": "go", "name": "n"}, "versions": ["1.0.0"]}], "database_specific": {"severity": {"not": "a string"}}}`,
		"h.txt":   `not an advisory, not read`,
		"i.json":  `{"id": "GO-4", "affected": [{"package": {"ecosystem": "Go", "name": ""}, "versions": ["1.0.0"]}]}`,
		"j.json":  `{"id": "GO-5", "affected": [{"package": {"ecosystem": "Go", "name": "o"}}]}`,
		"k.yaml":  "id: GO-6\ndatabase_specific: [1, 2]\naffected:\n- package: {ecosystem: Go, name: p}\n  ranges: [{type: SEMVER, events: [{introduced: '1.0.0'}, {fixed: 1.1.0}]}]\n",
		"l.json":  `{"id": "GO-7", "published": "yesterday", "affected": [{"package": {"ecosystem": "Go", "name": "q"}, "ranges": [{"type": "SEMVER", "events": [{"fixed": "1.0.0"}, {"introduced": "2.0.0"}, {"last_affected": "2147483647.0.2147483647"}]}]}]}`,
		"zz.json": `{"id": "GO-8", "affected": [{"package": {"ecosystem": "Go", "name": "r"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {}, {"limit": "*"}]}]}]}`,
	})
	vulns, err := u.Parse(context.Background(), bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for _, v := range vulns {
		got = append(got, rowOf(v))
	}
	want := []row{
		// A non-object database_specific is ignored.
		{"GO-2", "m", "[0.0.0,)", "", "", "Unknown"},
		// Upper-case extension and ecosystem; versions only; a
		// non-string database severity is ignored.
		{"GO-3", "n", "", "versions=1.0.0", "", "Unknown"},
		// A YAML database_specific that is not a mapping is ignored.
		{"GO-6", "p", "[1.0.0,1.1.0)", "1.1.0", "", "Unknown"},
		// GO-4 (no package name) and GO-5 (no ranges, no versions)
		// yield nothing; so does GO-7, whose fixed event comes before
		// any introduced one and whose last_affected has no next patch.
		// An empty event is ignored; a limit of "*" is no limit.
		{"GO-8", "r", "[1.0.0,)", "", "", "Unknown"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	wantWarnings := []string{
		"osv: skipping malformed advisory a.json",
		"osv: skipping malformed advisory b.json",
		"osv: skipping malformed advisory c.json",
		"osv: skipping malformed advisory d.yaml",
		"osv: skipping malformed advisory e.yml",
	}
	if diff := cmp.Diff(wantWarnings, logs.warnings()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestParseCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := updaterFor(t, "Go").Parse(ctx, bytes.NewReader(zipDir(t, "testdata/advisories")))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got error %v, want context.Canceled", err)
	}
}
