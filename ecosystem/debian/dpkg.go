package debian

import (
	"bytes"
	"strings"
)

// stanza is the fields of one dpkg status entry that Loupe uses.
type stanza struct {
	Package, Version, Architecture, Source, Status string
}

// installedStates are the dpkg package states in which the package's
// files are on disk: anything unpacked counts, since its code can run.
var installedStates = map[string]bool{
	"installed":        true,
	"unpacked":         true,
	"half-configured":  true,
	"triggers-awaited": true,
	"triggers-pending": true,
}

// installed reports whether a stanza's Status field says the package's
// files are present. dpkg writes "want flag state", for example
// "install ok installed"; an absent Status (distroless status.d files)
// counts as installed.
func (s *stanza) installed() bool {
	if s.Status == "" {
		return true
	}
	f := strings.Fields(s.Status)
	return len(f) == 3 && installedStates[f[2]]
}

// parseStatus splits a dpkg status file (deb822 stanzas separated by
// blank lines) and returns the stanzas that name a package. It never
// fails: a stanza missing Package or Version (what a truncated file ends
// with) is counted in bad and skipped, except for the version-less entries
// dpkg keeps for packages that are not installed. With dpkgWritten (the
// status file dpkg itself writes, which ends every line with a newline),
// so is a last stanza whose Package, Version, Architecture, Source or
// Status line is cut off by the end of the file: its value may be a
// prefix of the real one, "1.2" of "1.2.3-1". Distroless status.d files
// come from other tools, which may leave the last newline out.
func parseStatus(b []byte, dpkgWritten bool) (out []stanza, bad int) {
	var cur stanza
	var fields int
	cut := false
	flush := func() {
		switch {
		case fields == 0:
		case cut:
			bad++
		case cur.Package != "" && cur.Version == "" && cur.Status != "" && !cur.installed():
			// Packages dpkg knows of but never installed have no version.
		case cur.Package == "" || cur.Version == "":
			bad++
		default:
			out = append(out, cur)
		}
		cur, fields, cut = stanza{}, 0, false
	}
	for len(b) > 0 {
		var line []byte
		last := false
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b, last = b, nil, true
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
			continue // a continuation line or a comment
		}
		key, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		fields++
		val = bytes.TrimSpace(val)
		switch string(key) {
		case "Package":
			cur.Package = string(val)
		case "Version":
			cur.Version = string(val)
		case "Architecture":
			cur.Architecture = string(val)
		case "Source":
			cur.Source = string(val)
		case "Status":
			cur.Status = string(val)
		default:
			continue
		}
		cut = last && dpkgWritten
	}
	flush()
	return out, bad
}

// source returns the source package name and version of a binary
// package. "Source: name (version)" names both; "Source: name" means the
// binary's version; no Source field means the binary is its own source.
func (s *stanza) source() (name, version string) {
	if s.Source == "" {
		return s.Package, s.Version
	}
	name, rest, ok := strings.Cut(s.Source, " ")
	if !ok {
		return name, s.Version
	}
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
		if v := strings.TrimSpace(rest[1 : len(rest)-1]); v != "" {
			return name, v
		}
	}
	return name, s.Version
}
