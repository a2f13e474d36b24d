package osrelease

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	in := `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
# a comment
HOME_URL='https://www.debian.org/'
not an assignment
BAD-KEY=x
ESCAPED="a \"quoted\" \$word"
BARE=one\ two # trailing comment
EMPTY=
`
	got := Parse([]byte(in))
	want := map[string]string{
		"PRETTY_NAME":      "Debian GNU/Linux 12 (bookworm)",
		"NAME":             "Debian GNU/Linux",
		"VERSION_ID":       "12",
		"VERSION":          "12 (bookworm)",
		"VERSION_CODENAME": "bookworm",
		"ID":               "debian",
		"HOME_URL":         "https://www.debian.org/",
		"ESCAPED":          `a "quoted" $word`,
		"BARE":             "one two",
		"EMPTY":            "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

func TestFormatCPE(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"cpe:/o:redhat:enterprise_linux:8::baseos", `cpe:2.3:o:redhat:enterprise_linux:8:*:baseos:*:*:*:*:*`},
		{"cpe:/o:redhat:enterprise_linux:9.2", `cpe:2.3:o:redhat:enterprise_linux:9.2:*:*:*:*:*:*:*`},
		{"cpe:/o:opensuse:leap:15.5", `cpe:2.3:o:opensuse:leap:15.5:*:*:*:*:*:*:*`},
		{"cpe:/o:amazon:amazon_linux:2", `cpe:2.3:o:amazon:amazon_linux:2:*:*:*:*:*:*:*`},
		{"cpe:/a:vendor:product:1.0:-:~ed~sw~tsw~thw~oth", `cpe:2.3:a:vendor:product:1.0:-:ed:*:sw:tsw:thw:oth`},
		{"cpe:2.3:o:amazon:amazon_linux:2023:*:*:*:*:*:*:*", "cpe:2.3:o:amazon:amazon_linux:2023:*:*:*:*:*:*:*"},
		{"cpe:/o:Vendor:Pro%2fduct", `cpe:2.3:o:vendor:pro\/duct:*:*:*:*:*:*:*:*`},
		{"not a cpe", ""},
		{"cpe:/", ""},
		{"cpe:2.3:o:short", ""},
	} {
		if got := FormatCPE(tc.in); got != tc.want {
			t.Errorf("FormatCPE(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("ID=debian\nVERSION_ID=\"12\"\n"))
	f.Add([]byte("A='x\nB=\"y\\\"\nC=\\"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for k := range Parse(b) {
			if !validKey(k) {
				t.Fatalf("invalid key %q returned", k)
			}
		}
		FormatCPE(string(b))
	})
}

func TestRead(t *testing.T) {
	if _, ok := Read(fstest.MapFS{}); ok {
		t.Error("Read found a file in an empty FS")
	}
	kv, ok := Read(fstest.MapFS{"usr/lib/os-release": {Data: []byte("ID=x\n")}, "etc/os-release": {Mode: fs.ModeDir}})
	if !ok || kv["ID"] != "x" {
		t.Errorf("Read = %v, %v; want usr/lib/os-release's when etc/os-release is unreadable", kv, ok)
	}
}
