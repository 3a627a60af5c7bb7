-- Tenant scripting (issue 6): every uploaded version of a tenant's Lua script (one active at a
-- time; a quarantined one is skipped until another is activated), the key-value store scripts
-- reach through ctx.kv, and actions: the escalations scripts ask for (seed 003's
-- human-in-the-loop requests).
CREATE TABLE tenant_scripts (
  tenant_id          UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  version            INTEGER NOT NULL CHECK (version > 0),
  source             TEXT NOT NULL,
  sha256             TEXT NOT NULL,
  source_path        TEXT,            -- the file it was imported from (dev reload watches it)
  note               TEXT,
  created_by         TEXT NOT NULL,
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  active             BOOLEAN NOT NULL DEFAULT FALSE,
  activated_at       TIMESTAMPTZ,
  quarantined_at     TIMESTAMPTZ,
  quarantine_reason  TEXT,
  PRIMARY KEY (tenant_id, version)
);
CREATE UNIQUE INDEX tenant_scripts_one_active ON tenant_scripts (tenant_id) WHERE active;

CREATE TABLE tenant_kv (
  tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  value       TEXT NOT NULL,           -- JSON
  expires_ms  BIGINT,                  -- epoch ms; NULL keeps it
  updated_ms  BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, key)
);

CREATE TABLE actions (
  tenant_id        UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id               UUID NOT NULL,
  conversation_id  UUID,
  contact_id       UUID,
  message_id       UUID,               -- the inbound message that led to it
  type             TEXT NOT NULL,      -- escalation, ...
  details          TEXT,
  priority         TEXT NOT NULL DEFAULT 'medium'
                   CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'cancelled')),
  assignee         TEXT,
  source           TEXT NOT NULL,      -- script, keyword, ai_failure, ...
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  resolved_at      TIMESTAMPTZ,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX actions_open ON actions (tenant_id, created_at) WHERE status = 'open';

DO $$
DECLARE
  t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenant_scripts', 'tenant_kv', 'actions']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I '
      'USING (current_setting(''app.tenant_id'', true) = ''*'' '
      '       OR tenant_id::text = current_setting(''app.tenant_id'', true)) '
      'WITH CHECK (current_setting(''app.tenant_id'', true) = ''*'' '
      '            OR tenant_id::text = current_setting(''app.tenant_id'', true))', t);
  END LOOP;
END
$$;
