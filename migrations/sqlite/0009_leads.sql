-- Organizations' leads (issue 9, seed 004): one lead per person and organization, found by the
-- E.164 phone or Meta's business-scoped user id, whichever agent (tenant) they write to. Each
-- agent keeps its own contact and conversations (tenant rows); these tables only link them.
CREATE TABLE leads (
  organization_id   TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id                TEXT NOT NULL,
  phone             TEXT,          -- E.164, "+254700123456"
  business_user_id  TEXT,
  display_name      TEXT,
  first_tenant_id   TEXT REFERENCES tenants (id) ON DELETE SET NULL,
  first_source      TEXT NOT NULL, -- direct, facebook_ad, instagram_ad, facebook_post, ...
  first_source_id   TEXT,          -- the ad's or post's id
  first_referral    TEXT,         -- the click-to-WhatsApp referral of the first message
  first_contact_at  TEXT NOT NULL,
  last_tenant_id    TEXT REFERENCES tenants (id) ON DELETE SET NULL,
  last_source       TEXT NOT NULL,
  last_source_id    TEXT,
  last_contact_at   TEXT NOT NULL,
  agent_count       INTEGER NOT NULL DEFAULT 1,
  message_count     INTEGER NOT NULL DEFAULT 0,
  created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (organization_id, id),
  UNIQUE (organization_id, phone),
  UNIQUE (organization_id, business_user_id),
  CHECK (phone IS NOT NULL OR business_user_id IS NOT NULL)
);
CREATE INDEX leads_by_first_contact ON leads (organization_id, first_contact_at);

-- A lead's thread with one agent: that agent's contact row (an agent may, rarely, know one
-- person as two contacts: by phone, and by user id before Meta sent both).
CREATE TABLE lead_agents (
  organization_id   TEXT NOT NULL,
  lead_id           TEXT NOT NULL,
  tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  contact_id        TEXT NOT NULL,
  first_source      TEXT NOT NULL,
  first_contact_at  TEXT NOT NULL,
  last_contact_at   TEXT NOT NULL,
  message_count     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (organization_id, tenant_id, contact_id),
  FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_agents_by_lead ON lead_agents (organization_id, lead_id);

-- Every contact after the first: a lead reaching a new agent, opening a new conversation, or
-- arriving through an ad or post (a referral).
CREATE TABLE lead_touches (
  organization_id   TEXT NOT NULL,
  id                TEXT NOT NULL,
  lead_id           TEXT NOT NULL,
  tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind              TEXT NOT NULL
                    CHECK (kind IN ('first_contact', 'new_agent', 'new_conversation', 'referral')),
  source            TEXT NOT NULL,
  source_id         TEXT,
  referral          TEXT,
  conversation_id   TEXT,
  message_id        TEXT,
  occurred_at       TEXT NOT NULL,
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_touches_by_lead ON lead_touches (organization_id, lead_id, occurred_at);

-- Organization-scoped admin API keys ("bzo_..."): an organization's admin reads its leads and
-- manages its agents. Stored hashed, like tenants' keys.
CREATE TABLE organization_api_keys (
  organization_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id               TEXT NOT NULL,
  name             TEXT NOT NULL,
  prefix           TEXT NOT NULL,
  key_hash         TEXT NOT NULL UNIQUE,
  created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  last_used_at     TEXT,
  revoked_at       TEXT,
  PRIMARY KEY (organization_id, id)
);

-- Working hours in a named time zone (IANA, "Africa/Nairobi"), daylight saving included;
-- utc_offset_minutes stays for tenants without one.
ALTER TABLE tenant_settings ADD COLUMN time_zone TEXT;

