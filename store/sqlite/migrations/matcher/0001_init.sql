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

-- The parts vulnerabilities share, each stored once per content (hash is
-- a SHA-256 of the canonical encoding, see store/internal/vulnparts).
CREATE TABLE advisory (
	id                  INTEGER PRIMARY KEY,
	hash                BLOB NOT NULL UNIQUE,
	updater             TEXT NOT NULL,
	name                TEXT NOT NULL,
	description         TEXT NOT NULL,
	issued              TEXT NOT NULL,
	links               TEXT NOT NULL,
	severity            TEXT NOT NULL,
	normalized_severity INTEGER NOT NULL
);
CREATE TABLE dist (
	id   INTEGER PRIMARY KEY,
	hash BLOB NOT NULL UNIQUE,
	data TEXT NOT NULL
);
CREATE TABLE repo (
	id   INTEGER PRIMARY KEY,
	hash BLOB NOT NULL UNIQUE,
	data TEXT NOT NULL
);

-- Each distinct vulnerability: what its advisory affects, and how.
CREATE TABLE vuln (
	id               INTEGER PRIMARY KEY,
	hash             BLOB NOT NULL UNIQUE,
	advisory         INTEGER NOT NULL REFERENCES advisory (id),
	package_name     TEXT,
	package_version  TEXT,
	package_kind     TEXT,
	package_module   TEXT,
	package_arch     TEXT,
	package_cpe      TEXT,
	package_extra    TEXT,
	dist             INTEGER REFERENCES dist (id),
	repo             INTEGER REFERENCES repo (id),
	fixed_in_version TEXT NOT NULL,
	range_lower      TEXT,
	range_upper      TEXT,
	arch_op          INTEGER NOT NULL
);
CREATE INDEX vuln_advisory ON vuln (advisory);

-- Updaters by number, so that spans refer to them in a byte or two.
CREATE TABLE updater (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

-- When a vulnerability was part of an updater's data: from the operation
-- that added it, until the one that removed it (NULL while it is live).
-- An update costs a row per change, not per vulnerability.
CREATE TABLE vuln_span (
	updater INTEGER NOT NULL REFERENCES updater (id),
	vuln    INTEGER NOT NULL REFERENCES vuln (id),
	added   INTEGER NOT NULL,
	removed INTEGER,
	PRIMARY KEY (vuln, added)
) WITHOUT ROWID;
CREATE INDEX vuln_span_updater ON vuln_span (updater, removed);

-- The last attempt of each updater.
CREATE TABLE updater_status (
	updater      TEXT PRIMARY KEY,
	last_attempt TEXT NOT NULL,
	last_success TEXT,
	last_error   TEXT,
	fingerprint  TEXT
);

-- Leases: cross-process locks (see package store). expires is Unix
-- nanoseconds.
CREATE TABLE lease (
	key     TEXT PRIMARY KEY,
	owner   TEXT NOT NULL,
	expires INTEGER NOT NULL
) WITHOUT ROWID;
