package rpm

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Header tags Loupe reads (rpm's lib/rpmtag.h).
const (
	tagSigPGP            = 259
	tagSigGPG            = 262
	tagDSAHeader         = 267
	tagRSAHeader         = 268
	tagName              = 1000
	tagVersion           = 1001
	tagRelease           = 1002
	tagEpoch             = 1003
	tagArch              = 1022
	tagSourceRPM         = 1044
	tagPayloadDigest     = 5092
	tagPayloadDigestAlgo = 5093
	tagModularityLabel   = 5096
)

// Header data types.
const (
	typeInt32       = 4
	typeString      = 6
	typeBin         = 7
	typeStringArray = 8
	typeI18NString  = 9
)

// rpm's own sanity limits on a header (lib/header_internal.h).
const (
	maxTags     = 0xffff
	maxDataSize = 0x0fffffff
)

var errHeader = errors.New("malformed header")

// header is what Loupe takes from one installed package's header.
type header struct {
	Name, Version, Release, Arch string
	Epoch                        uint32
	HasEpoch                     bool
	SourceRPM, ModularityLabel   string
	PayloadDigest                string
	PayloadDigestAlgo            uint32
	Signature                    []byte // an OpenPGP signature packet
}

// parseHeader reads a header blob as the databases store it: the number of
// index entries and the size of the data store (big-endian uint32s), the
// index entries (tag, type, offset, count), then the data store. Entries
// after the immutable region ("dribbles") replace those in it, as in rpm,
// so the last entry for a tag wins. The header's strings are copied; the
// blob is not kept.
func parseHeader(blob []byte) (header, error) {
	var h header
	if len(blob) < 8 {
		return h, fmt.Errorf("%w: %d bytes", errHeader, len(blob))
	}
	il := binary.BigEndian.Uint32(blob[0:4])
	dl := binary.BigEndian.Uint32(blob[4:8])
	if il == 0 || il > maxTags || dl > maxDataSize {
		return h, fmt.Errorf("%w: %d entries, %d bytes of data", errHeader, il, dl)
	}
	index := blob[8:]
	if uint64(len(index)) < uint64(il)*16+uint64(dl) {
		return h, fmt.Errorf("%w: %d entries and %d bytes of data do not fit in %d bytes", errHeader, il, dl, len(blob))
	}
	data := index[il*16 : il*16+dl]
	var sigRank int
	for i := uint32(0); i < il; i++ {
		e := index[i*16 : i*16+16]
		tag := binary.BigEndian.Uint32(e[0:4])
		typ := binary.BigEndian.Uint32(e[4:8])
		off := binary.BigEndian.Uint32(e[8:12])
		count := binary.BigEndian.Uint32(e[12:16])
		if off > dl {
			return h, fmt.Errorf("%w: tag %d at offset %d past the data (%d bytes)", errHeader, tag, off, dl)
		}
		v := data[off:]
		var err error
		switch tag {
		case tagName:
			h.Name, err = stringValue(typ, v)
		case tagVersion:
			h.Version, err = stringValue(typ, v)
		case tagRelease:
			h.Release, err = stringValue(typ, v)
		case tagArch:
			h.Arch, err = stringValue(typ, v)
		case tagSourceRPM:
			h.SourceRPM, err = stringValue(typ, v)
		case tagModularityLabel:
			h.ModularityLabel, err = stringValue(typ, v)
		case tagPayloadDigest:
			h.PayloadDigest, err = stringValue(typ, v)
		case tagEpoch:
			h.Epoch, err = int32Value(typ, count, v)
			h.HasEpoch = err == nil
		case tagPayloadDigestAlgo:
			h.PayloadDigestAlgo, err = int32Value(typ, count, v)
		case tagRSAHeader, tagDSAHeader, tagSigPGP, tagSigGPG:
			rank := sigRanks(tag)
			if typ != typeBin || uint64(count) > uint64(len(v)) {
				err = fmt.Errorf("%w: tag %d: bad signature", errHeader, tag)
			} else if rank > sigRank {
				h.Signature, sigRank = v[:count], rank
			}
		}
		if err != nil {
			return h, fmt.Errorf("tag %d: %w", tag, err)
		}
	}
	if h.Name == "" || h.Version == "" {
		return h, fmt.Errorf("%w: no name or version", errHeader)
	}
	h.Signature = append([]byte(nil), h.Signature...)
	return h, nil
}

// sigRanks orders the signature tags: the header-only signatures, which
// cover what the database holds, before the header+payload ones.
func sigRanks(tag uint32) int {
	switch tag {
	case tagRSAHeader:
		return 4
	case tagDSAHeader:
		return 3
	case tagSigPGP:
		return 2
	}
	return 1
}

// stringValue returns the first string of a STRING, STRING_ARRAY or
// I18NSTRING entry whose data starts at v.
func stringValue(typ uint32, v []byte) (string, error) {
	switch typ {
	case typeString, typeStringArray, typeI18NString:
	default:
		return "", fmt.Errorf("%w: type %d where a string belongs", errHeader, typ)
	}
	for i, c := range v {
		if c == 0 {
			return string(v[:i]), nil
		}
	}
	return "", fmt.Errorf("%w: unterminated string", errHeader)
}

// int32Value returns the first value of an INT32 entry.
func int32Value(typ, count uint32, v []byte) (uint32, error) {
	if typ != typeInt32 || count == 0 || len(v) < 4 {
		return 0, fmt.Errorf("%w: type %d where an int32 belongs", errHeader, typ)
	}
	return binary.BigEndian.Uint32(v), nil
}

// EVR returns the package's version as Clair reports it: epoch:version-release,
// with the epoch left out when it is zero or absent.
func (h *header) EVR() string {
	var b strings.Builder
	if h.HasEpoch && h.Epoch != 0 {
		b.WriteString(strconv.FormatUint(uint64(h.Epoch), 10))
		b.WriteByte(':')
	}
	b.WriteString(h.Version)
	if h.Release != "" {
		b.WriteByte('-')
		b.WriteString(h.Release)
	}
	return b.String()
}

// Module returns "name:stream" from the modularity label
// ("name:stream:version:context"), or "" when the package is not part of
// a module.
func (h *header) Module() string {
	name, rest, ok := strings.Cut(h.ModularityLabel, ":")
	if !ok || name == "" {
		return ""
	}
	stream, _, _ := strings.Cut(rest, ":")
	if stream == "" {
		return ""
	}
	return name + ":" + stream
}

// Source returns the name and version-release of the source package, from
// the SOURCERPM file name ("name-version-release.src.rpm"). The file name
// carries no epoch, so neither does the result. ok is false when there is
// no source rpm or its name is not of that form.
func (h *header) Source() (name, version string, ok bool) {
	s := strings.TrimSuffix(h.SourceRPM, ".rpm")
	if s == h.SourceRPM {
		return "", "", false
	}
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[:i] // the architecture: src or nosrc
	} else {
		return "", "", false
	}
	r := strings.LastIndexByte(s, '-')
	if r <= 0 {
		return "", "", false
	}
	v := strings.LastIndexByte(s[:r], '-')
	if v <= 0 || v+1 == r || r+1 == len(s) {
		return "", "", false
	}
	return s[:v], s[v+1:], true
}

// digestAlgos names rpm's payload digest algorithms (OpenPGP hash
// algorithm numbers, RFC 4880 §9.4).
var digestAlgos = map[uint32]string{
	1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224",
}

// RepositoryHint returns what Clair stores as an rpm package's repository
// hint: "hash=<algo>:<payload digest>&key=<signing key id>", URL-encoded,
// each part present only when known.
func (h *header) RepositoryHint() string {
	v := url.Values{}
	if h.PayloadDigest != "" {
		algo, ok := digestAlgos[h.PayloadDigestAlgo]
		if !ok {
			algo = "sha256" // rpm's default when the tag is absent
			if h.PayloadDigestAlgo != 0 {
				algo = "algo" + strconv.FormatUint(uint64(h.PayloadDigestAlgo), 10)
			}
		}
		v.Set("hash", algo+":"+h.PayloadDigest)
	}
	if id, ok := pgpKeyID(h.Signature); ok {
		v.Set("key", id)
	}
	return v.Encode()
}

// pgpKeyID returns the issuer key ID, as 16 hex digits, of an OpenPGP
// signature packet (RFC 4880 §5.2): the fixed field of a version 3
// signature, or the issuer (16) or issuer fingerprint (33) subpacket of a
// version 4 one, hashed subpackets first.
func pgpKeyID(p []byte) (string, bool) {
	if len(p) < 2 || p[0]&0x80 == 0 {
		return "", false
	}
	var tag byte
	var body []byte
	if p[0]&0x40 != 0 { // new format
		tag = p[0] & 0x3f
		n, hl, ok := newLength(p[1:])
		if !ok {
			return "", false
		}
		body = p[1+hl:]
		if n < uint64(len(body)) {
			body = body[:n]
		}
	} else {
		tag = (p[0] >> 2) & 0x0f
		var n uint64
		switch lt := p[0] & 3; lt {
		case 0:
			n, body = uint64(p[1]), p[2:]
		case 1:
			if len(p) < 3 {
				return "", false
			}
			n, body = uint64(binary.BigEndian.Uint16(p[1:])), p[3:]
		case 2:
			if len(p) < 5 {
				return "", false
			}
			n, body = uint64(binary.BigEndian.Uint32(p[1:])), p[5:]
		default:
			n, body = uint64(len(p)-1), p[1:]
		}
		if n < uint64(len(body)) {
			body = body[:n]
		}
	}
	if tag != 2 || len(body) < 1 {
		return "", false
	}
	switch body[0] {
	case 3:
		// version, hashed length (5), type, creation time, key ID
		if len(body) < 15 {
			return "", false
		}
		return hex.EncodeToString(body[7:15]), true
	case 4:
		if len(body) < 6 {
			return "", false
		}
		hashed := int(binary.BigEndian.Uint16(body[4:6]))
		rest := body[6:]
		if hashed > len(rest) {
			return "", false
		}
		if id, ok := issuer(rest[:hashed]); ok {
			return id, true
		}
		rest = rest[hashed:]
		if len(rest) < 2 {
			return "", false
		}
		unhashed := int(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
		if unhashed > len(rest) {
			return "", false
		}
		return issuer(rest[:unhashed])
	}
	return "", false
}

// newLength decodes a new-format packet length, returning the length and
// the number of bytes it took. Partial lengths are not supported.
func newLength(b []byte) (n uint64, size int, ok bool) {
	if len(b) < 1 {
		return 0, 0, false
	}
	switch c := b[0]; {
	case c < 192:
		return uint64(c), 1, true
	case c < 224:
		if len(b) < 2 {
			return 0, 0, false
		}
		return (uint64(c)-192)<<8 + uint64(b[1]) + 192, 2, true
	case c == 255:
		if len(b) < 5 {
			return 0, 0, false
		}
		return uint64(binary.BigEndian.Uint32(b[1:])), 5, true
	}
	return 0, 0, false
}

// subLength decodes a signature subpacket length (RFC 4880 §5.2.3.1),
// which differs from a packet length in having no partial lengths.
func subLength(b []byte) (n uint64, size int, ok bool) {
	if len(b) >= 1 && b[0] >= 192 && b[0] < 255 {
		if len(b) < 2 {
			return 0, 0, false
		}
		return (uint64(b[0])-192)<<8 + uint64(b[1]) + 192, 2, true
	}
	return newLength(b)
}

// issuer finds the key ID in a run of signature subpackets.
func issuer(sub []byte) (string, bool) {
	for len(sub) > 0 {
		n, hl, ok := subLength(sub)
		if !ok || n == 0 || uint64(len(sub)-hl) < n {
			return "", false
		}
		body := sub[hl : hl+int(n)]
		sub = sub[hl+int(n):]
		switch body[0] & 0x7f {
		case 16: // issuer key ID
			if len(body) == 9 {
				return hex.EncodeToString(body[1:]), true
			}
		case 33: // issuer fingerprint: version, then a v4 fingerprint's last 8 bytes are the key ID
			if len(body) == 22 && body[1] == 4 {
				return hex.EncodeToString(body[14:]), true
			}
		}
	}
	return "", false
}
