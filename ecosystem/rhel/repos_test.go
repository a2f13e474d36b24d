package rhel

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/layertest"
)

func TestFormatCPE(t *testing.T) {
	for in, want := range map[string]string{
		"cpe:/o:redhat:enterprise_linux:9::baseos":            "cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*",
		"cpe:/a:redhat:rhel_eus:9.2::appstream":               "cpe:2.3:a:redhat:rhel_eus:9.2:*:appstream:*:*:*:*:*",
		"cpe:/o:redhat:enterprise_linux:8":                    "cpe:2.3:o:redhat:enterprise_linux:8:*:*:*:*:*:*:*",
		"cpe:/a:redhat:openshift:4.16::el9":                   "cpe:2.3:a:redhat:openshift:4.16:*:el9:*:*:*:*:*",
		"cpe:/a:redhat:jboss_core_services:1::el8":            "cpe:2.3:a:redhat:jboss_core_services:1:*:el8:*:*:*:*:*",
		"cpe:/a:Vendor:Pro%2fduct:1.0-2:-:~ed~sw~tsw~thw~oth": `cpe:2.3:a:vendor:pro\/duct:1.0-2:-:ed:*:sw:tsw:thw:oth`,
		"cpe:2.3:o:redhat:enterprise_linux:9:*:*:*:*:*:*:*":   "cpe:2.3:o:redhat:enterprise_linux:9:*:*:*:*:*:*:*",
		"cpe:2.3:o:short":                                     "",
		"cpe:/x:redhat:enterprise_linux:9":                    "",
		"cpe:/":                                               "",
		"not a cpe":                                           "",
	} {
		if got := formatCPE(in); got != want {
			t.Errorf("formatCPE(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCPECovers(t *testing.T) {
	for _, tc := range []struct {
		vuln, rec string
		want      bool
	}{
		{"cpe:/o:redhat:enterprise_linux:9", "cpe:/o:redhat:enterprise_linux:9::baseos", true},
		{"cpe:/o:redhat:enterprise_linux:9::baseos", "cpe:/o:redhat:enterprise_linux:9::baseos", true},
		{"cpe:/o:redhat:enterprise_linux:9::baseos", "cpe:/a:redhat:enterprise_linux:9::appstream", false},
		{"cpe:/o:redhat:enterprise_linux:9", "cpe:/a:redhat:enterprise_linux:9::appstream", false},
		{"cpe:/o:redhat:enterprise_linux:9", "cpe:/o:redhat:enterprise_linux:8::baseos", false},
		{"cpe:/o:redhat:rhel_eus:9.2::baseos", "cpe:/o:redhat:enterprise_linux:9::baseos", false},
		// Red Hat's "CPE patterns": a prefix.
		{"cpe:/a:redhat:openshift:4", "cpe:/a:redhat:openshift:4.13::el8", true},
		{"cpe:/a:redhat:openshift:4.1", "cpe:/a:redhat:openshift:4.13::el8", true},
		{"cpe:/a:redhat:openshift:4.14", "cpe:/a:redhat:openshift:4.13::el8", false},
		{"cpe:/a:redhat:enterprise_linux:9::appstream", `cpe:2.3:a:redhat:enterprise_linux:9:*:appstream:*:*:*:*:*`, true},
		{"cpe:/a:redhat:enterprise_linux:9::appstream", `cpe:2.3:a:redhat:enterprise_linux:9:*:app\:stream:*:*:*:*:*`, false},
		{"cpe:/a:redhat:enterprise_linux:9::appstream", "cpe:2.3:a:redhat:enterprise_linux", false},
		{"cpe:/a:redhat:enterprise_linux:9::appstream", "garbage", false},
	} {
		c, ok := parseCPE(tc.vuln)
		if !ok {
			t.Fatalf("%s does not parse", tc.vuln)
		}
		rec := tc.rec
		if fs := formatCPE(rec); fs != "" {
			rec = fs
		}
		if got := c.covers(rec); got != tc.want {
			t.Errorf("%s covers %s = %v, want %v", tc.vuln, tc.rec, got, tc.want)
		}
	}
}

func TestDeriveCPEs(t *testing.T) {
	const (
		baseos9 = "cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*"
		app9    = "cpe:2.3:a:redhat:enterprise_linux:9:*:appstream:*:*:*:*:*"
		server7 = "cpe:2.3:o:redhat:enterprise_linux:7:*:server:*:*:*:*:*"
	)
	for id, want := range map[string][]string{
		"rhel-9-for-x86_64-baseos-rpms":                          {baseos9},
		"rhel-9-for-aarch64-baseos-debug-rpms":                   {baseos9},
		"rhel-9-for-s390x-appstream-source-rpms":                 {app9},
		"rhel-8-for-x86_64-appstream-eus-rpms__8_DOT_6":          {"cpe:2.3:a:redhat:rhel_eus:8.6:*:appstream:*:*:*:*:*"},
		"rhel-8-for-x86_64-baseos-e4s-rpms__8_DOT_4":             {"cpe:2.3:o:redhat:rhel_e4s:8.4:*:baseos:*:*:*:*:*"},
		"rhel-8-for-x86_64-baseos-eus-rpms":                      nil, // which minor?
		"rhel-9-for-x86_64-baseos-eus-rpms__8_DOT_6":             nil, // inconsistent
		"rhel-9-for-x86_64-rt-rpms":                              {"cpe:2.3:a:redhat:enterprise_linux:9:*:realtime:*:*:*:*:*"},
		"codeready-builder-for-rhel-9-x86_64-rpms":               {"cpe:2.3:a:redhat:enterprise_linux:9:*:crb:*:*:*:*:*"},
		"codeready-builder-for-rhel-9-x86_64-eus-rpms__9_DOT_2":  {"cpe:2.3:a:redhat:rhel_eus:9.2:*:crb:*:*:*:*:*"},
		"rhel-7-server-rpms":                                     {server7},
		"rhel-7-server-optional-rpms":                            {server7},
		"rhel-7-server-els-rpms":                                 {"cpe:2.3:o:redhat:rhel_els:7:*:*:*:*:*:*:*"},
		"ubi-9-baseos-rpms":                                      {baseos9},
		"ubi-9-appstream-source":                                 {app9},
		"ubi-8-codeready-builder":                                {"cpe:2.3:a:redhat:enterprise_linux:8:*:crb:*:*:*:*:*"},
		"ubi-7":                                                  {server7},
		"ubi-7-server-optional-rpms":                             {server7},
		"rhocp-4.14-for-rhel-8-x86_64-rpms":                      {"cpe:2.3:a:redhat:openshift:4.14:*:el8:*:*:*:*:*"},
		"rhel-server-rhscl-7-rpms":                               nil,
		"ansible-automation-platform-2.4-for-rhel-9-x86_64-rpms": nil,
		"":                  nil,
		"rhel-9-for-x86_64": nil,
	} {
		if got := DeriveCPEs(id); !cmp.Equal(got, want) {
			t.Errorf("DeriveCPEs(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestRepoIDOf(t *testing.T) {
	for uri, want := range map[string]string{
		"repoid=rhel-9-for-x86_64-baseos-rpms": "rhel-9-for-x86_64-baseos-rpms",
		"repoid=a%2Bb":                         "a+b",
		"key=x&repoid=y":                       "y",
		"":                                     "",
		"https://example.com/":                 "",
	} {
		if got := repoIDOf(&loupe.Repository{URI: uri}); got != want {
			t.Errorf("repoIDOf(%q) = %q, want %q", uri, got, want)
		}
	}
	r := Repository("a+b c", "")
	if got := repoIDOf(r); got != "a+b c" {
		t.Errorf("round trip: %q from %q", got, r.URI)
	}
}

func TestRepo2CPE(t *testing.T) {
	const mapping = `{"data": {"rhel-9-for-x86_64-baseos-rpms": {"cpes": ["cpe:/o:redhat:enterprise_linux:9::baseos", "cpe:/o:redhat:rhel:9.0::baseos", "not a cpe"]}, "empty": {"cpes": []}}}`
	var m Repo2CPE
	if _, ok := m.CPEs("x"); ok || m.Len() != 0 {
		t.Error("zero Repo2CPE knows something")
	}
	if err := m.Load(bytes.NewReader(layertest.Gzip([]byte(mapping)))); err != nil {
		t.Fatal(err)
	}
	cpes, ok := m.CPEs("rhel-9-for-x86_64-baseos-rpms")
	want := []string{"cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*", "cpe:2.3:o:redhat:rhel:9.0:*:baseos:*:*:*:*:*"}
	if !ok || !cmp.Equal(cpes, want) || m.Len() != 2 {
		t.Errorf("CPEs = %q %v, len %d", cpes, ok, m.Len())
	}
	for _, bad := range []string{"", "{}", `{"data": {}}`, "[", `{"data": []}`} {
		if err := m.Load(bytes.NewReader([]byte(bad))); err == nil {
			t.Errorf("%q loaded", bad)
		}
	}
	if m.Len() != 2 {
		t.Error("a failed load replaced the mapping")
	}

	// Refresh: over HTTP with If-Modified-Since, and from a file.
	var requests, conditional int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if r.Header.Get("If-Modified-Since") != "" {
			conditional++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
		w.Write(layertest.Zstd([]byte(`{"data": {"x": {"cpes": ["cpe:/a:redhat:openshift:4.16::el9"]}}}`)))
	}))
	defer srv.Close()
	var r Repo2CPE
	ctx := context.Background()
	if err := r.Refresh(ctx, srv.Client(), srv.URL); err != nil || r.Len() != 1 {
		t.Fatalf("refresh: %v, %d repositories", err, r.Len())
	}
	if err := r.Refresh(ctx, srv.Client(), srv.URL); err != nil || r.Len() != 1 || requests != 2 || conditional != 1 {
		t.Errorf("second refresh: %v, %d repositories, %d requests, %d conditional", err, r.Len(), requests, conditional)
	}
	name := filepath.Join(t.TempDir(), "repository-to-cpe.json")
	os.WriteFile(name, []byte(mapping), 0o644)
	if err := r.Refresh(ctx, nil, "file://"+name); err != nil || r.Len() != 2 {
		t.Errorf("file refresh: %v, %d repositories", err, r.Len())
	}
	if err := r.Refresh(ctx, nil, "ftp://x"); err == nil {
		t.Error("ftp url accepted")
	}
}
