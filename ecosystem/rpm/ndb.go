package rpm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
)

// The "new database" SUSE's rpm writes ("Packages.db"), from rpm's
// lib/backend/ndb/rpmpkg.c: a 32-byte header ("RpmP", format version,
// generation, number of slot pages), slot pages of 4096 bytes holding
// 16-byte slots ("Slot", package index, block offset, block count; the
// header takes the first two), and blobs addressed in 16-byte blocks, each
// a 16-byte blob header ("BlbS", package index, checksum, length) followed
// by the package's header and, in the last 12 bytes of its blocks, a tail
// (the adler32 checksum of everything before the tail, the length again,
// "BlbE"). All numbers are little-endian.
const (
	ndbHeaderMagic = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic   = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobMagic   = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbTailMagic   = 'B' | 'l'<<8 | 'b'<<16 | 'E'<<24
	ndbTailLen     = 12
	ndbSlotPage    = 4096
	ndbBlockSize   = 16
	ndbHeaderLen   = 32
)

var errNDB = errors.New("ndb")

// isNDB reports whether b starts with an NDB header.
func isNDB(b []byte) bool {
	return len(b) >= 4 && binary.LittleEndian.Uint32(b) == ndbHeaderMagic
}

// readNDB calls each with every package header in an NDB database held in
// db; the headers are slices of db. A blob whose checksum or tail is wrong
// is an error, as it is to rpm.
func readNDB(db []byte, each func(blob []byte) error) error {
	if !isNDB(db) || len(db) < ndbHeaderLen {
		return fmt.Errorf("%w: no header magic", errNDB)
	}
	le := binary.LittleEndian
	if v := le.Uint32(db[4:8]); v != 0 {
		return fmt.Errorf("%w: format version %d is not supported", errNDB, v)
	}
	slotPages := uint64(le.Uint32(db[12:16]))
	if slotPages == 0 || slotPages*ndbSlotPage > uint64(len(db)) {
		return fmt.Errorf("%w: %d slot pages do not fit in %d bytes", errNDB, slotPages, len(db))
	}
	slots := db[ndbHeaderLen : slotPages*ndbSlotPage]
	for i := 0; i+16 <= len(slots); i += 16 {
		s := slots[i : i+16]
		if le.Uint32(s) != ndbSlotMagic {
			return fmt.Errorf("%w: slot %d: bad magic", errNDB, i/16)
		}
		pkg := le.Uint32(s[4:8])
		if pkg == 0 {
			continue // a free slot
		}
		off := uint64(le.Uint32(s[8:12])) * ndbBlockSize
		blocks := uint64(le.Uint32(s[12:16])) * ndbBlockSize
		if off < slotPages*ndbSlotPage || off+blocks > uint64(len(db)) || blocks < ndbBlockSize {
			return fmt.Errorf("%w: package %d: blocks at %d (%d bytes) are outside the file", errNDB, pkg, off, blocks)
		}
		b := db[off : off+blocks]
		if le.Uint32(b) != ndbBlobMagic || le.Uint32(b[4:8]) != pkg {
			return fmt.Errorf("%w: package %d: no blob at offset %d", errNDB, pkg, off)
		}
		n := uint64(le.Uint32(b[12:16]))
		if ndbBlockSize+n+ndbTailLen > blocks {
			return fmt.Errorf("%w: package %d: blob of %d bytes overflows its %d bytes of blocks", errNDB, pkg, n, blocks)
		}
		tail := b[blocks-ndbTailLen:]
		if le.Uint32(tail[8:]) != ndbTailMagic || uint64(le.Uint32(tail[4:8])) != n {
			return fmt.Errorf("%w: package %d: bad blob tail", errNDB, pkg)
		}
		if le.Uint32(tail) != adler32.Checksum(b[:blocks-ndbTailLen]) {
			return fmt.Errorf("%w: package %d: checksum mismatch", errNDB, pkg)
		}
		if err := each(b[ndbBlockSize : ndbBlockSize+n]); err != nil {
			return err
		}
	}
	return nil
}
