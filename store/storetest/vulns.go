package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/loupe-dev/loupe"
)

// Updater names, as the Debian and Ubuntu updaters call themselves.
const (
	debianUpdater = "debian/updater"
	ubuntuUpdater = "ubuntu/updater/jammy"
)

var (
	bookworm = loupe.Distribution{
		DID: "debian", Name: "Debian GNU/Linux", Version: "12 (bookworm)", VersionCodeName: "bookworm",
		VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)",
	}
	jammy = loupe.Distribution{
		DID: "ubuntu", Name: "Ubuntu", Version: "22.04.4 LTS (Jammy Jellyfish)", VersionCodeName: "jammy",
		VersionID: "22.04", PrettyName: "Ubuntu 22.04.4 LTS",
		CPE: "cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:*:*:*:*",
	}
	// sourcePackages are (name, fixed version) pairs the fixtures cycle
	// through.
	sourcePackages = [][2]string{
		{"openssl", "3.0.13-1~deb12u1"},
		{"glibc", "2.36-9+deb12u4"},
		{"curl", "7.88.1-10+deb12u5"},
		{"systemd", "252.22-1~deb12u1"},
		{"libxml2", "2.9.14+dfsg-1.3~deb12u1"},
		{"tar", ""}, // no fix yet
		{"perl", "5.36.0-7+deb12u1"},
		{"zlib", "1:1.2.13.dfsg-1+deb12u1"},
	}
	urgencies = []struct {
		name string
		sev  loupe.Severity
	}{
		{"unimportant", loupe.Negligible}, {"low", loupe.Low}, {"medium", loupe.Medium},
		{"high", loupe.High}, {"not yet assigned", loupe.Unknown},
	}
)

// vuln returns the n-th vulnerability of updater's feed, a fresh value
// each call: realistic Debian (or Ubuntu, by updater) tracker data that
// depends only on (updater, n).
func vuln(updater string, n int) *loupe.Vulnerability {
	pkg := sourcePackages[n%len(sourcePackages)]
	urg := urgencies[n%len(urgencies)]
	name := fmt.Sprintf("CVE-%d-%d", 2020+n%5, 10000+n)
	v := &loupe.Vulnerability{
		Updater:            updater,
		Name:               name,
		Description:        fmt.Sprintf("A flaw in %s allows a remote attacker to cause a denial of service (case %d).", pkg[0], n),
		Issued:             time.Date(2020+n%5, time.Month(1+n%12), 1+n%28, n%24, 0, 0, 0, time.UTC),
		Links:              "https://security-tracker.debian.org/tracker/" + name + " https://www.cve.org/CVERecord?id=" + name,
		Severity:           urg.name,
		NormalizedSeverity: urg.sev,
		Package:            &loupe.Package{Name: pkg[0], Kind: loupe.SourcePackage},
		FixedInVersion:     pkg[1],
	}
	dist := bookworm
	if updater == ubuntuUpdater {
		dist = jammy
		v.Links = "https://ubuntu.com/security/" + name
		if v.FixedInVersion != "" {
			v.FixedInVersion += "ubuntu0.22.04.1"
		}
	}
	v.Dist = &dist
	return v
}

// fixed returns v with a new fixed version: the same advisory, changed.
func fixed(v *loupe.Vulnerability, version string) *loupe.Vulnerability {
	c := *v
	c.FixedInVersion = version
	return &c
}

// window returns vulnerabilities from, …, from+size-1 of updater's feed.
func window(updater string, from, size int) []*loupe.Vulnerability {
	out := make([]*loupe.Vulnerability, size)
	for i := range out {
		out[i] = vuln(updater, from+i)
	}
	return out
}

// richVulns exercises every stored field: a binary package with a
// source, a repository, a normalized-version range, an architecture.
func richVulns(updater string) []*loupe.Vulnerability {
	a := vuln(updater, 100)
	a.Package = &loupe.Package{
		Name: "libssl3", Version: "", Kind: loupe.BinaryPackage, Arch: "amd64",
		Source: &loupe.Package{Name: "openssl", Kind: loupe.SourcePackage},
		CPE:    "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*",
	}
	a.ArchOperation = loupe.ArchOpEquals
	a.Repo = &loupe.Repository{Name: "debian-security", Key: "bookworm-security", URI: "https://security.debian.org/debian-security"}
	a.Range = &loupe.Range{
		Lower: loupe.Version{Kind: "semver", V: [10]int32{0, 3, 0, 0}},
		Upper: loupe.Version{Kind: "semver", V: [10]int32{0, 3, 0, 13}},
	}
	b := vuln(updater, 101)
	b.Description = "Unicode: ünïcödé, 漢字, emoji 🐛, quotes \" ' and a\nnewline\tand a tab."
	b.Issued = time.Date(2024, 2, 29, 23, 59, 59, 123456000, time.UTC)
	b.NormalizedSeverity = loupe.Critical
	b.Severity = "critical"
	b.Dist = nil // a vulnerability of a package, whatever the release
	c := vuln(updater, 102)
	c.Issued = time.Time{}
	c.Links = ""
	c.Description = ""
	// An rpm record of a module stream, for architectures by pattern,
	// with a range in its fixed version, as the OVAL feeds write them.
	d := vuln(updater, 103)
	d.Package = &loupe.Package{
		Name: "nodejs", Kind: loupe.BinaryPackage, Module: "nodejs:18", Arch: "^(?:aarch64|x86_64)$",
		NormalizedVersion: loupe.Version{Kind: "rhctag", V: [10]int32{1, 108}},
	}
	d.ArchOperation = loupe.ArchOpPatternMatch
	d.FixedInVersion = "fixed=1:18.19.0-1.module%2Bel8&greater_than=1:18.0.0-1"
	d.Dist = &loupe.Distribution{DID: "ol", Name: "Oracle Linux Server", Version: "8", VersionID: "8",
		VersionCodeName: "Oracle Linux 8", PrettyName: "Oracle Linux Server 8", CPE: "cpe:2.3:o:oracle:linux:8:*:*:*:*:*:*:*", Arch: "x86_64"}
	d.Repo = &loupe.Repository{Name: "cpe:2.3:o:redhat:enterprise_linux:8:*:baseos:*:*:*:*:*", Key: "rhel-cpe-repository", CPE: "cpe:2.3:o:redhat:enterprise_linux:8:*:baseos:*:*:*:*:*"}
	return []*loupe.Vulnerability{a, b, c, d}
}

// contentKey identifies a vulnerability by its content, ignoring ID.
func contentKey(v *loupe.Vulnerability) string {
	c := *v
	c.ID = ""
	b, err := json.Marshal(&c)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// vulnContent compares vulnerabilities as multisets by content: order
// and IDs are ignored, and so are nil versus empty slices.
var vulnContent = cmp.Options{
	cmpopts.IgnoreFields(loupe.Vulnerability{}, "ID"),
	cmpopts.SortSlices(func(a, b *loupe.Vulnerability) bool { return contentKey(a) < contentKey(b) }),
	cmpopts.EquateEmpty(),
}

// ptrs returns pointers to the elements of vs.
func ptrs(vs []loupe.Vulnerability) []*loupe.Vulnerability {
	out := make([]*loupe.Vulnerability, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

// concat returns the vulnerabilities of the lists in one new slice.
func concat(lists ...[]*loupe.Vulnerability) []*loupe.Vulnerability {
	return slices.Concat(lists...)
}

// minus returns the vulnerabilities of a whose content is not in b.
func minus(a, b []*loupe.Vulnerability) []*loupe.Vulnerability {
	in := make(map[string]bool, len(b))
	for _, v := range b {
		in[contentKey(v)] = true
	}
	var out []*loupe.Vulnerability
	for _, v := range a {
		if !in[contentKey(v)] {
			out = append(out, v)
		}
	}
	return out
}

// ofUpdater returns the vulnerabilities of vs from updater.
func ofUpdater(vs []*loupe.Vulnerability, updater string) []*loupe.Vulnerability {
	var out []*loupe.Vulnerability
	for _, v := range vs {
		if v.Updater == updater {
			out = append(out, v)
		}
	}
	return out
}

// summary names a vulnerability in failure messages.
func summary(v *loupe.Vulnerability) string {
	pkg := "<nil>"
	if v.Package != nil {
		pkg = v.Package.Name
	}
	return fmt.Sprintf("%s:%s(%s fixed %q)", v.Updater, v.Name, pkg, v.FixedInVersion)
}

// diffVulns compares want and got as multisets by content. It returns ""
// if they are equal, the vulnerabilities missing and unexpected if they
// differ by summary, and a full diff (-want +got) otherwise.
func diffVulns(want, got []*loupe.Vulnerability) string {
	count := map[string]int{}
	for _, v := range want {
		count[summary(v)]++
	}
	for _, v := range got {
		count[summary(v)]--
	}
	var missing, unexpected []string
	for k, n := range count {
		for ; n > 0; n-- {
			missing = append(missing, k)
		}
		for ; n < 0; n++ {
			unexpected = append(unexpected, k)
		}
	}
	if len(missing)+len(unexpected) == 0 {
		return cmp.Diff(want, got, vulnContent)
	}
	slices.Sort(missing)
	slices.Sort(unexpected)
	var b strings.Builder
	fmt.Fprintf(&b, "got %d, want %d", len(got), len(want))
	if len(missing) > 0 {
		fmt.Fprintf(&b, "\n\tmissing:    %s", strings.Join(missing, "\n\t            "))
	}
	if len(unexpected) > 0 {
		fmt.Fprintf(&b, "\n\tunexpected: %s", strings.Join(unexpected, "\n\t            "))
	}
	return b.String()
}
