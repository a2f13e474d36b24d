package rpmfeeds

import (
	"strings"

	"github.com/loupe-dev/loupe"
)

// NormalizeImpact maps a Red Hat-style impact word, as Rocky Linux,
// AlmaLinux and Amazon Linux rate their advisories, to a normalized
// severity, ignoring case: "low" is Low, "moderate" and "medium" are
// Medium, "important" and "high" are High, "critical" and "urgent" are
// Critical; anything else ("none", "unspecified", "") is Unknown.
func NormalizeImpact(word string) loupe.Severity {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "low":
		return loupe.Low
	case "moderate", "medium":
		return loupe.Medium
	case "important", "high":
		return loupe.High
	case "critical", "urgent":
		return loupe.Critical
	}
	return loupe.Unknown
}

// ImpactOf returns the impact word that starts an advisory title or
// synopsis in the Red Hat style ("Important: firefox security update"),
// or "" when it does not start with one.
func ImpactOf(title string) string {
	word, _, ok := strings.Cut(strings.TrimSpace(title), ":")
	if !ok {
		return ""
	}
	switch strings.ToLower(word) {
	case "low", "moderate", "important", "critical":
		return word
	}
	return ""
}
