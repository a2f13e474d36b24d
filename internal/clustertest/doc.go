// Package clustertest runs Loupe distributed, for tests and benchmarks:
// one loupe process per service (indexer, matcher, notifier), built from
// this module, each on a PostgreSQL database of its own, behind nginx
// with the path routing of deploy/nginx. Processes can be killed and
// started again.
//
// The processes share one configuration, as the nodes of a real
// deployment do; each gets a copy that differs only in its listen
// addresses, since they share a host. The matcher and the notifier reach
// the other services through nginx, as they would through a load
// balancer, and every request is signed with a PSK.
//
// Without nginx, or without PostgreSQL (see internal/pgtest), the caller
// is skipped with a loud warning, or failed under CI=true.
package clustertest
