-- An update operation: one updater run that changed the data.
CREATE TABLE loupe_matcher.update_operation (
	id          bigserial PRIMARY KEY,
	ref         uuid NOT NULL UNIQUE,
	updater     text NOT NULL,
	fingerprint text NOT NULL,
	date        timestamptz NOT NULL,
	kind        text NOT NULL
);
CREATE INDEX update_operation_updater ON loupe_matcher.update_operation (updater, id);

-- The parts vulnerabilities share, each stored once per content (hash is
-- a SHA-256 of the canonical encoding, see store/internal/vulnparts).
CREATE TABLE loupe_matcher.advisory (
	id                  bigserial PRIMARY KEY,
	hash                bytea NOT NULL UNIQUE,
	updater             text NOT NULL,
	name                text NOT NULL,
	description         text NOT NULL,
	issued              timestamptz NOT NULL,
	links               text NOT NULL,
	severity            text NOT NULL,
	normalized_severity smallint NOT NULL
);
CREATE TABLE loupe_matcher.dist (
	id   bigserial PRIMARY KEY,
	hash bytea NOT NULL UNIQUE,
	data text NOT NULL
);
CREATE TABLE loupe_matcher.repo (
	id   bigserial PRIMARY KEY,
	hash bytea NOT NULL UNIQUE,
	data text NOT NULL
);

-- Each distinct vulnerability: what its advisory affects, and how.
CREATE TABLE loupe_matcher.vuln (
	id               bigserial PRIMARY KEY,
	hash             bytea NOT NULL UNIQUE,
	advisory         bigint NOT NULL REFERENCES loupe_matcher.advisory (id),
	package_name     text,
	package_version  text,
	package_kind     text,
	package_module   text,
	package_arch     text,
	package_cpe      text,
	package_extra    text,
	dist             bigint REFERENCES loupe_matcher.dist (id),
	repo             bigint REFERENCES loupe_matcher.repo (id),
	fixed_in_version text NOT NULL,
	range_lower      text,
	range_upper      text,
	arch_op          smallint NOT NULL
);
CREATE INDEX vuln_advisory ON loupe_matcher.vuln (advisory);
CREATE INDEX vuln_dist ON loupe_matcher.vuln (dist);
CREATE INDEX vuln_repo ON loupe_matcher.vuln (repo);

-- Updaters by number, so that spans refer to them in a few bytes.
CREATE TABLE loupe_matcher.updater (
	id   serial PRIMARY KEY,
	name text NOT NULL UNIQUE
);

-- When a vulnerability was part of an updater's data: from the operation
-- that added it, until the one that removed it (NULL while it is live).
-- An update costs a row per change, not per vulnerability.
CREATE TABLE loupe_matcher.vuln_span (
	updater integer NOT NULL REFERENCES loupe_matcher.updater (id),
	vuln    bigint NOT NULL REFERENCES loupe_matcher.vuln (id),
	added   bigint NOT NULL,
	removed bigint,
	PRIMARY KEY (vuln, added)
);
CREATE INDEX vuln_span_live ON loupe_matcher.vuln_span (updater) WHERE removed IS NULL;
CREATE INDEX vuln_span_removed ON loupe_matcher.vuln_span (updater, removed) WHERE removed IS NOT NULL;

-- The last attempt of each updater.
CREATE TABLE loupe_matcher.updater_status (
	updater      text PRIMARY KEY,
	last_attempt timestamptz NOT NULL,
	last_success timestamptz,
	last_error   text,
	fingerprint  text
);

-- Leases: cross-process locks (see package store).
CREATE TABLE loupe_matcher.lease (
	key     text PRIMARY KEY,
	owner   text NOT NULL,
	expires timestamptz NOT NULL
);
