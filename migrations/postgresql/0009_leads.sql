-- Organizations' leads (issue 9, seed 004): one lead per person and organization, found by the
-- E.164 phone or Meta's business-scoped user id, whichever agent (tenant) they write to. Each
-- agent keeps its own contact and conversations (tenant rows); these tables only link them.
CREATE TABLE leads (
  organization_id   UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id                UUID NOT NULL,
  phone             TEXT,          -- E.164, "+254700123456"
  business_user_id  TEXT,
  display_name      TEXT,
  first_tenant_id   UUID REFERENCES tenants (id) ON DELETE SET NULL,
  first_source      TEXT NOT NULL, -- direct, facebook_ad, instagram_ad, facebook_post, ...
  first_source_id   TEXT,          -- the ad's or post's id
  first_referral    JSONB,         -- the click-to-WhatsApp referral of the first message
  first_contact_at  TIMESTAMPTZ NOT NULL,
  last_tenant_id    UUID REFERENCES tenants (id) ON DELETE SET NULL,
  last_source       TEXT NOT NULL,
  last_source_id    TEXT,
  last_contact_at   TIMESTAMPTZ NOT NULL,
  agent_count       INTEGER NOT NULL DEFAULT 1,
  message_count     BIGINT NOT NULL DEFAULT 0,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, phone),
  UNIQUE (organization_id, business_user_id),
  CHECK (phone IS NOT NULL OR business_user_id IS NOT NULL)
);
CREATE INDEX leads_by_first_contact ON leads (organization_id, first_contact_at);

-- A lead's thread with one agent: that agent's contact row (an agent may, rarely, know one
-- person as two contacts: by phone, and by user id before Meta sent both).
CREATE TABLE lead_agents (
  organization_id   UUID NOT NULL,
  lead_id           UUID NOT NULL,
  tenant_id         UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  contact_id        UUID NOT NULL,
  first_source      TEXT NOT NULL,
  first_contact_at  TIMESTAMPTZ NOT NULL,
  last_contact_at   TIMESTAMPTZ NOT NULL,
  message_count     BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (organization_id, tenant_id, contact_id),
  FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_agents_by_lead ON lead_agents (organization_id, lead_id);

-- Every contact after the first: a lead reaching a new agent, opening a new conversation, or
-- arriving through an ad or post (a referral).
CREATE TABLE lead_touches (
  organization_id   UUID NOT NULL,
  id                UUID NOT NULL,
  lead_id           UUID NOT NULL,
  tenant_id         UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind              TEXT NOT NULL
                    CHECK (kind IN ('first_contact', 'new_agent', 'new_conversation', 'referral')),
  source            TEXT NOT NULL,
  source_id         TEXT,
  referral          JSONB,
  conversation_id   UUID,
  message_id        UUID,
  occurred_at       TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_touches_by_lead ON lead_touches (organization_id, lead_id, occurred_at);

-- Organization-scoped admin API keys ("bzo_..."): an organization's admin reads its leads and
-- manages its agents. Stored hashed, like tenants' keys.
CREATE TABLE organization_api_keys (
  organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id               UUID NOT NULL,
  name             TEXT NOT NULL,
  prefix           TEXT NOT NULL,
  key_hash         TEXT NOT NULL UNIQUE,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_used_at     TIMESTAMPTZ,
  revoked_at       TIMESTAMPTZ,
  PRIMARY KEY (organization_id, id)
);

-- Working hours in a named time zone (IANA, "Africa/Nairobi"), daylight saving included;
-- utc_offset_minutes stays for tenants without one.
ALTER TABLE tenant_settings ADD COLUMN time_zone TEXT;

-- Row-level security for the organization's tables. Reading: a transaction sees the rows of the
-- organization it acts for (app.organization_id, an organization-scoped admin request), of the
-- organization its tenant belongs to (app.tenant_id, the pipeline), or all ('*'). Writing: only
-- '*' or a member agent's own transaction (the pipeline recording its message), and for a
-- thread or touch only the agent's own rows. An organization's scope writes nothing.
DO $$
DECLARE
  t TEXT;
  tenant_org TEXT := 'organization_id = (SELECT organization_id FROM tenants '
                     'WHERE id::text = current_setting(''app.tenant_id'', true))';
  everything TEXT := 'current_setting(''app.tenant_id'', true) = ''*''';
  writer TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['leads', 'lead_agents', 'lead_touches']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY organization_read ON %I FOR SELECT USING (%s OR '
                   'organization_id::text = current_setting(''app.organization_id'', true) OR %s)',
                   t, everything, tenant_org);
    writer := everything || ' OR (' || tenant_org ||
              CASE WHEN t = 'leads' THEN ''
                   ELSE ' AND tenant_id::text = current_setting(''app.tenant_id'', true)' END || ')';
    EXECUTE format('CREATE POLICY agent_write ON %I USING (%s) WITH CHECK (%s)', t, writer, writer);
  END LOOP;
  -- Keys: authentication and the operator's routes ('*') only; no tenant or organization
  -- transaction reads a hash or mints a key.
  ALTER TABLE organization_api_keys ENABLE ROW LEVEL SECURITY;
  ALTER TABLE organization_api_keys FORCE ROW LEVEL SECURITY;
  EXECUTE format('CREATE POLICY operator_only ON organization_api_keys USING (%s) WITH CHECK (%s)',
                 everything, everything);
  -- The organization's admin reads (never writes) its agents' contacts, conversations and
  -- messages: the cross-agent history.
  FOREACH t IN ARRAY ARRAY['contacts', 'conversations', 'messages']
  LOOP
    EXECUTE format(
      'CREATE POLICY organization_read ON %I FOR SELECT '
      'USING (tenant_id IN (SELECT id FROM tenants WHERE organization_id::text = '
      '                     current_setting(''app.organization_id'', true)))', t);
  END LOOP;
END
$$;
