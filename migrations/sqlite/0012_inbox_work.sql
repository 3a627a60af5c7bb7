-- Pipeline v2 (issue 16): the inbox's queue in a narrow table of its own. An event row
-- (~1.4 KB with its payload) was written three times (stored, claimed, finished), each time
-- with new entries in its queue indexes. Now an event is written when it is stored and once
-- more when it is finished; its claim, lease and retries live in inbox_work, one small row per
-- unfinished event, deleted when the event is finished or dead. An event is 'pending' in
-- inbox_events until then; whether it is being worked on is inbox_work's status.
CREATE TABLE inbox_work (
  event_id         INTEGER NOT NULL PRIMARY KEY,  -- inbox_events.id
  order_key        TEXT NOT NULL,        -- the event's: one contact's events in id order
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms  INTEGER NOT NULL,
  locked_until_ms  INTEGER NOT NULL DEFAULT 0,
  lease_owner      TEXT
);
CREATE INDEX inbox_work_due ON inbox_work (next_attempt_ms, event_id) WHERE status = 'pending';
CREATE INDEX inbox_work_leased ON inbox_work (locked_until_ms) WHERE status = 'processing';
CREATE INDEX inbox_work_order ON inbox_work (order_key, event_id);

-- Unfinished events keep their attempts; a lease held across the upgrade is returned.
INSERT INTO inbox_work (event_id, order_key, attempts, next_attempt_ms)
  SELECT id, order_key, attempts, next_attempt_ms FROM inbox_events
  WHERE status IN ('pending', 'processing');
UPDATE inbox_events SET status = 'pending', locked_until_ms = 0, lease_owner = NULL
  WHERE status = 'processing';
DROP INDEX inbox_events_due;
DROP INDEX inbox_events_leased;
DROP INDEX inbox_events_order;
