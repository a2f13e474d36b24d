// Package layer reads container image layers in one streaming pass.
//
// A layer blob (gzip, zstd, bzip2 or plain tar, detected from its first
// bytes) is decompressed and walked once; only the files some scanner asked
// for are kept, in memory and within size limits, and handed to scanners as
// an fs.FS. Nothing is unpacked to disk. Whiteouts (".wh." files) and
// opaque directories are recorded for the coalescing step that merges
// layers.
//
// Layers are untrusted input. Entry names are cleaned and confined to the
// layer root (names that climb out with ".." are dropped); symbolic links
// are resolved only among the layer's own kept entries, with absolute
// targets taken relative to the layer root, never the host; every kept file
// and the whole pass are bounded by Limits. Errors in the layer's own bytes
// wrap ErrFormat, so callers can tell a bad layer from a failed read.
package layer
