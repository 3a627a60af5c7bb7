-- Core multi-tenant schema (seeds 001-003: bot_tenants, bot_control_settings, bot_templates,
-- bot_training_data, bot_message_logs; channels, contacts, conversations, messages).
-- Every tenant-owned table has tenant_id first in its primary key, ready for sharding by tenant.
-- Ids are UUIDs made by the engine, so both dialects behave alike.

CREATE TABLE tenants (
  id          UUID NOT NULL PRIMARY KEY,
  slug        TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
  name        TEXT NOT NULL,
  active      BOOLEAN NOT NULL DEFAULT TRUE,
  metadata    JSONB NOT NULL DEFAULT '{}',
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A tenant's account on one network (a WhatsApp business number). Inbound webhooks are routed
-- to the tenant by (channel_type, phone_number_id).
CREATE TABLE channel_accounts (
  tenant_id             UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                    UUID NOT NULL,
  channel_type          TEXT NOT NULL,
  phone_number_id       TEXT NOT NULL,
  display_phone_number  TEXT,
  waba_id               TEXT,
  access_token_sealed   TEXT,
  verify_token_sealed   TEXT,
  active                BOOLEAN NOT NULL DEFAULT TRUE,
  metadata              JSONB NOT NULL DEFAULT '{}',
  created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (channel_type, phone_number_id)
);

CREATE TABLE tenant_settings (
  tenant_id                      UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  bot_enabled                    BOOLEAN NOT NULL DEFAULT TRUE,
  auto_reply                     BOOLEAN NOT NULL DEFAULT TRUE,
  ai_responses                   BOOLEAN NOT NULL DEFAULT TRUE,
  payment_flow                   BOOLEAN NOT NULL DEFAULT FALSE,
  training_mode                  BOOLEAN NOT NULL DEFAULT FALSE,
  log_conversations              BOOLEAN NOT NULL DEFAULT TRUE,
  log_errors                     BOOLEAN NOT NULL DEFAULT TRUE,
  max_messages_per_hour          INTEGER NOT NULL DEFAULT 100 CHECK (max_messages_per_hour >= 0),
  max_messages_per_user_per_day  INTEGER NOT NULL DEFAULT 50
                                 CHECK (max_messages_per_user_per_day >= 0),
  escalation_phone               TEXT,
  escalation_email               TEXT,
  static_reply                   TEXT,
  metadata                       JSONB NOT NULL DEFAULT '{}',
  created_at                     TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at                     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

CREATE TABLE prompt_templates (
  tenant_id             UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                    UUID NOT NULL,
  name                  TEXT NOT NULL,
  system_prompt         TEXT NOT NULL,
  conversation_context  JSONB NOT NULL DEFAULT '{}',
  tone                  TEXT,
  max_response_length   INTEGER CHECK (max_response_length > 0),
  active                BOOLEAN NOT NULL DEFAULT TRUE,
  is_default            BOOLEAN NOT NULL DEFAULT FALSE,
  metadata              JSONB NOT NULL DEFAULT '{}',
  created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, name)
);

-- FAQ and other knowledge the answer strategies use.
CREATE TABLE knowledge_entries (
  tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          UUID NOT NULL,
  data_type   TEXT NOT NULL DEFAULT 'faq' CHECK (data_type IN ('faq', 'example', 'rule')),
  question    TEXT NOT NULL,
  answer      TEXT NOT NULL,
  keywords    JSONB NOT NULL DEFAULT '[]',
  category    TEXT NOT NULL DEFAULT 'general',
  priority    INTEGER NOT NULL DEFAULT 5,
  confidence  DOUBLE PRECISION NOT NULL DEFAULT 1.0 CHECK (confidence >= 0 AND confidence <= 1),
  active      BOOLEAN NOT NULL DEFAULT TRUE,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX knowledge_entries_active ON knowledge_entries (tenant_id, active, priority);

-- An end user. WhatsApp may send a business-scoped user id and username without a phone number,
-- so either identifier may be missing.
CREATE TABLE contacts (
  tenant_id         UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                UUID NOT NULL,
  channel_type      TEXT NOT NULL,
  wa_id             TEXT,
  phone             TEXT,
  business_user_id  TEXT,
  username          TEXT,
  profile_name      TEXT,
  metadata          JSONB NOT NULL DEFAULT '{}',
  first_seen_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, channel_type, wa_id),
  UNIQUE (tenant_id, channel_type, business_user_id)
);

CREATE TABLE conversations (
  tenant_id           UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                  UUID NOT NULL,
  contact_id          UUID NOT NULL,
  channel_account_id  UUID NOT NULL,
  status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'escalated', 'closed')),
  assigned_to         TEXT,
  window_expires_at   TIMESTAMPTZ,
  started_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_message_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  closed_at           TIMESTAMPTZ,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, channel_account_id)
    REFERENCES channel_accounts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX conversations_by_contact ON conversations (tenant_id, contact_id, last_message_at);

CREATE TABLE messages (
  tenant_id           UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                  UUID NOT NULL,
  conversation_id     UUID NOT NULL,
  contact_id          UUID NOT NULL,
  direction           TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  channel_message_id  TEXT,
  message_type        TEXT NOT NULL,
  body                TEXT,
  payload             JSONB NOT NULL DEFAULT '{}',
  status              TEXT NOT NULL DEFAULT 'received',
  error_code          TEXT,
  error_message       TEXT,
  ai_processed        BOOLEAN NOT NULL DEFAULT FALSE,
  ai_model            TEXT,
  template_used       TEXT,
  knowledge_entry_id  UUID,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, direction, channel_message_id),
  FOREIGN KEY (tenant_id, conversation_id)
    REFERENCES conversations (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_by_conversation ON messages (tenant_id, conversation_id, created_at);
CREATE INDEX messages_by_time ON messages (tenant_id, created_at);
