-- Tenancy (issue 4): organizations owning tenants, channel token expiry, the canned_reply kind of
-- knowledge, per-tenant API keys (stored hashed) and the audit log. SQLite cannot change a CHECK
-- constraint, so knowledge_entries is rebuilt with the wider one.

CREATE TABLE organizations (
  id          TEXT NOT NULL PRIMARY KEY,
  slug        TEXT NOT NULL UNIQUE CHECK (slug <> '' AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '-*'),
  name        TEXT NOT NULL,
  metadata    TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

ALTER TABLE tenants ADD COLUMN organization_id TEXT REFERENCES organizations (id) ON DELETE SET NULL;
ALTER TABLE channel_accounts ADD COLUMN token_expires_at TEXT;

CREATE TABLE knowledge_entries_new (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  data_type   TEXT NOT NULL DEFAULT 'faq'
              CHECK (data_type IN ('faq', 'canned_reply', 'example', 'rule')),
  question    TEXT NOT NULL,
  answer      TEXT NOT NULL,
  keywords    TEXT NOT NULL DEFAULT '[]',
  category    TEXT NOT NULL DEFAULT 'general',
  priority    INTEGER NOT NULL DEFAULT 5,
  confidence  REAL NOT NULL DEFAULT 1.0 CHECK (confidence >= 0 AND confidence <= 1),
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, id)
);
INSERT INTO knowledge_entries_new SELECT tenant_id, id, data_type, question, answer, keywords,
  category, priority, confidence, active, created_at, updated_at FROM knowledge_entries;
DROP TABLE knowledge_entries;
ALTER TABLE knowledge_entries_new RENAME TO knowledge_entries;
CREATE INDEX knowledge_entries_active ON knowledge_entries (tenant_id, active, priority);

CREATE TABLE api_keys (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id            TEXT NOT NULL,
  name          TEXT NOT NULL,
  prefix        TEXT NOT NULL,
  key_hash      TEXT NOT NULL UNIQUE,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  last_used_at  TEXT,
  revoked_at    TEXT,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE audit_log (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  entity      TEXT NOT NULL,
  entity_id   TEXT,
  before      TEXT,
  after       TEXT,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_by_time ON audit_log (tenant_id, created_at);
