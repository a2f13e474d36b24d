package fedora

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
)

func fixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "updates.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// summary renders a vulnerability as one line.
func summary(v *loupe.Vulnerability) string {
	return fmt.Sprintf("%s %s %s/%s fixed=%q %s/%s", v.Name, Namespace(v.Dist), v.Package.Kind, v.Package.Name,
		v.FixedInVersion, v.Severity, v.NormalizedSeverity)
}

func TestParse(t *testing.T) {
	vulns, stats, err := parse(context.Background(), bytes.NewReader(fixture(t)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vulns {
		got = append(got, summary(v))
		if v.Updater != UpdaterName || v.Package.Module != "" {
			t.Errorf("%s: updater %q, module %q", v.Name, v.Updater, v.Package.Module)
		}
	}
	want := []string{
		`FEDORA-2024-1a2b3c4d5e fedora:40 source/openssl fixed="1:3.2.1-2.fc40" high/High`,
		`FEDORA-2024-2b3c4d5e6f fedora:40 source/python3.12 fixed="3.12.2-1.fc40" medium/Medium`,
		`FEDORA-2024-2b3c4d5e6f fedora:40 source/python3-docs fixed="3.12.2-1.fc40" medium/Medium`,
		// The EPEL update is not Fedora's.
		`FEDORA-2024-3c4d5e6f7a fedora:39 source/libxml2 fixed="2.10.4-3.fc39" low/Low`,
		// The update in testing is left out.
		`FEDORA-2024-5e6f7a8b9c fedora:40 source/loupe-tools fixed="2:3.1-1.lp1" unspecified/Unknown`,
		`FEDORA-2024-5e6f7a8b9c fedora:40 source/loupe-hello fixed="1.0-1" unspecified/Unknown`,
		`FEDORA-2024-5e6f7a8b9c fedora:40 source/loupe-nodejs fixed="18.20.0-1.fc40" unspecified/Unknown`,
		// The repeated FEDORA-2024-1a2b3c4d5e and the enhancement are
		// left out.
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}
	if stats.Updates != 8 || stats.Skipped != 4 || stats.BadBuilds != 1 || stats.Malformed != 0 {
		t.Errorf("stats %+v", stats)
	}
	first := vulns[0]
	if diff := cmp.Diff(Distribution("40"), first.Dist); diff != "" {
		t.Errorf("distribution (-want +got):\n%s", diff)
	}
	if want := "https://bodhi.fedoraproject.org/updates/FEDORA-2024-1a2b3c4d5e https://nvd.nist.gov/vuln/detail/CVE-2024-0727 https://bugzilla.redhat.com/show_bug.cgi?id=2257571"; first.Links != want {
		t.Errorf("links %q, want %q", first.Links, want)
	}
	if want := time.Date(2024, 2, 27, 2, 30, 11, 0, time.UTC); !first.Issued.Equal(want) {
		t.Errorf("issued %v, want %v", first.Issued, want)
	}
	// CVEs from the update's name when no security bug names one; issued
	// when pushed when there is no stable date.
	if v := vulns[1]; v.Links != "https://bodhi.fedoraproject.org/updates/FEDORA-2024-2b3c4d5e6f https://nvd.nist.gov/vuln/detail/CVE-2023-6597" ||
		!v.Issued.Equal(time.Date(2024, 2, 18, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("python: links %q, issued %v", v.Links, v.Issued)
	}
	// With no notes, the title describes the update.
	if got := vulns[3].Description; got != "libxml2-2.10.4-3.fc39" {
		t.Errorf("libxml2 description %q", got)
	}
}

func TestSplitNVR(t *testing.T) {
	for _, tc := range []struct{ nvr, epoch, name, evr string }{
		{"httpd-2.4.55-1.fc37", "0", "httpd", "2.4.55-1.fc37"},
		{"kernel-6.7.5-200.fc39", "", "kernel", "6.7.5-200.fc39"},
		{"python-django-4.2.10-1.fc40", "", "python-django", "4.2.10-1.fc40"},
		{"openssl-3.2.1-2.fc40", "1", "openssl", "1:3.2.1-2.fc40"},
		{"vim-9.1.113-1.fc40", "2", "vim", "2:9.1.113-1.fc40"},
		{"a-1-2", "x", "", ""},
		{"a-1", "", "", ""},
		{"-1-2", "", "", ""},
		{"a--2", "", "", ""},
		{"a-1-", "", "", ""},
		{"", "", "", ""},
	} {
		name, evr, ok := splitNVR(tc.nvr, tc.epoch)
		if name != tc.name || evr != tc.evr || ok != (tc.name != "") {
			t.Errorf("splitNVR(%q, %q) = %q, %q, %v; want %q, %q", tc.nvr, tc.epoch, name, evr, ok, tc.name, tc.evr)
		}
	}
}

func TestParseShapes(t *testing.T) {
	up := `{"alias":"FEDORA-1","type":"security","status":"stable","release":{"version":"40","id_prefix":"FEDORA"},"builds":[{"nvr":"a-1-1.fc40","type":"rpm","epoch":0}]}`
	for _, tc := range []struct {
		name, body string
		want       int
		wantErr    bool
	}{
		{"update", up, 1, false},
		{"list", "[" + up + "]", 1, false},
		{"page", `{"updates":[` + up + `],"pages":1}`, 1, false},
		{"empty page", `{"updates":[],"pages":0}`, 0, false},
		{"no alias", `{"type":"security"}`, 0, false},
		{"malformed", `[{"alias":"X","builds":"no"},` + up + `]`, 1, false},
		{"release not a number", `{"alias":"X","release":{"version":"rawhide"},"builds":[{"nvr":"a-1-1"}]}`, 0, false},
		{"not json", `Service Unavailable`, 0, true},
		{"updates not a list", `{"updates":{}}`, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vulns, _, err := parse(context.Background(), strings.NewReader(tc.body))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if len(vulns) != tc.want {
				t.Errorf("%d vulnerabilities, want %d", len(vulns), tc.want)
			}
		})
	}
}
