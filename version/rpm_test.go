package version

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestRPMVectors(t *testing.T) {
	f, err := os.Open("testdata/rpm.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	n := 0
	for line := 1; s.Scan(); line++ {
		text := strings.TrimSpace(s.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 3 {
			t.Fatalf("testdata/rpm.txt:%d: want 3 fields, have %q", line, text)
		}
		a, op, b := fields[0], fields[1], fields[2]
		want, ok := map[string]int{"<": -1, "=": 0, ">": 1}[op]
		if !ok {
			t.Fatalf("testdata/rpm.txt:%d: bad operator %q", line, op)
		}
		got, err := CompareRPM(a, b)
		if err != nil {
			t.Errorf("line %d: CompareRPM(%q, %q): %v", line, a, b, err)
			continue
		}
		if got != want {
			t.Errorf("line %d: CompareRPM(%q, %q) = %d, want %d", line, a, b, got, want)
		}
		if rev, _ := CompareRPM(b, a); rev != -want {
			t.Errorf("line %d: CompareRPM(%q, %q) = %d, want %d", line, b, a, rev, -want)
		}
		n++
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d vectors read", n)
	}
}

// TestRpmvercmpNonASCII holds rpm's own non-ASCII cases (tests/rpmvercmp.at):
// bytes outside ASCII letters and digits only separate segments, so these
// all compare equal.
func TestRpmvercmpNonASCII(t *testing.T) {
	for _, tc := range [][2]string{
		{"1.1.α", "1.1.α"},
		{"1.1.α", "1.1.β"},
		{"1.1.β", "1.1.α"},
		{"1.1.αα", "1.1.α"},
		{"1.1.α", "1.1.ββ"},
		{"1.1.ββ", "1.1.αα"},
	} {
		if got := Rpmvercmp(tc[0], tc[1]); got != 0 {
			t.Errorf("Rpmvercmp(%q, %q) = %d, want 0", tc[0], tc[1], got)
		}
	}
}

func TestParseRPM(t *testing.T) {
	good := []struct {
		in   string
		want RPM
	}{
		{"1.0", RPM{Version: "1.0"}},
		{" 1.0-1 ", RPM{Version: "1.0", Release: "1"}},
		{"2:1.0-1.el9", RPM{Epoch: 2, Version: "1.0", Release: "1.el9"}},
		{"0:1.0-1", RPM{Version: "1.0", Release: "1"}},
		{"1:2.3-4-5", RPM{Epoch: 1, Version: "2.3-4", Release: "5"}},
		{"1.0^git1~rc2-0.1.fc40", RPM{Version: "1.0^git1~rc2", Release: "0.1.fc40"}},
		{"4294967295:1", RPM{Epoch: 4294967295, Version: "1"}},
		{"1.0-1.module+el8.5.0+12345+abcdef", RPM{Version: "1.0", Release: "1.module+el8.5.0+12345+abcdef"}},
	}
	for _, tc := range good {
		got, err := ParseRPM(tc.in)
		if err != nil {
			t.Errorf("ParseRPM(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseRPM(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	bad := []string{"", "  ", ":1.0", "a:1.0", "-1:1.0", "1.0-", "1:", "1:-1", "-1", "1.0 2", "1.0-1:2", "1:1.0:1-2", "é1", "4294967296:1", "1.0\x00"}
	for _, in := range bad {
		if v, err := ParseRPM(in); !errors.Is(err, ErrInvalidRPM) {
			t.Errorf("ParseRPM(%q) = %+v, %v; want ErrInvalidRPM", in, v, err)
		}
	}
}

func TestRPMString(t *testing.T) {
	for in, want := range map[string]string{
		"1.0":          "1.0",
		"0:1.0-1":      "1.0-1",
		"1:1.0-1.el9":  "1:1.0-1.el9",
		"1.0-1-2":      "1.0-1-2",
		"3:1.0^git1~1": "3:1.0^git1~1",
	} {
		v, err := ParseRPM(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.String(); got != want {
			t.Errorf("ParseRPM(%q).String() = %q, want %q", in, got, want)
		}
		again, err := ParseRPM(v.String())
		if err != nil || again != v {
			t.Errorf("round trip of %q: %+v, %v; want %+v", in, again, err, v)
		}
	}
}

func TestRPMCompareAllocs(t *testing.T) {
	x, _ := ParseRPM("1:2.38.1-5.el9_3.1")
	y, _ := ParseRPM("1:2.38.01-5.el9_3.2")
	if n := testing.AllocsPerRun(100, func() { x.Compare(y) }); n != 0 {
		t.Errorf("Compare allocates %v times", n)
	}
}

func FuzzRPMCompare(f *testing.F) {
	for _, s := range []string{"1.0", "1:1.0-1", "1.0~rc1-1", "1.0^git1-1.el9", "000", "1.0~~a", "99999999999999999999", "_+", "a.1", "1b.fc17"} {
		f.Add(s, "1.0-1", "2:0")
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		va, errA := ParseRPM(a)
		vb, errB := ParseRPM(b)
		vc, errC := ParseRPM(c)
		if errA == nil {
			if va.Compare(va) != 0 {
				t.Fatalf("%q != itself", a)
			}
			again, err := ParseRPM(va.String())
			if err != nil {
				t.Fatalf("String() of %q does not parse: %v", a, err)
			}
			if again != va {
				t.Fatalf("String() of %q = %q parses as %+v, want %+v", a, va.String(), again, va)
			}
		}
		// Rpmvercmp alone is a total order on arbitrary strings too.
		ab, ba := Rpmvercmp(a, b), Rpmvercmp(b, a)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("antisymmetry: Rpmvercmp(%q, %q) = %d, reverse %d", a, b, ab, ba)
		}
		if bc, ac := Rpmvercmp(b, c), Rpmvercmp(a, c); (ab <= 0 && bc <= 0 && ac > 0) || (ab == 0 && bc == 0 && ac != 0) {
			t.Fatalf("transitivity: Rpmvercmp %q %q %q: %d %d %d", a, b, c, ab, bc, ac)
		}
		if errA != nil || errB != nil {
			return
		}
		ab, ba = va.Compare(vb), vb.Compare(va)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("antisymmetry: Compare(%q, %q) = %d, reverse %d", a, b, ab, ba)
		}
		if errC != nil {
			return
		}
		bc, ac := vb.Compare(vc), va.Compare(vc)
		if ab <= 0 && bc <= 0 && ac > 0 {
			t.Fatalf("transitivity: %q <= %q <= %q but %q > %q", a, b, c, a, c)
		}
		if ab == 0 && bc == 0 && ac != 0 {
			t.Fatalf("transitivity of equality: %q = %q = %q but Compare(%q, %q) = %d", a, b, c, a, c, ac)
		}
	})
}

func BenchmarkRPMCompare(b *testing.B) {
	x, _ := ParseRPM("1:2.38.1-5.el9_3.1")
	y, _ := ParseRPM("1:2.38.1-5.el9_3.2")
	b.ReportAllocs()
	for b.Loop() {
		x.Compare(y)
	}
}
