// Package storetest is the behavioural conformance suite for Loupe's
// stores. Every store implementation (the embedded SQLite store, the
// PostgreSQL store) runs the same suite from a test in its own package:
//
//	func TestIndexerStore(t *testing.T) {
//		storetest.IndexerStore(t, func(t *testing.T) storetest.IndexerStoreUnderTest {
//			return openFreshIndexerStore(t) // closed with t.Cleanup
//		})
//	}
//
// The open function is called once per subtest and must return a fresh,
// empty store that nothing else uses. The suite only uses the interfaces
// below, builds all of its data itself, and never inspects a store's
// tables: what it checks is what the indexer, the matcher and the updater
// manager rely on.
//
// # Indexer store (indexer.Store)
//
// Findings and reports are opaque bytes; a conforming store:
//
//   - returns findings byte for byte as stored, keyed by layer and by the
//     full ScannerID (name, version and kind); Findings returns only the
//     requested scanners of the requested layers, and a layer with none of
//     them is absent from the result (not present with an empty map);
//   - treats PutFindings as an upsert per (layer, ScannerID): a key that
//     is stored again is replaced, keys not named by the call are kept;
//   - returns from Report the report bytes and the state of the last
//     PutReport of the manifest, and ok=false with a nil error for a
//     manifest it does not have;
//   - makes a second PutReport of a manifest replace its report, state and
//     layer list;
//   - makes DeleteManifests return exactly the given manifests that
//     existed, delete their reports, and delete the findings of their
//     layers unless another remaining manifest still lists the layer (also
//     when several manifests sharing a layer are deleted in one call);
//   - is safe for concurrent use: concurrent PutFindings and PutReport
//     calls all succeed and the end state is that of some serial order,
//     each PutReport's report and layer list landing together.
//
// # Matcher store (matcher.Store and updater.Store)
//
// Vulnerabilities belong to the updater named in their Updater field. A
// conforming store:
//
//   - makes UpdateVulnerabilities replace the updater's live set with the
//     given vulnerabilities (order and duplicated pointers do not matter);
//     when that changes the set it lands an update operation (a canonical
//     lowercase UUID ref, the updater, the fingerprint, a date, kind
//     loupe.VulnerabilityUpdate) and returns it, exactly as UpdateOperations
//     later lists it; when it changes nothing it returns nil and no
//     operation. Either way Fingerprint returns the new fingerprint;
//   - rejects, without changing anything, a vulnerability whose Updater
//     differs from the updater argument;
//   - keeps the updaters' data independent: one updater's updates,
//     deletions and collection never change another's live set or
//     operations;
//   - returns from Vulnerabilities every live vulnerability of every
//     updater exactly once, with every exported field as given (Package
//     fields tagged json:"-" are not vulnerability data and need not
//     survive), and with a non-empty ID that is unique, that stays the same
//     while the content stays referenced, and that UpdateDiff uses too;
//   - makes UpdateDiff(prev, cur) return the vulnerabilities in cur's
//     snapshot and not in prev's (Added) and the reverse (Removed), with
//     Prev and Cur set to the operations; an empty prev means the empty
//     snapshot; operations of different updaters, or an unknown ref, are
//     errors;
//   - lists from UpdateOperations the operations of a kind by updater,
//     newest first (only the newest with latest), and returns from
//     LatestRef the newest operation's ref of a kind over all updaters, or
//     "" when there is none;
//   - changes DataVersion after every landing and every deletion that
//     changes the live set, and returns the same value from consecutive
//     calls that nothing came between;
//   - reports Initialized false on an empty store and true once an
//     operation has landed;
//   - makes DeleteUpdateOperations delete the operations it knows, ignore
//     unknown refs, and return how many it deleted; afterwards each
//     updater's live set is the snapshot of its newest remaining operation
//     (empty if none remains), whatever the order of the refs and however
//     the deletions were split over calls;
//   - makes GC(n) keep exactly the newest n operations of every updater
//     in one call however many are due, return how many it deleted, leave
//     the live sets alone, and keep every diff between retained operations
//     (and from the empty snapshot to one) as it was;
//   - never changes Fingerprint in RecordAttempt;
//   - is safe for concurrent use by several updaters at once.
package storetest
