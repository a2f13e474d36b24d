package osv

import (
	"testing"

	"github.com/loupe-dev/loupe"
)

func TestPickSeverity(t *testing.T) {
	const (
		v31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" // 9.8
		v30 = "CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N" // 5.5
		v40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"
		v2  = "AV:N/AC:L/Au:N/C:P/I:P/A:P" // 7.5
	)
	for _, tc := range []struct {
		name string
		sevs []severity
		db   string
		want string
		norm loupe.Severity
	}{
		{"v3 over v4", []severity{{"CVSS_V4", v40}, {"CVSS_V3", v31}}, "", v31, loupe.Critical},
		{"v3.0", []severity{{"CVSS_V3", v30}}, "", v30, loupe.Medium},
		{"v4 over v2", []severity{{"CVSS_V2", v2}, {"CVSS_V4", v40}}, "", v40, loupe.Medium},
		{"v2", []severity{{"CVSS_V2", v2}}, "", v2, loupe.High},
		{"v2 with prefix", []severity{{"CVSS_V2", "CVSS:2.0/" + v2}}, "", "CVSS:2.0/" + v2, loupe.High},
		{"v2 in parentheses", []severity{{"CVSS_V2", "(" + v2 + ")"}}, "", "(" + v2 + ")", loupe.High},
		{"bad v3, then v2", []severity{{"CVSS_V3", "CVSS:3.1/AV:N"}, {"CVSS_V2", v2}}, "", v2, loupe.High},
		{"v3 vector under v4", []severity{{"CVSS_V4", v31}}, "LOW", "LOW", loupe.Low},
		{"wrong type", []severity{{"Ubuntu", "high"}}, "", "", loupe.Unknown},
		{"moderate", nil, "MODERATE", "MODERATE", loupe.Medium},
		{"medium", nil, "medium", "medium", loupe.Medium},
		{"critical", nil, "Critical", "Critical", loupe.Critical},
		{"high", nil, "HIGH", "HIGH", loupe.High},
		{"unknown word", nil, "UNKNOWN", "UNKNOWN", loupe.Unknown},
		{"nothing", nil, "", "", loupe.Unknown},
	} {
		got, norm := pickSeverity(tc.sevs, tc.db)
		if got != tc.want || norm != tc.norm {
			t.Errorf("%s: got %q %v, want %q %v", tc.name, got, norm, tc.want, tc.norm)
		}
	}
}

func TestBandSeverity(t *testing.T) {
	for _, tc := range []struct {
		score float64
		want  loupe.Severity
	}{
		{0, loupe.Negligible}, {0.1, loupe.Low}, {3.9, loupe.Low}, {4.0, loupe.Medium}, {6.9, loupe.Medium},
		{7.0, loupe.High}, {8.9, loupe.High}, {9.0, loupe.Critical}, {10, loupe.Critical},
	} {
		if got := bandSeverity(tc.score); got != tc.want {
			t.Errorf("bandSeverity(%v): got %v, want %v", tc.score, got, tc.want)
		}
	}
}
