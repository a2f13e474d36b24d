// Package pgtest gives tests a real PostgreSQL database.
//
// The server is, in order: the one $LOUPE_TEST_PGCONN names; a server on
// 127.0.0.1:5432 that accepts the postgres user without a password (trust
// authentication, as on Loupe's development and CI machines); or a
// throwaway cluster that pgtest starts with initdb and pg_ctl when they
// are installed, and stops when the test binary exits. Without any of
// them the tests that need PostgreSQL are skipped, with a message on
// stderr that says so — unless CI=true, where a skipped PostgreSQL test
// fails the run.
//
// Every call to DB creates a new, empty database on that server, so tests
// run in parallel without sharing state. Packages that use pgtest call Main
// from their TestMain: it drops the databases when the tests are done, all
// at once, and stops a throwaway cluster. (Without Main, each database is
// dropped when its test ends.)
package pgtest
