// Package store holds what every Loupe store shares: the error that marks
// a database as temporarily unavailable, and leases, the cross-process
// locks the services coordinate with.
//
// The implementations live below: store/sqlite (embedded) and
// store/postgres. Both pass the conformance suite in store/storetest.
package store
