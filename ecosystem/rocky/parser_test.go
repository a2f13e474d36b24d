package rocky

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

// fixture returns the project's recorded feed: both pages, as Fetch keeps
// them.
func fixture(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, name := range []string{"osv-page1.json", "osv-page2.json"} {
		p, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(bytes.TrimSpace(p))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// summary renders a vulnerability as one line.
func summary(v *loupe.Vulnerability) string {
	return fmt.Sprintf("%s %s %s/%s module=%q fixed=%q %s/%s", v.Name, Namespace(v.Dist), v.Package.Kind, v.Package.Name,
		v.Package.Module, v.FixedInVersion, v.Severity, v.NormalizedSeverity)
}

func TestParse(t *testing.T) {
	vulns, err := (&Updater{}).Parse(context.Background(), bytes.NewReader(fixture(t)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vulns {
		got = append(got, summary(v))
		if v.Updater != UpdaterName {
			t.Errorf("%s: updater %q", v.Name, v.Updater)
		}
	}
	want := []string{
		`RLSA-2024:0101 rocky:9 source/openssl module="" fixed="1:3.0.7-25.el9_3" Important/High`,
		`RLSA-2024:0102 rocky:9 source/nodejs module="nodejs:18" fixed="1:18.19.1-1.module+el9.3.0+16866+be0dbea7" Moderate/Medium`,
		`RLSA-2024:0102 rocky:9 source/nodejs-nodemon module="nodejs:18" fixed="3.0.1-1.module+el9.3.0+16866+be0dbea7" Moderate/Medium`,
		// RLSA-2024:0103 is modular and names no stream: left out.
		`RLSA-2023:7001 rocky:8 source/libxml2 module="" fixed="2.9.7-18.el8_9" Low/Low`,
		// RLSA-2023:7002 is withdrawn.
		`RLSA-2024:0200 rocky:8 source/loupe-tools module="" fixed="2:3.1-1.lp1" Important/High`,
		`RLSA-2024:0200 rocky:8 source/loupe-nodejs module="loupe-nodejs:18" fixed="18.20.0-1.module+el8.9.0+20500+0a1b2c3d" Important/High`,
		`RLSA-2024:0200 rocky:8 source/loupe-hello module="" fixed="1.0-1" Important/High`,
		`RLSA-2024:0201 rocky:9 source/zlib module="" fixed="" Moderate/Medium`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}

	first := vulns[0]
	if diff := cmp.Diff(Distribution("9"), first.Dist); diff != "" {
		t.Errorf("distribution (-want +got):\n%s", diff)
	}
	wantLinks := "https://errata.rockylinux.org/RLSA-2024:0101 https://bugzilla.redhat.com/show_bug.cgi?id=2248616 " +
		"https://access.redhat.com/security/cve/CVE-2023-5678 https://access.redhat.com/security/cve/CVE-2023-6129"
	if first.Links != wantLinks {
		t.Errorf("links:\n got %q\nwant %q", first.Links, wantLinks)
	}
	if want := time.Date(2024, 1, 30, 9, 15, 0, 0, time.UTC); !first.Issued.Equal(want) {
		t.Errorf("issued %v, want %v", first.Issued, want)
	}
	if !strings.HasPrefix(first.Description, "OpenSSL is a toolkit") {
		t.Errorf("description %q", first.Description)
	}
	// A CVE a reference already links is not linked again.
	if got := vulns[3].Links; got != "https://errata.rockylinux.org/RLSA-2023:7001 https://access.redhat.com/security/cve/CVE-2023-45322" {
		t.Errorf("libxml2 links %q", got)
	}
	// With no details, the summary describes the advisory.
	if got := vulns[3].Description; got != "Low: libxml2 security update" {
		t.Errorf("libxml2 description %q", got)
	}
}

func TestParseShapes(t *testing.T) {
	adv := `{"id":"RLSA-1","upstream":["CVE-2024-1"],"summary":"Low: a","affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1-1"}]}]}]}`
	for _, tc := range []struct {
		name, body string
		want       int
		wantErr    bool
	}{
		{"advisory", adv, 1, false},
		{"array", "[" + adv + "," + adv + "]", 1, false},
		{"page", `{"advisories":[` + adv + `]}`, 1, false},
		{"stream", adv + "\n" + `{"advisories":[]}` + "\n[]", 1, false},
		{"empty", "", 0, false},
		{"malformed advisory skipped", `[{"id":5},` + adv + `,{"affected":"x"}]`, 1, false},
		{"no id", `{"summary":"x"}`, 0, false},
		{"not json", "<html>", 0, true},
		{"number", "42", 0, true},
		{"truncated", adv[:40], 0, true},
		{"CVSS only", `{"id":"RLSA-2","related":["CVE-2024-2"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1-1"}]}]}]}`, 1, false},
		{"no CVE", `{"id":"RLBA-1","summary":"a bug fix","affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1-1"}]}]}]}`, 0, false},
		{"other ecosystem", `{"id":"X","affected":[{"package":{"ecosystem":"Rocky Linux","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1"}]}]}]}`, 0, false},
		{"last_affected", `{"id":"X","affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"1"}]}]}]}`, 0, false},
		{"two ranges", `{"id":"X","upstream":["CVE-2024-3"],"affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1-1"},{"introduced":"2"},{"fixed":"2-5"}]}]}]}`, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vulns, err := (&Updater{}).Parse(context.Background(), strings.NewReader(tc.body))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if len(vulns) != tc.want {
				t.Errorf("%d vulnerabilities, want %d", len(vulns), tc.want)
			}
		})
	}
	vulns, _ := (&Updater{}).Parse(context.Background(), strings.NewReader(`{"id":"RLSA-2","aliases":["CVE-2024-2"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1-1"}]}]}]}`))
	if len(vulns) != 1 || vulns[0].NormalizedSeverity != loupe.Critical || !strings.HasPrefix(vulns[0].Severity, "CVSS:3.1/") {
		t.Errorf("CVSS severity: %+v", vulns)
	}
}
