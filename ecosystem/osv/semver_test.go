package osv

import (
	"testing"

	"github.com/loupe-dev/loupe"
)

func TestParseSemver(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int32 // major, minor, patch; nil for no version
	}{
		{"1.2.3", []int32{1, 2, 3}},
		{"v1.2.3", []int32{1, 2, 3}},
		{"1.2", []int32{1, 2, 0}},
		{"1", []int32{1, 0, 0}},
		{"0.0.0-0", []int32{0, 0, 0}},
		{"1.2.3-rc.1+build.5", []int32{1, 2, 3}},
		{"1.2+build", []int32{1, 2, 0}},
		{"0.17.0-alpha", []int32{0, 17, 0}},
		{"2147483647.0.0", []int32{2147483647, 0, 0}},
		{"2147483648.0.0", nil},
		{"1.2.3.4", nil},
		{"", nil},
		{"v", nil},
		{"1..2", nil},
		{"1.2.", nil},
		{"a.b.c", nil},
		{"1.2.3x", nil},
		{" 1.2.3", nil},
		{"-1.2.3", nil},
	} {
		got, ok := parseSemver(tc.in)
		switch {
		case tc.want == nil && ok:
			t.Errorf("parseSemver(%q): got %v, want no version", tc.in, got)
		case tc.want == nil:
			if got != (loupe.Version{}) {
				t.Errorf("parseSemver(%q): got %v with no version, want the zero Version", tc.in, got)
			}
		case !ok:
			t.Errorf("parseSemver(%q): got no version, want %v", tc.in, tc.want)
		default:
			want := loupe.Version{Kind: "semver", V: [10]int32{0, tc.want[0], tc.want[1], tc.want[2]}}
			if got != want {
				t.Errorf("parseSemver(%q): got %v, want %v", tc.in, got, want)
			}
		}
	}
}
