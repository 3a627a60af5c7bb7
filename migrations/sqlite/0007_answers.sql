-- Answers (issue 7): what produced each reply (the FAQ entry's score, the AI provider, its
-- latency and token usage, whether it was the fallback), the tenant's AI providers with their
-- sealed keys, and the settings the faq, ai_chain and escalation strategies read.
ALTER TABLE messages ADD COLUMN knowledge_score REAL;
ALTER TABLE messages ADD COLUMN ai_provider TEXT;
ALTER TABLE messages ADD COLUMN ai_latency_ms INTEGER;
ALTER TABLE messages ADD COLUMN ai_prompt_tokens INTEGER;
ALTER TABLE messages ADD COLUMN ai_completion_tokens INTEGER;
ALTER TABLE messages ADD COLUMN fallback INTEGER NOT NULL DEFAULT 0 CHECK (fallback IN (0, 1));

-- An inbound message that went through the strategies and got no answer, or only a fallback
-- text: the escalation strategy's "repeated unanswered questions".
ALTER TABLE messages ADD COLUMN unanswered INTEGER NOT NULL DEFAULT 0 CHECK (unanswered IN (0, 1));

ALTER TABLE actions ADD COLUMN resolution TEXT;
ALTER TABLE actions ADD COLUMN notified_at TEXT;

CREATE TABLE tenant_ai_providers (
  tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id              TEXT NOT NULL,
  position        INTEGER NOT NULL CHECK (position >= 0),
  name            TEXT NOT NULL,      -- a provider of strategies.ai_chain.providers
  model           TEXT,               -- NULL: the configured provider's model
  api_key_sealed  TEXT,               -- NULL: the configured (shared) key
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, position),
  UNIQUE (tenant_id, name)
);

ALTER TABLE tenant_settings ADD COLUMN faq_threshold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenant_settings ADD COLUMN ai_fallback_reply TEXT;
ALTER TABLE tenant_settings ADD COLUMN escalation_keywords TEXT;
ALTER TABLE tenant_settings ADD COLUMN escalation_after_unanswered INTEGER NOT NULL DEFAULT 3;
ALTER TABLE tenant_settings ADD COLUMN escalation_pause_minutes INTEGER NOT NULL DEFAULT 60;
ALTER TABLE tenant_settings ADD COLUMN escalation_template TEXT;
ALTER TABLE tenant_settings ADD COLUMN escalation_reply TEXT;
