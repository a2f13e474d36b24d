// Package poolstats exports a store's connection pool statistics to
// Prometheus, under the same names for both stores: PostgreSQL's pgxpool
// and SQLite's database/sql pool. Each series has a const label "service"
// (indexer, matcher, notifier), so one process's pools register side by
// side.
//
// Metrics both pools have:
//
//	loupe_db_pool_acquired_connections        gauge    connections in use
//	loupe_db_pool_idle_connections            gauge    idle connections
//	loupe_db_pool_total_connections           gauge    open connections
//	loupe_db_pool_max_connections             gauge    the pool's limit (0: none)
//	loupe_db_pool_empty_acquires_total        counter  acquisitions that had to wait for a connection
//	loupe_db_pool_empty_acquire_wait_seconds_total  counter  time spent so waiting
//	loupe_db_pool_closed_connections_total{reason}  counter  connections closed by the pool's limits
//
// Only pgxpool counts every acquisition; with it, also:
//
//	loupe_db_pool_acquires_total                   counter  acquisitions
//	loupe_db_pool_acquire_duration_seconds_total   counter  time spent acquiring
//	loupe_db_pool_canceled_acquires_total          counter  acquisitions cancelled by their context
//	loupe_db_pool_constructing_connections         gauge    connections being opened
//	loupe_db_pool_new_connections_total            counter  connections opened
package poolstats
