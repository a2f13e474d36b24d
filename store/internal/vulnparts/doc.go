// Package vulnparts splits vulnerabilities into the parts Loupe's stores
// keep, and joins them back.
//
// A vulnerability is stored as a small row that refers to three shared
// parts: its advisory (the updater, name, description, links, dates and
// severity, which every release or package a CVE affects repeats), its
// distribution and its repository. Each part is stored once per content,
// keyed by a SHA-256 of its canonical encoding; the row itself is keyed by
// the hash of the whole vulnerability, so identical content always has the
// same row. Both the SQLite and the PostgreSQL store use this package, so
// that they agree on identity.
package vulnparts
