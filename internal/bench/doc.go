// Package bench holds Loupe's end-to-end benchmarks: indexing a real
// Debian layer against the physical floor of reading it, re-indexing, and
// vulnerability-report latency with a real and a full-scale feed. Run them
// with `make bench`; they skip what they lack (the layer is built by
// ../shared/scripts/mkrootfs, the real feed sample lives in
// ../shared/data).
package bench
