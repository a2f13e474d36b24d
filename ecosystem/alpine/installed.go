package alpine

import (
	"bytes"
)

// installedEntry is the fields of one lib/apk/db/installed entry that
// Loupe uses.
type installedEntry struct {
	Name, Version, Arch, Origin, Commit string
}

// parseInstalled reads an apk installed database: entries separated by
// blank lines, each line a one-letter key, ":", and a value. It keeps the
// package name (P), version (V), architecture (A), origin (o) and build
// commit (c), and never fails: an entry without a name is counted in bad
// and skipped; one without a version is kept, with an empty version, as
// Clair keeps it (it is installed, whatever apk wrote). Lines that are not
// "K:value" are ignored, as apk-tools does.
func parseInstalled(b []byte) (out []installedEntry, bad int) {
	var cur installedEntry
	fields := 0
	flush := func() {
		switch {
		case fields == 0:
		case cur.Name == "":
			bad++
		default:
			out = append(out, cur)
		}
		cur, fields = installedEntry{}, 0
	}
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			continue
		}
		fields++
		switch line[0] {
		case 'P':
			cur.Name = value(line)
		case 'V':
			cur.Version = value(line)
		case 'A':
			cur.Arch = arch(bytes.TrimSpace(line[2:]))
		case 'o':
			cur.Origin = value(line)
		case 'c':
			cur.Commit = value(line)
		}
	}
	flush()
	return out, bad
}

func value(line []byte) string {
	return string(bytes.TrimSpace(line[2:]))
}

// arch returns a shared string for the common architectures, so that a
// database of thousands of packages does not hold thousands of copies.
func arch(a []byte) string {
	for _, k := range [...]string{"x86_64", "aarch64", "noarch", "armv7", "armhf", "x86", "ppc64le", "s390x", "riscv64", "loongarch64"} {
		if string(a) == k {
			return k
		}
	}
	return string(a)
}
