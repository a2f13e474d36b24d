// Package postgres is Loupe's PostgreSQL store, for production: the
// indexer's and the matcher's data, each service in a schema of its own
// (loupe_indexer, loupe_matcher), so that the services can share one
// database or use one each.
//
// Connections come from pgx's pool, configured by a libpq connection
// string (key=value or a postgres:// URL; PG* environment variables fill
// in what it omits; pool_max_conns sizes the pool). Each schema has
// numbered, embedded migrations, applied at start when the service's
// migrations key is true; with migrations off, a schema older than the
// binary is refused with an error that says so.
//
// Errors that mean the database cannot be reached right now wrap
// store.ErrUnavailable; waiting for a free connection is bounded, so a
// saturated pool queues requests for a while and then fails them that way
// rather than hanging. Nothing depends on session state (no session
// advisory locks, no session settings), so a transaction-mode connection
// pooler may sit in between: cross-process locks are leases in a table
// (see package store), and the few transaction-scoped advisory locks are
// released at commit.
//
// Vulnerabilities are stored once per content, split into shared parts
// (store/internal/vulnparts); an update writes only what changed, with
// COPY. Both this store and the embedded one pass store/storetest.
package postgres
