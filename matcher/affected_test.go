package matcher_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
)

func TestAffected(t *testing.T) {
	rules := []matcher.Rules{prefixRules{"A"}}
	reports := map[loupe.Digest]*loupe.IndexReport{}
	var keys = map[loupe.Digest][]uint64{}
	add := func(name string, state string, pkgs ...*loupe.Package) loupe.Digest {
		d := loupe.MustParseDigest("sha256:" + cmpHex(name))
		ir := report(pkgs...)
		ir.Hash, ir.State = d, state
		reports[d] = ir
		keys[d] = matcher.RecordKeys(rules, ir)
		return d
	}
	m1 := add("1", loupe.StateIndexFinished, &loupe.Package{ID: "1", Name: "zlib", Version: "1.1"}, &loupe.Package{ID: "2", Name: "curl", Version: "7"})
	m2 := add("2", loupe.StateIndexFinished, &loupe.Package{ID: "1", Name: "zlib", Version: "1.2"})
	m3 := add("3", loupe.StateIndexFinished, &loupe.Package{ID: "1", Name: "curl", Version: "7"})
	add("4", loupe.StateIndexError, &loupe.Package{ID: "1", Name: "zlib", Version: "1.1"})
	candidates := func(_ context.Context, ks []uint64) ([]loupe.Digest, error) {
		var out []loupe.Digest
		for d, mk := range keys {
			if slices.ContainsFunc(ks, func(k uint64) bool { return slices.Contains(mk, k) }) {
				out = append(out, d)
			}
		}
		return out, nil
	}
	get := func(_ context.Context, d loupe.Digest) (*loupe.IndexReport, error) { return reports[d], nil }

	vulns := []loupe.Vulnerability{
		{ID: "10", Updater: "u", Name: "A-zlib", Package: &loupe.Package{Name: "zlib"}, FixedInVersion: "affects:1.1", NormalizedSeverity: loupe.Low},
		{ID: "11", Updater: "u", Name: "A-curl", Package: &loupe.Package{Name: "curl"}, FixedInVersion: "affects:7", NormalizedSeverity: loupe.High},
		{ID: "12", Updater: "u", Name: "B-other", Package: &loupe.Package{Name: "zlib"}, FixedInVersion: "affects:1.1"},
	}
	am, err := matcher.Affected(context.Background(), rules, vulns, candidates, get)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		m1.String(): {"11", "10"}, // most severe first
		m3.String(): {"11"},
		// m2 has zlib 1.2, not affected; manifest 4 did not finish.
	}
	if diff := cmp.Diff(want, am.VulnerableManifests); diff != "" {
		t.Errorf("vulnerable manifests (-want +got):\n%s", diff)
	}
	if len(am.Vulnerabilities) != 2 || am.Vulnerabilities["12"] != nil {
		t.Errorf("vulnerabilities = %v", am.Vulnerabilities)
	}
	_ = m2
	// Nothing to look for, nothing found.
	am, err = matcher.Affected(context.Background(), rules, nil, candidates, get)
	if err != nil || len(am.VulnerableManifests) != 0 {
		t.Errorf("no vulnerabilities: %v, %v", am, err)
	}
}

// cmpHex returns 64 hex digits derived from s.
func cmpHex(s string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 64)
	for i := range b {
		b[i] = hex[(int(s[i%len(s)])+i)%16]
	}
	return string(b)
}
