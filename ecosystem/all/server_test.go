package all_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/internal/servertest"
)

// A secdb document for Alpine v3.18's main repository.
const secdb = `{"distroversion": "v3.18", "reponame": "main", "archs": ["x86_64"], "packages": [
  {"pkg": {"name": "openssl", "secfixes": {"3.1.4-r1": ["CVE-2023-5678"], "3.1.0-r4": ["CVE-2023-1255"], "0": ["CVE-2022-3996"]}}},
  {"pkg": {"name": "busybox", "secfixes": {"1.36.1-r7": ["CVE-2023-42363"]}}}]}`

// An ELSA-shaped OVAL document of one advisory for Oracle Linux 8, about
// the packages of the rpm database fixture (ecosystem/rpm/testdata).
const elsa = `<?xml version="1.0" encoding="UTF-8"?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5" xmlns:red-def="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux">
<definitions>
<definition id="oval:com.oracle.elsa:def:20249001" version="501" class="patch">
<metadata>
<title>ELSA-2024-9001:  loupe-tools security update (IMPORTANT)</title>
<affected family="unix"><platform>Oracle Linux 8</platform></affected>
<reference source="elsa" ref_id="ELSA-2024-9001" ref_url="https://linux.oracle.com/errata/ELSA-2024-9001.html"/>
<description>Made up for Loupe's tests.</description>
<advisory><severity>IMPORTANT</severity><issued date="2024-03-01"/><cve href="https://linux.oracle.com/cve/CVE-2024-9001.html">CVE-2024-9001</cve></advisory>
</metadata>
<criteria operator="AND">
<criterion test_ref="oval:com.oracle.elsa:tst:1" comment="Oracle Linux 8 is installed"/>
<criteria operator="OR">
<criterion test_ref="oval:com.oracle.elsa:tst:2" comment="loupe-tools is earlier than 2:3.1-1.el8"/>
<criterion test_ref="oval:com.oracle.elsa:tst:3" comment="loupe-hello is earlier than 0:1.0-1"/>
</criteria>
</criteria>
</definition>
</definitions>
<tests>
<rpminfo_test xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:com.oracle.elsa:tst:1" version="501" comment="Oracle Linux 8 is installed" check="at least one"><object object_ref="oval:com.oracle.elsa:obj:1"/><state state_ref="oval:com.oracle.elsa:ste:1"/></rpminfo_test>
<rpminfo_test xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:com.oracle.elsa:tst:2" version="501" comment="loupe-tools is earlier than 2:3.1-1.el8" check="at least one"><object object_ref="oval:com.oracle.elsa:obj:2"/><state state_ref="oval:com.oracle.elsa:ste:2"/></rpminfo_test>
<rpminfo_test xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:com.oracle.elsa:tst:3" version="501" comment="loupe-hello is earlier than 0:1.0-1" check="at least one"><object object_ref="oval:com.oracle.elsa:obj:3"/><state state_ref="oval:com.oracle.elsa:ste:3"/></rpminfo_test>
</tests>
<objects>
<rpminfo_object xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:com.oracle.elsa:obj:1" version="501"><name>oraclelinux-release</name></rpminfo_object>
<rpminfo_object xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:com.oracle.elsa:obj:2" version="501"><name>loupe-tools</name></rpminfo_object>
<rpminfo_object xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:com.oracle.elsa:obj:3" version="501"><name>loupe-hello</name></rpminfo_object>
</objects>
<states>
<rpminfo_state xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:com.oracle.elsa:ste:1" version="501"><version operation="pattern match">^8</version></rpminfo_state>
<rpminfo_state xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:com.oracle.elsa:ste:2" version="501"><evr datatype="evr_string" operation="less than">2:3.1-1.el8</evr></rpminfo_state>
<rpminfo_state xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" id="oval:com.oracle.elsa:ste:3" version="501"><evr datatype="evr_string" operation="less than">0:1.0-1</evr></rpminfo_state>
</states>
</oval_definitions>`

// TestServerEndToEnd runs Loupe in combo mode with the Alpine and Oracle
// updater sets reading feeds from loopback, indexes an Alpine image and an
// Oracle Linux image over the API, and checks their vulnerability
// reports: the path from feed to report through the updaters, the
// store and the in-memory index, for an apk and an rpm distribution.
func TestServerEndToEnd(t *testing.T) {
	rpmdb, err := os.ReadFile("../rpm/testdata/rpm.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	blobs := map[string][]byte{
		"/secdb/v3.18/main.json":             []byte(secdb),
		"/oval/com.oracle.elsa-2024.xml.bz2": []byte(elsa), // plain XML: the content, not the name, tells
	}
	layer := func(entries ...layertest.Entry) *loupe.Layer {
		b := layertest.Gzip(layertest.Tar(entries...))
		d := layertest.Digest(b)
		blobs["/blobs/"+d] = b
		return &loupe.Layer{Hash: loupe.MustParseDigest(d)}
	}
	alpine := layer(
		layertest.File("etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n"),
		layertest.File("lib/apk/db/installed", "P:openssl\nV:3.1.2-r0\nA:x86_64\no:openssl\n\nP:libcrypto3\nV:3.1.2-r0\nA:x86_64\no:openssl\n\nP:busybox\nV:1.36.1-r7\nA:x86_64\no:busybox\n\n"),
	)
	oracle := layer(
		layertest.File("etc/os-release", "NAME=\"Oracle Linux Server\"\nVERSION=\"8.9\"\nID=\"ol\"\nVERSION_ID=\"8.9\"\nPRETTY_NAME=\"Oracle Linux Server 8.9\"\n"),
		layertest.File("var/lib/rpm/rpmdb.sqlite", string(rpmdb)),
	)
	feeds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := blobs[r.URL.Path]
		if !ok {
			http.NotFound(w, r) // every other release and year
			return
		}
		w.Write(b)
	}))
	defer feeds.Close()
	for _, l := range []*loupe.Layer{alpine, oracle} {
		l.URI = feeds.URL + "/blobs/" + l.Hash.String()
	}

	api := servertest.Start(t, config.ComboMode, fmt.Sprintf(`
http_listen_addr: 127.0.0.1:0
updaters:
  sets: [alpine, oracle]
  config:
    alpine: {url: "%s/secdb/"}
    oracle: {url: "%s/oval/"}
`, feeds.URL, feeds.URL)).API

	for _, tc := range []struct {
		name  string
		layer *loupe.Layer
		want  []string // "package version: vulnerability (fixed in)"
	}{{
		name:  "alpine",
		layer: alpine,
		want: []string{
			"libcrypto3 3.1.2-r0: CVE-2023-5678 (3.1.4-r1)",
			"openssl 3.1.2-r0: CVE-2023-5678 (3.1.4-r1)",
		},
	}, {
		name:  "oracle",
		layer: oracle,
		want:  []string{"loupe-tools 2:3.1~rc1-4.lp1: ELSA-2024-9001 (2:3.1-1.el8)"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m := loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(tc.name))), Layers: []*loupe.Layer{tc.layer}}
			body, _ := json.Marshal(m)
			res, err := http.Post(api+"/indexer/api/v1/index_report", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("index: %s", res.Status)
			}
			var vr loupe.VulnerabilityReport
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				res, err := http.Get(api + "/matcher/api/v1/vulnerability_report/" + m.Hash.String())
				if err != nil {
					t.Fatal(err)
				}
				err = json.NewDecoder(res.Body).Decode(&vr)
				res.Body.Close()
				if res.StatusCode == http.StatusOK && err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no report: %s", res.Status) // 202 until the updaters' data has landed
				}
			}
			var got []string
			for pkgID, ids := range vr.PackageVulnerabilities {
				p := vr.Packages[pkgID]
				for _, id := range ids {
					v := vr.Vulnerabilities[id]
					name, _, _ := strings.Cut(v.Name, ":")
					got = append(got, fmt.Sprintf("%s %s: %s (%s)", p.Name, p.Version, name, v.FixedInVersion))
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
