package bench

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// Scale of the synthetic feed, chosen to be about the size of the real
// Debian security tracker export: some 38,000 source packages with, on
// average, 4 CVEs each across 6 releases.
const (
	synthSources  = 38000
	synthCVEs     = 4
	synthReleases = 6
)

var synthReleaseNames = []string{"buster", "bullseye", "bookworm", "trixie", "forky", "sid"}

// SynthesizeTracker returns a Debian security tracker export at the real
// one's scale, in which the source packages of the layer's dpkg database
// (a gzip tar) have entries too: for each, a CVE fixed after the
// installed version, one fixed before it, one open and one never
// affected.
func SynthesizeTracker(layerBlob []byte) ([]byte, error) {
	sources, err := imageSources(layerBlob)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("{")
	n := 0
	entry := func(src string, cve int, release string, status, fixed, urgency string) {
		fmt.Fprintf(&buf, `%q: {"status": %q, "repositories": {%q: "1.0-1"}, "fixed_version": %q, "urgency": %q}`, release, status, release, fixed, urgency)
	}
	pkg := func(src string, image bool) {
		if n > 0 {
			buf.WriteString(",")
		}
		n++
		fmt.Fprintf(&buf, "%q: {", src)
		for c := 0; c < synthCVEs; c++ {
			if c > 0 {
				buf.WriteString(",")
			}
			fmt.Fprintf(&buf, `"CVE-2024-%05d": {"scope": "remote", "description": "Synthetic flaw %d in %s, long enough to look like a real description of a memory safety issue reachable from the network.", "releases": {`, n*synthCVEs+c, c, src)
			for r, rel := range synthReleaseNames[:synthReleases] {
				if r > 0 {
					buf.WriteString(",")
				}
				switch {
				case image && c == 0:
					entry(src, c, rel, "resolved", "99:99.0-1", "high") // fixed after the installed version
				case image && c == 1:
					entry(src, c, rel, "resolved", "0.1-1", "low") // fixed before it
				case c == 2:
					entry(src, c, rel, "open", "", "unimportant")
				case c == 3 && r%2 == 0:
					entry(src, c, rel, "resolved", "0", "unimportant")
				default:
					entry(src, c, rel, "resolved", "1.0-1", "medium")
				}
			}
			buf.WriteString("}}")
		}
		buf.WriteString("}")
	}
	for _, s := range sources {
		pkg(s, true)
	}
	for i := 0; i < synthSources-len(sources); i++ {
		pkg(fmt.Sprintf("synthetic-source-%05d", i), false)
	}
	buf.WriteString("}")
	return buf.Bytes(), nil
}

// imageSources lists the source packages in the layer's dpkg database.
func imageSources(blob []byte) ([]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, errors.New("no dpkg status in the layer")
		}
		if strings.TrimPrefix(h.Name, "./") != "var/lib/dpkg/status" {
			continue
		}
		data, _ := io.ReadAll(tr)
		seen := map[string]bool{}
		var out []string
		for _, stanza := range strings.Split(string(data), "\n\n") {
			name := ""
			for _, line := range strings.Split(stanza, "\n") {
				if v, ok := strings.CutPrefix(line, "Package: "); ok && name == "" {
					name = v
				}
				if v, ok := strings.CutPrefix(line, "Source: "); ok {
					name, _, _ = strings.Cut(v, " ")
				}
			}
			if name != "" && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
		return out, nil
	}
}
