-- Two indexes that keep the message path's plans right on a young database.
--
-- The organization_read policies of contacts, conversations and messages test
-- `tenant_id IN (SELECT id FROM tenants WHERE organization_id::text = ...)`. Without an index
-- on that expression the subquery is a sequential scan, which Plans::kIndexed (scans switched
-- off) prices at PostgreSQL's disable cost; a batch statement that joins its rows to messages
-- then paid that price once per row on the inner side, so the planner put messages outside
-- and read the whole table at every call (85 ms a call at 30,000 messages).
CREATE INDEX tenants_by_organization ON tenants ((organization_id::text));

-- A contact's business-scoped user id stays unique within its tenant and channel, but only
-- contacts that have one are indexed (WhatsApp sends none for most numbers today). The full
-- index held a NULL entry for every contact and began with tenant_id, so a foreign-key check
-- planned while contacts was empty could pick it over the primary key and then read every
-- contact of the tenant to find one (33 rows a check in a 20-second benchmark; the whole
-- tenant in production). Only a lookup by business_user_id can use the partial index.
ALTER TABLE contacts DROP CONSTRAINT contacts_tenant_id_channel_type_business_user_id_key;
CREATE UNIQUE INDEX contacts_by_business_user_id
  ON contacts (tenant_id, channel_type, business_user_id) WHERE business_user_id IS NOT NULL;
