-- Tenant scripting (issue 6): every uploaded version of a tenant's Lua script (one active at a
-- time; a quarantined one is skipped until another is activated), the key-value store scripts
-- reach through ctx.kv, and actions: the escalations scripts ask for (seed 003's
-- human-in-the-loop requests).
CREATE TABLE tenant_scripts (
  tenant_id          TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  version            INTEGER NOT NULL CHECK (version > 0),
  source             TEXT NOT NULL,
  sha256             TEXT NOT NULL,
  source_path        TEXT,            -- the file it was imported from (dev reload watches it)
  note               TEXT,
  created_by         TEXT NOT NULL,
  created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  active             INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
  activated_at       TEXT,
  quarantined_at     TEXT,
  quarantine_reason  TEXT,
  PRIMARY KEY (tenant_id, version)
);
CREATE UNIQUE INDEX tenant_scripts_one_active ON tenant_scripts (tenant_id) WHERE active = 1;

CREATE TABLE tenant_kv (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  value       TEXT NOT NULL,           -- JSON
  expires_ms  INTEGER,                 -- epoch ms; NULL keeps it
  updated_ms  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, key)
);

CREATE TABLE actions (
  tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id               TEXT NOT NULL,
  conversation_id  TEXT,
  contact_id       TEXT,
  message_id       TEXT,               -- the inbound message that led to it
  type             TEXT NOT NULL,      -- escalation, ...
  details          TEXT,
  priority         TEXT NOT NULL DEFAULT 'medium'
                   CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'cancelled')),
  assignee         TEXT,
  source           TEXT NOT NULL,      -- script, keyword, ai_failure, ...
  created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  resolved_at      TEXT,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX actions_open ON actions (tenant_id, created_at) WHERE status = 'open';
