package indexer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
)

var digestEq = cmp.Comparer(func(a, b loupe.Digest) bool { return a == b })

func testDigest(s string) loupe.Digest {
	d, err := loupe.NewDigest(loupe.SHA256, []byte(fmt.Sprintf("%032s", s)))
	if err != nil {
		panic(err)
	}
	return d
}

// debianFindings is what the dpkg and os-release scanners find in a
// layer whose status file lists debs (name, version, dpkg Source field).
func debianFindings(debs [][3]string) []*Findings {
	const db = "var/lib/dpkg/status"
	f := &Findings{Databases: []string{db}}
	for _, d := range debs {
		src, srcVersion := d[0], d[1]
		if d[2] != "" {
			src = d[2]
			if name, v, ok := strings.Cut(d[2], " ("); ok {
				src, srcVersion = name, strings.TrimSuffix(v, ")")
			}
		}
		f.Packages = append(f.Packages, &loupe.Package{Name: d[0], Version: d[1], Kind: loupe.BinaryPackage,
			Arch: "amd64", PackageDB: db, Source: &loupe.Package{Name: src, Version: srcVersion, Kind: loupe.SourcePackage}})
	}
	dist := &Findings{Distributions: []*loupe.Distribution{{DID: "debian", Name: "Debian GNU/Linux",
		Version: "12 (bookworm)", VersionCodeName: "bookworm", VersionID: "12",
		CPE: "cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*", PrettyName: "Debian GNU/Linux 12 (bookworm)"}}}
	return []*Findings{dist, f}
}

// debianReport is the report of a two-layer Debian image of n packages,
// built by coalesce as the indexer builds it: like internal/bench's
// notifyPackages, foo, libfoo1, libbar2 and fillers, each with a source
// package of its own version; the upper layer rewrites the status file,
// adding the last fifth of the packages.
func debianReport(n int) *loupe.IndexReport {
	debs := [][3]string{{"foo", "1.0-1", "foo"}, {"libfoo1", "1.0-1", "foo"}, {"libbar2", "2.0-1", "bar"}}
	for i := len(debs); i < n; i++ {
		debs = append(debs, [3]string{fmt.Sprintf("filler%03d", i), fmt.Sprintf("1:%d.2.3-4+deb12u1", i),
			fmt.Sprintf("filler-src%03d (%d.2.3-4)", i/2, i)})
	}
	lower := n - n/5
	layers := []*layerResult{
		{digest: testDigest("layer 0"), files: &layerFiles{}, findings: debianFindings(debs[:lower])},
		{digest: testDigest("layer 1"), files: &layerFiles{}, findings: debianFindings(debs)},
	}
	r := coalesce(layers)
	r.Hash = testDigest("manifest")
	r.State = loupe.StateIndexFinished
	r.Success = true
	return r
}

// bookwormPackages is debian:bookworm's package list (name, version,
// dpkg Source field), real names and versions being less regular than
// debianReport's fillers, and so compressing less.
const bookwormPackages = `adduser 3.134 -|apt 2.6.1 -|base-files 12.4+deb12u5 -|base-passwd 3.6.1 -|bash 5.2.15-2+b2 -|` +
	`bsdutils 1:2.38.1-5+b1 util-linux (2.38.1-5)|coreutils 9.1-1 -|dash 0.5.12-2 -|debconf 1.5.82 -|` +
	`debian-archive-keyring 2023.3+deb12u1 -|debianutils 5.7-0.5~deb12u1 -|diffutils 1:3.8-4 -|dpkg 1.21.22 -|` +
	`e2fsprogs 1.47.0-2 -|findutils 4.9.0-4 -|gcc-12-base 12.2.0-14 gcc-12|gpgv 2.2.40-1.1 gnupg2|grep 3.8-5 -|` +
	`gzip 1.12-1 -|hostname 3.23+nmu1 -|init-system-helpers 1.65.2 -|libacl1 2.3.1-3 acl|libapt-pkg6.0 2.6.1 apt|` +
	`libattr1 1:2.5.1-4 attr|libaudit-common 1:3.0.9-1 audit|libaudit1 1:3.0.9-1 audit|` +
	`libblkid1 2.38.1-5+b1 util-linux (2.38.1-5)|libbz2-1.0 1.0.8-5+b1 bzip2 (1.0.8-5)|libc-bin 2.36-9+deb12u4 glibc|` +
	`libc6 2.36-9+deb12u4 glibc|libcap-ng0 0.8.3-1+b3 libcap-ng (0.8.3-1)|libcap2 1:2.66-4 -|libcom-err2 1.47.0-2 e2fsprogs|` +
	`libcrypt1 1:4.4.33-2 libxcrypt|libdb5.3 5.3.28+dfsg2-1 db5.3|libdebconfclient0 0.270 cdebconf|libext2fs2 1.47.0-2 e2fsprogs|` +
	`libffi8 3.4.4-1 libffi|libgcc-s1 12.2.0-14 gcc-12|libgcrypt20 1.10.1-3 -|libgmp10 2:6.2.1+dfsg1-1.1 gmp|` +
	`libgnutls30 3.7.9-2+deb12u2 gnutls28|libgpg-error0 1.46-1 libgpg-error|libhogweed6 3.8.1-2 nettle|` +
	`libidn2-0 2.3.3-1+b1 libidn2 (2.3.3-1)|liblz4-1 1.9.4-1 lz4|liblzma5 5.4.1-0.2 xz-utils|libmd0 1.0.4-2 libmd|` +
	`libmount1 2.38.1-5+b1 util-linux (2.38.1-5)|libnettle8 3.8.1-2 nettle|libp11-kit0 0.24.1-2 p11-kit|` +
	`libpam-modules 1.5.2-6+deb12u1 pam|libpam-modules-bin 1.5.2-6+deb12u1 pam|libpam-runtime 1.5.2-6+deb12u1 pam|` +
	`libpam0g 1.5.2-6+deb12u1 pam|libpcre2-8-0 10.42-1 pcre2|libseccomp2 2.5.4-1+b3 libseccomp (2.5.4-1)|` +
	`libselinux1 3.4-1+b6 libselinux (3.4-1)|libsemanage-common 3.4-1 libsemanage|libsemanage2 3.4-1+b5 libsemanage (3.4-1)|` +
	`libsepol2 3.4-2.1 libsepol|libsmartcols1 2.38.1-5+b1 util-linux (2.38.1-5)|libss2 1.47.0-2 e2fsprogs|` +
	`libstdc++6 12.2.0-14 gcc-12|libsystemd0 252.22-1~deb12u1 systemd|libtasn1-6 4.19.0-2 -|libtinfo6 6.4-4 ncurses|` +
	`libudev1 252.22-1~deb12u1 systemd|libunistring2 1.0-2 libunistring|libuuid1 2.38.1-5+b1 util-linux (2.38.1-5)|` +
	`libxxhash0 0.8.1-1 xxhash|libzstd1 1.5.4+dfsg2-5 libzstd|login 1:4.13+dfsg1-1+b1 shadow (1:4.13+dfsg1-1)|` +
	`logsave 1.47.0-2 e2fsprogs|mawk 1.3.4.20200120-3.1 -|mount 2.38.1-5+b1 util-linux (2.38.1-5)|ncurses-base 6.4-4 ncurses|` +
	`ncurses-bin 6.4-4 ncurses|passwd 1:4.13+dfsg1-1+b1 shadow (1:4.13+dfsg1-1)|perl-base 5.36.0-7+deb12u1 perl|sed 4.9-1 -|` +
	`sysvinit-utils 3.06-4 sysvinit|tar 1.34+dfsg-1.2+deb12u1 -|tzdata 2024a-0+deb12u1 -|usr-is-merged 37~deb12u1 usrmerge|` +
	`util-linux 2.38.1-5+b1 util-linux (2.38.1-5)|util-linux-extra 2.38.1-5+b1 util-linux (2.38.1-5)|zlib1g 1:1.2.13.dfsg-1 zlib`

// bookwormReport is the report of a debian:bookworm image with a layer
// of curl and its libraries above.
func bookwormReport() *loupe.IndexReport {
	var debs [][3]string
	for _, line := range strings.Split(bookwormPackages, "|") {
		f := strings.SplitN(line, " ", 3)
		if f[2] == "-" {
			f[2] = ""
		}
		debs = append(debs, [3]string{f[0], f[1], f[2]})
	}
	base := len(debs)
	for _, p := range []string{"curl", "libcurl4", "libnghttp2-14", "libpsl5", "librtmp1", "libssh2-1", "libssl3", "openssl", "ca-certificates", "libbrotli1", "libldap-2.5-0", "libsasl2-2", "libkrb5-3", "libgssapi-krb5-2"} {
		debs = append(debs, [3]string{p, "1.0-1+deb12u1", strings.TrimSuffix(p, "-2") + "-src"})
	}
	layers := []*layerResult{
		{digest: testDigest("bookworm"), files: &layerFiles{}, findings: debianFindings(debs[:base])},
		{digest: testDigest("curl"), files: &layerFiles{}, findings: debianFindings(debs)},
	}
	r := coalesce(layers)
	r.Hash = testDigest("curl image")
	r.State = loupe.StateIndexFinished
	r.Success = true
	return r
}

// richReport uses every part of the types: several distributions and
// repositories, environments with and without repository IDs, nil and
// empty values where JSON tells them apart.
func richReport() *loupe.IndexReport {
	l1, l2 := testDigest("l1"), testDigest("l2")
	src := &loupe.Package{ID: "9", Name: "openssl", Version: "3.0.15-1~deb12u1", Kind: loupe.SourcePackage}
	return &loupe.IndexReport{
		Hash:  testDigest("rich"),
		State: loupe.StateIndexFinished,
		Packages: map[string]*loupe.Package{
			"1": {ID: "1", Name: "libssl3", Version: "3.0.15-1~deb12u1", Kind: loupe.BinaryPackage, Source: src, Arch: "amd64"},
			"2": {ID: "2", Name: "openssl", Version: "3.0.15-1~deb12u1", Kind: loupe.BinaryPackage, Source: src, Arch: "amd64"},
			"3": {ID: "3", Name: "github.com/x/y", Version: "v1.2.3", Module: "github.com/x/y",
				NormalizedVersion: loupe.Version{Kind: "semver", V: [10]int32{0, 1, 2, 3}},
				Filepath:          "usr/bin/y", RepositoryHint: "go", PackageDB: "go:usr/bin/y",
				CPE: "cpe:2.3:a:x:y:1.2.3:*:*:*:*:*:*:*"},
			"4":        {ID: "4", Name: "extreme", NormalizedVersion: loupe.Version{Kind: "x", V: [10]int32{math.MinInt32, -1, 0, 0, math.MaxInt32, 0, 0, 0, 0, 7}}},
			"5":        {ID: "5", Name: "kindless", NormalizedVersion: loupe.Version{V: [10]int32{1}}},
			"key-is-x": {ID: "6", Name: "différent", Version: "ünïcode\x00nul"},
			"nil":      nil,
			"0-alias":  src, // a key sorted first, sharing a package
		},
		Distributions: map[string]*loupe.Distribution{
			"1":   {ID: "1", DID: "debian", Name: "Debian GNU/Linux", Version: "12 (bookworm)", VersionCodeName: "bookworm", VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)"},
			"2":   {ID: "2", DID: "ubuntu", Name: "Ubuntu", Version: "22.04", VersionID: "22.04", Arch: "arm64", CPE: "cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:*:*:*:*"},
			"nil": nil,
		},
		Repositories: map[string]*loupe.Repository{
			"1":   {ID: "1", Name: "go", URI: "https://proxy.golang.org"},
			"2":   {ID: "2", Name: "cpe", Key: "rhel-cpe-repository", CPE: "cpe:2.3:o:redhat:enterprise_linux:9:*:*:*:*:*:*:*"},
			"nil": nil,
		},
		Environments: map[string][]*loupe.Environment{
			"1": {{PackageDB: "var/lib/dpkg/status", IntroducedIn: l1, DistributionID: "1"}},
			"2": {{PackageDB: "var/lib/dpkg/status", IntroducedIn: l1, DistributionID: "1"},
				{PackageDB: "var/lib/dpkg/status", IntroducedIn: l2, DistributionID: "2", RepositoryIDs: []string{"2"}}},
			"3": {{PackageDB: "go:usr/bin/y", IntroducedIn: l2, RepositoryIDs: []string{"1", "2"}}},
			"4": {{IntroducedIn: l2, RepositoryIDs: []string{}}},
			"5": {},
			"6": nil,
			"7": {nil, {}},
		},
		Success: true,
	}
}

func testReports() map[string]*loupe.IndexReport {
	return map[string]*loupe.IndexReport{
		"debian100": debianReport(100),
		"debian3":   debianReport(3),
		"bookworm":  bookwormReport(),
		"rich":      richReport(),
		"zero":      {},
		"empty maps": {Packages: map[string]*loupe.Package{}, Distributions: map[string]*loupe.Distribution{},
			Repositories: map[string]*loupe.Repository{}, Environments: map[string][]*loupe.Environment{}},
		"error": {Hash: testDigest("m"), State: loupe.StateIndexError, Err: "fetching layer: 503 Service Unavailable"},
	}
}

// encodeReportJSON is how earlier builds stored reports.
func encodeReportJSON(r *loupe.IndexReport) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return compress(b), nil
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReportRoundTrip(t *testing.T) {
	for name, want := range testReports() {
		t.Run(name, func(t *testing.T) {
			b, err := encodeReport(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeReport(b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, digestEq); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			// The API serves the same bytes as before: the fresh
			// report's and the JSON-stored report's.
			wantJSON := mustJSON(t, want)
			if got := mustJSON(t, got); got != wantJSON {
				t.Errorf("API JSON differs:\n got %s\nwant %s", got, wantJSON)
			}
			old, err := encodeReportJSON(want)
			if err != nil {
				t.Fatal(err)
			}
			fromJSON, err := decodeReport(old)
			if err != nil {
				t.Fatal(err)
			}
			if got := mustJSON(t, fromJSON); got != wantJSON {
				t.Errorf("API JSON of the JSON-stored report differs:\n got %s\nwant %s", got, wantJSON)
			}
			// Equal reports encode to equal bytes, whatever the map order.
			again, err := encodeReport(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, again) {
				t.Error("re-encoding the decoded report changed the bytes")
			}
		})
	}
}

// TestReportSize: the binary format stores no more than JSON did.
func TestReportSize(t *testing.T) {
	for name, r := range map[string]*loupe.IndexReport{"debian100": debianReport(100), "bookworm": bookwormReport(), "rich": richReport()} {
		old, err := encodeReportJSON(r)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := marshalReport(r)
		if err != nil {
			t.Fatal(err)
		}
		stored := compress(raw)
		t.Logf("%s: %d packages: JSON+zstd %d bytes, binary %d, binary+zstd %d", name, len(r.Packages), len(old), len(raw), len(stored))
		if len(stored) > len(old) {
			t.Errorf("%s: %d bytes stored, JSON+zstd took %d", name, len(stored), len(old))
		}
	}
}

// TestReportSharing: sources shared by binaries stay shared, and equal
// environments are decoded once.
func TestReportSharing(t *testing.T) {
	b, err := encodeReport(debianReport(100))
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeReport(b)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*loupe.Package{}
	for _, p := range r.Packages {
		byName[p.Name] = p
	}
	if byName["foo"].Source != byName["libfoo1"].Source || byName["foo"].Source.Name != "foo" {
		t.Error("foo's source is not shared")
	}
	envs := map[*loupe.Environment]bool{}
	for _, list := range r.Environments {
		for _, e := range list {
			envs[e] = true
		}
	}
	if len(envs) != 2 {
		t.Errorf("%d distinct environments, want 2 (one per layer)", len(envs))
	}
}

func TestReportSourceCycle(t *testing.T) {
	p := &loupe.Package{ID: "1", Name: "a"}
	q := &loupe.Package{ID: "2", Name: "b", Source: p}
	p.Source = q
	if _, err := encodeReport(&loupe.IndexReport{Packages: map[string]*loupe.Package{"1": p}}); err == nil {
		t.Error("a source cycle encoded")
	}
}

// TestDecodeJSONReport: reports stored as JSON by earlier builds decode.
func TestDecodeJSONReport(t *testing.T) {
	const stored = `{"manifest_hash":"sha256:8b277f5e168f773e3dba38bca291a5fd138d56fcdd5008a2f0bf1866d311483b","state":"IndexFinished",` +
		`"packages":{"1":{"id":"1","name":"bsdutils","version":"1:2.38.1-5+b1","kind":"binary","source":{"id":"3","name":"util-linux",` +
		`"version":"2.38.1-5","kind":"source","normalized_version":"","cpe":""},"normalized_version":"","arch":"amd64","cpe":""}},` +
		`"distributions":{"1":{"id":"1","did":"debian","name":"Debian GNU/Linux","version":"12 (bookworm)","version_code_name":"bookworm",` +
		`"version_id":"12","arch":"","cpe":"","pretty_name":"Debian GNU/Linux 12 (bookworm)"}},"repository":{},` +
		`"environments":{"1":[{"package_db":"var/lib/dpkg/status","introduced_in":"sha256:2ff1d7c41c74a25258bfa6f0b8adb0a727f84518f55f65ca845ebc747976c408",` +
		`"distribution_id":"1","repository_ids":null}]},"success":true,"err":""}`
	got, err := decodeReport(compress([]byte(stored)))
	if err != nil {
		t.Fatal(err)
	}
	want := &loupe.IndexReport{
		Hash:  loupe.MustParseDigest("sha256:8b277f5e168f773e3dba38bca291a5fd138d56fcdd5008a2f0bf1866d311483b"),
		State: loupe.StateIndexFinished,
		Packages: map[string]*loupe.Package{"1": {ID: "1", Name: "bsdutils", Version: "1:2.38.1-5+b1", Kind: loupe.BinaryPackage, Arch: "amd64",
			Source: &loupe.Package{ID: "3", Name: "util-linux", Version: "2.38.1-5", Kind: loupe.SourcePackage}}},
		Distributions: map[string]*loupe.Distribution{"1": {ID: "1", DID: "debian", Name: "Debian GNU/Linux", Version: "12 (bookworm)",
			VersionCodeName: "bookworm", VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)"}},
		Repositories: map[string]*loupe.Repository{},
		Environments: map[string][]*loupe.Environment{"1": {{PackageDB: "var/lib/dpkg/status",
			IntroducedIn:   loupe.MustParseDigest("sha256:2ff1d7c41c74a25258bfa6f0b8adb0a727f84518f55f65ca845ebc747976c408"),
			DistributionID: "1"}}},
		Success: true,
	}
	if diff := cmp.Diff(want, got, digestEq); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := mustJSON(t, got); got != stored {
		t.Errorf("API JSON differs:\n got %s\nwant %s", got, stored)
	}

	// An error report, maps and all.
	const errStored = `{"manifest_hash":"","state":"IndexError","packages":{},"distributions":{},"repository":{},"environments":{},"success":false,"err":"boom"}`
	got, err = decodeReport(compress([]byte(errStored)))
	if err != nil {
		t.Fatal(err)
	}
	if got.State != loupe.StateIndexError || got.Err != "boom" || got.Packages == nil || mustJSON(t, got) != errStored {
		t.Errorf("error report decoded as %+v", got)
	}
}

// TestReportCodecEveryField fills every exported field of every type an
// IndexReport reaches with a distinct non-zero value and checks the
// round trip: a field added to a domain type without codec support
// fails here, and so does a type the filler does not know.
func TestReportCodecEveryField(t *testing.T) {
	var want loupe.IndexReport
	f := &filler{t: t, open: map[reflect.Type]int{}}
	f.fill(reflect.ValueOf(&want).Elem(), "IndexReport")
	b, err := encodeReport(&want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeReport(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, got, digestEq); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(mustJSON(t, &want), mustJSON(t, got)); diff != "" {
		t.Errorf("API JSON (-want +got):\n%s", diff)
	}
}

// filler sets values to distinct non-zero values, by reflection.
type filler struct {
	t    *testing.T
	n    int
	open map[reflect.Type]int // pointer types on the path
}

var digestType = reflect.TypeFor[loupe.Digest]()

func (f *filler) fill(v reflect.Value, path string) {
	f.n++
	n := f.n
	if v.Type() == digestType {
		v.Set(reflect.ValueOf(testDigest(fmt.Sprint(n))))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("%s#%d", path, n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x := int64(n) * 104729
		if n%2 == 0 {
			x = -x
		}
		v.SetInt(x % (1 << (v.Type().Bits() - 1)))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(n) % (1 << (v.Type().Bits() - 1)))
	case reflect.Array:
		for i := range v.Len() {
			f.fill(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			f.fill(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			f.t.Fatalf("%s: map key %s: the filler knows string keys only", path, v.Type().Key())
		}
		v.Set(reflect.MakeMap(v.Type()))
		for i := range 2 {
			k := fmt.Sprintf("%s.key%d#%d", path, i, n)
			e := reflect.New(v.Type().Elem()).Elem()
			f.fill(e, path+"["+k+"]")
			v.SetMapIndex(reflect.ValueOf(k), e)
		}
	case reflect.Pointer:
		// A recursive type (Package.Source) is filled twice down a
		// path and left nil below: every field is still filled.
		if f.open[v.Type()] == 2 {
			return
		}
		f.open[v.Type()]++
		defer func() { f.open[v.Type()]-- }()
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), path)
	case reflect.Struct:
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if !sf.IsExported() {
				f.t.Fatalf("%s.%s: unexported field of %s: teach the filler (and the codec) about %[3]s", path, sf.Name, v.Type())
			}
			f.fill(v.Field(i), path+"."+sf.Name)
		}
	default:
		f.t.Fatalf("%s: %s: the filler (and maybe the codec) does not know this kind", path, v.Type())
	}
}

// TestReportCorrupt: damaged input gives an error, never a panic.
func TestReportCorrupt(t *testing.T) {
	for name, r := range testReports() {
		raw, err := marshalReport(r)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(raw) {
			if _, err := unmarshalReport(raw[:i]); err == nil {
				t.Errorf("%s: truncated to %d of %d bytes: no error", name, i, len(raw))
			}
		}
		if _, err := unmarshalReport(append(raw[:len(raw):len(raw)], 0)); err == nil {
			t.Errorf("%s: trailing byte: no error", name)
		}
		for i := range raw {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				c := bytes.Clone(raw)
				c[i] ^= x
				r, err := unmarshalStoredReport(c) // must not panic
				if err == nil {
					if _, err := marshalReport(r); err != nil {
						t.Errorf("%s: byte %d ^ %#x: decoded a report that does not encode: %v", name, i, x, err)
					}
				}
			}
		}
	}
	for _, b := range [][]byte{nil, {}, {0x02}, []byte("not zstd"), compress(nil), compress([]byte{0x7f}), compress([]byte{reportBinary1})} {
		if _, err := decodeReport(b); err == nil {
			t.Errorf("%q: no error", b)
		}
	}
	// A count larger than the input fails before allocating.
	huge := []byte{reportBinary1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	if _, err := unmarshalReport(huge); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("huge string count: %v", err)
	}
}

func FuzzDecodeReport(f *testing.F) {
	for _, r := range testReports() {
		raw, err := marshalReport(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{"packages":{"1":{"id":"1","source":{"id":"2"}}},"environments":{"1":[null]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeReport(data) // the zstd layer: must not panic
		r, err := unmarshalStoredReport(data)
		if err != nil {
			return
		}
		b, err := marshalReport(r)
		if err != nil {
			t.Fatalf("decoded a report that does not encode: %v", err)
		}
		r2, err := unmarshalReport(b)
		if err != nil {
			t.Fatalf("re-encoded report does not decode: %v", err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("decode→encode→decode changed the report:\n%s", cmp.Diff(r, r2, digestEq))
		}
		b2, err := marshalReport(r2)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("second encoding differs (%v)", err)
		}
	})
}

// Figures for a 100-package Debian report (the size of notifyPackages'
// in internal/bench) come from
//
//	go test -run '^$' -bench 'Report' -benchmem ./indexer
//
// stored-B is the size stored, raw-B before compression.
func BenchmarkDecodeReport(b *testing.B) {
	r := debianReport(100)
	for _, c := range reportCodecs {
		b.Run(c.name, func(b *testing.B) {
			stored, err := c.encode(r)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.decode(stored); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(stored)), "stored-B")
		})
	}
}

func BenchmarkEncodeReport(b *testing.B) {
	r := debianReport(100)
	for _, c := range reportCodecs {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var stored []byte
			for b.Loop() {
				var err error
				if stored, err = c.encode(r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(stored)), "stored-B")
		})
	}
}

var reportCodecs = []struct {
	name   string
	encode func(*loupe.IndexReport) ([]byte, error)
	decode func([]byte) (*loupe.IndexReport, error)
}{
	{"json+zstd", encodeReportJSON, decodeReport},
	{"binary+zstd", encodeReport, decodeReport},
	{"binary", marshalReport, unmarshalReport},
}
