package vulnparts

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/loupe-dev/loupe"
)

// Hash is a content hash: the first 128 bits of a SHA-256, plenty to tell
// apart every vulnerability there will ever be, and half the size of the
// whole digest in every row and index that holds one.
type Hash = [16]byte

func sum(b []byte) Hash {
	s := sha256.Sum256(b)
	return Hash(s[:16])
}

// Advisory is the part of a vulnerability that does not depend on the
// package or release it affects.
type Advisory struct {
	Updater            string         `json:"u"`
	Name               string         `json:"n"`
	Description        string         `json:"d"`
	Issued             time.Time      `json:"i"`
	Links              string         `json:"l"`
	Severity           string         `json:"s"`
	NormalizedSeverity loupe.Severity `json:"ns"`
}

// Package holds the columns of a vulnerability's package; nil means the
// vulnerability has none.
type Package struct {
	Name, Version, Kind, Module, Arch, CPE string
	// Extra is JSON of the rarely set remainder (ID, Source,
	// NormalizedVersion), or nil.
	Extra []byte
}

type packageExtra struct {
	ID                string         `json:"id,omitempty"`
	Source            *loupe.Package `json:"source,omitempty"`
	NormalizedVersion loupe.Version  `json:"nv,omitzero"`
}

// Parts is a vulnerability split for storage.
type Parts struct {
	// Hash identifies the whole vulnerability.
	Hash Hash

	Advisory     Advisory
	AdvisoryHash Hash

	// Dist and Repo are JSON, nil when absent, with their hashes.
	Dist, Repo         []byte
	DistHash, RepoHash Hash

	Package *Package

	FixedInVersion string
	// RangeLower and RangeUpper are normalized-version text; both nil
	// means no range.
	RangeLower, RangeUpper *string
	ArchOp                 loupe.ArchOp
}

// Split splits v (whose ID is ignored).
func Split(v *loupe.Vulnerability) (*Parts, error) {
	return (&splitter{}).split(v)
}

// encode returns the JSON of v and its hash, from memo when it has them.
func encode[T any](memo map[*T]encoded, v *T) (encoded, error) {
	if e, ok := memo[v]; ok {
		return e, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return encoded{}, err
	}
	e := encoded{b, sum(b)}
	if memo != nil {
		memo[v] = e
	}
	return e, nil
}

func (s *splitter) split(v *loupe.Vulnerability) (*Parts, error) {
	c := *v
	c.ID = ""
	c.Issued = c.Issued.UTC()
	whole, err := json.Marshal(&c)
	if err != nil {
		return nil, err
	}
	p := &Parts{
		Hash: sum(whole),
		Advisory: Advisory{
			Updater: v.Updater, Name: v.Name, Description: v.Description, Issued: v.Issued.UTC(),
			Links: v.Links, Severity: v.Severity, NormalizedSeverity: v.NormalizedSeverity,
		},
		FixedInVersion: v.FixedInVersion,
		ArchOp:         v.ArchOperation,
	}
	adv, err := json.Marshal(&p.Advisory)
	if err != nil {
		return nil, err
	}
	p.AdvisoryHash = sum(adv)
	if v.Dist != nil {
		e, err := encode(s.dists, v.Dist)
		if err != nil {
			return nil, err
		}
		p.Dist, p.DistHash = e.b, e.h
	}
	if v.Repo != nil {
		e, err := encode(s.repos, v.Repo)
		if err != nil {
			return nil, err
		}
		p.Repo, p.RepoHash = e.b, e.h
	}
	if pkg := v.Package; pkg != nil {
		p.Package = &Package{Name: pkg.Name, Version: pkg.Version, Kind: pkg.Kind, Module: pkg.Module, Arch: pkg.Arch, CPE: pkg.CPE}
		extra := packageExtra{ID: pkg.ID, Source: pkg.Source, NormalizedVersion: pkg.NormalizedVersion}
		if extra != (packageExtra{}) {
			if p.Package.Extra, err = json.Marshal(&extra); err != nil {
				return nil, err
			}
		}
	}
	if r := v.Range; r != nil {
		l, h := compactVersion(r.Lower), compactVersion(r.Upper)
		p.RangeLower, p.RangeUpper = &l, &h
	}
	return p, nil
}

// Row is a stored vulnerability row, with its parts looked up.
type Row struct {
	ID       int64
	Advisory *Advisory
	// Dist and Repo are shared, decoded parts; nil when absent.
	Dist *loupe.Distribution
	Repo *loupe.Repository

	Package                *Package
	FixedInVersion         string
	RangeLower, RangeUpper *string
	ArchOp                 loupe.ArchOp
}

// Join builds the vulnerability of a row.
func Join(r *Row) (*loupe.Vulnerability, error) {
	a := r.Advisory
	v := &loupe.Vulnerability{
		ID: fmt.Sprint(r.ID), Updater: a.Updater, Name: a.Name, Description: a.Description, Issued: a.Issued,
		Links: a.Links, Severity: a.Severity, NormalizedSeverity: a.NormalizedSeverity,
		Dist: r.Dist, Repo: r.Repo, FixedInVersion: r.FixedInVersion, ArchOperation: r.ArchOp,
	}
	if p := r.Package; p != nil {
		v.Package = &loupe.Package{Name: p.Name, Version: p.Version, Kind: p.Kind, Module: p.Module, Arch: p.Arch, CPE: p.CPE}
		if len(p.Extra) > 0 {
			var extra packageExtra
			if err := json.Unmarshal(p.Extra, &extra); err != nil {
				return nil, fmt.Errorf("vulnerability %d: package: %w", r.ID, err)
			}
			v.Package.ID, v.Package.Source, v.Package.NormalizedVersion = extra.ID, extra.Source, extra.NormalizedVersion
		}
	}
	if r.RangeLower != nil || r.RangeUpper != nil {
		v.Range = &loupe.Range{}
		if r.RangeLower != nil {
			if err := v.Range.Lower.UnmarshalText([]byte(*r.RangeLower)); err != nil {
				return nil, fmt.Errorf("vulnerability %d: range: %w", r.ID, err)
			}
		}
		if r.RangeUpper != nil {
			if err := v.Range.Upper.UnmarshalText([]byte(*r.RangeUpper)); err != nil {
				return nil, fmt.Errorf("vulnerability %d: range: %w", r.ID, err)
			}
		}
	}
	return v, nil
}

// DecodeDist decodes a stored distribution.
func DecodeDist(b []byte) (*loupe.Distribution, error) {
	var d loupe.Distribution
	return &d, json.Unmarshal(b, &d)
}

// DecodeRepo decodes a stored repository.
func DecodeRepo(b []byte) (*loupe.Repository, error) {
	var r loupe.Repository
	return &r, json.Unmarshal(b, &r)
}

// compactVersion encodes a normalized version like its MarshalText, less
// the trailing zero fields ("semver:0.1.2.3" for
// "semver:0.1.2.3.0.0.0.0.0.0"), which UnmarshalText restores.
func compactVersion(v loupe.Version) string {
	b, _ := v.MarshalText()
	s := string(b)
	for strings.HasSuffix(s, ".0") {
		s = s[:len(s)-2]
	}
	return s
}

// SplitAll splits the vulnerabilities of one update of updater, keyed by
// hash (duplicates collapse). A vulnerability of another updater is an
// error.
//
// Parsers share one Distribution (and Repository) among the records of a
// release, so their encodings are shared too: made once per pointer, not
// once per record, which keeps a large update's memory to what differs.
func SplitAll(updater string, vulns []*loupe.Vulnerability) (map[Hash]*Parts, error) {
	out := make(map[Hash]*Parts, len(vulns))
	s := splitter{dists: map[*loupe.Distribution]encoded{}, repos: map[*loupe.Repository]encoded{}}
	for _, v := range vulns {
		if v.Updater != updater {
			return nil, fmt.Errorf("vulnerability %s is from updater %q, not %q", v.Name, v.Updater, updater)
		}
		p, err := s.split(v)
		if err != nil {
			return nil, err
		}
		out[p.Hash] = p
	}
	return out, nil
}

// encoded is a part's JSON and its hash.
type encoded struct {
	b []byte
	h Hash
}

// splitter splits vulnerabilities, encoding each shared part once.
type splitter struct {
	dists map[*loupe.Distribution]encoded
	repos map[*loupe.Repository]encoded
}

// Changes compares an update's vulnerabilities with the updater's live
// ones (hash to stored id): what to add, and the ids of what to remove.
func Changes(incoming map[Hash]*Parts, live map[Hash]int64) (added []*Parts, removed []int64) {
	for h, p := range incoming {
		if _, ok := live[h]; !ok {
			added = append(added, p)
		}
	}
	for h, id := range live {
		if _, ok := incoming[h]; !ok {
			removed = append(removed, id)
		}
	}
	return added, removed
}
