-- An update operation: one updater run that changed the data.
CREATE TABLE update_operation (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	ref         TEXT NOT NULL UNIQUE,
	updater     TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	date        TEXT NOT NULL,
	kind        TEXT NOT NULL
);
CREATE INDEX update_operation_updater ON update_operation (updater, id);

-- Each distinct vulnerability, stored once; hash is the SHA-256 of data.
CREATE TABLE vuln (
	id   INTEGER PRIMARY KEY,
	hash BLOB NOT NULL UNIQUE,
	data BLOB NOT NULL
);

-- When a vulnerability was part of an updater's data: from the operation
-- that added it, until the one that removed it (NULL while it is live).
-- An update costs a row per change, not per vulnerability.
CREATE TABLE vuln_span (
	updater TEXT NOT NULL,
	vuln    INTEGER NOT NULL REFERENCES vuln (id),
	added   INTEGER NOT NULL,
	removed INTEGER,
	PRIMARY KEY (vuln, added)
);
CREATE INDEX vuln_span_updater ON vuln_span (updater, removed);

-- The last attempt of each updater.
CREATE TABLE updater_status (
	updater      TEXT PRIMARY KEY,
	last_attempt TEXT NOT NULL,
	last_success TEXT,
	last_error   TEXT,
	fingerprint  TEXT
);
