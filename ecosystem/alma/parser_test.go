package alma

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
	b, err := os.ReadFile(filepath.Join("testdata", "errata.full.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// summary renders a vulnerability as one line.
func summary(v *loupe.Vulnerability) string {
	arch := v.Package.Arch
	if v.ArchOperation != loupe.ArchOpNone {
		arch = v.ArchOperation.String() + " " + arch
	}
	return fmt.Sprintf("%s %s %s/%s [%s] module=%q fixed=%q %s/%s", v.Name, Namespace(v.Dist), v.Package.Kind, v.Package.Name,
		arch, v.Package.Module, v.FixedInVersion, v.Severity, v.NormalizedSeverity)
}

func TestParse(t *testing.T) {
	vulns, stats, err := parse(context.Background(), bytes.NewReader(fixture(t)), "9")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vulns {
		got = append(got, summary(v))
		if v.Updater != "alma-9-updater" {
			t.Errorf("%s: updater %q", v.Name, v.Updater)
		}
	}
	want := []string{
		`ALSA-2024:0101 almalinux:9 binary/openssl [pattern match ^(?:aarch64|x86_64)$] module="" fixed="1:3.0.7-25.el9_3" Important/High`,
		`ALSA-2024:0101 almalinux:9 binary/openssl-libs [pattern match ^(?:aarch64|i686|x86_64)$] module="" fixed="1:3.0.7-25.el9_3" Important/High`,
		`ALSA-2024:0102 almalinux:9 binary/nodejs [equals x86_64] module="nodejs:18" fixed="1:18.19.1-1.module_el9.3.0+66+6d1e4b2f" Moderate/Medium`,
		`ALSA-2024:0102 almalinux:9 binary/npm [equals x86_64] module="nodejs:18" fixed="1:10.2.4-1.18.19.1.1.module_el9.3.0+66+6d1e4b2f" Moderate/Medium`,
		`ALSA-2024:0102 almalinux:9 binary/nodejs-nodemon [equals noarch] module="nodejs:18" fixed="3.0.1-1.module_el9.3.0+66+6d1e4b2f" Moderate/Medium`,
		`ALSA-2024:0102 almalinux:9 binary/nodejs [equals x86_64] module="nodejs:20" fixed="1:20.11.1-1.module_el9.3.0+70+0c43a5c1" Moderate/Medium`,
		// ALBA-2024:0200 fixes no CVE: left out.
		`ALBA-2024:0201 almalinux:9 binary/zlib [equals x86_64] module="" fixed="1.2.11-41.el9" None/Unknown`,
		`ALSA-2024:0300 almalinux:9 binary/postgresql [equals x86_64] module="postgresql:15" fixed="15.6-1.module_el9.3.0+80+ab12cd34" Moderate/Medium`,
		`ALSA-2024:0400 almalinux:9 binary/loupe-tools [equals x86_64] module="" fixed="2:3.1-1.lp1" Important/High`,
		`ALSA-2024:0400 almalinux:9 binary/libloupe [equals x86_64] module="" fixed="2:3.1-1.lp1" Important/High`,
		`ALSA-2024:0400 almalinux:9 binary/loupe-nodejs [equals noarch] module="loupe-nodejs:18" fixed="18.20.0-1.module_el9.3.0+90+0a1b2c3d" Important/High`,
		`ALSA-2024:0400 almalinux:9 binary/loupe-hello [equals noarch] module="" fixed="1.0-1" Important/High`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}
	if stats.Errata != 7 || stats.Malformed != 1 || stats.NotSecurity != 1 {
		t.Errorf("stats %+v", stats)
	}
	first := vulns[0]
	if diff := cmp.Diff(Distribution("9"), first.Dist); diff != "" {
		t.Errorf("distribution (-want +got):\n%s", diff)
	}
	if want := "https://errata.almalinux.org/9/ALSA-2024-0101.html https://vulners.com/cve/CVE-2023-5678 https://access.redhat.com/errata/RHSA-2024:0101"; first.Links != want {
		t.Errorf("links %q, want %q", first.Links, want)
	}
	if want := time.Date(2024, 1, 30, 9, 15, 0, 0, time.UTC); !first.Issued.Equal(want) {
		t.Errorf("issued %v, want %v", first.Issued, want)
	}
	// Without a self reference, the erratum's page is linked.
	if got := vulns[6].Links; got != "https://vulners.com/cve/CVE-2023-45853 https://errata.almalinux.org/9/ALBA-2024-0201.html" {
		t.Errorf("zlib links %q", got)
	}
}

func TestParseShapes(t *testing.T) {
	erratum := `{"id":"ALSA-1","type":"security","severity":"Low","issued_date":{"$date":1629790196000},"packages":[{"name":"a","epoch":0,"version":"1","release":"1.el9","arch":"x86_64"}]}`
	osv := `{"id":"ALSA-2024:9","related":["CVE-2024-9"],"summary":"Low: a","affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1-2.el9"}]}]},{"package":{"ecosystem":"AlmaLinux:8","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1-2.el8"}]}]}]}`
	for _, tc := range []struct {
		name, body string
		want       int
		wantErr    bool
	}{
		{"errata", `{"schema_version":"1.0","data":[` + erratum + `]}`, 1, false},
		{"data first", `{"data":[` + erratum + `],"schema_version":"1.0"}`, 1, false},
		{"data null", `{"schema_version":"1.0","data":null}`, 0, false},
		{"empty object", `{}`, 0, false},
		{"empty", ``, 0, false},
		{"osv record, this release only", osv, 1, false},
		{"osv list", `[` + osv + `]`, 1, false},
		{"no epoch, no release", `{"data":[{"id":"X","type":"security","packages":[{"name":"a","version":"1","arch":"noarch"},{"name":"","version":"1"},{"name":"b"}]}]}`, 1, false},
		{"modular, stream unknown", `{"data":[{"id":"X","type":"security","title":"Low: b","packages":[{"name":"a","version":"1","release":"1.module_el9.1.0+1+a","arch":"noarch"}]}]}`, 0, false},
		{"data not a list", `{"data":{}}`, 0, true},
		{"not json", `<html>`, 0, true},
		{"truncated", `{"data":[` + erratum, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vulns, _, err := parse(context.Background(), strings.NewReader(tc.body), "9")
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if len(vulns) != tc.want {
				t.Errorf("%d vulnerabilities, want %d", len(vulns), tc.want)
			}
		})
	}
	vulns, _, _ := parse(context.Background(), strings.NewReader(`{"data":[`+erratum+`]}`), "9")
	if len(vulns) != 1 || !vulns[0].Issued.Equal(time.UnixMilli(1629790196000)) || vulns[0].FixedInVersion != "1-1.el9" {
		t.Errorf("older shape: %+v", vulns)
	}
}
