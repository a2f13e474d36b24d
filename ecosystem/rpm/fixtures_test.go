package rpm

import (
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"hash/adler32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var writeFixtures = flag.Bool("write-fixtures", false, "write testdata/Packages.ndb and testdata/Packages.dump from testdata/rpm.sqlite (see testdata/mkfixtures.sh)")

// TestWriteFixtures makes the NDB fixture, and the Berkeley DB dump that
// db_load turns into the Berkeley DB fixtures, from the headers rpm wrote
// into testdata/rpm.sqlite. It runs only when asked to.
func TestWriteFixtures(t *testing.T) {
	if !*writeFixtures {
		t.Skip("run with -write-fixtures to rewrite the fixtures")
	}
	recs := sqliteRecords(t, "testdata/rpm.sqlite")
	if err := os.WriteFile("testdata/Packages.ndb", makeNDB(recs), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/Packages.dump", []byte(bdbDump(recs)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		t.Logf("package %d: header of %d bytes", r.hnum, len(r.blob))
	}
}

type record struct {
	hnum uint32
	blob []byte
}

// sqliteRecords reads every (hnum, blob) row of an rpm sqlite database
// through the ordinary driver, from a copy (SQLite wants to create the
// WAL's shared memory next to a WAL-mode database).
func sqliteRecords(t testing.TB, name string) []record {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "rpmdb.sqlite")
	if err := os.WriteFile(cp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+cp)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT hnum, blob FROM Packages ORDER BY hnum`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []record
	for rows.Next() {
		var r record
		if err := rows.Scan(&r.hnum, &r.blob); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// makeNDB lays recs out as rpm's NDB backend does: one slot page, then
// each blob in 16-byte blocks, with its head, adler32 checksum and tail.
func makeNDB(recs []record) []byte {
	le := binary.LittleEndian
	db := make([]byte, ndbSlotPage)
	var next uint32
	for _, r := range recs {
		next = max(next, r.hnum+1)
	}
	le.PutUint32(db[0:], ndbHeaderMagic)
	le.PutUint32(db[8:], 1)  // generation
	le.PutUint32(db[12:], 1) // slot pages
	le.PutUint32(db[16:], next)
	for i := ndbHeaderLen; i < ndbSlotPage; i += 16 {
		le.PutUint32(db[i:], ndbSlotMagic)
	}
	for i, r := range recs {
		blocks := (16 + len(r.blob) + 12 + ndbBlockSize - 1) / ndbBlockSize
		off := len(db)
		b := make([]byte, blocks*ndbBlockSize)
		le.PutUint32(b[0:], ndbBlobMagic)
		le.PutUint32(b[4:], r.hnum)
		le.PutUint32(b[8:], 1) // generation
		le.PutUint32(b[12:], uint32(len(r.blob)))
		copy(b[16:], r.blob)
		tail := b[len(b)-12:]
		le.PutUint32(tail[0:], adler32.Checksum(b[:len(b)-12]))
		le.PutUint32(tail[4:], uint32(len(r.blob)))
		le.PutUint32(tail[8:], 'B'|'l'<<8|'b'<<16|'E'<<24)
		db = append(db, b...)
		s := db[ndbHeaderLen+16*i:]
		le.PutUint32(s[4:], r.hnum)
		le.PutUint32(s[8:], uint32(off/ndbBlockSize))
		le.PutUint32(s[12:], uint32(blocks))
	}
	return db
}

// bdbDump renders recs in db_dump's bytevalue format for db_load: keys are
// rpm's instance numbers (little-endian, as an x86 rpm writes them), and
// key 0 holds the next instance number, as in a real Packages file.
func bdbDump(recs []record) string {
	var b strings.Builder
	b.WriteString("VERSION=3\nformat=bytevalue\ntype=hash\nh_nelem=32\ndb_pagesize=4096\nHEADER=END\n")
	var next uint32
	kv := func(k uint32, v []byte) {
		var key [4]byte
		binary.LittleEndian.PutUint32(key[:], k)
		fmt.Fprintf(&b, " %s\n %s\n", hex.EncodeToString(key[:]), hex.EncodeToString(v))
	}
	for _, r := range recs {
		next = max(next, r.hnum+1)
	}
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], next)
	kv(0, n[:])
	for _, r := range recs {
		kv(r.hnum, r.blob)
	}
	b.WriteString("DATA=END\n")
	return b.String()
}
