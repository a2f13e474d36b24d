// Package loupe holds Loupe's domain types: the manifests and layers it is
// asked to index, what it finds in them, and the vulnerabilities it matches
// against what it found.
//
// The JSON encoding of every type here is the wire format of the Clair v4
// HTTP API (as of Clair v4.9.0), so that Clair clients such as Quay and
// clairctl work with Loupe unchanged. Field order, key names, omitempty
// rules and the encoding of zero values are part of that contract and are
// pinned by golden tests.
//
// This package depends on the standard library only; a test keeps it so.
package loupe
