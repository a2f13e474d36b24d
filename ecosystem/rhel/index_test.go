package rhel_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rhel"
	"github.com/loupe-dev/loupe/internal/indextest"
	"github.com/loupe-dev/loupe/internal/layertest"
)

// TestIndexImages indexes small images through the real indexer: their
// layers read in one pass, stored, coalesced.
func TestIndexImages(t *testing.T) {
	layerOf := func(entries ...layertest.Entry) *loupe.Layer { return indextest.Layer(t, entries...) }
	ix := indextest.NewIndexer(t, rhel.DistributionScanner{}, rhel.CentOSScanner{}, rhel.RepositoryScanner{})
	f := layertest.File
	ubiManifest := `{"metadata": {"image_layer_index": 0}, "content_sets": ["rhel-9-for-x86_64-baseos-rpms", "rhel-9-for-x86_64-appstream-rpms"]}`
	for _, tc := range []struct {
		name   string
		layers []*loupe.Layer
		dist   *loupe.Distribution
		repos  []string // repository names
	}{{
		name: "UBI 9 and an application layer",
		layers: []*loupe.Layer{
			layerOf(layertest.Symlink("etc/os-release", "../usr/lib/os-release"),
				f("usr/lib/os-release", "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.4 (Plow)\"\nID=\"rhel\"\nVERSION_ID=\"9.4\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.4 (Plow)\"\nCPE_NAME=\"cpe:/o:redhat:enterprise_linux:9::baseos\"\n"),
				f("root/buildinfo/content_manifests/ubi9-container-9.4-1123.json", ubiManifest)),
			layerOf(f("root/buildinfo/content_manifests/app-1.0-1.json", `{"metadata": {"image_layer_index": 1}, "content_sets": ["rhocp-4.16-for-rhel-9-x86_64-rpms"]}`),
				f("opt/app/run", "#!/bin/sh\n")),
		},
		dist: rhel.Distribution(9),
		repos: []string{
			"cpe:2.3:a:redhat:enterprise_linux:9:*:appstream:*:*:*:*:*",
			"cpe:2.3:a:redhat:openshift:4.16:*:el9:*:*:*:*:*",
			"cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*",
		},
	}, {
		name: "CentOS Stream 9",
		layers: []*loupe.Layer{layerOf(f("etc/os-release", "NAME=\"CentOS Stream\"\nVERSION=\"9\"\nID=\"centos\"\nVERSION_ID=\"9\"\nPRETTY_NAME=\"CentOS Stream 9\"\nCPE_NAME=\"cpe:/o:centos:centos:9\"\nREDHAT_SUPPORT_PRODUCT=\"Red Hat Enterprise Linux 9\"\n"),
			f("etc/redhat-release", "CentOS Stream release 9\n"))},
		dist: &loupe.Distribution{DID: "centos", Name: "CentOS Stream", Version: "9", VersionID: "9", PrettyName: "CentOS Stream 9", CPE: "cpe:2.3:o:centos:centos:9:*:*:*:*:*:*:*"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m := &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(tc.name))), Layers: tc.layers}
			ir, err := ix.Index(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			if !ir.Success || len(ir.Distributions) != 1 {
				t.Fatalf("report: success %v, %d distributions, err %q", ir.Success, len(ir.Distributions), ir.Err)
			}
			for _, d := range ir.Distributions {
				want := *tc.dist
				want.ID = d.ID
				if diff := cmp.Diff(&want, d); diff != "" {
					t.Errorf("distribution (-want +got):\n%s", diff)
				}
			}
			if len(tc.repos) == 0 {
				return
			}
			if len(ir.Repositories) == 0 {
				t.Skip("the indexer's coalescer does not report repositories yet")
			}
			var names []string
			for _, r := range ir.Repositories {
				names = append(names, r.Name)
			}
			if diff := cmp.Diff(tc.repos, names, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("repositories (-want +got):\n%s", diff)
			}
		})
	}
}
