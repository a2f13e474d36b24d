package debian_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/debian"
	"github.com/loupe-dev/loupe/ecosystem/ubuntu"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/indextest"
	"github.com/loupe-dev/loupe/internal/layertest"
)

// newIndexer returns a real indexer with the dpkg, Debian and Ubuntu
// scanners over an SQLite store.
func newIndexer(t testing.TB) *indexer.Indexer {
	return indextest.NewIndexer(t, debian.PackageScanner{}, debian.DistributionScanner{}, ubuntu.DistributionScanner{})
}

// index indexes the image the layer blobs make, base first.
func index(t testing.TB, ix *indexer.Indexer, blobs ...[]byte) (*loupe.IndexReport, error) {
	t.Helper()
	var ls []*loupe.Layer
	for _, b := range blobs {
		ls = append(ls, indextest.BlobLayer(t, b))
	}
	return indextest.Image(t, ix, ls...)
}

func layers(ls ...[]layertest.Entry) [][]byte {
	var out [][]byte
	for _, l := range ls {
		out = append(out, layertest.Gzip(layertest.Tar(l...)))
	}
	return out
}

// packages renders a report's packages as "db name version arch source
// source-version".
func packages(r *loupe.IndexReport) []string {
	var out []string
	for id, p := range r.Packages {
		src, srcVer := "", ""
		if p.Source != nil {
			src, srcVer = p.Source.Name, p.Source.Version
		}
		out = append(out, strings.Join([]string{r.Environments[id][0].PackageDB, p.Name, p.Version, p.Arch, src, srcVer}, " "))
	}
	slices.Sort(out)
	return out
}

var (
	baseFiles = layertest.Deb{Name: "base-files", Version: "12.4+deb12u5"}
	libc6     = layertest.Deb{Name: "libc6", Version: "2.36-9+deb12u7", Source: "glibc"}
	tzdata    = layertest.Deb{Name: "tzdata", Version: "2024a-0+deb12u1", Arch: "all"}
	libssl3   = layertest.Deb{Name: "libssl3", Version: "3.0.11-1~deb12u2", Source: "openssl"}
)

// distrolessEntry renders a status.d file as distroless images write
// them: one stanza, no Status field.
func distrolessEntry(d layertest.Deb) string {
	arch := d.Arch
	if arch == "" {
		arch = "amd64"
	}
	s := "Package: " + d.Name + "\nVersion: " + d.Version + "\nArchitecture: " + arch + "\n"
	if d.Source != "" {
		s += "Source: " + d.Source + "\n"
	}
	return s + "Maintainer: Debian Fixtures <fixtures@example.org>\nDescription: " + d.Name + "\n fixture\n"
}

// TestDpkgEdgeCases indexes images whose dpkg database is unusual, with
// the real indexer, and checks that each is reported, not crashed on: the
// index succeeds and says what the image holds.
func TestDpkgEdgeCases(t *testing.T) {
	osr := layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm"))
	status := func(debs ...layertest.Deb) layertest.Entry {
		return layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(debs...))
	}
	full := layertest.DpkgStatus(baseFiles, libc6, tzdata)
	for _, tc := range []struct {
		name   string
		layers [][]byte
		want   []string
	}{
		{
			name: "distroless: status.d only",
			layers: layers([]layertest.Entry{
				osr,
				layertest.File("var/lib/dpkg/status.d/base-files", distrolessEntry(baseFiles)),
				layertest.File("var/lib/dpkg/status.d/base-files.md5sums", "d41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n"),
				layertest.File("var/lib/dpkg/status.d/libc6", distrolessEntry(libc6)),
				layertest.File("var/lib/dpkg/status.d/libc6.md5sums", "d41d8cd98f00b204e9800998ecf8427e  lib/x86_64-linux-gnu/libc.so.6\n"),
				layertest.File("var/lib/dpkg/status.d/tzdata", distrolessEntry(tzdata)),
			}, []layertest.Entry{
				// A later layer adds one more package file.
				layertest.File("var/lib/dpkg/status.d/libssl3", distrolessEntry(libssl3)),
			}),
			want: []string{
				"var/lib/dpkg/status.d/base-files base-files 12.4+deb12u5 amd64 base-files 12.4+deb12u5",
				"var/lib/dpkg/status.d/libc6 libc6 2.36-9+deb12u7 amd64 glibc 2.36-9+deb12u7",
				"var/lib/dpkg/status.d/libssl3 libssl3 3.0.11-1~deb12u2 amd64 openssl 3.0.11-1~deb12u2",
				"var/lib/dpkg/status.d/tzdata tzdata 2024a-0+deb12u1 all tzdata 2024a-0+deb12u1",
			},
		},
		{
			name: "distroless: status.d deleted in a later layer",
			layers: layers(
				[]layertest.Entry{osr, layertest.File("var/lib/dpkg/status.d/libc6", distrolessEntry(libc6))},
				[]layertest.Entry{layertest.Whiteout("var/lib/dpkg", "status.d")},
			),
		},
		{
			name:   "status deleted in a later layer",
			layers: layers([]layertest.Entry{osr, status(baseFiles, libc6)}, []layertest.Entry{layertest.Whiteout("var/lib/dpkg", "status")}),
		},
		{
			name:   "dpkg directory deleted in a later layer",
			layers: layers([]layertest.Entry{osr, status(baseFiles, libc6)}, []layertest.Entry{layertest.Whiteout("var/lib", "dpkg")}),
		},
		{
			name: "dpkg directory made opaque, without a new status",
			layers: layers([]layertest.Entry{osr, status(baseFiles, libc6)},
				[]layertest.Entry{layertest.Opaque("var/lib/dpkg"), layertest.File("var/lib/dpkg/diversions", "")}),
		},
		{
			name:   "never present",
			layers: layers([]layertest.Entry{osr, layertest.File("usr/bin/app", "\x7fELF")}),
		},
		{
			name:   "empty status",
			layers: layers([]layertest.Entry{osr, layertest.File("var/lib/dpkg/status", "")}),
		},
		{
			name:   "emptied in a later layer",
			layers: layers([]layertest.Entry{osr, status(baseFiles, libc6)}, []layertest.Entry{layertest.File("var/lib/dpkg/status", "\n")}),
		},
		{
			// Cut inside the last stanza's Version line: the stanzas
			// before it are kept, the cut one (whose version may be a
			// prefix of the real one) is not.
			name:   "truncated status",
			layers: layers([]layertest.Entry{osr, layertest.File("var/lib/dpkg/status", full[:strings.LastIndex(full, "Version:")+len("Version: 2024a")])}),
			want: []string{
				"var/lib/dpkg/status base-files 12.4+deb12u5 amd64 base-files 12.4+deb12u5",
				"var/lib/dpkg/status libc6 2.36-9+deb12u7 amd64 glibc 2.36-9+deb12u7",
			},
		},
		{
			// Cut in the description, after every field Loupe reads.
			name:   "truncated in a description",
			layers: layers([]layertest.Entry{osr, layertest.File("var/lib/dpkg/status", strings.TrimSuffix(full, " fixture\n"))}),
			want: []string{
				"var/lib/dpkg/status base-files 12.4+deb12u5 amd64 base-files 12.4+deb12u5",
				"var/lib/dpkg/status libc6 2.36-9+deb12u7 amd64 glibc 2.36-9+deb12u7",
				"var/lib/dpkg/status tzdata 2024a-0+deb12u1 all tzdata 2024a-0+deb12u1",
			},
		},
		{
			name:   "binary garbage",
			layers: layers([]layertest.Entry{osr, layertest.File("var/lib/dpkg/status", "\x00\x01\x02\xff\xfe:\n\n\x89PNG\r\n\x1a\n")}),
		},
		{
			// Unreadable as a file: a directory, a link loop, a link out
			// of the layer. Nothing to read, nothing to report.
			name: "status is not a file",
			layers: layers([]layertest.Entry{
				osr,
				layertest.Dir("var/lib/dpkg/status"),
				layertest.Symlink("var/lib/dpkg/status.d/a", "b"),
				layertest.Symlink("var/lib/dpkg/status.d/b", "a"),
				layertest.Symlink("var/lib/dpkg/status.d/c", "/../../../etc/shadow"),
			}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := index(t, newIndexer(t), tc.layers...)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Success || r.State != loupe.StateIndexFinished {
				t.Fatalf("state %s, success %v, err %q", r.State, r.Success, r.Err)
			}
			if diff := cmp.Diff(tc.want, packages(r)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if len(r.Distributions) != 1 || r.Distributions["1"].VersionCodeName != "bookworm" {
				t.Errorf("distributions = %+v", r.Distributions)
			}
		})
	}

	// A layer that cannot be read at all is an error, not an empty
	// report.
	good := layertest.Gzip(layertest.Tar(osr, status(baseFiles)))
	_, err := index(t, newIndexer(t), good[:len(good)/2])
	if err == nil || !indexer.IsBadLayer(err) {
		t.Errorf("truncated layer: err = %v, want a bad-layer error", err)
	}
}
