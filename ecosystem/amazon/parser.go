package amazon

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/rpmfeeds"
	"github.com/loupe-dev/loupe/version"
)

// update is the part of an updateinfo <update> Parse reads.
type update struct {
	Type        string `xml:"type,attr"`
	ID          string `xml:"id"`
	Title       string `xml:"title"`
	Issued      date   `xml:"issued"`
	Severity    string `xml:"severity"`
	Description string `xml:"description"`
	References  []struct {
		Href string `xml:"href,attr"`
		ID   string `xml:"id,attr"`
		Type string `xml:"type,attr"`
	} `xml:"references>reference"`
	Packages []struct {
		Name    string `xml:"name,attr"`
		Epoch   string `xml:"epoch,attr"`
		Version string `xml:"version,attr"`
		Release string `xml:"release,attr"`
		Arch    string `xml:"arch,attr"`
	} `xml:"pkglist>collection>package"`
}

// date is an updateinfo date attribute: "2018-01-11 18:13", with or
// without seconds, in UTC; anything else is the zero time.
type date struct{ time.Time }

func (d *date) UnmarshalXML(dec *xml.Decoder, start xml.StartElement) error {
	for _, a := range start.Attr {
		if a.Name.Local != "date" {
			continue
		}
		for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
			if t, err := time.Parse(layout, strings.TrimSpace(a.Value)); err == nil {
				d.Time = t.UTC()
				break
			}
		}
	}
	return dec.Skip()
}

// Stats counts what Parse read and left out.
type Stats struct {
	// Updates is the number of <update> elements read.
	Updates int
	// Malformed updates did not decode, or had no id.
	Malformed int
	// NotSecurity counts updates that are not security updates and name
	// no CVE: left out.
	NotSecurity int
	// BadPackages counts packages with no name or a version that does
	// not parse.
	BadPackages int
}

// Parse implements updater.Updater (see the package documentation).
func (u *Updater) Parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, error) {
	vulns, stats, err := parse(ctx, body, u.release, u.Name())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Name(), err)
	}
	if stats.Malformed+stats.BadPackages > 0 {
		slog.WarnContext(ctx, "aws updateinfo partly skipped", "updater", u.Name(),
			"updates", stats.Updates, "malformed", stats.Malformed, "bad_packages", stats.BadPackages)
	}
	return vulns, nil
}

// decompress undoes the compression updateinfo is served with (gzip,
// bzip2 or zstd, told by their magic numbers); plain XML passes through.
func decompress(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), func() {}, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	}
	return br, func() {}, nil
}

func parse(ctx context.Context, body io.Reader, release Release, name string) ([]*loupe.Vulnerability, Stats, error) {
	var stats Stats
	dist := release.Distribution()
	if dist == nil {
		return nil, stats, fmt.Errorf("unknown release %q", release)
	}
	r, done, err := decompress(body)
	if err != nil {
		return nil, stats, err
	}
	defer done()
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charsetReader
	var out []*loupe.Vulnerability
	root := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, stats, err
		}
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, stats, fmt.Errorf("updateinfo: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch {
		case !root && se.Name.Local == "updates":
			root = true
			continue
		case !root:
			return nil, stats, fmt.Errorf("updateinfo: want <updates>, have <%s>", se.Name.Local)
		case se.Name.Local != "update":
			if err := dec.Skip(); err != nil {
				return nil, stats, fmt.Errorf("updateinfo: %w", err)
			}
			continue
		}
		stats.Updates++
		var up update
		if err := dec.DecodeElement(&up, &se); err != nil {
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				return nil, stats, fmt.Errorf("updateinfo: %w", err)
			}
			stats.Malformed++
			continue
		}
		up.ID = strings.TrimSpace(up.ID)
		if up.ID == "" {
			stats.Malformed++
			continue
		}
		out = append(out, vulnerabilities(&up, dist, name, &stats)...)
	}
	if !root {
		return nil, stats, errors.New("updateinfo: no <updates>")
	}
	return out, stats, nil
}

func vulnerabilities(up *update, dist *loupe.Distribution, updaterName string, stats *Stats) []*loupe.Vulnerability {
	var links rpmfeeds.Links
	cves := false
	for _, r := range up.References {
		links.Add(r.Href)
		cves = cves || strings.EqualFold(r.Type, "cve")
	}
	if t := strings.TrimSpace(up.Type); t != "" && t != "security" && !cves {
		stats.NotSecurity++
		return nil
	}
	sev := strings.TrimSpace(up.Severity)
	proto := loupe.Vulnerability{
		Updater:            updaterName,
		Name:               up.ID,
		Description:        strings.TrimSpace(up.Description),
		Issued:             up.Issued.Time,
		Links:              links.String(),
		Severity:           sev,
		NormalizedSeverity: rpmfeeds.NormalizeImpact(sev),
		Dist:               dist,
	}
	var out []*loupe.Vulnerability
	type key struct{ name, evr string }
	seen := map[key]bool{}
	for _, p := range up.Packages {
		if p.Arch == "src" {
			continue
		}
		name := strings.TrimSpace(p.Name)
		evr := strings.TrimSpace(p.Version)
		if rel := strings.TrimSpace(p.Release); rel != "" {
			evr += "-" + rel
		}
		if e := strings.TrimSpace(p.Epoch); e != "" && e != "0" {
			evr = e + ":" + evr
		}
		v, err := version.ParseRPM(evr)
		if name == "" || err != nil {
			stats.BadPackages++
			continue
		}
		k := key{name, v.String()}
		if seen[k] {
			continue // the same fix on another architecture
		}
		seen[k] = true
		vuln := proto
		vuln.Package = &loupe.Package{Name: name, Kind: loupe.BinaryPackage}
		vuln.FixedInVersion = k.evr
		out = append(out, &vuln)
	}
	return out
}

// charsetReader accepts the encodings updateinfo files declare, UTF-8
// and its subset US-ASCII.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	}
	return nil, fmt.Errorf("unsupported charset %q", charset)
}
