// Package matcher turns IndexReports into VulnerabilityReports.
//
// Matching runs against an in-memory Index of every live vulnerability,
// built from the store and replaced atomically when updaters land new
// data. The Index files each vulnerability under keys chosen by the
// ecosystem's Rules (a namespace such as "debian:bookworm", a package name,
// and whether that name is a source or binary package), with its version
// constraint parsed once. Matching a report is then, per package, a few map
// look-ups and version comparisons: no database query per package.
package matcher
