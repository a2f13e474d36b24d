package rhel

import (
	"bytes"
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/layer"
)

// os-release files as the images ship them.
const (
	ubi9OSRelease = `NAME="Red Hat Enterprise Linux"
VERSION="9.4 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"
ANSI_COLOR="0;31"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"
HOME_URL="https://www.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Red Hat Enterprise Linux 9"
REDHAT_BUGZILLA_PRODUCT_VERSION=9.4
REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.4"
`
	ubi8OSRelease = `NAME="Red Hat Enterprise Linux"
VERSION="8.10 (Ootpa)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="8.10"
PLATFORM_ID="platform:el8"
PRETTY_NAME="Red Hat Enterprise Linux 8.10 (Ootpa)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:redhat:enterprise_linux:8::baseos"
HOME_URL="https://www.redhat.com/"
REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux 8"
REDHAT_SUPPORT_PRODUCT_VERSION="8.10"
`
	centos7OSRelease = `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"
`
	stream9OSRelease = `NAME="CentOS Stream"
VERSION="9"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="9"
PLATFORM_ID="platform:el9"
PRETTY_NAME="CentOS Stream 9"
ANSI_COLOR="0;31"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:centos:centos:9"
HOME_URL="https://centos.org/"
BUG_REPORT_URL="https://issues.redhat.com/"
REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux 9"
REDHAT_SUPPORT_PRODUCT_VERSION="CentOS Stream"
`
	stream10OSRelease = `NAME="CentOS Stream"
VERSION="10 (Coughlan)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="10"
PLATFORM_ID="platform:el10"
PRETTY_NAME="CentOS Stream 10 (Coughlan)"
CPE_NAME="cpe:/o:centos:centos:10"
REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux 10"
REDHAT_SUPPORT_PRODUCT_VERSION="CentOS Stream"
`
	rocky9OSRelease = `NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
`
	ubi9Manifest = `{
  "metadata": {
    "icm_version": 1,
    "icm_spec": "https://raw.githubusercontent.com/containerbuildsystem/atomic-reactor/master/atomic_reactor/schemas/content_manifest.json",
    "image_layer_index": 0
  },
  "content_sets": [
    "rhel-9-for-x86_64-appstream-rpms",
    "rhel-9-for-x86_64-baseos-rpms"
  ],
  "image_contents": [
    {"purl": "pkg:rpm/redhat/bash@5.1.8-9.el9?arch=x86_64"}
  ]
}`
)

// scanLayer reads a real (gzipped) layer the way the indexer does,
// keeping the files s asks for, and scans it.
func scanLayer(t *testing.T, s indexer.Scanner, entries ...layertest.Entry) *indexer.Findings {
	t.Helper()
	blob := layertest.Gzip(layertest.Tar(entries...))
	c, err := layer.Read(context.Background(), bytes.NewReader(blob), layer.NewPatterns(s.Patterns()...), layer.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Scan(context.Background(), c.FS())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDistributionLayers(t *testing.T) {
	f := layertest.File
	centos7 := &loupe.Distribution{DID: "centos", Name: "CentOS Linux", Version: "7 (Core)", VersionID: "7",
		PrettyName: "CentOS Linux 7 (Core)", CPE: "cpe:2.3:o:centos:centos:7:*:*:*:*:*:*:*"}
	stream9 := &loupe.Distribution{DID: "centos", Name: "CentOS Stream", Version: "9", VersionID: "9",
		PrettyName: "CentOS Stream 9", CPE: "cpe:2.3:o:centos:centos:9:*:*:*:*:*:*:*"}
	for _, tc := range []struct {
		name         string
		layer        []layertest.Entry
		rhel, centos *loupe.Distribution
	}{
		{"UBI 9", []layertest.Entry{
			layertest.Dir("etc"), layertest.Symlink("etc/os-release", "../usr/lib/os-release"),
			f("usr/lib/os-release", ubi9OSRelease),
			f("etc/redhat-release", "Red Hat Enterprise Linux release 9.4 (Plow)\n"),
		}, Distribution(9), nil},
		{"UBI 8", []layertest.Entry{f("etc/os-release", ubi8OSRelease)}, Distribution(8), nil},
		{"RHEL 7, release file only", []layertest.Entry{
			f("etc/redhat-release", "Red Hat Enterprise Linux Server release 7.9 (Maipo)\n"),
		}, Distribution(7), nil},
		{"CentOS 7", []layertest.Entry{
			f("etc/os-release", centos7OSRelease),
			f("etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n"),
			f("etc/redhat-release", "CentOS Linux release 7.9.2009 (Core)\n"),
		}, nil, centos7},
		{"CentOS Stream 9", []layertest.Entry{f("usr/lib/os-release", stream9OSRelease)}, nil, stream9},
		{"CentOS Stream 10", []layertest.Entry{f("etc/os-release", stream10OSRelease)}, nil, &loupe.Distribution{
			DID: "centos", Name: "CentOS Stream", Version: "10 (Coughlan)", VersionID: "10",
			PrettyName: "CentOS Stream 10 (Coughlan)", CPE: "cpe:2.3:o:centos:centos:10:*:*:*:*:*:*:*"}},
		{"CentOS 6, release file only", []layertest.Entry{f("etc/centos-release", "CentOS release 6.10 (Final)\n")}, nil, &loupe.Distribution{
			DID: "centos", Name: "CentOS Linux", Version: "6 (Final)", VersionID: "6",
			PrettyName: "CentOS Linux 6 (Final)", CPE: "cpe:2.3:o:centos:centos:6:*:*:*:*:*:*:*"}},
		{"CentOS Stream 8, release file only", []layertest.Entry{f("etc/redhat-release", "CentOS Stream release 8\n")}, nil, &loupe.Distribution{
			DID: "centos", Name: "CentOS Stream", Version: "8", VersionID: "8",
			PrettyName: "CentOS Stream 8", CPE: "cpe:2.3:o:centos:centos:8:*:*:*:*:*:*:*"}},
		{"Rocky 9", []layertest.Entry{
			f("etc/os-release", rocky9OSRelease),
			f("etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)\n"),
		}, nil, nil},
		{"os-release without ID", []layertest.Entry{f("etc/os-release", "PRETTY_NAME=\"Red Hat Enterprise Linux Server 7.9 (Maipo)\"\n")}, Distribution(7), nil},
		{"nothing", []layertest.Entry{f("etc/hostname", "x\n")}, nil, nil},
		{"garbage", []layertest.Entry{f("etc/os-release", "\x00\xff=\n=\nID\n"), f("etc/redhat-release", "Red Hat Enterprise Linux release 9")}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range []struct {
				scanner indexer.Scanner
				want    *loupe.Distribution
			}{{DistributionScanner{}, tc.rhel}, {CentOSScanner{}, tc.centos}} {
				var got *loupe.Distribution
				if d := scanLayer(t, s.scanner, tc.layer...).Distributions; len(d) > 0 {
					got = d[0]
				}
				if diff := cmp.Diff(s.want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", s.scanner.Name(), diff)
				}
			}
		})
	}
}

func TestRepositoryLayers(t *testing.T) {
	f := layertest.File
	baseos := Repository("rhel-9-for-x86_64-baseos-rpms", "cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*")
	appstream := Repository("rhel-9-for-x86_64-appstream-rpms", "cpe:2.3:a:redhat:enterprise_linux:9:*:appstream:*:*:*:*:*")
	for _, tc := range []struct {
		name  string
		layer []layertest.Entry
		want  []*loupe.Repository
	}{
		{"UBI 9", []layertest.Entry{
			f("etc/os-release", ubi9OSRelease),
			f("root/buildinfo/content_manifests/ubi9-container-9.4-1123.json", ubi9Manifest),
			f("root/buildinfo/Dockerfile-ubi9-9.4-1123", "FROM scratch\n"),
		}, []*loupe.Repository{appstream, baseos}},
		{"RHCOS, squashed manifests", []layertest.Entry{
			f("usr/share/buildinfo/labels.json", `{"name": "rhcos"}`),
			f("usr/share/buildinfo/content_manifests/a.json", ubi9Manifest),
			f("usr/share/buildinfo/content_manifests/b.json", `{"content_sets": ["rhocp-4.16-for-rhel-9-x86_64-rpms", "acme-tools", "rhel-9-for-x86_64-baseos-rpms", "with space", "", 7]}`),
		}, []*loupe.Repository{
			{Key: RepositoryKey, URI: "repoid=acme-tools"},
			appstream,
			Repository("rhocp-4.16-for-rhel-9-x86_64-rpms", "cpe:2.3:a:redhat:openshift:4.16:*:el9:*:*:*:*:*"),
			baseos,
		}},
		{"malformed manifest", []layertest.Entry{f("root/buildinfo/content_manifests/x.json", `{"content_sets": "rhel-9-for-x86_64-baseos-rpms"`)}, nil},
		{"no manifest", []layertest.Entry{f("etc/os-release", ubi9OSRelease)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scanLayer(t, RepositoryScanner{}, tc.layer...).Repositories
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("repositories (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseContentManifest(t *testing.T) {
	m, err := ParseContentManifest([]byte(ubi9Manifest))
	if err != nil || !cmp.Equal(m.ContentSets, []string{"rhel-9-for-x86_64-appstream-rpms", "rhel-9-for-x86_64-baseos-rpms"}) {
		t.Errorf("ubi9 manifest: %+v, %v", m, err)
	}
	m, err = ParseContentManifest([]byte("\xef\xbb\xbf{\"content_sets\": [], \"metadata\": {\"image_layer_index\": 3}}"))
	if err != nil || len(m.ContentSets) != 0 || m.LayerIndex != 3 {
		t.Errorf("empty manifest: %+v, %v", m, err)
	}
	for _, bad := range []string{`{"name": "labels"}`, `[]`, `{`, `{"content_sets": null}`} {
		if m, err := ParseContentManifest([]byte(bad)); err == nil {
			t.Errorf("%s: parsed %+v", bad, m)
		}
	}
}

// The scanners never fail on what a layer holds.
func TestScannersOnOddFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/os-release":                          {Mode: fs.ModeDir},
		"usr/lib/os-release":                      {Data: []byte(ubi9OSRelease)},
		"root/buildinfo/content_manifests/a":      {Data: []byte("x")},
		"root/buildinfo/content_manifests/d.json": {Mode: fs.ModeDir},
	}
	for _, s := range []indexer.Scanner{DistributionScanner{}, CentOSScanner{}, RepositoryScanner{}} {
		if _, err := s.Scan(context.Background(), fsys); err != nil {
			t.Errorf("%s: %v", s.Name(), err)
		}
	}
}
