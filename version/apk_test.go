package version

import (
	"bufio"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestAPKVectors checks every vector of testdata/apk.txt: apk-tools' own
// test data, then Loupe's.
func TestAPKVectors(t *testing.T) {
	f, err := os.Open("testdata/apk.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	var compared, lax, valid, invalid int
	for line := 1; s.Scan(); line++ {
		text := strings.TrimSpace(s.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		fields := strings.Fields(text)
		switch len(fields) {
		case 1:
			v, bad := strings.CutPrefix(fields[0], "!")
			_, err := ParseAPK(v)
			switch {
			case bad && !errors.Is(err, ErrInvalidAPK):
				t.Errorf("line %d: ParseAPK(%q) succeeded, want ErrInvalidAPK", line, v)
			case !bad && err != nil:
				t.Errorf("line %d: ParseAPK(%q): %v", line, v, err)
			}
			if bad {
				invalid++
			} else {
				valid++
			}
		case 3:
			a, op, b := fields[0], fields[1], fields[2]
			want, ok := map[string]int{"<": -1, "=": 0, ">": 1}[op]
			if !ok {
				t.Fatalf("testdata/apk.txt:%d: unknown operator %q", line, op)
			}
			got, err := CompareAPK(a, b)
			if err != nil {
				// A vector about invalid versions: compare them as
				// apk-tools does.
				got = LaxAPK(a).Compare(LaxAPK(b))
				lax++
			}
			if got != want {
				t.Errorf("line %d: compare(%q, %q) = %d, want %d", line, a, b, got, want)
			}
			if rev := LaxAPK(b).Compare(LaxAPK(a)); rev != -want {
				t.Errorf("line %d: compare(%q, %q) = %d, want %d", line, b, a, rev, -want)
			}
			compared++
		default:
			t.Fatalf("testdata/apk.txt:%d: want 1 or 3 fields, have %q", line, text)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if compared < 700 || lax < 10 || valid < 5 || invalid < 25 {
		t.Fatalf("only %d comparisons (%d lax), %d valid and %d invalid versions read", compared, lax, valid, invalid)
	}
}

// TestAPKSort sorts a shuffled run of versions whose order is known.
func TestAPKSort(t *testing.T) {
	want := []string{
		"0.9", "1.0_alpha", "1.0_alpha1", "1.0_beta", "1.0_pre1", "1.0_rc1", "1.0_rc1-r1",
		"1.0", "1.0-r0", "1.0-r1", "1.0-r2", "1.0-r10", "1.0~0a-r0", "1.0_cvs", "1.0_svn", "1.0_git20240101",
		"1.0_hg", "1.0_p1", "1.0_p2-r0", "1.0a", "1.0b", "1.0.0", "1.0.1", "1.1", "2",
	}
	got := slices.Clone(want)
	for i := range got {
		j := (i*7 + 3) % len(got)
		got[i], got[j] = got[j], got[i]
	}
	vs := make([]APK, len(got))
	for i, s := range got {
		v, err := ParseAPK(s)
		if err != nil {
			t.Fatal(err)
		}
		vs[i] = v
	}
	slices.SortFunc(vs, APK.Compare)
	for i, v := range vs {
		got[i] = v.String()
	}
	if !slices.Equal(got, want) {
		t.Errorf("sorted:\n got %q\nwant %q", got, want)
	}
}

func TestParseAPK(t *testing.T) {
	v, err := ParseAPK("  1.2.3_rc1-r0\n")
	if err != nil || v.String() != "1.2.3_rc1-r0" {
		t.Errorf("ParseAPK with spaces = %q, %v", v, err)
	}
	for _, in := range []string{"", " ", "1.0 1", "1.0\x00", "1.0-r", "1.0-p1", "1.0_", "1.0~", "é"} {
		if v, err := ParseAPK(in); !errors.Is(err, ErrInvalidAPK) {
			t.Errorf("ParseAPK(%q) = %q, %v; want ErrInvalidAPK", in, v, err)
		}
	}
	if _, err := CompareAPK("1.0", "x"); err == nil {
		t.Error("CompareAPK with an invalid version succeeded")
	}
	if _, err := CompareAPK("x", "1.0"); err == nil {
		t.Error("CompareAPK with an invalid version succeeded")
	}
}

func TestAPKCompareAllocs(t *testing.T) {
	a, _ := ParseAPK("1.2.3_git20240101_p2~abcdef-r10")
	b, _ := ParseAPK("1.2.3_git20240101_p2~abcdef-r9")
	if n := testing.AllocsPerRun(100, func() { a.Compare(b) }); n != 0 {
		t.Errorf("Compare allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseAPK("1.2.3_rc1-r0") }); n != 0 {
		t.Errorf("ParseAPK of a valid version allocates %v times", n)
	}
}

func FuzzAPKCompare(f *testing.F) {
	for _, s := range []string{
		"1.0", "1.0-r1", "1.0_rc1", "1.0_p1-r2", "1.05", "1.0a", "01", "0.1_pre2~1234abcd",
		"1.0_alpha1_beta2", "99999999999999999999999", "2.39-r10", "1.0.0.0.0",
	} {
		f.Add(s, "1.0-r0", "1.0_p1")
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		// Any strings: LaxAPK orders them totally, and as ParseAPK
		// does the valid ones.
		la, lb, lc := LaxAPK(a), LaxAPK(b), LaxAPK(c)
		lab, lbc, lac := la.Compare(lb), lb.Compare(lc), la.Compare(lc)
		if lab != -lb.Compare(la) || la.Compare(la) != 0 {
			t.Fatalf("lax antisymmetry: %q, %q", a, b)
		}
		if (lab <= 0 && lbc <= 0 && lac > 0) || (lab == 0 && lbc == 0 && lac != 0) {
			t.Fatalf("lax transitivity: %q, %q, %q", a, b, c)
		}
		va, errA := ParseAPK(a)
		vb, errB := ParseAPK(b)
		vc, errC := ParseAPK(c)
		if errA == nil {
			if va.Compare(va) != 0 {
				t.Fatalf("%q != itself", a)
			}
			again, err := ParseAPK(va.String())
			if err != nil {
				t.Fatalf("String() of %q does not parse: %v", a, err)
			}
			if again.Compare(va) != 0 || again != va {
				t.Fatalf("String() of %q does not round-trip", a)
			}
		}
		if errA != nil || errB != nil {
			return
		}
		if va.Compare(vb) != lab {
			t.Fatalf("LaxAPK and ParseAPK disagree on %q, %q", a, b)
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
		if ab >= 0 && bc >= 0 && ac < 0 {
			t.Fatalf("transitivity: %q >= %q >= %q but %q < %q", a, b, c, a, c)
		}
		if ab == 0 && bc == 0 && ac != 0 {
			t.Fatalf("transitivity of equality: %q = %q = %q but Compare(%q, %q) = %d", a, b, c, a, c, ac)
		}
		// Appending a revision never makes a version older, and a
		// pre-release suffix always does.
		if strings.IndexByte(a, '-') < 0 {
			if vr, err := ParseAPK(va.String() + "-r1"); err == nil && vr.Compare(va) <= 0 {
				t.Fatalf("%q-r1 <= %q", a, a)
			}
			if !strings.ContainsAny(a, "~") {
				if vp, err := ParseAPK(va.String() + "_rc1"); err == nil && vp.Compare(va) >= 0 {
					t.Fatalf("%q_rc1 >= %q", a, a)
				}
			}
		}
	})
}

func BenchmarkAPKCompare(b *testing.B) {
	x, _ := ParseAPK("1.2.3_git20240101_p2-r10")
	y, _ := ParseAPK("1.2.3_git20240101_p2-r9")
	b.ReportAllocs()
	for b.Loop() {
		x.Compare(y)
	}
}

func BenchmarkParseAPK(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ParseAPK("1.2.3_git20240101_p2-r10")
	}
}
