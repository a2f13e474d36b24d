-- Findings of one scanner (name, version, kind) in one layer, encoded by
-- the indexer. A layer is scanned once and its findings shared by every
-- manifest that has it.
CREATE TABLE layer_findings (
	layer    TEXT NOT NULL,
	scanner  TEXT NOT NULL,
	version  TEXT NOT NULL,
	kind     TEXT NOT NULL,
	findings BLOB NOT NULL,
	created  TEXT NOT NULL,
	PRIMARY KEY (layer, scanner, version, kind)
) WITHOUT ROWID;

-- A manifest's report and the indexer state it was built under.
CREATE TABLE manifest (
	id       INTEGER PRIMARY KEY,
	hash     TEXT NOT NULL UNIQUE,
	state    TEXT NOT NULL,
	finished INTEGER NOT NULL,
	report   BLOB NOT NULL,
	updated  TEXT NOT NULL
);

CREATE TABLE manifest_layer (
	manifest INTEGER NOT NULL REFERENCES manifest (id) ON DELETE CASCADE,
	i        INTEGER NOT NULL,
	layer    TEXT NOT NULL,
	PRIMARY KEY (manifest, i)
) WITHOUT ROWID;
CREATE INDEX manifest_layer_layer ON manifest_layer (layer);

-- The record keys of each finished report: how the manifests a changed
-- vulnerability may affect are found (matcher.RecordKeys).
CREATE TABLE manifest_key (
	key      INTEGER NOT NULL,
	manifest INTEGER NOT NULL REFERENCES manifest (id) ON DELETE CASCADE,
	PRIMARY KEY (key, manifest)
) WITHOUT ROWID;
CREATE INDEX manifest_key_manifest ON manifest_key (manifest);

-- Leases: cross-process locks (see package store). expires is Unix
-- nanoseconds.
CREATE TABLE lease (
	key     TEXT PRIMARY KEY,
	owner   TEXT NOT NULL,
	expires INTEGER NOT NULL
) WITHOUT ROWID;
