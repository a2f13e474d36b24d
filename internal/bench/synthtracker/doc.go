// Command synthtracker writes the synthetic, full-scale Debian security
// tracker export the benchmarks use (bench.SynthesizeTracker) for a
// Debian layer, so that other programs (scripts/compare-clair, Clair)
// can load the same feed:
//
//	go run ./internal/bench/synthtracker -layer bookworm.tar.gz -o tracker.json
package main
