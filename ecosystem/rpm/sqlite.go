package rpm

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
	"modernc.org/sqlite/vfs"
)

// sqliteMagic starts every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

var errSQLite = errors.New("sqlite")

// isSQLite reports whether b starts with the SQLite header.
func isSQLite(b []byte) bool { return bytes.HasPrefix(b, []byte(sqliteMagic)) }

// readSQLite calls each with every package header in the Packages table
// (hnum, blob) of the SQLite database held in db. The blobs are valid only
// during the call.
//
// The database is read where it lies, in memory, through a read-only
// SQLite VFS over a one-file fs.FS: nothing is written to disk. rpm keeps
// its database in WAL mode, which needs shared memory a read-only VFS has
// not got, so the file is presented with the header's read and write
// format bytes (offsets 18 and 19) set to 1, rollback journal: the same
// pages, read without a WAL. Transactions left in an -wal file that was
// never checkpointed are therefore not seen; rpm checkpoints when it
// closes the database.
func readSQLite(ctx context.Context, db []byte, each func(blob []byte) error) (err error) {
	if !isSQLite(db) || len(db) < 100 {
		return fmt.Errorf("%w: no header magic", errSQLite)
	}
	name, fsys, err := vfs.New(memDB{db})
	if err != nil {
		return fmt.Errorf("%w: %w", errSQLite, err)
	}
	defer func() {
		if cerr := fsys.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("%w: %w", errSQLite, cerr)
		}
	}()
	sdb, err := sql.Open("sqlite", "file:"+memDBName+"?mode=ro&vfs="+name)
	if err != nil {
		return fmt.Errorf("%w: %w", errSQLite, err)
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	rows, err := sdb.QueryContext(ctx, `SELECT blob FROM Packages`)
	if err != nil {
		return fmt.Errorf("%w: %w", errSQLite, err)
	}
	defer rows.Close()
	for rows.Next() {
		var blob sql.RawBytes
		if err := rows.Scan(&blob); err != nil {
			return fmt.Errorf("%w: %w", errSQLite, err)
		}
		if err := each(blob); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %w", errSQLite, err)
	}
	return nil
}

// memDBName is the one file a memDB holds.
const memDBName = "rpmdb.sqlite"

// memDB is an fs.FS of one file, a database in memory, whose header says
// it is not in WAL mode.
type memDB struct{ b []byte }

func (m memDB) Open(name string) (fs.File, error) {
	if name != memDBName {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{b: m.b}, nil
}

// memFile reads a memDB's file, the header's format bytes rewritten.
type memFile struct {
	b   []byte
	off int64
}

func (f *memFile) Read(p []byte) (int, error) {
	if f.off >= int64(len(f.b)) {
		return 0, io.EOF
	}
	n := copy(p, f.b[f.off:])
	for i := range 2 { // bytes 18 and 19: read and write format version
		if o := 18 + int64(i) - f.off; o >= 0 && o < int64(n) && p[o] == 2 {
			p[o] = 1
		}
	}
	f.off += int64(n)
	return n, nil
}

func (f *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += f.off
	case io.SeekEnd:
		off += int64(len(f.b))
	default:
		return 0, fmt.Errorf("seek: bad whence %d", whence)
	}
	if off < 0 {
		return 0, fmt.Errorf("seek: negative offset")
	}
	f.off = off
	return off, nil
}

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo(len(f.b)), nil }
func (f *memFile) Close() error               { return nil }

type memInfo int64

func (i memInfo) Name() string       { return memDBName }
func (i memInfo) Size() int64        { return int64(i) }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
