-- The update operations the notifier has processed, and the set it made
-- of each (NULL when the operation affected no manifest).
CREATE TABLE processed_operation (
	ref       TEXT PRIMARY KEY,
	updater   TEXT NOT NULL,
	processed INTEGER NOT NULL,
	set_id    TEXT
) WITHOUT ROWID;
CREATE INDEX processed_operation_updater ON processed_operation (updater);

-- A notification set: the notifications made of one update operation,
-- delivered as one. Times are Unix nanoseconds.
CREATE TABLE notification_set (
	id           TEXT PRIMARY KEY,
	uo_ref       TEXT NOT NULL,
	updater      TEXT NOT NULL,
	created      INTEGER NOT NULL,
	status       TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	last_error   TEXT,
	count        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX notification_set_due ON notification_set (status, next_attempt);

-- The notifications of a set, as the JSON the API serves.
CREATE TABLE notification (
	set_id TEXT NOT NULL REFERENCES notification_set (id) ON DELETE CASCADE,
	id     TEXT NOT NULL,
	body   TEXT NOT NULL,
	PRIMARY KEY (set_id, id)
) WITHOUT ROWID;

-- Leases: cross-process locks (see package store). expires is Unix
-- nanoseconds.
CREATE TABLE lease (
	key     TEXT PRIMARY KEY,
	owner   TEXT NOT NULL,
	expires INTEGER NOT NULL
) WITHOUT ROWID;
