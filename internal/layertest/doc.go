// Package layertest builds real layer tarballs for tests: plain tar, gzip
// or zstd, from a list of entries, including the hostile ones (names that
// climb out of the root, absolute symlinks, whiteouts) a scanner must
// survive.
package layertest
