package osv

import (
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/loupe-dev/loupe"
)

// cvssPreference is the order in which severity types are tried: the
// first vector of the first type that parses wins.
var cvssPreference = [...]string{"CVSS_V3", "CVSS_V4", "CVSS_V2"}

// pickSeverity returns the severity of an advisory or affected package:
// the preferred CVSS vector that parses, verbatim, with its base score's
// NVD band; failing that the database's own severity word; failing that
// "" and Unknown.
func pickSeverity(sevs []severity, dbSeverity string) (string, loupe.Severity) {
	for _, typ := range cvssPreference {
		for _, s := range sevs {
			if s.Type != typ {
				continue
			}
			if score, ok := cvssScore(typ, s.Score); ok {
				return s.Score, bandSeverity(score)
			}
		}
	}
	if dbSeverity != "" {
		return dbSeverity, wordSeverity(dbSeverity)
	}
	return "", loupe.Unknown
}

// cvssScore parses a CVSS vector of the given OSV severity type and
// returns its base score.
func cvssScore(typ, vec string) (float64, bool) {
	switch typ {
	case "CVSS_V2":
		// OSV wants the bare vector; tolerate a version prefix and the
		// parentheses NVD once used.
		vec = strings.TrimPrefix(vec, "CVSS:2.0/")
		vec = strings.TrimSuffix(strings.TrimPrefix(vec, "("), ")")
		c, err := gocvss20.ParseVector(vec)
		if err != nil {
			return 0, false
		}
		return c.BaseScore(), true
	case "CVSS_V3":
		switch {
		case strings.HasPrefix(vec, "CVSS:3.0/"):
			c, err := gocvss30.ParseVector(vec)
			if err != nil {
				return 0, false
			}
			return c.BaseScore(), true
		case strings.HasPrefix(vec, "CVSS:3.1/"):
			c, err := gocvss31.ParseVector(vec)
			if err != nil {
				return 0, false
			}
			return c.BaseScore(), true
		}
	case "CVSS_V4":
		c, err := gocvss40.ParseVector(vec)
		if err != nil {
			return 0, false
		}
		return c.Score(), true
	}
	return 0, false
}

// bandSeverity maps a CVSS base score to NVD's qualitative bands (used for
// every CVSS version, as Clair does): 0 (NVD's "None") is Negligible,
// 0.1–3.9 Low, 4.0–6.9 Medium, 7.0–8.9 High, 9.0–10.0 Critical.
func bandSeverity(score float64) loupe.Severity {
	switch {
	case score <= 0:
		return loupe.Negligible
	case score < 4:
		return loupe.Low
	case score < 7:
		return loupe.Medium
	case score < 9:
		return loupe.High
	}
	return loupe.Critical
}

// wordSeverity maps a database_specific severity word (GitHub's LOW,
// MODERATE, HIGH, CRITICAL, and the like), ignoring case.
func wordSeverity(s string) loupe.Severity {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "negligible", "none":
		return loupe.Negligible
	case "low":
		return loupe.Low
	case "moderate", "medium":
		return loupe.Medium
	case "high", "important":
		return loupe.High
	case "critical":
		return loupe.Critical
	}
	return loupe.Unknown
}
