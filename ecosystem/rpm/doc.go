// Package rpm reads rpm's installed-package database, in all three of the
// formats rpm has written: Berkeley DB hash ("Packages", RHEL 8 and older,
// Amazon Linux 2, Oracle Linux), NDB ("Packages.db", SUSE) and SQLite
// ("rpmdb.sqlite", RHEL 9, Fedora, Azure Linux, Amazon Linux 2023).
//
// The readers are the project's own and work on the database bytes the
// indexer holds in memory: Berkeley DB and NDB are short, fixed layouts,
// and SQLite is opened through a read-only VFS over those bytes, so no
// database is copied to disk. github.com/knqyf263/go-rpmdb was considered
// and not used: its header parser lives in the package that registers
// another SQLite driver under the name "sqlite" (a panic at start-up next
// to modernc.org/sqlite, which the store uses), and its Berkeley DB and
// NDB readers need a file on disk and, on damaged input, loop forever or
// panic in a goroutine the caller cannot recover.
//
// Packages are reported as Clair reports them: binary packages whose
// version is epoch:version-release (the epoch left out when zero), with
// the architecture, the module stream from the modularity label
// ("name:stream"), and the source package named by SOURCERPM (its
// version-release, since a source rpm's file name carries no epoch, and the
// binary's module).
package rpm
