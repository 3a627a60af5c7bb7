// Table upkeep on PostgreSQL: a pipeline table that has grown past its statistics is analyzed,
// from a small sample (its statistics are there to tell the planner the table's size), and the
// connection goes back to the pool with the default sample size.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/metrics.h"
#include "core/uuid.h"
#include "pipeline/table_upkeep.h"
#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

long long scalar(Database& db, const std::string& sql) {
  TenantScope tx(db, TenantScope::kAllTenants);
  long long n = 0;
  tx.sql() << sql, soci::into(n);
  return n;
}

TEST(TableUpkeep, AGrownTableIsAnalyzedFromASmallSampleAndTheSessionIsReset) {
  test::PostgresDatabase pg;
  Database db(pg.url(), 1, std::chrono::milliseconds(5000));
  Migrator(db, embeddedMigrations(Dialect::kPostgresql)).apply();
  std::string tenant = newUuid();
  // Autovacuum must not analyze the table first (it would not look stale) or after (a full
  // sample).
  Database::execScript(**db.lease(), Dialect::kPostgresql,
                       "ALTER TABLE contacts SET (autovacuum_enabled = off)");
  long long server_default =
      scalar(db, "SELECT CAST(current_setting('default_statistics_target') AS INTEGER)");
  {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    tx.sql() << "INSERT INTO tenants (id, slug, name) VALUES (:i, 'duka', 'Duka')",
        soci::use(tenant);
    tx.sql() << "INSERT INTO contacts (tenant_id, id, channel_type, wa_id) SELECT :t, "
                "gen_random_uuid(), 'whatsapp', CAST(2547000000 + n AS TEXT) FROM "
                "generate_series(1, 5000) AS n",
        soci::use(tenant);
    tx.commit();
  }
  // The row counts reach pg_stat_user_tables shortly after the commit.
  for (int i = 0; i < 100 && scalar(db,
                                    "SELECT COALESCE(SUM(n_live_tup), 0) FROM "
                                    "pg_stat_user_tables WHERE relname = 'contacts'") < 5000;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  double before = MetricsRegistry::global().value("baraza_table_upkeep_total",
                                                  {{"table", "contacts"}, {"kind", "analyze"}});

  TableUpkeep upkeep(db);
  EXPECT_GE(upkeep.run(), 1);

  EXPECT_EQ(MetricsRegistry::global().value("baraza_table_upkeep_total",
                                            {{"table", "contacts"}, {"kind", "analyze"}}),
            before + 1);
  EXPECT_EQ(scalar(db,
                   "SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE relname = "
                   "'contacts'"),
            5000);
  // A sample of 3,000 rows keeps at most 11 histogram bounds (30,000 would keep 101). pg_stats
  // hides tables under row-level security from the engine's role: the superuser reads it.
  Database admin(pg.adminUrl(), 1, std::chrono::milliseconds(5000));
  int bounds = 0;
  **admin.lease()
      << "SELECT COALESCE(array_length(CAST(CAST(histogram_bounds AS TEXT) AS TEXT[]), 1), "
         "0) FROM pg_stats WHERE tablename = 'contacts' AND attname = 'wa_id'",
      soci::into(bounds);
  EXPECT_GT(bounds, 1);
  EXPECT_LE(bounds, 11);
  // The pool's one connection, as the next transaction finds it.
  EXPECT_EQ(scalar(db, "SELECT CAST(current_setting('default_statistics_target') AS INTEGER)"),
            server_default);
  EXPECT_NE(server_default, 10);
}

}  // namespace
}  // namespace baraza
