-- Row-level security (issue 4): a second wall behind the queries' own tenant predicates.
-- Every tenant-owned table shows a session only the rows of the tenant its transaction acts for
-- (set_config('app.tenant_id', id, true), see TenantScope), or every row for '*' (operator
-- work). With no tenant set it shows nothing. FORCE makes it apply to the tables' owner too;
-- the engine must connect as a role that is neither a superuser nor BYPASSRLS. A test fails if a
-- table with a tenant_id column lacks any of this.
DO $$
DECLARE
  t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['channel_accounts', 'tenant_settings', 'prompt_templates',
                           'knowledge_entries', 'contacts', 'conversations', 'messages',
                           'api_keys', 'audit_log']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I '
      'USING (current_setting(''app.tenant_id'', true) = ''*'' '
      '       OR tenant_id::text = current_setting(''app.tenant_id'', true)) '
      'WITH CHECK (current_setting(''app.tenant_id'', true) = ''*'' '
      '            OR tenant_id::text = current_setting(''app.tenant_id'', true))', t);
  END LOOP;
END
$$;
