-- The console's analytics (issue 18): the median reply time of a day that is over never changes,
-- so it is computed once, when first asked for, and kept here. 90 days of a busy tenant then
-- read 90 rows and today's replies instead of every reply of the period.
CREATE TABLE reply_medians (
  tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day        TEXT NOT NULL,      -- 2026-12-03 (UTC)
  median_ms  BIGINT,             -- NULL: no bot reply that day
  PRIMARY KEY (tenant_id, day)
);
ALTER TABLE reply_medians ENABLE ROW LEVEL SECURITY;
ALTER TABLE reply_medians FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reply_medians
  USING (current_setting('app.tenant_id', true) = '*'
         OR tenant_id::text = current_setting('app.tenant_id', true))
  WITH CHECK (current_setting('app.tenant_id', true) = '*'
              OR tenant_id::text = current_setting('app.tenant_id', true));

-- Sends the outbox gave up on, for the operator's list (GET /admin/v1/outbox), newest first:
-- a short index, whatever the outbox's size.
CREATE INDEX outbox_messages_settled ON outbox_messages (created_ms)
  WHERE status IN ('dead', 'blocked_by_window');
