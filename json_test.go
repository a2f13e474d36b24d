package loupe

import (
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func sampleReport() *VulnerabilityReport {
	layer := MustParseDigest("sha256:2ff1d7c41c74a25258bfa6f0b8adb0a727f84518f55f65ca845ebc747976c408")
	dist := &Distribution{ID: "1", DID: "debian", Name: "Debian GNU/Linux", Version: "12 (bookworm)",
		VersionCodeName: "bookworm", VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)"}
	src := &Package{ID: "3", Name: "util-linux", Version: "2.38.1-5", Kind: SourcePackage}
	pkg := &Package{ID: "1", Name: "bsdutils", Version: "1:2.38.1-5+b1", Kind: BinaryPackage, Source: src, Arch: "amd64", PackageDB: "var/lib/dpkg/status"}
	return &VulnerabilityReport{
		Hash:          MustParseDigest("sha256:8b277f5e168f773e3dba38bca291a5fd138d56fcdd5008a2f0bf1866d311483b"),
		Packages:      map[string]*Package{"1": pkg},
		Distributions: map[string]*Distribution{"1": dist},
		Environments: map[string][]*Environment{"1": {{
			PackageDB: "var/lib/dpkg/status", IntroducedIn: layer, DistributionID: "1",
		}}},
		Vulnerabilities: map[string]*Vulnerability{"42": {
			ID: "42", Updater: "debian/updater", Name: "CVE-2024-28085",
			Description:        "wall in util-linux allows escape sequences <to> be sent & more",
			Links:              "https://security-tracker.debian.org/tracker/CVE-2024-28085",
			Severity:           "low",
			NormalizedSeverity: Low,
			Package:            &Package{Name: "util-linux", Kind: SourcePackage},
			Dist:               dist,
			FixedInVersion:     "2.38.1-5+deb12u1",
		}},
		PackageVulnerabilities: map[string][]string{"1": {"42"}},
	}
}

// TestVulnerabilityReportJSON pins the wire format: Clair v4.9.0's field
// order, keys, omitempty rules, empty maps as {} and the zero time.
func TestVulnerabilityReportJSON(t *testing.T) {
	b, err := json.MarshalIndent(sampleReport(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "vulnerability_report.json", b)
}

func TestIndexReportJSON(t *testing.T) {
	vr := sampleReport()
	ir := &IndexReport{Hash: vr.Hash, State: StateIndexFinished, Packages: vr.Packages,
		Distributions: vr.Distributions, Environments: vr.Environments, Success: true}
	b, err := json.MarshalIndent(ir, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "index_report.json", b)

	// Nil maps are objects, never null, in both reports.
	b, _ = json.Marshal(&IndexReport{State: StateIndexError, Err: "boom"})
	golden(t, "index_report_empty.json", b)
	b, _ = json.Marshal(&VulnerabilityReport{})
	golden(t, "vulnerability_report_empty.json", b)
}

func TestRoundTrip(t *testing.T) {
	want := sampleReport()
	want.Vulnerabilities["42"].Issued = time.Date(2024, 3, 27, 19, 15, 0, 0, time.UTC)
	want.Vulnerabilities["42"].Range = &Range{Lower: Version{Kind: "semver", V: [10]int32{0, 1, 2}}, Upper: Version{Kind: "semver", V: [10]int32{0, 1, 3}}}
	want.Vulnerabilities["42"].ArchOperation = ArchOpPatternMatch
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got VulnerabilityReport
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	// Unexported-to-JSON fields do not travel.
	want.Packages["1"].PackageDB = ""
	want.Enrichments = map[string][]json.RawMessage{}
	want.Repositories = map[string]*Repository{}
	if diff := cmp.Diff(want, &got, cmp.Comparer(func(a, b Digest) bool { return a == b })); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestDigest(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"sha256:2FF1D7C41C74A25258BFA6F0B8ADB0A727F84518F55F65CA845EBC747976C408", "sha256:2ff1d7c41c74a25258bfa6f0b8adb0a727f84518f55f65ca845ebc747976c408", true},
		{"sha512:" + string(make128()), "sha512:" + string(make128()), true},
		{"sha256:abc", "", false},
		{"md5:d41d8cd98f00b204e9800998ecf8427e", "", false},
		{"sha256:zz1d7c41c74a25258bfa6f0b8adb0a727f84518f55f65ca845ebc747976c408", "", false},
		{"2ff1d7c41c74a25258bfa6f0b8adb0a727f84518f55f65ca845ebc747976c408", "", false},
		{"", "", false},
	} {
		d, err := ParseDigest(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseDigest(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && d.String() != tc.want {
			t.Errorf("ParseDigest(%q) = %q, want %q", tc.in, d, tc.want)
		}
	}
	var d Digest
	if err := json.Unmarshal([]byte(`""`), &d); err != nil || !d.IsZero() {
		t.Errorf(`"" decodes to %v, %v; want the zero Digest`, d, err)
	}
}

func make128() []byte {
	b := make([]byte, 128)
	for i := range b {
		b[i] = "0123456789abcdef"[i%16]
	}
	return b
}

func TestSeverity(t *testing.T) {
	for s := Unknown; s <= Critical; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v round trips to %v, %v", s, back, err)
		}
	}
	if _, err := ParseSeverity("Severe"); err == nil {
		t.Error("ParseSeverity accepted an unknown name")
	}
}

func TestRecords(t *testing.T) {
	vr := sampleReport()
	ir := &IndexReport{Packages: vr.Packages, Distributions: vr.Distributions, Environments: vr.Environments,
		Repositories: map[string]*Repository{"7": {ID: "7", Name: "pypi"}}}
	ir.Environments["1"] = append(ir.Environments["1"], &Environment{RepositoryIDs: []string{"7"}})
	recs := ir.Records()
	if len(recs) != 2 {
		t.Fatalf("Records() = %d records, want 2", len(recs))
	}
	if recs[0].Distribution == nil || recs[0].Repository != nil {
		t.Errorf("first record = %+v, want the distribution and no repository", recs[0])
	}
	if recs[1].Repository == nil || recs[1].Repository.Name != "pypi" {
		t.Errorf("second record = %+v, want the pypi repository", recs[1])
	}
}

func TestRangeContains(t *testing.T) {
	r := Range{Lower: Version{Kind: "semver", V: [10]int32{0, 1, 2}}, Upper: Version{Kind: "semver", V: [10]int32{0, 2}}}
	for v, want := range map[[3]int32]bool{{1, 1, 9}: false, {1, 2, 0}: true, {1, 9, 9}: true, {2, 0, 0}: false} {
		x := Version{Kind: "semver", V: [10]int32{0, v[0], v[1], v[2]}}
		if got := r.Contains(&x); got != want {
			t.Errorf("Contains(%v) = %v, want %v", v, got, want)
		}
	}
}
