package indexer

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe"
)

// layerFiles is what the indexer itself records of a layer: the paths it
// deletes from the layers below.
type layerFiles struct {
	whiteouts []string
	opaque    []string
}

// deletes reports whether the layer hides name as it was in lower
// layers: a whiteout of name or of a directory above it, or an opaque
// directory above it.
func (lf *layerFiles) deletes(name string) bool {
	for _, w := range lf.whiteouts {
		if name == w || strings.HasPrefix(name, w+"/") {
			return true
		}
	}
	for _, d := range lf.opaque {
		if d == "." || strings.HasPrefix(name, d+"/") {
			return true
		}
	}
	return false
}

// dbFile returns the file a package database name stands for, so that a
// whiteout of the file or of a directory above it deletes the database.
// Most databases are named by their path; rpm's are named as Clair names
// them, "<backend>:<directory>".
func dbFile(db string) string {
	backend, dir, ok := strings.Cut(db, ":")
	if !ok {
		return db
	}
	switch backend {
	case "bdb":
		return dir + "/Packages"
	case "ndb":
		return dir + "/Packages.db"
	case "sqlite":
		return dir + "/rpmdb.sqlite"
	}
	return db
}

// layerResult is everything known about one layer of a manifest.
type layerResult struct {
	digest   loupe.Digest
	files    *layerFiles
	findings []*Findings // in scanner order
}

// databases returns the package databases the layer has, and their
// packages.
func (l *layerResult) databases() map[string][]*loupe.Package {
	dbs := make(map[string][]*loupe.Package)
	for _, f := range l.findings {
		for _, db := range f.Databases {
			if _, ok := dbs[db]; !ok {
				dbs[db] = nil
			}
		}
		for _, p := range f.Packages {
			if p.Filepath == "" {
				dbs[p.PackageDB] = append(dbs[p.PackageDB], p)
			}
		}
	}
	return dbs
}

// coalesce merges per-layer findings (base layer first) into the report
// for the image they make up.
//
// Package databases follow "the newest copy wins": a layer that rewrites
// a database replaces it, and a whiteout of the database (or of a
// directory above it) removes it unless a later layer adds it back.
// Packages that are files (Filepath set) come from every layer, unless a
// later layer deletes or overwrites the file. The image's distribution is
// the one found in the newest layer that has one. A package was
// introduced in the oldest layer from which its database, unbroken,
// lists the same version.
func coalesce(layers []*layerResult) *loupe.IndexReport {
	dbs := make([]map[string][]*loupe.Package, len(layers))
	names := map[string]bool{}
	for i, l := range layers {
		dbs[i] = l.databases()
		for db := range dbs[i] {
			names[db] = true
		}
	}

	type found struct {
		pkg   *loupe.Package
		layer int
	}
	var pkgs []found

	for db := range names {
		winner := -1
		for j := len(layers) - 1; j >= 0; j-- {
			if _, ok := dbs[j][db]; ok {
				winner = j
				break
			}
			if layers[j].files.deletes(dbFile(db)) {
				break
			}
		}
		if winner < 0 {
			continue
		}
		for _, p := range dbs[winner][db] {
			pkgs = append(pkgs, found{p, introducedIn(layers, dbs, db, winner, p)})
		}
	}

	// Packages that are files.
	for i, l := range layers {
		for _, f := range l.findings {
			for _, p := range f.Packages {
				if p.Filepath == "" || fileReplaced(layers, i, p.Filepath) {
					continue
				}
				pkgs = append(pkgs, found{p, i})
			}
		}
	}

	report := &loupe.IndexReport{
		Packages:      make(map[string]*loupe.Package, len(pkgs)),
		Distributions: make(map[string]*loupe.Distribution),
		Repositories:  make(map[string]*loupe.Repository),
		Environments:  make(map[string][]*loupe.Environment, len(pkgs)),
	}

	distID := ""
	for j := len(layers) - 1; j >= 0 && distID == ""; j-- {
		for _, f := range layers[j].findings {
			if len(f.Distributions) > 0 {
				d := *f.Distributions[0]
				d.ID = "1"
				report.Distributions[d.ID] = &d
				distID = d.ID
				break
			}
		}
	}

	layerRepos := coalesceRepos(layers, report)

	slices.SortFunc(pkgs, func(a, b found) int {
		return cmp.Or(
			cmp.Compare(a.pkg.PackageDB, b.pkg.PackageDB),
			cmp.Compare(a.pkg.Filepath, b.pkg.Filepath),
			cmp.Compare(a.pkg.Name, b.pkg.Name),
			cmp.Compare(a.pkg.Version, b.pkg.Version),
			cmp.Compare(a.pkg.Arch, b.pkg.Arch),
		)
	})
	nextID := 1
	newID := func() string {
		id := strconv.Itoa(nextID)
		nextID++
		return id
	}
	type srcKey struct{ name, version, kind string }
	sources := make(map[srcKey]*loupe.Package)
	for _, f := range pkgs {
		p := *f.pkg
		p.ID = newID()
		// What travels only inside the indexer does not go in the
		// report, so a report reads the same fresh and from the store.
		p.PackageDB, p.Filepath, p.RepositoryHint = "", "", ""
		if p.Source != nil {
			k := srcKey{p.Source.Name, p.Source.Version, p.Source.Kind}
			src, ok := sources[k]
			if !ok {
				s := *p.Source
				s.ID = ""
				src = &s
				sources[k] = src
			}
			p.Source = src
		}
		report.Packages[p.ID] = &p
		env := &loupe.Environment{
			PackageDB:      f.pkg.PackageDB,
			IntroducedIn:   layers[f.layer].digest,
			DistributionID: distID,
		}
		if f.pkg.Filepath == "" {
			env.RepositoryIDs = layerRepos(f.layer)
		}
		report.Environments[p.ID] = []*loupe.Environment{env}
	}
	// Source packages take IDs after the binaries, in a stable order.
	srcs := make([]*loupe.Package, 0, len(sources))
	for _, s := range sources {
		srcs = append(srcs, s)
	}
	slices.SortFunc(srcs, func(a, b *loupe.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Kind, b.Kind))
	})
	for _, s := range srcs {
		s.ID = newID()
	}
	return report
}

// coalesceRepos puts every repository the layers' scanners found (the
// content sets of RHEL images, for one) in the report, and returns what
// tells a package from a database which of them it came from: those of
// the layer that introduced it; if that layer names none, those of the
// nearest layer below that does (an image built on a base inherits the
// base's repositories), else of the nearest above. Without repositories
// in any layer, packages get none.
func coalesceRepos(layers []*layerResult, report *loupe.IndexReport) func(layer int) []string {
	type repoKey struct{ key, name, uri, cpe string }
	ids := make(map[repoKey]string)
	var all []*loupe.Repository
	perLayer := make([][]repoKey, len(layers))
	for i, l := range layers {
		seen := map[repoKey]bool{}
		for _, f := range l.findings {
			for _, r := range f.Repositories {
				k := repoKey{r.Key, r.Name, r.URI, r.CPE}
				if seen[k] {
					continue
				}
				seen[k] = true
				perLayer[i] = append(perLayer[i], k)
				if _, ok := ids[k]; !ok {
					ids[k] = ""
					all = append(all, r)
				}
			}
		}
	}
	if len(all) == 0 {
		return func(int) []string { return nil }
	}
	// IDs in a stable order, whatever the layers' order of discovery.
	slices.SortFunc(all, func(a, b *loupe.Repository) int {
		return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Name, b.Name), cmp.Compare(a.URI, b.URI), cmp.Compare(a.CPE, b.CPE))
	})
	for i, r := range all {
		c := *r
		c.ID = strconv.Itoa(i + 1)
		ids[repoKey{r.Key, r.Name, r.URI, r.CPE}] = c.ID
		report.Repositories[c.ID] = &c
	}
	return func(layer int) []string {
		from := -1
		for j := layer; j >= 0 && from < 0; j-- {
			if len(perLayer[j]) > 0 {
				from = j
			}
		}
		for j := layer + 1; j < len(layers) && from < 0; j++ {
			if len(perLayer[j]) > 0 {
				from = j
			}
		}
		out := make([]string, len(perLayer[from]))
		for i, k := range perLayer[from] {
			out[i] = ids[k]
		}
		slices.Sort(out)
		return out
	}
}

// introducedIn returns the oldest layer from which db, without a break,
// lists p at the same version. A layer that deletes db breaks the chain
// below it; layers that leave db alone do not.
func introducedIn(layers []*layerResult, dbs []map[string][]*loupe.Package, db string, winner int, p *loupe.Package) int {
	first := winner
	for m := winner; m > 0; m-- {
		if layers[m].files.deletes(dbFile(db)) {
			break
		}
		lower, ok := dbs[m-1][db]
		if !ok {
			continue
		}
		if !slices.ContainsFunc(lower, func(q *loupe.Package) bool {
			return q.Name == p.Name && q.Version == p.Version && q.Arch == p.Arch
		}) {
			break
		}
		first = m - 1
	}
	return first
}

// fileReplaced reports whether a layer above i deletes or overwrites the
// file at name.
func fileReplaced(layers []*layerResult, i int, name string) bool {
	for j := i + 1; j < len(layers); j++ {
		if layers[j].files.deletes(name) {
			return true
		}
		for _, f := range layers[j].findings {
			for _, p := range f.Packages {
				if p.Filepath == name {
					return true
				}
			}
		}
	}
	return false
}
