package vulnparts

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
)

func TestRoundTrip(t *testing.T) {
	dist := &loupe.Distribution{DID: "debian", Name: "Debian GNU/Linux", VersionID: "12", VersionCodeName: "bookworm"}
	for _, v := range []*loupe.Vulnerability{
		{Updater: "debian/updater", Name: "CVE-1", Description: "d", Links: "l", Severity: "low", NormalizedSeverity: loupe.Low,
			Package: &loupe.Package{Name: "zlib", Kind: loupe.SourcePackage}, Dist: dist, FixedInVersion: "1.0"},
		{Updater: "osv/go", Name: "GO-1", Issued: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
			Package: &loupe.Package{Name: "golang.org/x/net", Kind: loupe.BinaryPackage, Source: &loupe.Package{Name: "src"}, NormalizedVersion: loupe.Version{Kind: "semver", V: [10]int32{0, 1}}},
			Repo:    &loupe.Repository{Name: "go", URI: "https://pkg.go.dev/"},
			Range:   &loupe.Range{Upper: loupe.Version{Kind: "semver", V: [10]int32{0, 0, 17}}}, ArchOperation: loupe.ArchOpEquals},
		{Updater: "u", Name: "no package"},
	} {
		p, err := Split(v)
		if err != nil {
			t.Fatal(err)
		}
		row := &Row{ID: 7, Advisory: &p.Advisory, Package: p.Package, FixedInVersion: p.FixedInVersion,
			RangeLower: p.RangeLower, RangeUpper: p.RangeUpper, ArchOp: p.ArchOp}
		if p.Dist != nil {
			row.Dist, _ = DecodeDist(p.Dist)
		}
		if p.Repo != nil {
			row.Repo, _ = DecodeRepo(p.Repo)
		}
		got, err := Join(row)
		if err != nil {
			t.Fatal(err)
		}
		want := *v
		want.ID = "7"
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		again, _ := Split(got)
		if again.Hash != p.Hash {
			t.Error("hash changed across a round trip")
		}
	}
	a, _ := Split(&loupe.Vulnerability{Updater: "u", Name: "CVE-1", Description: "same", Dist: dist, FixedInVersion: "1"})
	b, _ := Split(&loupe.Vulnerability{Updater: "u", Name: "CVE-1", Description: "same", FixedInVersion: "2"})
	if a.AdvisoryHash != b.AdvisoryHash || a.Hash == b.Hash {
		t.Error("advisory not shared, or different vulnerabilities share a hash")
	}
}
