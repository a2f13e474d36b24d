-- The update operations the notifier has processed, and the set it made
-- of each (NULL when the operation affected no manifest).
CREATE TABLE loupe_notifier.processed_operation (
	ref       uuid PRIMARY KEY,
	updater   text NOT NULL,
	processed timestamptz NOT NULL DEFAULT now(),
	set_id    uuid
);
CREATE INDEX processed_operation_updater ON loupe_notifier.processed_operation (updater, processed);

-- A notification set: the notifications made of one update operation,
-- delivered as one.
CREATE TABLE loupe_notifier.notification_set (
	id           uuid PRIMARY KEY,
	uo_ref       uuid NOT NULL,
	updater      text NOT NULL,
	created      timestamptz NOT NULL DEFAULT now(),
	status       text NOT NULL,
	attempts     integer NOT NULL DEFAULT 0,
	next_attempt timestamptz NOT NULL DEFAULT now(),
	last_error   text,
	count        integer NOT NULL
);
CREATE INDEX notification_set_due ON loupe_notifier.notification_set (next_attempt) WHERE status = 'pending';

-- The notifications of a set, as the JSON the API serves.
CREATE TABLE loupe_notifier.notification (
	set_id uuid NOT NULL REFERENCES loupe_notifier.notification_set (id) ON DELETE CASCADE,
	id     uuid NOT NULL,
	body   text NOT NULL,
	PRIMARY KEY (set_id, id)
);

-- Leases: cross-process locks (see package store).
CREATE TABLE loupe_notifier.lease (
	key     text PRIMARY KEY,
	owner   text NOT NULL,
	expires timestamptz NOT NULL
);
