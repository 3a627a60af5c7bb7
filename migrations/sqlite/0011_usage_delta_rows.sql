-- A batch's usage as one row per tenant and day, its counts as columns (issue 16; see the
-- PostgreSQL migration). Deltas not yet folded are moved into the counters first.
INSERT INTO usage_counters (tenant_id, scope, period, name, value)
  SELECT tenant_id, scope, period, name, SUM(value) FROM usage_deltas
  WHERE tenant_id IN (SELECT id FROM tenants)
  GROUP BY tenant_id, scope, period, name
  ON CONFLICT (tenant_id, scope, period, name)
  DO UPDATE SET value = usage_counters.value + excluded.value;
DROP TABLE usage_deltas;

CREATE TABLE usage_deltas (
  tenant_id      TEXT NOT NULL,
  batch_id       TEXT NOT NULL,
  day            TEXT NOT NULL,
  inbound        INTEGER NOT NULL DEFAULT 0,
  outbound       INTEGER NOT NULL DEFAULT 0,
  faq_answers    INTEGER NOT NULL DEFAULT 0,
  ai_calls       INTEGER NOT NULL DEFAULT 0,
  tokens         INTEGER NOT NULL DEFAULT 0,
  cost_microusd  INTEGER NOT NULL DEFAULT 0,
  escalations    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, batch_id, day)
);
