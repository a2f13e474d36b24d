// Package indexer turns a Manifest into an IndexReport.
//
// Each layer is fetched and read once, in a single streaming pass that
// keeps only the files some Scanner named (see package layer); the
// scanners' findings are stored by layer digest and scanner version, and
// every manifest that contains the layer reuses them. A manifest's report
// is the coalesced findings of its layers, stored with the indexer state it
// was built under; indexing a manifest again under the same state returns
// the stored report without touching its layers.
//
// A layer that could not be fetched or read stores nothing: the manifest's
// report records the error (state IndexError) and a later request retries.
// Temporary failures are never stored as "scanned, nothing found".
package indexer
