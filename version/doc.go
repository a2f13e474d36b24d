// Package version compares package versions by the rules of each packaging
// system: one file per scheme, each tested against published vectors and
// fuzzed against the invariants of a total order.
//
// Parse functions are strict about syntax that would make a comparison
// meaningless (an empty version, a non-numeric epoch, characters the
// scheme does not allow) and return an error rather than guess; callers
// decide whether an unparsable version means "not affected" or an error.
// Comparison never allocates.
package version
