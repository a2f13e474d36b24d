package photon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/internal/oval"
)

// nvdLink makes a CVE's link, as Photon's advisories do.
const nvdLink = "https://nvd.nist.gov/vuln/detail/"

// entry is one row of the CVE metadata: one CVE in one package.
type entry struct {
	CVE    string          `json:"cve_id"`
	Pkg    string          `json:"pkg"`
	Score  json.RawMessage `json:"cve_score"`
	AffVer string          `json:"aff_ver"`
	ResVer string          `json:"res_ver"`
	Status string          `json:"status"`
}

// Parse implements updater.Updater.
func (u *Updater) Parse(ctx context.Context, r io.Reader) ([]*loupe.Vulnerability, error) {
	if u.release == "" {
		return nil, errors.New("photon: updater not made by NewUpdater")
	}
	return Parse(ctx, u.Name(), Distribution(u.release), r)
}

// Parse reads a release's CVE metadata, a JSON array of rows {cve_id,
// pkg, cve_score, aff_ver, res_ver, status}, into vulnerability records on
// dist, for the updater named updaterName.
//
// Each row is one record: name the CVE (or Photon's other identifier),
// package the binary package, fixed_in_version res_ver ("NA" means no
// fix: the record is unfixed), severity from the CVSS score (Low below
// 4.0, Medium below 7.0, High below 9.0, Critical above; Negligible at 0;
// Unknown with none), link the CVE's NVD page. Rows whose status is "Not
// Affected" make no record. A row of the wrong shape is skipped; a
// document that is not a JSON array is an error.
func Parse(ctx context.Context, updaterName string, dist *loupe.Distribution, r io.Reader) ([]*loupe.Vulnerability, error) {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("photon: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("photon: want a JSON array, have %v", tok)
	}
	type key struct{ cve, pkg, fixed string }
	seen := make(map[key]bool)
	var out []*loupe.Vulnerability
	skipped := 0
	for n := 0; dec.More(); n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("photon: row %d: %w", n, err)
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			skipped++
			continue
		}
		e.CVE, e.Pkg = strings.TrimSpace(e.CVE), strings.TrimSpace(e.Pkg)
		if e.CVE == "" || e.Pkg == "" {
			skipped++
			continue
		}
		if strings.EqualFold(strings.TrimSpace(e.Status), "Not Affected") {
			continue
		}
		fixed := strings.TrimSpace(e.ResVer)
		switch strings.ToUpper(fixed) {
		case "NA", "N/A", "NONE":
			fixed = ""
		}
		k := key{e.CVE, e.Pkg, fixed}
		if seen[k] {
			continue
		}
		seen[k] = true
		severity, norm := severityOf(e.Score)
		v := &loupe.Vulnerability{
			Updater:            updaterName,
			Name:               e.CVE,
			Severity:           severity,
			NormalizedSeverity: norm,
			Package:            &loupe.Package{Name: e.Pkg, Kind: loupe.BinaryPackage},
			Dist:               dist,
		}
		if strings.HasPrefix(e.CVE, "CVE-") {
			v.Links = nvdLink + e.CVE
		}
		oval.Bounds{Fixed: fixed}.Set(v)
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("photon: %w", err)
	}
	if skipped > 0 {
		slog.WarnContext(ctx, "photon: malformed rows skipped", "updater", updaterName, "count", skipped)
	}
	return out, nil
}

// severityOf returns the severity of a CVSS score (a number, or a number
// in a string): its band's name, and the normalized severity of that name.
func severityOf(raw json.RawMessage) (string, loupe.Severity) {
	s := string(bytes.Trim(bytes.TrimSpace(raw), `"`))
	score, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || score < 0 || score > 10 {
		return "", loupe.Unknown
	}
	switch {
	case score >= 9:
		return "Critical", loupe.Critical
	case score >= 7:
		return "High", loupe.High
	case score >= 4:
		return "Medium", loupe.Medium
	case score > 0:
		return "Low", loupe.Low
	}
	return "Negligible", loupe.Negligible
}
