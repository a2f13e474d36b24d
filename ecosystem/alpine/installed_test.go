package alpine

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseInstalled(t *testing.T) {
	b, err := os.ReadFile("testdata/installed")
	if err != nil {
		t.Fatal(err)
	}
	got, bad := parseInstalled(b)
	if bad != 0 {
		t.Errorf("bad = %d, want 0", bad)
	}
	want := []installedEntry{
		{"musl", "1.2.4-r2", "x86_64", "musl", "a6d6b7d6a7e1ec0a5ec8e4d00cff7df6e5e1f2f9"},
		{"busybox", "1.36.1-r2", "x86_64", "busybox", "3d6b6a8f7e2b9b7c1cfe8d6a8a0f4e1c2d3b4a5f"},
		{"busybox-binsh", "1.36.1-r2", "x86_64", "busybox", "3d6b6a8f7e2b9b7c1cfe8d6a8a0f4e1c2d3b4a5f"},
		{"libcrypto3", "3.1.4-r0", "x86_64", "openssl", "6e8b3b1d0f5e2c4a7b9d8e1f0a2c3b4d5e6f7a8b"},
		{"libssl3", "3.1.4-r0", "x86_64", "openssl", "6e8b3b1d0f5e2c4a7b9d8e1f0a2c3b4d5e6f7a8b"},
		{"zlib", "1.2.13-r1", "x86_64", "zlib", "8f5d0d2a9a6b1e0f3c2d4b5a6e7f8091a2b3c4d5"},
		{"openssh-client-default", "9.3_p2-r0", "x86_64", "openssh", "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d"},
		{"ca-certificates-bundle", "20230506-r0", "x86_64", "ca-certificates", "59534a02716a92a10d177a118c34066162eff4a6"},
		{"local-tool", "0.1_git20240101-r0", "noarch", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}

	// The same database with Windows line ends, runs of blank lines and
	// no final newline reads the same.
	crlf := bytes.ReplaceAll(bytes.TrimRight(b, "\n"), []byte("\n"), []byte("\r\n"))
	crlf = bytes.ReplaceAll(crlf, []byte("\r\n\r\n"), []byte("\r\n\r\n\r\n\n"))
	if got, bad := parseInstalled(crlf); bad != 0 || !cmp.Equal(want, got) {
		t.Errorf("CRLF database: %d bad, diff (-want +got):\n%s", bad, cmp.Diff(want, got))
	}
}

func TestParseInstalledDamaged(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		names    []string
		bad      int
	}{
		{"empty", "", nil, 0},
		{"blank lines", "\n\n\r\n", nil, 0},
		{"truncated last entry", "P:a\nV:1-r0\n\nP:b\nV:", []string{"a", "b"}, 0},
		{"truncated name", "P:a\nV:1-r0\n\nC:Q1abc=\nP", []string{"a"}, 1},
		{"no version", "P:a\n\nP:b\nV:2-r0\n", []string{"a", "b"}, 0},
		{"no name", "V:1-r0\nA:x86_64\n\nP:b\nV:2-r0\n", []string{"b"}, 1},
		{"garbage lines", "this is not\napk\nP:a\nV:1-r0\nX\n::\n", []string{"a"}, 0},
		{"files only", "F:usr\nR:x\n", nil, 1},
		{"values trimmed", "P: a \nV:\t1-r0 \n", []string{"a"}, 0},
		{"later key wins", "P:a\nV:1-r0\nV:2-r0\n", []string{"a"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, bad := parseInstalled([]byte(tc.in))
			var names []string
			for _, e := range got {
				names = append(names, e.Name)
			}
			if !cmp.Equal(tc.names, names) || bad != tc.bad {
				t.Errorf("names %q, bad %d; want %q, %d", names, bad, tc.names, tc.bad)
			}
		})
	}
}

func FuzzParseInstalled(f *testing.F) {
	b, err := os.ReadFile("testdata/installed")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("P:a\r\nV:1\r\n\r\nP:b\n"))
	f.Add([]byte("P:\nV:\n\n\n:\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, bad := parseInstalled(b)
		if bad < 0 || len(entries)+bad > bytes.Count(b, []byte("\n"))+1 {
			t.Fatalf("%d entries and %d bad from %d lines", len(entries), bad, bytes.Count(b, []byte("\n"))+1)
		}
		for _, e := range entries {
			if e.Name == "" {
				t.Fatalf("entry without a name: %+v", e)
			}
			if strings.ContainsAny(e.Name+e.Version+e.Arch+e.Origin+e.Commit, "\n") {
				t.Fatalf("value spans lines: %+v", e)
			}
		}
	})
}

// installedDB makes a database of n packages shaped like real ones: a
// dozen fields and a few dozen file lines each.
func installedDB(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "C:Q1%027d=\nP:package-%d\nV:1.%d.%d-r%d\nA:x86_64\nS:123456\nI:456789\n", i, i, i%50, i%7, i%3)
		fmt.Fprintf(&b, "T:package number %d\nU:https://example.org/\nL:MIT\no:origin-%d\nm:Someone <someone@example.org>\nt:1700000000\n", i, i/3)
		fmt.Fprintf(&b, "c:%040x\nD:so:libc.musl-x86_64.so.1\np:so:libpackage-%d.so.1=1\nF:usr\nF:usr/lib\n", i, i)
		for j := range 20 {
			fmt.Fprintf(&b, "R:libpackage-%d.so.%d\na:0:0:755\nZ:Q1%027d=\n", i, j, j)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// BenchmarkAPKInstalledParse measures the apk database parse on a
// synthetic database of 2000 packages (about 3 MiB), and on the real ones
// in ../shared/data when they are there.
func BenchmarkAPKInstalledParse(b *testing.B) {
	run := func(b *testing.B, db []byte) {
		b.SetBytes(int64(len(db)))
		b.ReportAllocs()
		for b.Loop() {
			parseInstalled(db)
		}
	}
	b.Run("synthetic", func(b *testing.B) { run(b, installedDB(2000)) })
	if db, err := os.ReadFile(realDataDir + "/pkgdb/apk/syft-multiple-2/lib/apk/db/installed"); err == nil {
		b.Run("real", func(b *testing.B) { run(b, db) })
	}
}
