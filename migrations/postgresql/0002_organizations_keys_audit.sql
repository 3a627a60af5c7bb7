-- Tenancy (issue 4): organizations owning tenants, channel token expiry, the canned_reply kind of
-- knowledge, per-tenant API keys (stored hashed) and the audit log.

CREATE TABLE organizations (
  id          UUID NOT NULL PRIMARY KEY,
  slug        TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
  name        TEXT NOT NULL,
  metadata    JSONB NOT NULL DEFAULT '{}',
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE tenants ADD COLUMN organization_id UUID REFERENCES organizations (id) ON DELETE SET NULL;
ALTER TABLE channel_accounts ADD COLUMN token_expires_at TIMESTAMPTZ;

ALTER TABLE knowledge_entries DROP CONSTRAINT knowledge_entries_data_type_check;
ALTER TABLE knowledge_entries ADD CONSTRAINT knowledge_entries_data_type_check
  CHECK (data_type IN ('faq', 'canned_reply', 'example', 'rule'));

CREATE TABLE api_keys (
  tenant_id     UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id            UUID NOT NULL,
  name          TEXT NOT NULL,
  prefix        TEXT NOT NULL,
  key_hash      TEXT NOT NULL UNIQUE,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_used_at  TIMESTAMPTZ,
  revoked_at    TIMESTAMPTZ,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE audit_log (
  tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          UUID NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  entity      TEXT NOT NULL,
  entity_id   TEXT,
  before      JSONB,
  after       JSONB,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_by_time ON audit_log (tenant_id, created_at);
