-- Limits, quotas and usage (issue 8): one counter per tenant (or contact), period and name,
-- moved only by atomic conditional increments, so every engine process sharing the database
-- enforces the same limit.
CREATE TABLE usage_counters (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  scope      TEXT NOT NULL,      -- "tenant", or "contact:<contact id>"
  period     TEXT NOT NULL,      -- h:2026-11-23T09, d:2026-11-23, m:2026-11 (UTC)
  name       TEXT NOT NULL,      -- replies, inbound, outbound, ai_calls, tokens, ...
  value      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, scope, period, name)
);

-- The limits a message holds (its reservation), so a retry reuses them instead of taking more.
ALTER TABLE messages ADD COLUMN limit_check TEXT;

ALTER TABLE tenant_settings ADD COLUMN daily_message_quota INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenant_settings ADD COLUMN monthly_message_quota INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenant_settings ADD COLUMN daily_ai_call_quota INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenant_settings ADD COLUMN daily_token_quota INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenant_settings ADD COLUMN limit_reply TEXT;
