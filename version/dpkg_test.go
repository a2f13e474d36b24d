package version

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestDpkgVectors(t *testing.T) {
	f, err := os.Open("testdata/dpkg.txt")
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
			t.Fatalf("testdata/dpkg.txt:%d: want 3 fields, have %q", line, text)
		}
		a, op, b := fields[0], fields[1], fields[2]
		want := map[string]int{"<": -1, "=": 0, ">": 1}[op]
		got, err := CompareDpkg(a, b)
		if err != nil {
			t.Errorf("line %d: CompareDpkg(%q, %q): %v", line, a, b, err)
			continue
		}
		if got != want {
			t.Errorf("line %d: CompareDpkg(%q, %q) = %d, want %d", line, a, b, got, want)
		}
		// The reverse comparison must agree.
		if rev, _ := CompareDpkg(b, a); rev != -want {
			t.Errorf("line %d: CompareDpkg(%q, %q) = %d, want %d", line, b, a, rev, -want)
		}
		n++
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("only %d vectors read", n)
	}
}

func TestParseDpkg(t *testing.T) {
	good := []struct {
		in   string
		want Dpkg
	}{
		{"1.0", Dpkg{Upstream: "1.0"}},
		{" 1.0-1 ", Dpkg{Upstream: "1.0", Revision: "1"}},
		{"2:1.0-1+b1", Dpkg{Epoch: 2, Upstream: "1.0", Revision: "1+b1"}},
		{"1:2.3-4-5", Dpkg{Epoch: 1, Upstream: "2.3-4", Revision: "5"}},
		{"1:1.0:1-2", Dpkg{Epoch: 1, Upstream: "1.0:1", Revision: "2"}},
		{"0.0~git20230101.abc_def-1", Dpkg{Upstream: "0.0~git20230101.abc_def", Revision: "1"}},
	}
	for _, tc := range good {
		got, err := ParseDpkg(tc.in)
		if err != nil {
			t.Errorf("ParseDpkg(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseDpkg(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	bad := []string{"", "  ", ":1.0", "a:1.0", "-1:1.0", "1.0-", "1:", "1.0 2", "1.0-1:2", "1.0/2", "1.0:1-2", "é1", "99999999999:1"}
	for _, in := range bad {
		if v, err := ParseDpkg(in); !errors.Is(err, ErrInvalidDpkg) {
			t.Errorf("ParseDpkg(%q) = %+v, %v; want ErrInvalidDpkg", in, v, err)
		}
	}
}

func TestDpkgString(t *testing.T) {
	for _, in := range []string{"1.0", "1:1.0-1", "0:1.0-1", "1.0-1-2"} {
		v, err := ParseDpkg(in)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseDpkg(v.String())
		if err != nil {
			t.Fatalf("ParseDpkg(%q.String() = %q): %v", in, v.String(), err)
		}
		if again != v {
			t.Errorf("round trip of %q: %+v != %+v", in, again, v)
		}
	}
}

func FuzzDpkgCompare(f *testing.F) {
	for _, s := range []string{"1.0", "1:1.0-1", "1.0~rc1-1", "1.0+dfsg-1+deb12u1", "000", "1.0~~a", "99999999999999999999"} {
		f.Add(s, "1.0-1", "2:0")
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		va, errA := ParseDpkg(a)
		vb, errB := ParseDpkg(b)
		vc, errC := ParseDpkg(c)
		if errA == nil {
			if va.Compare(va) != 0 {
				t.Fatalf("%q != itself", a)
			}
			again, err := ParseDpkg(va.String())
			if err != nil {
				t.Fatalf("String() of %q does not parse: %v", a, err)
			}
			if again.Compare(va) != 0 {
				t.Fatalf("String() of %q compares unequal", a)
			}
		}
		if errA != nil || errB != nil {
			return
		}
		ab, ba := va.Compare(vb), vb.Compare(va)
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

func BenchmarkDpkgCompare(b *testing.B) {
	x, _ := ParseDpkg("1:2.38.1-5+deb12u1")
	y, _ := ParseDpkg("1:2.38.1-5+b1")
	b.ReportAllocs()
	for b.Loop() {
		x.Compare(y)
	}
}
