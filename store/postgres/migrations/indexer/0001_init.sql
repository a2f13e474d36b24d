-- Findings of one scanner (name, version, kind) in one layer, encoded by
-- the indexer. A layer is scanned once and its findings shared by every
-- manifest that has it.
CREATE TABLE loupe_indexer.layer_findings (
	layer    text NOT NULL,
	scanner  text NOT NULL,
	version  text NOT NULL,
	kind     text NOT NULL,
	findings bytea NOT NULL,
	created  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (layer, scanner, version, kind)
);

-- A manifest's report and the indexer state it was built under.
CREATE TABLE loupe_indexer.manifest (
	id       bigserial PRIMARY KEY,
	hash     text NOT NULL UNIQUE,
	state    text NOT NULL,
	finished boolean NOT NULL,
	report   bytea NOT NULL,
	updated  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE loupe_indexer.manifest_layer (
	manifest bigint NOT NULL REFERENCES loupe_indexer.manifest (id) ON DELETE CASCADE,
	i        integer NOT NULL,
	layer    text NOT NULL,
	PRIMARY KEY (manifest, i)
);
CREATE INDEX manifest_layer_layer ON loupe_indexer.manifest_layer (layer);

-- The record keys of each finished report: how the manifests a changed
-- vulnerability may affect are found (matcher.RecordKeys).
CREATE TABLE loupe_indexer.manifest_key (
	key      bigint NOT NULL,
	manifest bigint NOT NULL REFERENCES loupe_indexer.manifest (id) ON DELETE CASCADE,
	PRIMARY KEY (key, manifest)
);
CREATE INDEX manifest_key_manifest ON loupe_indexer.manifest_key (manifest);

-- Leases: cross-process locks (see package store).
CREATE TABLE loupe_indexer.lease (
	key     text PRIMARY KEY,
	owner   text NOT NULL,
	expires timestamptz NOT NULL
);
