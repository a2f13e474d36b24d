// Package oval reads OVAL definitions documents (OVAL 5), as far as the rpm
// distributions' security feeds use them: Oracle's ELSA, SUSE's and Azure
// Linux / CBL-Mariner's. It is not a general OVAL interpreter.
//
// Parse streams a document (plain, gzip, bzip2 or zstd, told apart by their
// first bytes) with encoding/xml and keeps the definitions (metadata and
// criteria trees), and the tests, objects and states they refer to, by ID.
// Only the rpminfo and family tests carry data the feeds use; tests of
// other kinds (the textfilecontent54 test Oracle checks module streams
// with) are kept with their comment only.
//
// Branches turns a definition's criteria tree, with its AND, OR and
// negation, into the alternatives that make it true: each a conjunction of
// criteria, resolved to their tests, objects and states. A feed's parser
// reads each branch as one statement (on this release, for this
// architecture, this package before this version), and turns it into
// vulnerability records with Bounds.
//
// Source is the document a feed's updater reads, with Clair's url and
// compression keys; the updaters embed it for Configure and Fetch.
//
// The records of all three feeds, and of Photon's, are matched by one
// rule, RPMRule: an installed package is affected when its EVR, compared
// as rpm does, lies within the record's bounds (before the fixed version,
// at or before the last affected one, after a lower bound), its
// architecture fits the record's, and its module stream is the record's.
package oval
