#include "tenancy/tenant_directory.h"

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "storage/migrator.h"
#include "support/test_env.h"
#include "tenancy/tenant_store.h"

namespace baraza {
namespace {

// Every case runs on SQLite and on the throwaway PostgreSQL server. "Another process" is a
// second Database on the same store: the directory only learns of its changes by refreshing.
class Directory : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 2, std::chrono::milliseconds(2000));
    other_ = std::make_unique<Database>(target_->url(), 1, std::chrono::milliseconds(2000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    sealer_ = std::make_unique<Sealer>(KeyRing::loadOrCreate(dir_.file("master.key")));
    test::importExampleTenants(*other_, *sealer_, {"kassangas", "mama-mboga"});
  }

  // A settings change made elsewhere, the way the admin API makes it.
  void changeElsewhere(const std::string& slug, long long per_hour) {
    TenantScope tx(*other_, TenantScope::kAllTenants, true);
    std::string id;
    tx.sql() << "SELECT CAST(id AS TEXT) FROM tenants WHERE slug = :s", soci::use(slug),
        soci::into(id);
    nlohmann::json s = readSettings(tx.sql(), id);
    s["max_messages_per_hour"] = per_hour;
    writeSettings(tx.sql(), id, s);
    markConfigChanged(tx.sql(), id);
    tx.commit();
  }

  test::TempDir dir_;
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_, other_;
  std::unique_ptr<Sealer> sealer_;
};

TEST_P(Directory, LoadsEveryTenantAndRoutesByNumber) {
  TenantDirectory d(*db_);
  d.loadAll();
  EXPECT_EQ(d.size(), 2u);
  auto k = d.byPhoneNumberId("whatsapp", "119202345678901");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->slug, "kassangas");
  EXPECT_EQ(k->templates.size(), 3u);
  EXPECT_EQ(k->knowledge.size(), 9u);
  EXPECT_EQ(k->settings["max_messages_per_hour"], 100);
  EXPECT_EQ(k->channels[0].access_token_sealed.rfind("bz1.", 0), 0u) << "kept sealed";
  EXPECT_EQ(d.byDisplayNumber("whatsapp", "254722000222")->slug, "mama-mboga");
  EXPECT_EQ(d.bySlug("mama-mboga")->id, d.byDisplayNumber("whatsapp", "254722000222")->id);
  EXPECT_FALSE(d.byPhoneNumberId("whatsapp", "404"));
  EXPECT_FALSE(d.byPhoneNumberId("telegram", "119202345678901"));
}

TEST_P(Directory, RefreshReloadsOnlyWhatChangedElsewhere) {
  TenantDirectory d(*db_);
  d.loadAll();
  auto mama_before = d.bySlug("mama-mboga");
  EXPECT_FALSE(d.refresh()) << "nothing changed";
  changeElsewhere("kassangas", 7);
  EXPECT_EQ(d.bySlug("kassangas")->settings["max_messages_per_hour"], 100) << "not yet";
  EXPECT_TRUE(d.refresh());
  EXPECT_EQ(d.bySlug("kassangas")->settings["max_messages_per_hour"], 7);
  EXPECT_EQ(d.bySlug("mama-mboga"), mama_before) << "an unchanged tenant is not reloaded";
  EXPECT_FALSE(d.refresh());
}

TEST_P(Directory, ADeactivatedNumberStopsRouting) {
  TenantDirectory d(*db_);
  d.loadAll();
  {
    TenantScope tx(*other_, TenantScope::kAllTenants, true);
    std::string tenant, id;
    tx.sql() << "SELECT CAST(tenant_id AS TEXT), CAST(id AS TEXT) FROM channel_accounts WHERE "
                "phone_number_id = '119202345678901'",
        soci::into(tenant), soci::into(id);
    ChannelPatch off;
    off.active = false;
    updateChannel(tx.sql(), GetParam(), *sealer_, tenant, id, off);
    markConfigChanged(tx.sql(), tenant);
    tx.commit();
  }
  ASSERT_TRUE(d.refresh());
  EXPECT_FALSE(d.byPhoneNumberId("whatsapp", "119202345678901"));
  EXPECT_TRUE(d.bySlug("kassangas")) << "the tenant itself stays known";
}

TEST_P(Directory, PollingPicksUpAChangeWithinASecond) {
  TenantDirectory d(*db_);
  d.loadAll();
  d.startPolling(std::chrono::milliseconds(50));
  changeElsewhere("mama-mboga", 3);
  auto start = std::chrono::steady_clock::now();
  while (d.bySlug("mama-mboga")->settings["max_messages_per_hour"] != 3 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(d.bySlug("mama-mboga")->settings["max_messages_per_hour"], 3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  d.stopPolling();
}

TEST_P(Directory, AFailingRefreshKeepsServingTheLastSnapshotAndCountsIt) {
  TenantDirectory d(*db_);
  d.loadAll();
  auto& metrics = MetricsRegistry::global();
  double failures = metrics.value("baraza_tenant_config_refresh_failures_total", {});
  {
    // The table refresh reads is gone (as when the database answers nothing useful).
    Database owner(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
    TenantScope tx(owner, TenantScope::kAllTenants, true);
    tx.sql() << "ALTER TABLE config_generation RENAME TO config_generation_gone";
    tx.commit();
  }
  EXPECT_FALSE(d.refresh());
  EXPECT_EQ(metrics.value("baraza_tenant_config_refresh_failures_total", {}), failures + 1);
  ASSERT_TRUE(d.byPhoneNumberId("whatsapp", "119202345678901"));
  EXPECT_EQ(d.byPhoneNumberId("whatsapp", "119202345678901")->slug, "kassangas");
}

INSTANTIATE_TEST_SUITE_P(BothDialects, Directory,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
