// Package debian is everything Loupe knows about Debian: the dpkg package
// database (var/lib/dpkg/status and distroless status.d files), Debian
// release detection, the security tracker's JSON feed, and the matching
// rules for it.
//
// The tracker speaks in source packages and release codenames; so does the
// matcher, which keys Debian data by codename ("debian:bookworm") and
// compares an installed package's source version with the fixed version
// using dpkg's ordering.
package debian
