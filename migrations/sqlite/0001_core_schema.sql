-- Core multi-tenant schema (seeds 001-003: bot_tenants, bot_control_settings, bot_templates,
-- bot_training_data, bot_message_logs; channels, contacts, conversations, messages).
-- Every tenant-owned table has tenant_id first in its primary key, ready for sharding by tenant.
-- Ids are TEXTs made by the engine, so both dialects behave alike.

CREATE TABLE tenants (
  id          TEXT NOT NULL PRIMARY KEY,
  slug        TEXT NOT NULL UNIQUE CHECK (slug <> '' AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '-*'),
  name        TEXT NOT NULL,
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  metadata    TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- A tenant's account on one network (a WhatsApp business number). Inbound webhooks are routed
-- to the tenant by (channel_type, phone_number_id).
CREATE TABLE channel_accounts (
  tenant_id             TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                    TEXT NOT NULL,
  channel_type          TEXT NOT NULL,
  phone_number_id       TEXT NOT NULL,
  display_phone_number  TEXT,
  waba_id               TEXT,
  access_token_sealed   TEXT,
  verify_token_sealed   TEXT,
  active                INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  metadata              TEXT NOT NULL DEFAULT '{}',
  created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (channel_type, phone_number_id)
);

CREATE TABLE tenant_settings (
  tenant_id                      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  bot_enabled                    INTEGER NOT NULL DEFAULT 1 CHECK (bot_enabled IN (0, 1)),
  auto_reply                     INTEGER NOT NULL DEFAULT 1 CHECK (auto_reply IN (0, 1)),
  ai_responses                   INTEGER NOT NULL DEFAULT 1 CHECK (ai_responses IN (0, 1)),
  payment_flow                   INTEGER NOT NULL DEFAULT 0 CHECK (payment_flow IN (0, 1)),
  training_mode                  INTEGER NOT NULL DEFAULT 0 CHECK (training_mode IN (0, 1)),
  log_conversations              INTEGER NOT NULL DEFAULT 1 CHECK (log_conversations IN (0, 1)),
  log_errors                     INTEGER NOT NULL DEFAULT 1 CHECK (log_errors IN (0, 1)),
  max_messages_per_hour          INTEGER NOT NULL DEFAULT 100 CHECK (max_messages_per_hour >= 0),
  max_messages_per_user_per_day  INTEGER NOT NULL DEFAULT 50
                                 CHECK (max_messages_per_user_per_day >= 0),
  escalation_phone               TEXT,
  escalation_email               TEXT,
  static_reply                   TEXT,
  metadata                       TEXT NOT NULL DEFAULT '{}',
  created_at                     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at                     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id)
);

CREATE TABLE prompt_templates (
  tenant_id             TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                    TEXT NOT NULL,
  name                  TEXT NOT NULL,
  system_prompt         TEXT NOT NULL,
  conversation_context  TEXT NOT NULL DEFAULT '{}',
  tone                  TEXT,
  max_response_length   INTEGER CHECK (max_response_length > 0),
  active                INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  is_default            INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
  metadata              TEXT NOT NULL DEFAULT '{}',
  created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, name)
);

-- FAQ and other knowledge the answer strategies use.
CREATE TABLE knowledge_entries (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  data_type   TEXT NOT NULL DEFAULT 'faq' CHECK (data_type IN ('faq', 'example', 'rule')),
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
CREATE INDEX knowledge_entries_active ON knowledge_entries (tenant_id, active, priority);

-- An end user. WhatsApp may send a business-scoped user id and username without a phone number,
-- so either identifier may be missing.
CREATE TABLE contacts (
  tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                TEXT NOT NULL,
  channel_type      TEXT NOT NULL,
  wa_id             TEXT,
  phone             TEXT,
  business_user_id  TEXT,
  username          TEXT,
  profile_name      TEXT,
  metadata          TEXT NOT NULL DEFAULT '{}',
  first_seen_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  last_seen_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, channel_type, wa_id),
  UNIQUE (tenant_id, channel_type, business_user_id)
);

CREATE TABLE conversations (
  tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                  TEXT NOT NULL,
  contact_id          TEXT NOT NULL,
  channel_account_id  TEXT NOT NULL,
  status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'escalated', 'closed')),
  assigned_to         TEXT,
  window_expires_at   TEXT,
  started_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  last_message_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  closed_at           TEXT,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, channel_account_id)
    REFERENCES channel_accounts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX conversations_by_contact ON conversations (tenant_id, contact_id, last_message_at);

CREATE TABLE messages (
  tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                  TEXT NOT NULL,
  conversation_id     TEXT NOT NULL,
  contact_id          TEXT NOT NULL,
  direction           TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  channel_message_id  TEXT,
  message_type        TEXT NOT NULL,
  body                TEXT,
  payload             TEXT NOT NULL DEFAULT '{}',
  status              TEXT NOT NULL DEFAULT 'received',
  error_code          TEXT,
  error_message       TEXT,
  ai_processed        INTEGER NOT NULL DEFAULT 0 CHECK (ai_processed IN (0, 1)),
  ai_model            TEXT,
  template_used       TEXT,
  knowledge_entry_id  TEXT,
  created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, direction, channel_message_id),
  FOREIGN KEY (tenant_id, conversation_id)
    REFERENCES conversations (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_by_conversation ON messages (tenant_id, conversation_id, created_at);
CREATE INDEX messages_by_time ON messages (tenant_id, created_at);
