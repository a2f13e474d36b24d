package rpm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The Berkeley DB hash database rpm used until 4.16 ("Packages"): a
// metadata page, then hash pages whose key/data pairs are a package's
// instance number and its header. Headers too large for a hash page (all
// but the smallest) live in chains of overflow pages. Layouts are from
// Berkeley DB's dbinc/db_page.h.
const (
	bdbHashMagic     = 0x00061561
	bdbPageHeaderLen = 26

	pageHashUnsorted = 2 // hash pages written before Berkeley DB 4.6
	pageOverflow     = 7
	pageHashMeta     = 8
	pageHash         = 13

	itemKeyData = 1 // the data itself follows the type byte
	itemOffPage = 3 // type, 3 unused bytes, first overflow page, total length

	bdbMetaChecksum = 0x01 // DBMETA_CHKSUM
)

var errBDB = errors.New("bdb")

// isBDB reports whether b starts with a Berkeley DB hash metadata page, in
// either byte order.
func isBDB(b []byte) bool {
	if len(b) < 16 {
		return false
	}
	m := binary.LittleEndian.Uint32(b[12:16])
	return m == bdbHashMagic || binary.BigEndian.Uint32(b[12:16]) == bdbHashMagic
}

// readBDB calls each with every package header in a Berkeley DB hash
// database held in db. The headers passed to each may be slices of db or
// of a buffer reused between calls: each must not keep them. Structural
// damage (a page or an overflow chain that points outside the file, that
// loops, or that has the wrong type) is an error.
func readBDB(db []byte, each func(blob []byte) error) error {
	if !isBDB(db) || len(db) < 512 {
		return fmt.Errorf("%w: no hash database magic", errBDB)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if binary.LittleEndian.Uint32(db[12:16]) != bdbHashMagic {
		order = binary.BigEndian
	}
	pageSize := order.Uint32(db[20:24])
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return fmt.Errorf("%w: bad page size %d", errBDB, pageSize)
	}
	switch {
	case db[24] != 0:
		return fmt.Errorf("%w: encrypted databases are not supported", errBDB)
	case db[25] != pageHashMeta:
		return fmt.Errorf("%w: first page has type %d, not hash metadata", errBDB, db[25])
	case db[26]&bdbMetaChecksum != 0:
		return fmt.Errorf("%w: databases with page checksums are not supported", errBDB)
	}
	lastPage := uint64(order.Uint32(db[32:36]))
	if (lastPage+1)*uint64(pageSize) > uint64(len(db)) {
		return fmt.Errorf("%w: %d pages of %d bytes do not fit in %d bytes", errBDB, lastPage+1, pageSize, len(db))
	}
	maxBucket := order.Uint32(db[72:76])
	if uint64(maxBucket) >= lastPage {
		return fmt.Errorf("%w: %d buckets in %d pages", errBDB, uint64(maxBucket)+1, lastPage+1)
	}
	r := bdbReader{db: db, order: order, pageSize: int(pageSize), pages: uint32(lastPage + 1)}
	seen := make([]bool, r.pages)
	// Walk the buckets as Berkeley DB does: bucket b's first page is
	// b + spares[log2(b+1)], and a bucket's pages are chained by their
	// next-page numbers. Every page on the way must be a hash page, so a
	// damaged page is an error rather than a bucket silently skipped.
	for b := uint32(0); b <= maxBucket; b++ {
		spare := order.Uint32(db[96+4*log2(b+1):])
		n := b + spare
		if n == 0 {
			return fmt.Errorf("%w: bucket %d starts at the metadata page", errBDB, b)
		}
		for n != 0 {
			if n >= r.pages || seen[n] {
				return fmt.Errorf("%w: bucket %d reaches page %d", errBDB, b, n)
			}
			seen[n] = true
			p := r.page(n)
			if t := p[25]; t != pageHash && t != pageHashUnsorted {
				return fmt.Errorf("%w: bucket %d reaches page %d of type %d", errBDB, b, n, t)
			}
			if err := r.hashPage(n, p, each); err != nil {
				return err
			}
			n = order.Uint32(p[16:20])
		}
	}
	return nil
}

// log2 is Berkeley DB's __db_log2: the least i with 1<<i >= n (at most 32,
// which indexes the last of the 32 spares).
func log2(n uint32) int {
	i := 0
	for limit := uint64(1); limit < uint64(n); limit <<= 1 {
		i++
	}
	return min(i, 31)
}

// hashPage calls each with the headers on hash page n, p.
func (r *bdbReader) hashPage(n uint32, p []byte, each func(blob []byte) error) error {
	order := r.order
	entries := int(order.Uint16(p[20:22]))
	if bdbPageHeaderLen+2*entries > len(p) {
		return fmt.Errorf("%w: page %d: %d entries overflow the page", errBDB, n, entries)
	}
	if entries%2 != 0 {
		return fmt.Errorf("%w: page %d: %d entries are not key/data pairs", errBDB, n, entries)
	}
	// Entries are key/data pairs; a page's items are packed from its end
	// downwards, so an item ends where the previous one starts.
	for i := 0; i+1 < entries; i += 2 {
		key, err := r.item(p, i)
		if err != nil {
			return fmt.Errorf("%w: page %d: %w", errBDB, n, err)
		}
		if len(key) == 5 && key[0] == itemKeyData && key[1]|key[2]|key[3]|key[4] == 0 {
			continue // instance 0 holds rpm's next instance number
		}
		val, err := r.item(p, i+1)
		if err != nil {
			return fmt.Errorf("%w: page %d: %w", errBDB, n, err)
		}
		var blob []byte
		switch val[0] {
		case itemKeyData:
			blob = val[1:]
		case itemOffPage:
			if len(val) < 12 {
				return fmt.Errorf("%w: page %d: short off-page item", errBDB, n)
			}
			blob, err = r.overflow(order.Uint32(val[4:8]), order.Uint32(val[8:12]))
			if err != nil {
				return fmt.Errorf("%w: page %d: %w", errBDB, n, err)
			}
		default:
			return fmt.Errorf("%w: page %d: item type %d is not a package header", errBDB, n, val[0])
		}
		if err := each(blob); err != nil {
			return err
		}
	}
	return nil
}

type bdbReader struct {
	db       []byte
	order    binary.ByteOrder
	pageSize int
	pages    uint32
	buf      []byte // reused for headers assembled from overflow pages
}

func (r *bdbReader) page(n uint32) []byte {
	off := int(n) * r.pageSize
	return r.db[off : off+r.pageSize]
}

// item returns the i'th item of hash page p, type byte included.
func (r *bdbReader) item(p []byte, i int) ([]byte, error) {
	start := int(r.order.Uint16(p[bdbPageHeaderLen+2*i:]))
	end := len(p)
	if i > 0 {
		end = int(r.order.Uint16(p[bdbPageHeaderLen+2*(i-1):]))
	}
	if start < bdbPageHeaderLen || start >= end || end > len(p) {
		return nil, fmt.Errorf("item %d spans bytes %d to %d", i, start, end)
	}
	return p[start:end], nil
}

// overflow assembles the length bytes held in the chain of overflow pages
// that starts at page first. A chain can visit each page at most once.
func (r *bdbReader) overflow(first, length uint32) ([]byte, error) {
	if uint64(length) > uint64(len(r.db)) {
		return nil, fmt.Errorf("off-page item of %d bytes in a %d-byte file", length, len(r.db))
	}
	out := r.buf[:0]
	n := first
	for visited := uint32(0); ; visited++ {
		if n == 0 || n >= r.pages || visited == r.pages {
			return nil, fmt.Errorf("overflow chain from page %d reaches page %d", first, n)
		}
		p := r.page(n)
		if p[25] != pageOverflow {
			return nil, fmt.Errorf("overflow chain from page %d reaches page %d of type %d", first, n, p[25])
		}
		used := int(r.order.Uint16(p[22:24])) // an overflow page's data length
		if bdbPageHeaderLen+used > len(p) || uint64(len(out)+used) > uint64(length) {
			return nil, fmt.Errorf("overflow page %d holds %d bytes", n, used)
		}
		out = append(out, p[bdbPageHeaderLen:bdbPageHeaderLen+used]...)
		n = r.order.Uint32(p[16:20])
		if n == 0 {
			break
		}
	}
	r.buf = out
	if len(out) != int(length) {
		return nil, fmt.Errorf("overflow chain from page %d holds %d bytes, not %d", first, len(out), length)
	}
	return out, nil
}
