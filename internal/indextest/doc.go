// Package indextest indexes test images for the ecosystems' tests: a real
// indexer over an embedded store, layers written as tarballs to files and
// fetched by file:// URI, so that a scanner is checked through the same
// single pass, storage and coalescing as in production.
package indextest
