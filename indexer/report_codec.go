package indexer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/loupe-dev/loupe"
)

// The binary report format.
//
// Stored reports were zstd-compressed JSON, and decoding them dominated
// the notifier, which loads the report of every manifest an update
// affects: encoding/json took about 0.35 ms for each 100-package report,
// 87% of BenchmarkNotify10k's processing. This codec, written by hand for
// the fixed set of types a report holds (IndexReport, Package, Version,
// Distribution, Repository, Environment, Digest), is worth its upkeep:
// on the 100-package report of BenchmarkDecodeReport (2 cores, AMD EPYC)
//
//	             decode               encode   stored
//	JSON+zstd    345 µs, 2123 allocs  262 µs   1809 B
//	binary+zstd   24 µs,   26 allocs  104 µs   1274 B (7106 B uncompressed)
//
// and a real debian:bookworm package list stores in 2380 B against 3126.
// Decoding the binary format alone takes 18 µs: zstd stays, for size.
// TestReportCodecEveryField fails when a field is added to one of these
// types and not here.
//
// Before compression a report is:
//
//	format   byte reportBinary1
//	nstr     uvarint: how many strings are kept (see below)
//	header   Hash (digest text), State, Err; uvarint flags: Success, and
//	         which of the four maps are non-nil
//	dists    uvarint n; n × (key, byte 0 for a nil *Distribution or 1
//	         and its nine fields in declaration order)
//	repos    the same, with five fields
//	packages uvarint n; n × (uvarint mask of the non-zero fields, then
//	         those fields in declaration order: Source as a uvarint
//	         distance back to an earlier package, NormalizedVersion as
//	         Kind, a byte c ≤ 10 and the first c slots as zigzag
//	         varints). Every distinct *Package of the report, sources
//	         included, is here once, a source before the packages that
//	         point at it: decoding shares pointers where the report did
//	         and can build no cycle.
//	pkgmap   uvarint n; n × uvarint t, then the key unless left out:
//	         t = 0 for a nil package, else t-1 = zigzag(index - previous
//	         index - 1) << 1 | 1 if the key, left out, is the package's ID
//	envs     uvarint n; n × (PackageDB, IntroducedIn (digest text),
//	         DistributionID, uvarint 0 for nil RepositoryIDs or count+1
//	         and the IDs): each distinct Environment value once
//	envmap   uvarint n; byte 1 if the keys are pkgmap's, in its order,
//	         or 0 if each entry starts with its key; n × (uvarint 0 for
//	         a nil list or length+1, then per element uvarint 0 for nil
//	         or index+1 into envs)
//
// A string is a uvarint: 0 for ""; strOnce or strKept followed by the
// length and the bytes of a string not seen before, kept in a table if
// strKept; or strFirstRef+i for the i-th string kept. Strings repeat a
// lot (kinds, architectures, source names, database paths, layer
// digests); written where first used, not in a table up front, they
// leave the bytes in the order JSON had them, which zstd compresses
// better, and the decoder keeps only those used again. It cuts every
// string from one copy of the input.
//
// Map entries are in key order, tables in order of first use: equal
// reports encode to equal bytes. Decoded reports share their interned
// environments and source packages; reports are read-only once built.
// Decoding checks every count against the bytes left (each item takes
// at least one), every reference and index against what precedes it,
// rejects unknown bits and trailing bytes, and returns an error, never
// panics, on corrupt input.

// reportBinary1 is the first byte of a report in the binary format. A
// JSON report starts with '{'.
const reportBinary1 = 0x01

// Header flags.
const (
	flagSuccess = 1 << iota
	flagPackages
	flagDistributions
	flagRepositories
	flagEnvironments
	flagsKnown = 1<<iota - 1
)

// Package field mask bits, in declaration order.
const (
	pkgID = 1 << iota
	pkgName
	pkgVersion
	pkgKind
	pkgSource
	pkgPackageDB
	pkgFilepath
	pkgRepositoryHint
	pkgNormalizedVersion
	pkgModule
	pkgArch
	pkgCPE
	pkgKnown = 1<<iota - 1
)

// String markers: a string is 0 for "", strOnce or strKept followed by
// its length and bytes, or a reference from strFirstRef on.
const (
	strOnce     = 1 // written only here
	strKept     = 2 // written here, referred to later
	strFirstRef = 3 // the first string kept
)

const versionSlots = len(loupe.Version{}.V)

var errSourceCycle = errors.New("package source cycle")

type reportEncoder struct {
	b    []byte
	uses map[string]int            // how many times each string is written
	refs map[string]uint64         // string → its reference, once written
	pkgs map[*loupe.Package]uint64 // package → table index+1; 0 while being added
	ptab []*loupe.Package
	// The maps' keys, sorted.
	dkeys, rkeys, pkeys, ekeys []string
	chain                      []*loupe.Package // addPackage's
}

// str appends s: a reference to it, or the string itself the first time.
// In the first pass (refs nil) it only counts.
func (e *reportEncoder) str(s string) {
	switch r, ok := e.refs[s]; {
	case s == "":
		e.b = append(e.b, 0)
	case e.refs == nil:
		e.uses[s]++
	case ok:
		e.b = binary.AppendUvarint(e.b, r)
	case e.uses[s] == 1:
		e.b = append(e.b, strOnce)
		e.b = binary.AppendUvarint(e.b, uint64(len(s)))
		e.b = append(e.b, s...)
	default:
		e.refs[s] = uint64(len(e.refs)) + strFirstRef
		e.b = append(e.b, strKept)
		e.b = binary.AppendUvarint(e.b, uint64(len(s)))
		e.b = append(e.b, s...)
	}
}

func (e *reportEncoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

// addPackage puts p, and before it its sources, in the package table.
func (e *reportEncoder) addPackage(p *loupe.Package) error {
	chain := e.chain[:0]
	for q := p; q != nil; q = q.Source {
		idx, seen := e.pkgs[q]
		if seen {
			if idx == 0 {
				return errSourceCycle
			}
			break
		}
		e.pkgs[q] = 0
		chain = append(chain, q)
	}
	for _, q := range slices.Backward(chain) {
		e.ptab = append(e.ptab, q)
		e.pkgs[q] = uint64(len(e.ptab))
	}
	e.chain = chain
	return nil
}

func (e *reportEncoder) pkg(i int, p *loupe.Package) {
	var mask uint64
	for j, s := range [...]string{p.ID, p.Name, p.Version, p.Kind, "", p.PackageDB, p.Filepath, p.RepositoryHint, "", p.Module, p.Arch, p.CPE} {
		if s != "" {
			mask |= 1 << j
		}
	}
	if p.Source != nil {
		mask |= pkgSource
	}
	if p.NormalizedVersion != (loupe.Version{}) {
		mask |= pkgNormalizedVersion
	}
	e.uvarint(mask)
	for j, s := range [...]string{p.ID, p.Name, p.Version, p.Kind} {
		if mask&(1<<j) != 0 {
			e.str(s)
		}
	}
	if p.Source != nil {
		e.uvarint(uint64(i+1) - e.pkgs[p.Source]) // how far back: ≥ 1
	}
	for j, s := range [...]string{p.PackageDB, p.Filepath, p.RepositoryHint} {
		if mask&(pkgPackageDB<<j) != 0 {
			e.str(s)
		}
	}
	if v := &p.NormalizedVersion; mask&pkgNormalizedVersion != 0 {
		e.str(v.Kind)
		n := versionSlots
		for n > 0 && v.V[n-1] == 0 {
			n--
		}
		e.b = append(e.b, byte(n))
		for _, x := range v.V[:n] {
			e.b = binary.AppendVarint(e.b, int64(x))
		}
	}
	for j, s := range [...]string{p.Module, p.Arch, p.CPE} {
		if mask&(pkgModule<<j) != 0 {
			e.str(s)
		}
	}
}

// envKey is an Environment's value, comparable.
type envKey struct {
	db, introduced, dist string
	repos                string // length-prefixed IDs
	reposNil             bool
}

func keyOf(env *loupe.Environment) envKey {
	k := envKey{db: env.PackageDB, introduced: env.IntroducedIn.String(), dist: env.DistributionID, reposNil: env.RepositoryIDs == nil}
	if len(env.RepositoryIDs) > 0 {
		var b []byte
		for _, id := range env.RepositoryIDs {
			b = binary.AppendUvarint(b, uint64(len(id)))
			b = append(b, id...)
		}
		k.repos = string(b)
	}
	return k
}

// marshalReport encodes r in the binary format, uncompressed.
func marshalReport(r *loupe.IndexReport) ([]byte, error) {
	// Twice: the first time counts how often each string is written.
	e := &reportEncoder{
		uses:  make(map[string]int, 6*len(r.Packages)),
		dkeys: slices.Sorted(maps.Keys(r.Distributions)),
		rkeys: slices.Sorted(maps.Keys(r.Repositories)),
		pkeys: slices.Sorted(maps.Keys(r.Packages)),
		ekeys: slices.Sorted(maps.Keys(r.Environments)),
	}
	if err := e.report(r); err != nil {
		return nil, err
	}
	e.b = make([]byte, 0, len(e.b)+64*len(r.Packages))
	e.refs = make(map[string]uint64, len(e.uses)/2)
	if err := e.report(r); err != nil {
		return nil, err
	}
	out := make([]byte, 0, 1+binary.MaxVarintLen64+len(e.b))
	out = append(out, reportBinary1)
	out = binary.AppendUvarint(out, uint64(len(e.refs))) // strings kept
	return append(out, e.b...), nil
}

func (e *reportEncoder) report(r *loupe.IndexReport) error {
	e.pkgs = make(map[*loupe.Package]uint64, 2*len(r.Packages))
	e.ptab = e.ptab[:0]
	pkeys, ekeys := e.pkeys, e.ekeys

	e.str(r.Hash.String())
	e.str(r.State)
	e.str(r.Err)
	var flags uint64
	for i, set := range [...]bool{r.Success, r.Packages != nil, r.Distributions != nil, r.Repositories != nil, r.Environments != nil} {
		if set {
			flags |= 1 << i
		}
	}
	e.uvarint(flags)

	e.uvarint(uint64(len(r.Distributions)))
	for _, k := range e.dkeys {
		e.str(k)
		d := r.Distributions[k]
		if d == nil {
			e.b = append(e.b, 0)
			continue
		}
		e.b = append(e.b, 1)
		for _, s := range [...]string{d.ID, d.DID, d.Name, d.Version, d.VersionCodeName, d.VersionID, d.Arch, d.CPE, d.PrettyName} {
			e.str(s)
		}
	}

	e.uvarint(uint64(len(r.Repositories)))
	for _, k := range e.rkeys {
		e.str(k)
		repo := r.Repositories[k]
		if repo == nil {
			e.b = append(e.b, 0)
			continue
		}
		e.b = append(e.b, 1)
		for _, s := range [...]string{repo.ID, repo.Name, repo.Key, repo.URI, repo.CPE} {
			e.str(s)
		}
	}

	for _, k := range pkeys {
		if err := e.addPackage(r.Packages[k]); err != nil {
			return err
		}
	}
	e.uvarint(uint64(len(e.ptab)))
	for i, p := range e.ptab {
		e.pkg(i, p)
	}
	e.uvarint(uint64(len(pkeys)))
	prev := int64(-1)
	for _, k := range pkeys {
		p := r.Packages[k]
		if p == nil {
			e.b = append(e.b, 0)
			e.str(k)
			continue
		}
		idx := int64(e.pkgs[p]) - 1
		delta := idx - prev - 1
		prev = idx
		t := uint64(delta<<1^delta>>63) << 1 // zigzag
		if k == p.ID {
			t |= 1
		}
		e.uvarint(t + 1)
		if k != p.ID {
			e.str(k)
		}
	}

	// Environments: the distinct values first, then the lists.
	envIdx := map[envKey]uint64{}
	var etab []*loupe.Environment
	var elems []uint64 // per list element: 0 for nil, index+1
	for _, k := range ekeys {
		for _, env := range r.Environments[k] {
			if env == nil {
				elems = append(elems, 0)
				continue
			}
			key := keyOf(env)
			i, ok := envIdx[key]
			if !ok {
				etab = append(etab, env)
				i = uint64(len(etab))
				envIdx[key] = i
			}
			elems = append(elems, i)
		}
	}
	e.uvarint(uint64(len(etab)))
	for _, env := range etab {
		e.str(env.PackageDB)
		e.str(env.IntroducedIn.String())
		e.str(env.DistributionID)
		if env.RepositoryIDs == nil {
			e.b = append(e.b, 0)
			continue
		}
		e.uvarint(uint64(len(env.RepositoryIDs)) + 1)
		for _, id := range env.RepositoryIDs {
			e.str(id)
		}
	}
	e.uvarint(uint64(len(ekeys)))
	sameKeys := slices.Equal(ekeys, pkeys)
	if sameKeys {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
	for _, k := range ekeys {
		if !sameKeys {
			e.str(k)
		}
		list := r.Environments[k]
		if list == nil {
			e.b = append(e.b, 0)
			continue
		}
		e.uvarint(uint64(len(list)) + 1)
		for range list {
			e.uvarint(elems[0])
			elems = elems[1:]
		}
	}
	return nil
}

// reportDecoder reads the binary format. The first error sticks: after
// it every read returns zero values, and loops stop early.
type reportDecoder struct {
	b    []byte
	s    string // the same bytes as b started with: strings are cut from it
	strs []string
	err  error
}

func (d *reportDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("stored report: "+format, args...)
	}
}

func (d *reportDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads the number of items that follow, each at least a byte.
func (d *reportDecoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.fail("count %d exceeds the %d bytes left", v, len(d.b))
		return 0
	}
	return int(v)
}

// tag reads 0 for nil or a count plus one.
func (d *reportDecoder) tag() (n int, isNil bool) {
	v := d.uvarint()
	if v == 0 || d.err != nil {
		return 0, true
	}
	if v-1 > uint64(len(d.b)) {
		d.fail("count %d exceeds the %d bytes left", v-1, len(d.b))
		return 0, true
	}
	return int(v - 1), false
}

func (d *reportDecoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// present reads the byte before a struct that may be a nil pointer.
func (d *reportDecoder) present() bool {
	switch c := d.byte(); c {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail("bad presence byte %d", c)
		return false
	}
}

func (d *reportDecoder) str() string {
	v := d.uvarint()
	switch {
	case v == 0:
		return ""
	case v == strOnce || v == strKept:
		l := d.uvarint()
		if l == 0 || l > uint64(len(d.b)) || v == strKept && len(d.strs) == cap(d.strs) {
			d.fail("bad string of length %d, string %d of %d", l, len(d.strs)+1, cap(d.strs))
			return ""
		}
		off := len(d.s) - len(d.b)
		s := d.s[off : off+int(l)]
		d.b = d.b[l:]
		if v == strKept {
			d.strs = append(d.strs, s)
		}
		return s
	case v-strFirstRef < uint64(len(d.strs)):
		return d.strs[v-strFirstRef]
	default:
		d.fail("string reference %d out of range", v)
		return ""
	}
}

func (d *reportDecoder) digest() loupe.Digest {
	s := d.str()
	if s == "" {
		return loupe.Digest{}
	}
	dg, err := loupe.ParseDigest(s)
	if err != nil {
		d.fail("%v", err)
	}
	return dg
}

func (d *reportDecoder) version(v *loupe.Version) {
	v.Kind = d.str()
	n := int(d.byte())
	if n > versionSlots {
		d.fail("version of %d slots", n)
		return
	}
	for i := range n {
		if d.err != nil {
			return
		}
		x, l := binary.Varint(d.b)
		if l <= 0 || x != int64(int32(x)) {
			d.fail("bad version slot")
			return
		}
		d.b = d.b[l:]
		v.V[i] = int32(x)
	}
}

func (d *reportDecoder) packages() []*loupe.Package {
	n := d.count()
	if d.err != nil {
		return nil
	}
	pkgs := make([]*loupe.Package, n)
	var chunk []loupe.Package // allocated as packages decode: a bad count costs little
	for i := range pkgs {
		mask := d.uvarint()
		if mask&^pkgKnown != 0 {
			d.fail("unknown package fields %#x", mask)
		}
		if d.err != nil {
			return nil
		}
		if len(chunk) == 0 {
			chunk = make([]loupe.Package, min(n-i, 256))
		}
		p := &chunk[0]
		chunk = chunk[1:]
		pkgs[i] = p
		if mask&pkgID != 0 {
			p.ID = d.str()
		}
		if mask&pkgName != 0 {
			p.Name = d.str()
		}
		if mask&pkgVersion != 0 {
			p.Version = d.str()
		}
		if mask&pkgKind != 0 {
			p.Kind = d.str()
		}
		if mask&pkgSource != 0 {
			// Only an earlier package: no cycles.
			back := d.uvarint()
			if back == 0 || back > uint64(i) {
				d.fail("package %d: source %d back", i, back)
				return nil
			}
			p.Source = pkgs[i-int(back)]
		}
		if mask&pkgPackageDB != 0 {
			p.PackageDB = d.str()
		}
		if mask&pkgFilepath != 0 {
			p.Filepath = d.str()
		}
		if mask&pkgRepositoryHint != 0 {
			p.RepositoryHint = d.str()
		}
		if mask&pkgNormalizedVersion != 0 {
			d.version(&p.NormalizedVersion)
		}
		if mask&pkgModule != 0 {
			p.Module = d.str()
		}
		if mask&pkgArch != 0 {
			p.Arch = d.str()
		}
		if mask&pkgCPE != 0 {
			p.CPE = d.str()
		}
	}
	return pkgs
}

func (d *reportDecoder) environments() []loupe.Environment {
	n := d.count()
	if d.err != nil {
		return nil
	}
	envs := make([]loupe.Environment, n)
	for i := range envs {
		env := &envs[i]
		env.PackageDB = d.str()
		env.IntroducedIn = d.digest()
		env.DistributionID = d.str()
		if m, isNil := d.tag(); !isNil {
			env.RepositoryIDs = make([]string, m)
			for j := range env.RepositoryIDs {
				env.RepositoryIDs[j] = d.str()
			}
		}
		if d.err != nil {
			return nil
		}
	}
	return envs
}

// unmarshalReport decodes the binary format, uncompressed.
func unmarshalReport(b []byte) (*loupe.IndexReport, error) {
	if len(b) == 0 || b[0] != reportBinary1 {
		return nil, errors.New("stored report: not in the binary format")
	}
	d := &reportDecoder{b: b[1:], s: string(b[1:])} // one allocation for every string
	d.strs = make([]string, 0, d.count())

	r := &loupe.IndexReport{}
	r.Hash = d.digest()
	r.State = d.str()
	r.Err = d.str()
	flags := d.uvarint()
	if flags&^flagsKnown != 0 {
		d.fail("unknown flags %#x", flags)
	}
	r.Success = flags&flagSuccess != 0

	if n := d.count(); flags&flagDistributions != 0 {
		r.Distributions = make(map[string]*loupe.Distribution, n)
		for range n {
			k := d.str()
			var dist *loupe.Distribution
			if d.present() {
				dist = &loupe.Distribution{
					ID: d.str(), DID: d.str(), Name: d.str(), Version: d.str(), VersionCodeName: d.str(),
					VersionID: d.str(), Arch: d.str(), CPE: d.str(), PrettyName: d.str(),
				}
			}
			if d.err != nil {
				break
			}
			r.Distributions[k] = dist
		}
	} else if n != 0 {
		d.fail("distributions in a nil map")
	}

	if n := d.count(); flags&flagRepositories != 0 {
		r.Repositories = make(map[string]*loupe.Repository, n)
		for range n {
			k := d.str()
			var repo *loupe.Repository
			if d.present() {
				repo = &loupe.Repository{ID: d.str(), Name: d.str(), Key: d.str(), URI: d.str(), CPE: d.str()}
			}
			if d.err != nil {
				break
			}
			r.Repositories[k] = repo
		}
	} else if n != 0 {
		d.fail("repositories in a nil map")
	}

	pkgs := d.packages()
	n := d.count()
	if flags&flagPackages != 0 {
		r.Packages = make(map[string]*loupe.Package, min(n, len(pkgs)+1))
	} else if n != 0 {
		d.fail("packages in a nil map")
	}
	pkeys := make([]string, 0, n)
	prev := int64(-1)
	for range n {
		t := d.uvarint()
		if d.err != nil {
			break
		}
		var p *loupe.Package
		var k string
		if t == 0 {
			k = d.str()
		} else {
			u := (t - 1) >> 1
			idx := prev + 1 + (int64(u>>1) ^ -int64(u&1)) // unzigzag
			if idx < 0 || idx >= int64(len(pkgs)) {
				d.fail("package index %d out of range", idx)
				break
			}
			prev = idx
			p = pkgs[idx]
			if (t-1)&1 != 0 {
				k = p.ID
			} else {
				k = d.str()
			}
		}
		r.Packages[k] = p
		pkeys = append(pkeys, k)
	}

	envs := d.environments()
	n = d.count()
	if flags&flagEnvironments != 0 {
		r.Environments = make(map[string][]*loupe.Environment, n)
	} else if n != 0 {
		d.fail("environments in a nil map")
	}
	sameKeys := d.present()
	if sameKeys && n != len(pkeys) {
		d.fail("%d environment lists for %d packages", n, len(pkeys))
	}
	var slab []*loupe.Environment // the lists' elements, a few allocations for all
	for i := range n {
		if d.err != nil {
			break
		}
		var k string
		if sameKeys {
			k = pkeys[i]
		} else {
			k = d.str()
		}
		m, isNil := d.tag()
		var list []*loupe.Environment
		switch {
		case isNil:
		case m == 0:
			list = []*loupe.Environment{}
		default:
			if cap(slab)-len(slab) < m {
				slab = make([]*loupe.Environment, 0, max(m, n))
			}
			list = slab[len(slab) : len(slab)+m : len(slab)+m]
			slab = slab[:len(slab)+m]
			for j := range list {
				v := d.uvarint()
				if v > uint64(len(envs)) {
					d.fail("environment index %d out of range", v)
					break
				}
				if v != 0 {
					list[j] = &envs[v-1]
				}
			}
		}
		if d.err != nil {
			break
		}
		r.Environments[k] = list
	}

	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}
