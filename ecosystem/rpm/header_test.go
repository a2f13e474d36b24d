package rpm

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// entry is one index entry of a header made by makeHeader.
type entry struct {
	tag, typ, count uint32
	data            []byte
}

func str(tag uint32, s string) entry {
	return entry{tag: tag, typ: typeString, count: 1, data: []byte(s + "\x00")}
}

func i32(tag, v uint32) entry {
	return entry{tag: tag, typ: typeInt32, count: 1, data: binary.BigEndian.AppendUint32(nil, v)}
}

func bin(tag uint32, b []byte) entry {
	return entry{tag: tag, typ: typeBin, count: uint32(len(b)), data: b}
}

// makeHeader lays entries out as a header blob, data in entry order, each
// int32 aligned to 4 bytes.
func makeHeader(entries ...entry) []byte {
	var index, data []byte
	for _, e := range entries {
		if e.typ == typeInt32 {
			for len(data)%4 != 0 {
				data = append(data, 0)
			}
		}
		index = binary.BigEndian.AppendUint32(index, e.tag)
		index = binary.BigEndian.AppendUint32(index, e.typ)
		index = binary.BigEndian.AppendUint32(index, uint32(len(data)))
		index = binary.BigEndian.AppendUint32(index, e.count)
		data = append(data, e.data...)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(len(entries)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	return append(append(b, index...), data...)
}

// A version 4 RSA signature packet (old format, 2-byte length) whose
// hashed area has a creation time and whose unhashed area has the issuer
// subpacket, as gpg wrote them for years; and a newer one whose hashed area
// has an issuer fingerprint subpacket instead. The MPIs are cut short:
// only the layout up to the subpackets matters here.
var (
	sigV4Issuer = mustHex("8900" + "18" + // tag 2, length 24
		"04" + "00" + "01" + "08" + // v4, binary sig, RSA, SHA256
		"0006" + "05" + "02" + "65920000" + // hashed: creation time
		"000a" + "09" + "10" + "199e2f91fd431d51" + // unhashed: issuer
		"")
	sigV4Fingerprint = mustHex("c2" + "1f" + // new format, tag 2, length 31
		"04" + "00" + "01" + "08" +
		"0017" + "16" + "21" + "04" + "567e347ad0044ade55ba8a5f199e2f91fd431d51" + // hashed: issuer fingerprint
		"0000" + // no unhashed subpackets
		"")
	sigV3 = mustHex("8813" + // tag 2, 1-byte length 19
		"03" + "05" + "00" + "3c4e8f4d" + "5326810137017186" + "01" + "02" + "abcd")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseHeader(t *testing.T) {
	digest := "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1"
	blob := makeHeader(
		bin(63, make([]byte, 16)), // the immutable region's trailer, ignored
		str(tagName, "openssl-libs"),
		i32(tagEpoch, 1),
		str(tagVersion, "3.0.7"),
		str(tagRelease, "24.el9"),
		str(tagArch, "x86_64"),
		str(tagSourceRPM, "openssl-3.0.7-24.el9.src.rpm"),
		entry{tag: tagPayloadDigest, typ: typeStringArray, count: 1, data: []byte(digest + "\x00")},
		i32(tagPayloadDigestAlgo, 8),
		bin(tagSigPGP, sigV3),
		bin(tagRSAHeader, sigV4Issuer), // preferred over SIGPGP
		str(tagModularityLabel, "perl:5.32:8090020231019152822:a75119d5"),
		str(tagRelease, "25.el9"), // a dribble entry replaces the region's
	)
	h, err := parseHeader(blob)
	if err != nil {
		t.Fatal(err)
	}
	p := h.pkg("sqlite:var/lib/rpm")
	if diff := cmp.Diff(row{"sqlite:var/lib/rpm", "openssl-libs", "1:3.0.7-25.el9", "x86_64", "perl:5.32", "openssl", "3.0.7-24.el9"}, rowOf(p)); diff != "" {
		t.Errorf("package (-want +got):\n%s", diff)
	}
	if want := "hash=sha256%3A" + digest + "&key=199e2f91fd431d51"; p.RepositoryHint != want {
		t.Errorf("hint = %q, want %q", p.RepositoryHint, want)
	}

	// Epoch 0 is left out; a header without SOURCERPM has no source.
	h, err = parseHeader(makeHeader(str(tagName, "a"), str(tagVersion, "1"), str(tagRelease, "2"), i32(tagEpoch, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if p := h.pkg("db"); p.Version != "1-2" || p.Source != nil || p.RepositoryHint != "" || p.Module != "" {
		t.Errorf("got %+v", p)
	}

	// gpg-pubkey entries are not packages.
	h, err = parseHeader(makeHeader(str(tagName, "gpg-pubkey"), str(tagVersion, "fd431d51"), str(tagRelease, "4ae0493b")))
	if err != nil {
		t.Fatal(err)
	}
	if p := h.pkg("db"); p != nil {
		t.Errorf("gpg-pubkey: got %+v, want nil", p)
	}
}

func TestParseHeaderErrors(t *testing.T) {
	good := makeHeader(str(tagName, "a"), str(tagVersion, "1"))
	for name, blob := range map[string][]byte{
		"empty":            nil,
		"short":            good[:7],
		"no entries":       {0, 0, 0, 0, 0, 0, 0, 0},
		"truncated":        good[:len(good)-1],
		"too many entries": {0, 1, 0, 0, 0, 0, 0, 0},
		"no name":          makeHeader(str(tagVersion, "1")),
		"no version":       makeHeader(str(tagName, "a")),
		"unterminated":     makeHeader(str(tagVersion, "1"), entry{tag: tagName, typ: typeString, count: 1, data: []byte("abc")}),
		"int as string":    makeHeader(str(tagVersion, "1"), i32(tagName, 7)),
		"string as int":    makeHeader(str(tagName, "a"), str(tagVersion, "1"), str(tagEpoch, "1")),
		"offset past data": func() []byte {
			b := makeHeader(str(tagName, "a"), str(tagVersion, "1"))
			binary.BigEndian.PutUint32(b[8+16+8:], 1000)
			return b
		}(),
		"signature past data": makeHeader(str(tagName, "a"), str(tagVersion, "1"), entry{tag: tagRSAHeader, typ: typeBin, count: 100, data: []byte{1}}),
	} {
		if h, err := parseHeader(blob); !errors.Is(err, errHeader) {
			t.Errorf("%s: got %+v, %v; want errHeader", name, h, err)
		}
	}
}

func TestSource(t *testing.T) {
	for _, tc := range []struct{ rpm, name, version string }{
		{"openssl-3.0.7-24.el9.src.rpm", "openssl", "3.0.7-24.el9"},
		{"python3.11-3.11.5-1.el9_3.src.rpm", "python3.11", "3.11.5-1.el9_3"},
		{"perl-DBD-SQLite-1.58-2.module+el8.1.0+2942+5f8ad7f1.src.rpm", "perl-DBD-SQLite", "1.58-2.module+el8.1.0+2942+5f8ad7f1"},
		{"loupe-tools-3.1~rc1-4.lp1.nosrc.rpm", "loupe-tools", "3.1~rc1-4.lp1"},
		{"", "", ""},
		{"(none)", "", ""},
		{"openssl.src.rpm", "", ""},
		{"openssl-3.0.7.src.rpm", "", ""},
		{"-1-2.src.rpm", "", ""},
		{"a--2.src.rpm", "", ""},
		{"a-1-.src.rpm", "", ""},
		{"a-1-2.rpm", "", ""},
	} {
		h := header{SourceRPM: tc.rpm}
		name, version, ok := h.Source()
		if name != tc.name || version != tc.version || ok != (tc.name != "") {
			t.Errorf("Source(%q) = %q, %q, %v; want %q, %q", tc.rpm, name, version, ok, tc.name, tc.version)
		}
	}
}

func TestModule(t *testing.T) {
	for label, want := range map[string]string{
		"":                                       "",
		"nodejs:18:8090020231019152822:a75119d5": "nodejs:18",
		"nodejs:18":                              "nodejs:18",
		"nodejs":                                 "",
		":18:1:2":                                "",
		"nodejs::1:2":                            "",
	} {
		h := header{ModularityLabel: label}
		if got := h.Module(); got != want {
			t.Errorf("Module(%q) = %q, want %q", label, got, want)
		}
	}
}

func TestPGPKeyID(t *testing.T) {
	for name, tc := range map[string]struct {
		packet []byte
		want   string
	}{
		"v4 issuer":             {sigV4Issuer, "199e2f91fd431d51"},
		"v4 issuer fingerprint": {sigV4Fingerprint, "199e2f91fd431d51"},
		"v3":                    {sigV3, "5326810137017186"},
		"empty":                 {nil, ""},
		"not a signature":       {mustHex("9900"), ""},
		"cut short":             {sigV4Issuer[:20], ""},
		"v5":                    {mustHex("c20405000108"), ""},
	} {
		got, ok := pgpKeyID(tc.packet)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: pgpKeyID = %q, %v; want %q", name, got, ok, tc.want)
		}
	}
}

// TestRealHeader parses a real header blob (a RHEL package, from
// claircore's test data) when ../shared/data is there.
func TestRealHeader(t *testing.T) {
	b, err := os.ReadFile(realData + "/claircore-rpmdb-package.header")
	if err != nil {
		t.Skipf("real header not available: %v", err)
	}
	h, err := parseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s %s %s %s %s", h.Name, h.EVR(), h.Arch, h.SourceRPM, h.RepositoryHint())
	if h.Name == "" || h.Arch == "" || h.SourceRPM == "" {
		t.Errorf("incomplete header: %+v", h)
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add(makeHeader(str(tagName, "a"), str(tagVersion, "1"), i32(tagEpoch, 3), bin(tagRSAHeader, sigV4Issuer)))
	f.Add(makeHeader(str(tagName, "a"), str(tagVersion, "1"), bin(tagSigPGP, sigV3), bin(tagDSAHeader, sigV4Fingerprint)))
	if b, err := os.ReadFile(realData + "/claircore-rpmdb-package.header"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		h, err := parseHeader(blob)
		if err != nil {
			return
		}
		if h.Name == "" || h.Version == "" {
			t.Fatalf("parsed a header without name or version: %+v", h)
		}
		p := h.pkg("db")
		if p != nil && p.Source != nil && (p.Source.Name == "" || p.Source.Version == "") {
			t.Fatalf("empty source: %+v", p.Source)
		}
		_ = h.RepositoryHint()
	})
}
