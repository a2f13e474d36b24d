package rpmfeedstest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpm"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/indextest"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/matcher"
)

// NewIndexer returns a real indexer, over an SQLite store, with the rpm
// package scanner and the given scanners.
func NewIndexer(t testing.TB, scanners ...indexer.Scanner) *indexer.Indexer {
	t.Helper()
	return indextest.NewIndexer(t, append([]indexer.Scanner{rpm.PackageScanner{}}, scanners...)...)
}

// Index indexes the image the layers make, base layer first (see package
// indextest).
func Index(t testing.TB, ix *indexer.Indexer, layers ...[]layertest.Entry) *loupe.IndexReport {
	t.Helper()
	var ls []*loupe.Layer
	for _, l := range layers {
		ls = append(ls, indextest.Layer(t, l...))
	}
	ir, err := indextest.Image(t, ix, ls...)
	if err != nil {
		t.Fatal(err)
	}
	return ir
}

// RPMDatabase returns one of the rpm package's database fixtures (in
// package rpm's testdata: "rpm.sqlite", "Packages.bdb", "Packages.ndb"),
// skipping the test when it is not there. Each holds loupe-tools
// 2:3.1~rc1-4.lp1 and its subpackage libloupe, loupe-hello 1.0-1, and
// loupe-nodejs 18.19.0-1.module+el8.9.0+20473+c4e3d824 of the stream
// loupe-nodejs:18.
func RPMDatabase(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "rpm", "testdata", name))
	if err != nil {
		t.Skipf("rpm database fixture: %v", err)
	}
	return string(b)
}

// Report builds an index report of packages on one distribution, each
// from an rpm database.
func Report(d *loupe.Distribution, pkgs ...*loupe.Package) *loupe.IndexReport {
	dist := *d
	dist.ID = "1"
	ir := &loupe.IndexReport{
		Packages:      map[string]*loupe.Package{},
		Distributions: map[string]*loupe.Distribution{"1": &dist},
		Environments:  map[string][]*loupe.Environment{},
	}
	for i, p := range pkgs {
		id := strconv.Itoa(i + 1)
		p.ID = id
		ir.Packages[id] = p
		ir.Environments[id] = []*loupe.Environment{{PackageDB: p.PackageDB, DistributionID: "1"}}
	}
	return ir
}

// Pkg is an installed rpm package, as package rpm reports it: evr with
// the epoch left out when zero, and a source package named srcName at
// srcVersion unless srcName is empty.
func Pkg(name, evr, arch, module, srcName, srcVersion string) *loupe.Package {
	p := &loupe.Package{Kind: loupe.BinaryPackage, Name: name, Version: evr, Arch: arch, Module: module, PackageDB: "sqlite:var/lib/rpm"}
	if srcName != "" {
		p.Source = &loupe.Package{Kind: loupe.SourcePackage, Name: srcName, Version: srcVersion}
	}
	return p
}

// WithIDs numbers vulnerabilities, as the store does, so that a report
// can tell them apart.
func WithIDs(vulns []*loupe.Vulnerability) []*loupe.Vulnerability {
	for i, v := range vulns {
		v.ID = strconv.Itoa(i + 1)
	}
	return vulns
}

// Match indexes vulns with rules and matches ir, returning Matches.
func Match(t testing.TB, rules matcher.Rules, vulns []*loupe.Vulnerability, ir *loupe.IndexReport) map[string][]string {
	t.Helper()
	ix := matcher.NewIndex(context.Background(), []matcher.Rules{rules}, WithIDs(vulns), "test")
	if ix.Invalid != 0 {
		t.Errorf("%d vulnerabilities left out of the index as invalid", ix.Invalid)
	}
	return Matches(ir, ix.Match(context.Background(), ir))
}

// Matches renders a report's matches as "package-name version" to the
// sorted names of its vulnerabilities.
func Matches(ir *loupe.IndexReport, vr *loupe.VulnerabilityReport) map[string][]string {
	out := map[string][]string{}
	for id, vids := range vr.PackageVulnerabilities {
		var names []string
		for _, vid := range vids {
			names = append(names, vr.Vulnerabilities[vid].Name)
		}
		slices.Sort(names)
		out[ir.Packages[id].Name+" "+ir.Packages[id].Version] = names
	}
	return out
}
