// Package rpmfeedstest holds the test helpers the rpm distributions'
// packages (rocky, alma, fedora, amazon) share: real indexing of layer
// tarballs, index reports built by hand, and a readable form of a
// vulnerability report's matches.
package rpmfeedstest
