package storetest

import (
	"crypto/sha256"
	"testing"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/updater"
)

// IndexerStoreUnderTest is what the indexer-store suite exercises.
type IndexerStoreUnderTest interface {
	indexer.Store
}

// MatcherStoreUnderTest is what the matcher-store suite exercises: the
// matcher's reads and the updater manager's writes, on one store.
type MatcherStoreUnderTest interface {
	matcher.Store
	updater.Store
}

// digestOf returns the sha256 digest of s: a stand-in for a blob's digest.
func digestOf(s string) loupe.Digest {
	sum := sha256.Sum256([]byte(s))
	d, err := loupe.NewDigest(loupe.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return d
}

// must fails the test at once on err; what names the call.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}
