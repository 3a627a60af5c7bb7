-- Pipeline v2 (issue 16): a claim is a lease held by one engine process (lease_owner, a random
-- id per process start) and renewed while its work runs; an expired lease is returned to
-- 'pending' and taken again. Claimed rows leave the index that claims scan, so a claim reads
-- only due work, however long the queue or however many rows are being worked on.
ALTER TABLE inbox_events ADD COLUMN lease_owner TEXT;
DROP INDEX inbox_events_ready;
CREATE INDEX inbox_events_due ON inbox_events (next_attempt_ms, id) WHERE status = 'pending';
CREATE INDEX inbox_events_leased ON inbox_events (locked_until_ms) WHERE status = 'processing';

ALTER TABLE outbox_messages ADD COLUMN lease_owner TEXT;
DROP INDEX outbox_messages_ready;
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_ms) WHERE status = 'pending';
CREATE INDEX outbox_messages_leased ON outbox_messages (locked_until_ms)
  WHERE status = 'sending';

-- Usage as the message path writes it: a batch appends its counts here, locking no counter
-- (every batch would otherwise queue behind the last one's commit on the same tenants' day and
-- month counters); the pipeline folds them into usage_counters about once a second. Readers
-- add both. No foreign key: each row's check would lock its tenant's row in every batch
-- (the fold keeps only deltas of tenants that still exist).
CREATE TABLE usage_deltas (
  tenant_id  TEXT NOT NULL,
  batch_id   TEXT NOT NULL,
  scope      TEXT NOT NULL,
  period     TEXT NOT NULL,
  name       TEXT NOT NULL,
  value      INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, batch_id, scope, period, name)
);
