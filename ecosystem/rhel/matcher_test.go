package rhel

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/matcher"
)

// rpm is an installed rpm as the rpm scanner reports it.
func rpm(name, version, arch, source, module string) *loupe.Package {
	return &loupe.Package{
		Name: name, Version: version, Kind: loupe.BinaryPackage, Arch: arch, Module: module,
		PackageDB: "sqlite:var/lib/rpm",
		Source:    &loupe.Package{Name: source, Version: version[strings.Index(version, ":")+1:], Kind: loupe.SourcePackage},
	}
}

// report builds the index report of an image with one distribution, the
// repositories RepositoryScanner reports for contentSets, and pkgs, each
// of which comes from every repository.
func report(d *loupe.Distribution, contentSets []string, pkgs ...*loupe.Package) *loupe.IndexReport {
	ir := &loupe.IndexReport{
		Packages:      map[string]*loupe.Package{},
		Distributions: map[string]*loupe.Distribution{},
		Repositories:  map[string]*loupe.Repository{},
		Environments:  map[string][]*loupe.Environment{},
	}
	dd := *d
	dd.ID = "1"
	ir.Distributions["1"] = &dd
	var repoIDs []string
	if len(contentSets) > 0 {
		for i, r := range repositoriesFor(contentSets) {
			r.ID = strconv.Itoa(i + 1)
			ir.Repositories[r.ID] = r
			repoIDs = append(repoIDs, r.ID)
		}
	}
	for i, p := range pkgs {
		p.ID = strconv.Itoa(i + 1)
		ir.Packages[p.ID] = p
		ir.Environments[p.ID] = []*loupe.Environment{{PackageDB: p.PackageDB, DistributionID: "1", RepositoryIDs: repoIDs}}
	}
	return ir
}

// matches returns, for each package name@arch, the vulnerabilities it
// has, as "name fixed-in".
func matches(vr *loupe.VulnerabilityReport) map[string][]string {
	out := map[string][]string{}
	for pid, ids := range vr.PackageVulnerabilities {
		p := vr.Packages[pid]
		k := p.Name + "@" + p.Version + "." + p.Arch
		for _, id := range ids {
			v := vr.Vulnerabilities[id]
			out[k] = append(out[k], v.Name+" "+v.FixedInVersion)
		}
		slices.Sort(out[k])
	}
	return out
}

var centosStream9 = &loupe.Distribution{DID: "centos", Name: "CentOS Stream", Version: "9", VersionID: "9", PrettyName: "CentOS Stream 9", CPE: "cpe:2.3:o:centos:centos:9:*:*:*:*:*:*:*"}

func TestMatcherFixtures(t *testing.T) {
	ctx := context.Background()
	vulns := fixtureVulns(t)
	ix := matcher.NewIndex(ctx, []matcher.Rules{Matcher{}}, vulns, "test")
	if ix.Count != len(vulns) || ix.Invalid != 0 || ix.Unclaimed != 0 {
		t.Fatalf("index: %d indexed, %d invalid, %d unclaimed of %d", ix.Count, ix.Invalid, ix.Unclaimed, len(vulns))
	}
	ubi9 := []string{"rhel-9-for-x86_64-baseos-rpms", "rhel-9-for-x86_64-appstream-rpms"}
	ubi8 := []string{"rhel-8-for-x86_64-baseos-rpms", "rhel-8-for-x86_64-appstream-rpms"}
	rhel9pkgs := func() []*loupe.Package {
		return []*loupe.Package{
			rpm("bind-libs", "32:9.16.23-18.el9_4.1", "x86_64", "bind", ""),
			// Epoch 0 sorts before 32, whatever the version.
			rpm("bind-utils", "9.16.23-20.el9", "x86_64", "bind", ""),
			rpm("bind-libs", "32:9.16.23-18.el9_4.6", "aarch64", "bind", ""),
			// The fix lists no s390x build.
			rpm("bind-libs", "32:9.16.23-18.el9_4.1", "s390x", "bind", ""),
			rpm("openssl-libs", "1:3.0.7-27.el9", "x86_64", "openssl", ""),
			rpm("curl", "7.76.1-29.el9_4", "x86_64", "curl", ""),
			rpm("libcurl", "7.76.1-29.el9_4", "x86_64", "curl", ""),
			rpm("python3-libs", "3.9.18-1.el9_4.1", "x86_64", "python3.9", ""),
			rpm("shadow-utils", "2:4.9-8.el9", "x86_64", "shadow-utils", ""),
		}
	}
	for _, tc := range []struct {
		name string
		ir   *loupe.IndexReport
		m    Matcher
		want map[string][]string
	}{{
		name: "UBI 9",
		ir:   report(Distribution(9), ubi9, rhel9pkgs()...),
		want: map[string][]string{
			"bind-libs@32:9.16.23-18.el9_4.1.x86_64": {"CVE-2024-1001 32:9.16.23-18.el9_4.6"},
			"bind-utils@9.16.23-20.el9.x86_64":       {"CVE-2024-1001 32:9.16.23-18.el9_4.6"},
			// Source package, unfixed.
			"openssl-libs@1:3.0.7-27.el9.x86_64": {"CVE-2024-1003 "},
			// Source package, fixed.
			"python3-libs@3.9.18-1.el9_4.1.x86_64": {"CVE-2024-1005 0:3.9.18-3.el9_4.5"},
			"shadow-utils@2:4.9-8.el9.x86_64":      {"CVE-2024-1006 2:4.9-9.el9_4"},
			// curl and libcurl: not affected in RHEL 9.
		},
	}, {
		// Only AppStream: BaseOS products (and the RHEL 9 "o" product)
		// do not apply.
		name: "AppStream only",
		ir:   report(Distribution(9), []string{"rhel-9-for-x86_64-appstream-rpms"}, rhel9pkgs()...),
		want: map[string][]string{
			"python3-libs@3.9.18-1.el9_4.1.x86_64": {"CVE-2024-1005 0:3.9.18-3.el9_4.5"},
		},
	}, {
		// No content manifest: the main repositories are assumed.
		name: "CentOS Stream 9",
		ir:   report(centosStream9, nil, rhel9pkgs()...),
		want: map[string][]string{
			"bind-libs@32:9.16.23-18.el9_4.1.x86_64": {"CVE-2024-1001 32:9.16.23-18.el9_4.6"},
			"bind-utils@9.16.23-20.el9.x86_64":       {"CVE-2024-1001 32:9.16.23-18.el9_4.6"},
			"openssl-libs@1:3.0.7-27.el9.x86_64":     {"CVE-2024-1003 "},
			"python3-libs@3.9.18-1.el9_4.1.x86_64":   {"CVE-2024-1005 0:3.9.18-3.el9_4.5"},
			"shadow-utils@2:4.9-8.el9.x86_64":        {"CVE-2024-1006 2:4.9-9.el9_4"},
		},
	}, {
		// The EUS 9.2 fix applies to EUS content only.
		name: "RHEL 9.2 EUS",
		ir: report(Distribution(9), []string{"rhel-9-for-x86_64-baseos-eus-rpms__9_DOT_2"},
			rpm("bind-libs", "32:9.16.23-11.el9_2.1", "x86_64", "bind", ""),
			rpm("shadow-utils", "2:4.9-8.el9", "x86_64", "shadow-utils", "")),
		want: map[string][]string{
			"bind-libs@32:9.16.23-11.el9_2.1.x86_64": {"CVE-2024-1001 32:9.16.23-11.el9_2.4"},
		},
	}, {
		name: "UBI 8 module streams",
		ir: report(Distribution(8), ubi8,
			rpm("nodejs", "1:18.19.0-1.module+el8.9.0+20473+c4e3d824", "x86_64", "nodejs", "nodejs:18"),
			rpm("nodejs", "1:20.12.2-2.module+el8.10.0+21512+4b5c6d7e", "aarch64", "nodejs", "nodejs:20"),
			// Older module data carries the whole label.
			rpm("npm", "1:20.11.0-1.module+el8.9.0+21000+aaaaaaaa", "x86_64", "nodejs", "nodejs:20:8090020240101000000:a75119d5"),
			rpm("nodejs", "1:16.0.0-1.el8", "x86_64", "nodejs", ""),
			rpm("curl", "7.61.1-34.el8", "x86_64", "curl", ""),
			rpm("shadow-utils", "2:4.6-19.el8", "x86_64", "shadow-utils", "")),
		want: map[string][]string{
			"nodejs@1:18.19.0-1.module+el8.9.0+20473+c4e3d824.x86_64": {"CVE-2024-1002 1:18.20.2-1.module+el8.10.0+21511+9a1c2b3d"},
			"curl@7.61.1-34.el8.x86_64":                               {"CVE-2024-1004 "},
		},
	}, {
		name: "OpenShift content set",
		ir: report(Distribution(9), []string{"rhocp-4.16-for-rhel-9-x86_64-rpms"},
			rpm("openshift-clients", "4.16.0-202406131906.p0.g7c0889f.assembly.stream.el9", "x86_64", "openshift-clients", ""),
			rpm("shadow-utils", "2:4.9-8.el9", "x86_64", "shadow-utils", "")),
		want: map[string][]string{
			"openshift-clients@4.16.0-202406131906.p0.g7c0889f.assembly.stream.el9.x86_64": {"CVE-2024-1005 0:4.16.0-202407111006.p0.gfa84651.assembly.stream.el9"},
		},
	}, {
		// A content set nobody knows matches nothing...
		name: "unknown content set",
		ir:   report(Distribution(9), []string{"acme-tools-for-rhel-9-x86_64-rpms"}, rpm("shadow-utils", "2:4.9-8.el9", "x86_64", "shadow-utils", "")),
		want: map[string][]string{},
	}, {
		// ...until Red Hat's mapping says what it is.
		name: "unknown content set, mapped",
		ir:   report(Distribution(9), []string{"acme-tools-for-rhel-9-x86_64-rpms"}, rpm("shadow-utils", "2:4.9-8.el9", "x86_64", "shadow-utils", "")),
		m:    Matcher{Repo2CPE: mapping(t, `{"data": {"acme-tools-for-rhel-9-x86_64-rpms": {"cpes": ["cpe:/o:redhat:enterprise_linux:9::baseos"]}}}`)},
		want: map[string][]string{
			"shadow-utils@2:4.9-8.el9.x86_64": {"CVE-2024-1006 2:4.9-9.el9_4"},
		},
	}, {
		// RHEL 9 data never applies to RHEL 8.
		name: "other release",
		ir:   report(Distribution(8), ubi8, rpm("shadow-utils", "2:4.9-8.el9", "x86_64", "shadow-utils", ""), rpm("openssl-libs", "1:3.0.7-27.el9", "x86_64", "openssl", "")),
		want: map[string][]string{},
	}, {
		// Other distributions are not Red Hat's.
		name: "rocky",
		ir:   report(&loupe.Distribution{DID: "rocky", Name: "Rocky Linux", VersionID: "9"}, nil, rpm("shadow-utils", "2:4.9-8.el9", "x86_64", "shadow-utils", "")),
		want: map[string][]string{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ix := matcher.NewIndex(ctx, []matcher.Rules{tc.m}, fixtureVulns(t), "test")
			vr := ix.Match(ctx, tc.ir)
			if diff := cmp.Diff(tc.want, matches(vr)); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
			// The indexer's record keys find every report a match finds.
			keys := map[uint64]bool{}
			for _, h := range matcher.RecordKeys([]matcher.Rules{tc.m}, tc.ir) {
				keys[h] = true
			}
			for _, v := range vr.Vulnerabilities {
				k, _ := tc.m.VulnerabilityKey(v)
				if !keys[k.Hash()] {
					t.Errorf("%s matched but its key %v is not among the report's", v.Name, k)
				}
			}
		})
	}
}

func mapping(t *testing.T, s string) *Repo2CPE {
	t.Helper()
	m := &Repo2CPE{}
	if err := m.Load(strings.NewReader(s)); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMatcherPrepare(t *testing.T) {
	m := Matcher{}
	repo := &loupe.Repository{Name: "cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*", Key: RepositoryKey, CPE: "cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*"}
	for _, tc := range []struct {
		v       *loupe.Vulnerability
		claimed bool
		ns      string
		valid   bool
	}{
		{&loupe.Vulnerability{Package: &loupe.Package{Name: "a"}, Repo: repo, FixedInVersion: "0:1.0-1"}, true, "rhel:9", true},
		{&loupe.Vulnerability{Package: &loupe.Package{Name: "a"}, Repo: repo, FixedInVersion: "bad version:x"}, true, "rhel:9", false},
		{&loupe.Vulnerability{Package: &loupe.Package{Name: "a"}, Repo: &loupe.Repository{Key: RepositoryKey, Name: "cpe:/a:redhat:storage:3"}}, true, "rhel:*", true},
		{&loupe.Vulnerability{Package: &loupe.Package{Name: "a"}, Repo: &loupe.Repository{Key: RepositoryKey, Name: "cpe:/a:redhat:openshift:4.14::el8"}}, true, "rhel:8", true},
		{&loupe.Vulnerability{Package: &loupe.Package{Name: "a"}, Repo: &loupe.Repository{Key: RepositoryKey, Name: "not a cpe"}}, false, "", false},
		{&loupe.Vulnerability{Package: &loupe.Package{Name: "a"}, Repo: &loupe.Repository{Key: "rhcc-container-repository", Name: repo.Name}}, false, "", false},
		{&loupe.Vulnerability{Package: &loupe.Package{Name: "a"}}, false, "", false},
	} {
		k, ok := m.VulnerabilityKey(tc.v)
		if ok != tc.claimed || k.Namespace != tc.ns {
			t.Errorf("%+v: key %v %v, want %q %v", tc.v.Repo, k, ok, tc.ns, tc.claimed)
		}
		if !ok {
			continue
		}
		if _, err := m.Prepare(tc.v); (err == nil) != tc.valid {
			t.Errorf("%+v %q: prepare error %v", tc.v.Repo, tc.v.FixedInVersion, err)
		}
	}
}
