package oval

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	doc, err := Parse(context.Background(), bytes.NewReader(readFixture(t, "definitions.xml")))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Definitions) != 4 {
		t.Fatalf("%d definitions, want 4", len(doc.Definitions))
	}
	d := doc.Definitions[0]
	want := &Definition{
		ID:          "oval:test:def:1",
		Class:       "patch",
		Title:       "TEST-2024-0001:  widget security update (IMPORTANT)",
		Description: "[2:1.2-3]\n - fix the widget",
		Platforms:   []string{"Test Linux 9"},
		References: []Reference{
			{Source: "elsa", RefID: "TEST-2024-0001", URL: "https://example.org/errata/TEST-2024-0001.html"},
			{Source: "CVE", RefID: "CVE-2024-1111", URL: "https://example.org/cve/CVE-2024-1111.html"},
		},
		Advisory: Advisory{
			Severity:     "IMPORTANT",
			Issued:       time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC),
			Updated:      time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC),
			CVEs:         []CVE{{ID: "CVE-2024-1111", Href: "https://example.org/cve/CVE-2024-1111.html", CVSS3: "7.5/CVSS:3.1/AV:N", Impact: "high"}},
			Bugs:         []string{"https://bugs.example.org/1"},
			AffectedCPEs: []string{"cpe:/a:example:test_linux:9::baseos_latest"},
		},
	}
	if diff := cmp.Diff(want, d, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Criteria" }, cmp.Ignore())); diff != "" {
		t.Errorf("definition 1 (-want +got):\n%s", diff)
	}
	if got := d.Links(); got != "https://example.org/errata/TEST-2024-0001.html https://example.org/cve/CVE-2024-1111.html https://bugs.example.org/1" {
		t.Errorf("Links = %q", got)
	}
	if c := d.Criteria; c.Operator != "AND" || len(c.Leaves) != 1 || len(c.Criteria) != 1 || c.Criteria[0].Operator != "OR" || len(c.Criteria[0].Criteria) != 2 {
		t.Errorf("criteria tree = %+v", c)
	}

	d2 := doc.Definitions[1]
	if d2.Severity != "High" || d2.Patchable != "true" || !d2.AdvisoryDate.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) {
		t.Errorf("definition 2 metadata: severity %q, patchable %q, date %v", d2.Severity, d2.Patchable, d2.AdvisoryDate)
	}
	if c := d2.Criteria; c.Operator != "OR" || !c.Negate || !c.Leaves[1].Negate || c.Leaves[0].Negate {
		t.Errorf("definition 2 criteria = %+v", c)
	}
	if c := doc.Definitions[2].Criteria; c.Operator != "AND" || len(c.Leaves) != 3 {
		t.Errorf("definition 3 criteria (default operator) = %+v", c)
	}
	if doc.Definitions[3].Criteria != nil {
		t.Errorf("definition 4 has criteria %+v", doc.Definitions[3].Criteria)
	}

	// The first of a repeated ID counts; prefixes do not matter.
	if got := doc.Tests["oval:test:tst:3"]; got.ObjectRef != "oval:test:obj:2" || got.Kind != "rpminfo_test" || got.Check != "at least one" {
		t.Errorf("test 3 = %+v", got)
	}
	if got := doc.Tests["oval:test:tst:9"]; got.Kind != "textfilecontent54_test" || got.ObjectRef != "oval:test:obj:5" || len(got.StateRefs) != 0 {
		t.Errorf("test 9 = %+v", got)
	}
	if got := doc.Tests["oval:test:tst:10"].StateRefs; !cmp.Equal(got, []string{"oval:test:ste:7", "oval:test:ste:missing"}) {
		t.Errorf("test 10 states = %q", got)
	}
	if got := doc.Objects["oval:test:obj:2"]; got.Name != "widget" || got.Kind != "rpminfo_object" {
		t.Errorf("object 2 = %+v", got)
	}
	if got := doc.Objects["oval:test:obj:6"]; got.Name != "" {
		t.Errorf("object named by a variable has name %q", got.Name)
	}
	if got := doc.States["oval:test:ste:3"].EVR; *got != (Field{Operation: OpLessThan, Datatype: "evr_string", Value: "2:1.2-3.el9"}) {
		t.Errorf("state 3 evr = %+v", got)
	}
	if got := doc.States["oval:test:ste:5"].Arch; *got != (Field{Operation: OpEquals, Value: "x86_64"}) {
		t.Errorf("state 5 arch (default operation) = %+v", got)
	}
	if got := doc.States["oval:test:ste:8"]; got.Kind != "family_state" || got.Family.Value != "unix" {
		t.Errorf("state 8 = %+v", got)
	}
	if s := doc.States["oval:test:ste:4"]; s.SignatureKeyID.Value != "0123456789abcdef" || s.EVR != nil {
		t.Errorf("state 4 = %+v", s)
	}
}

func TestParseNoComments(t *testing.T) {
	doc, err := ParseOptions(context.Background(), bytes.NewReader(readFixture(t, "definitions.xml")), Options{NoComments: true})
	if err != nil {
		t.Fatal(err)
	}
	if l := doc.Definitions[0].Criteria.Leaves[0]; l.Comment != "" || l.TestRef != "oval:test:tst:1" {
		t.Errorf("leaf = %+v", l)
	}
}

func TestParseCompressed(t *testing.T) {
	plain := readFixture(t, "definitions.xml")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	enc, _ := zstd.NewWriter(nil)
	zs := enc.EncodeAll(plain, nil)
	enc.Close()
	want, err := Parse(context.Background(), bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"bzip2": readFixture(t, "definitions.xml.bz2"), "gzip": gz.Bytes(), "zstd": zs} {
		got, err := Parse(context.Background(), bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-plain +compressed):\n%s", name, diff)
		}
	}
}

func TestParseLatin1(t *testing.T) {
	doc := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<oval_definitions><definitions><definition id=\"d\"><metadata><title>caf\xe9</title></metadata></definition></definitions></oval_definitions>"
	got, err := Parse(context.Background(), strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if title := got.Definitions[0].Title; title != "café" {
		t.Errorf("title = %q", title)
	}
}

func TestParseBad(t *testing.T) {
	deep := "<oval_definitions><definitions><definition id=\"d\">" + strings.Repeat("<criteria>", maxDepth+1) + strings.Repeat("</criteria>", maxDepth+1) + "</definition></definitions></oval_definitions>"
	for name, in := range map[string]string{
		"empty":        "",
		"not xml":      "this is not xml",
		"json":         `{"oval_definitions": []}`,
		"other root":   "<feed><definitions/></feed>",
		"truncated":    `<oval_definitions><definitions><definition id="d"><metadata><title>x</title>`,
		"mismatched":   `<oval_definitions><definitions></tests></oval_definitions>`,
		"deep":         deep,
		"bad encoding": `<?xml version="1.0" encoding="EBCDIC"?><oval_definitions/>`,
		"bad gzip":     "\x1f\x8bnot gzip at all",
		"bad bzip2":    "BZh9 not bzip2 at all",
	} {
		if _, err := Parse(context.Background(), strings.NewReader(in)); err == nil {
			t.Errorf("%s: Parse succeeded, want an error", name)
		}
	}
	if _, err := Parse(context.Background(), strings.NewReader("<other/>")); !errors.Is(err, ErrNotOVAL) {
		t.Errorf("other root: err = %v, want ErrNotOVAL", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big := "<oval_definitions><tests>" + strings.Repeat(`<rpminfo_test id="t"/>`, 5000) + "</tests></oval_definitions>"
	if _, err := Parse(ctx, strings.NewReader(big)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Parse: err = %v", err)
	}
}

func TestDecompressPassesThrough(t *testing.T) {
	rc, err := Decompress(strings.NewReader("ab"))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != "ab" {
		t.Errorf("read %q", b)
	}
}
