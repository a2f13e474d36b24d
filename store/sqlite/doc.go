// Package sqlite is Loupe's embedded store: SQLite through a pure-Go
// driver (no cgo), one database file per service.
//
// Each service's store owns its tables and its numbered migrations, which
// are embedded and applied when the store is opened: the embedded store is
// Loupe's own, so there is no opt-out as there is for PostgreSQL. Files use
// write-ahead logging; writers take the database lock at the start of a
// transaction, so concurrent writers queue rather than deadlock.
//
// SQL lives beside the method that runs it. Both this package and the
// PostgreSQL store pass the same conformance suite in store/storetest.
package sqlite
