// Package updater keeps vulnerability data fresh: it runs each configured
// Updater on a schedule, and lands what changed as an update operation.
//
// An Updater is split in two. Fetch retrieves the raw feed and a
// fingerprint of it, or reports ErrUnchanged when the fingerprint shows
// nothing new; Parse turns the raw bytes into vulnerabilities without
// touching the network. The split is what makes recorded-feed tests, golden
// parser tests and offline bundles possible.
//
// A failed run (fetch, parse or store) keeps the last good data: nothing is
// written but the updater's status, and the next period retries. A run
// whose parsed data equals what is stored records the new fingerprint and
// lands no operation.
package updater
