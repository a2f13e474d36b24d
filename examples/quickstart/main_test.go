package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestQuickstart runs the README's quickstart and checks its report: the
// sample feed affects openssh, util-linux (through its binaries bsdutils
// and mount), glibc and tar in the image it builds; curl is past its fix
// and xz-utils was never affected.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-dir", t.TempDir()}, &out); err != nil {
		t.Fatalf("quickstart: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"10 packages, 5 vulnerable, 4 vulnerabilities",
		"openssh-client  1:9.2p1-2+deb12u2      CVE-2024-6387   High",
		"bsdutils        1:2.38.1-5+b1          CVE-2024-28085  Low",
		"mount           2.38.1-5+b1            CVE-2024-28085  Low",
		"(no fix yet)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, absent := range []string{"CVE-2023-38545", "CVE-2024-3094"} {
		if strings.Contains(got, absent) {
			t.Errorf("output lists %s:\n%s", absent, got)
		}
	}
}
