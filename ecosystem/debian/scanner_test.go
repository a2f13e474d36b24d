package debian

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

const statusFile = `Package: base-files
Status: install ok installed
Priority: required
Essential: yes
Installed-Size: 340
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy.
 .
 It also contains the Debian release information.

Package: bsdutils
Status: install ok installed
Architecture: amd64
Source: util-linux (2.38.1-5)
Version: 1:2.38.1-5+b1
Description: basic utilities from 4.4BSD-Lite

Package: libssl3
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2

Package: removed-pkg
Status: deinstall ok config-files
Architecture: all
Version: 1.0-1

Package: half
Status: install reinstreq half-installed
Architecture: all
Version: 2.0-1

Package: pending
Status: install ok triggers-pending
Architecture: all
Version: 3.0-1

Package: no-version
Status: install ok installed
Architecture: all

Package: truncated
Status: install ok installed
Archit`

func TestParseStatus(t *testing.T) {
	stanzas, bad := parseStatus([]byte(statusFile), true)
	if bad != 2 {
		t.Errorf("bad = %d, want 2 (no-version and the truncated last entry)", bad)
	}
	var names []string
	for _, s := range stanzas {
		if s.installed() {
			names = append(names, s.Package)
		}
	}
	want := []string{"base-files", "bsdutils", "libssl3", "pending"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("installed packages (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ source, version, wantName, wantVersion string }{
		{"", "1.0-1", "pkg", "1.0-1"},
		{"util-linux (2.38.1-5)", "1:2.38.1-5+b1", "util-linux", "2.38.1-5"},
		{"openssl", "3.0.11-1", "openssl", "3.0.11-1"},
		{"gcc-12 ()", "12.2.0-14", "gcc-12", "12.2.0-14"},
		{"weird (unclosed", "1.0", "weird", "1.0"},
	} {
		s := stanza{Package: "pkg", Version: tc.version, Source: tc.source}
		if n, v := s.source(); n != tc.wantName || v != tc.wantVersion {
			t.Errorf("source of %q = %q %q, want %q %q", tc.source, n, v, tc.wantName, tc.wantVersion)
		}
	}
}

func TestPackageScanner(t *testing.T) {
	fsys := fstest.MapFS{
		"var/lib/dpkg/status": {Data: []byte(statusFile)},
		// Distroless: one file per package, no Status field.
		"var/lib/dpkg/status.d/tzdata":         {Data: []byte("Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n")},
		"var/lib/dpkg/status.d/tzdata.md5sums": {Data: []byte("d41d8cd98f00b204e9800998ecf8427e  usr/share/zoneinfo/UTC\n")},
		"var/lib/dpkg/status.d/libc6":          {Data: []byte("Package: libc6\nVersion: 2.36-9+deb12u7\nArchitecture: amd64\nSource: glibc\n")},
	}
	f, err := PackageScanner{}.Scan(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ DB, Name, Version, Arch, Src, SrcVersion string }
	var got []row
	for _, p := range f.Packages {
		got = append(got, row{p.PackageDB, p.Name, p.Version, p.Arch, p.Source.Name, p.Source.Version})
	}
	want := []row{
		{"var/lib/dpkg/status", "base-files", "12.4+deb12u5", "amd64", "base-files", "12.4+deb12u5"},
		{"var/lib/dpkg/status", "bsdutils", "1:2.38.1-5+b1", "amd64", "util-linux", "2.38.1-5"},
		{"var/lib/dpkg/status", "libssl3", "3.0.11-1~deb12u2", "amd64", "openssl", "3.0.11-1~deb12u2"},
		{"var/lib/dpkg/status", "pending", "3.0-1", "all", "pending", "3.0-1"},
		{"var/lib/dpkg/status.d/libc6", "libc6", "2.36-9+deb12u7", "amd64", "glibc", "2.36-9+deb12u7"},
		{"var/lib/dpkg/status.d/tzdata", "tzdata", "2024a-0+deb12u1", "all", "tzdata", "2024a-0+deb12u1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	wantDBs := []string{"var/lib/dpkg/status", "var/lib/dpkg/status.d/libc6", "var/lib/dpkg/status.d/tzdata"}
	if diff := cmp.Diff(wantDBs, f.Databases); diff != "" {
		t.Errorf("databases (-want +got):\n%s", diff)
	}

	// A layer without a dpkg database finds nothing, and no database.
	f, err = PackageScanner{}.Scan(context.Background(), fstest.MapFS{"etc/os-release": {Data: []byte("ID=alpine")}})
	if err != nil || len(f.Packages) != 0 || len(f.Databases) != 0 {
		t.Errorf("empty layer: %+v, %v", f, err)
	}
	// An empty status file is a database with no packages: it replaces
	// the lower layers' copy.
	f, err = PackageScanner{}.Scan(context.Background(), fstest.MapFS{"var/lib/dpkg/status": {Data: nil}})
	if err != nil || len(f.Packages) != 0 || len(f.Databases) != 1 {
		t.Errorf("empty status: %+v, %v", f, err)
	}
}

// TestRealStatusFiles scans the real dpkg databases in ../shared/data,
// when they are there, and checks the package set against an independent
// count of installed entries.
func TestRealStatusFiles(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/data/pkgdb/dpkg/*.status")
	if len(files) == 0 {
		t.Skip("real dpkg status files not available")
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := PackageScanner{}.Scan(context.Background(), fstest.MapFS{statusPath: {Data: b}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range f.Packages {
				got = append(got, p.Name+"="+p.Version)
			}
			want := independentInstalled(string(b))
			slices.Sort(got)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("packages (-independent +scanner):\n%s", diff)
			}
		})
	}
}

// independentInstalled lists name=version of installed entries with a
// deliberately different, naive parse.
func independentInstalled(s string) []string {
	var out []string
	for _, block := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(block, "\n") {
			if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, " ") {
				fields[k] = strings.TrimSpace(v)
			}
		}
		if fields["Package"] == "" || fields["Version"] == "" {
			continue
		}
		st := strings.Fields(fields["Status"])
		if len(st) == 3 && !installedStates[st[2]] {
			continue
		}
		out = append(out, fields["Package"]+"="+fields["Version"])
	}
	return out
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(statusFile))
	f.Add([]byte("Package: a\r\nVersion: 1\r\n\r\nPackage: b\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		stanzas, _ := parseStatus(b, true)
		for _, s := range stanzas {
			if s.Package == "" || s.Version == "" {
				t.Fatalf("stanza without package or version: %+v", s)
			}
			s.installed()
			s.source()
		}
	})
}

// TestStatusNoFinalNewline checks that a file cut in a Version line is
// distrusted only when dpkg wrote it: distroless status.d files come from
// other tools, which may end without a newline.
func TestStatusNoFinalNewline(t *testing.T) {
	const doc = "Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1"
	if st, bad := parseStatus([]byte(doc), true); len(st) != 0 || bad != 1 {
		t.Errorf("dpkg's status cut in Version: %d stanzas, %d bad; want 0, 1", len(st), bad)
	}
	st, bad := parseStatus([]byte(doc), false)
	if len(st) != 1 || bad != 0 || st[0].Version != "2024a-0+deb12u1" {
		t.Errorf("status.d file without a final newline: %+v, %d bad; want the package", st, bad)
	}
}
