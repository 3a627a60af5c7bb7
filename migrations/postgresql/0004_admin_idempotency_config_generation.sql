-- Admin API (issue 4): Idempotency-Key replays, the operator's own audit log (changes no single
-- tenant owns, such as organizations), and the configuration generation that tells every engine
-- process sharing the database which tenants to reload.

-- A POST with an Idempotency-Key, per caller (the operator, or one API key). status is NULL
-- while the first request runs; the response is sealed, since it may hold a new API key.
CREATE TABLE idempotency_keys (
  caller           TEXT NOT NULL,
  idem_key         TEXT NOT NULL,
  request_hash     TEXT NOT NULL,
  status           INTEGER,
  response_sealed  TEXT,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (caller, idem_key)
);
CREATE INDEX idempotency_keys_by_time ON idempotency_keys (created_at);

CREATE TABLE operator_audit_log (
  id          UUID NOT NULL PRIMARY KEY,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  entity      TEXT NOT NULL,
  entity_id   TEXT,
  before      JSONB,
  after       JSONB,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX operator_audit_log_by_time ON operator_audit_log (created_at);

-- One counter, raised by every transaction that changes a tenant's configuration; the tenant
-- row keeps the value of its last change. A process that saw generation G reloads the tenants
-- whose config_generation is above G.
CREATE TABLE config_generation (
  id     INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  value  BIGINT NOT NULL
);
INSERT INTO config_generation (id, value) VALUES (1, 0);
ALTER TABLE tenants ADD COLUMN config_generation BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tenants_by_config_generation ON tenants (config_generation);
