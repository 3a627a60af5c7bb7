-- Row-level security is PostgreSQL's (see postgresql/0003_row_level_security.sql). SQLite has
-- none: there the queries' own tenant predicates, run inside TenantScope, are the wall, and the
-- same cross-tenant tests run against both. This file keeps the two dialects' numbering equal.
SELECT 1;
