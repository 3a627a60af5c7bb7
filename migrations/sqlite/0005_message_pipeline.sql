-- Message pipeline (issue 5): the durable inbox every webhook event is committed to before Meta
-- gets its 200, the outbox every reply is committed to before it is sent, statuses that arrive
-- before their message, and the per-tenant settings the pipeline reads. Queue times are epoch
-- milliseconds set by the engine, so both dialects compare them alike and tests can move time.

-- Server-level: an event is stored before its tenant is known (routing happens in the worker).
CREATE TABLE inbox_events (
  id               INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  channel_type     TEXT NOT NULL,
  account_id       TEXT NOT NULL,      -- the receiving number's phone_number_id
  dedupe_key       TEXT NOT NULL,      -- message:<wamid> or status:<wamid>:<status>
  kind             TEXT NOT NULL,      -- message, status, error
  order_key        TEXT NOT NULL,      -- events with one order key are processed in id order
  payload          TEXT NOT NULL,      -- the normalized event
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'processing', 'done', 'dead', 'unrouted')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms  INTEGER NOT NULL,
  locked_until_ms  INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT,
  tenant_slug      TEXT,               -- once routed
  received_ms      INTEGER NOT NULL,
  done_ms          INTEGER,
  UNIQUE (channel_type, account_id, dedupe_key)
);
-- Work is claimed oldest first among the unfinished: a short index, whatever the table's size.
CREATE INDEX inbox_events_ready ON inbox_events (id)
  WHERE status IN ('pending', 'processing');
CREATE INDEX inbox_events_order ON inbox_events (order_key, id)
  WHERE status IN ('pending', 'processing');

CREATE TABLE outbox_messages (
  tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                  TEXT NOT NULL,
  message_id          TEXT NOT NULL,     -- the outbound row in messages
  in_reply_to         TEXT,              -- the inbound message answered; one reply each
  channel_account_id  TEXT NOT NULL,
  recipient           TEXT NOT NULL,
  request             TEXT NOT NULL,     -- the channel's send request, without credentials
  status              TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'sending', 'sent', 'dead', 'blocked_by_window')),
  attempts            INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms     INTEGER NOT NULL,
  locked_until_ms     INTEGER NOT NULL DEFAULT 0,
  last_error          TEXT,
  created_ms          INTEGER NOT NULL,
  sent_ms             INTEGER,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, in_reply_to)
);
CREATE INDEX outbox_messages_ready ON outbox_messages (next_attempt_ms)
  WHERE status IN ('pending', 'sending');

-- A status whose message is not known yet (it may still be sending); applied when it is.
CREATE TABLE pending_statuses (
  account_id          TEXT NOT NULL,
  channel_message_id  TEXT NOT NULL,
  status              TEXT NOT NULL,
  payload             TEXT NOT NULL,
  received_ms         INTEGER NOT NULL,
  PRIMARY KEY (account_id, channel_message_id, status)
);

ALTER TABLE messages ADD COLUMN strategy TEXT;
ALTER TABLE messages ADD COLUMN processing_ms INTEGER;
ALTER TABLE messages ADD COLUMN in_reply_to TEXT;
ALTER TABLE conversations ADD COLUMN assigned_at TEXT;

ALTER TABLE tenant_settings ADD COLUMN after_hours_reply TEXT;
ALTER TABLE tenant_settings ADD COLUMN business_hours TEXT;
ALTER TABLE tenant_settings ADD COLUMN utc_offset_minutes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenant_settings ADD COLUMN reengagement_template TEXT;
ALTER TABLE tenant_settings ADD COLUMN reengagement_language TEXT;
ALTER TABLE tenant_settings ADD COLUMN mark_as_read INTEGER NOT NULL DEFAULT 0 CHECK (mark_as_read IN (0, 1));
ALTER TABLE tenant_settings ADD COLUMN debounce_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenant_settings ADD COLUMN human_takeover_minutes INTEGER NOT NULL DEFAULT 60;
ALTER TABLE tenant_settings ADD COLUMN strategies TEXT DEFAULT 'faq,ai_chain,static_reply';
