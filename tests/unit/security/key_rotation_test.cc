#include "security/key_rotation.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/migrator.h"
#include "support/test_env.h"
#include "tenancy/tenant_import.h"

namespace baraza {
namespace {

class KeyRotation : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 2, std::chrono::milliseconds(2000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    key_file_ = dir_.file("master.key");
    Sealer sealer(KeyRing::loadOrCreate(key_file_));
    for (const char* name : {"kassangas", "mama-mboga"}) {
      importTenant(*db_, sealer,
                   readTenantFile(test::sourceDir() + "/examples/tenants/" + name + ".yaml"),
                   "test");
    }
  }

  std::vector<std::tuple<std::string, std::string, std::string>> tokens() {
    TenantScope scope(*db_, TenantScope::kAllTenants);
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    soci::rowset<soci::row> rows =
        (scope.sql().prepare
         << "SELECT CAST(tenant_id AS TEXT), CAST(id AS TEXT), "
            "access_token_sealed FROM channel_accounts ORDER BY phone_number_id");
    for (const auto& r : rows) {
      out.emplace_back(r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2));
    }
    return out;
  }

  test::TempDir dir_;
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::string key_file_;
};

TEST_P(KeyRotation, EveryValueIsResealedUnderTheNewKeyAndTheOldOneRetired) {
  auto before = tokens();
  ASSERT_EQ(before.size(), 2u);
  RotationResult r = rotateKeys(*db_, key_file_);
  EXPECT_EQ(r.new_key_id, "k2");
  EXPECT_EQ(r.resealed, 3) << "two access tokens and Kassangas' verify token";
  EXPECT_EQ(r.retired, std::vector<std::string>{"k1"});
  Sealer sealer(KeyRing::loadOrCreate(key_file_));
  EXPECT_TRUE(sealer.ring().isRetired("k1"));
  auto after = tokens();
  for (size_t i = 0; i < after.size(); ++i) {
    const auto& [tenant, id, sealed] = after[i];
    EXPECT_EQ(Sealer::keyIdOf(sealed), "k2");
    SealContext ctx{tenant, "channel_accounts", id, "access_token_sealed"};
    EXPECT_TRUE(sealer.open(sealed, ctx).has_value());
    std::string error;
    EXPECT_EQ(sealer.open(std::get<2>(before[i]), ctx, &error), std::nullopt);
    EXPECT_EQ(error, "master key 'k1' is retired: its values must be re-sealed first");
  }
  EXPECT_EQ(rotateKeys(*db_, key_file_).new_key_id, "k3") << "rotating again works";
  TenantScope scope(*db_, TenantScope::kAllTenants);
  long long audited = 0;
  scope.sql() << "SELECT COUNT(*) FROM audit_log WHERE action = 'reseal_credential'",
      soci::into(audited);
  EXPECT_EQ(audited, 6) << "every credential read by the two rotations is in the audit log";
}

TEST_P(KeyRotation, AValueThatDoesNotOpenStopsTheRotationAndChangesNothing) {
  auto before = tokens();
  {
    TenantScope scope(*db_, TenantScope::kAllTenants, true);
    std::string moved = std::get<2>(before[0]);
    std::string other = std::get<1>(before[1]);
    scope.sql()
        << "UPDATE channel_accounts SET access_token_sealed = :v WHERE CAST(id AS TEXT) = :i",
        soci::use(moved), soci::use(other);
    scope.commit();
  }
  EXPECT_THROW(rotateKeys(*db_, key_file_), KeyError);
  auto after = tokens();
  EXPECT_EQ(Sealer::keyIdOf(std::get<2>(after[0])), "k1") << "rolled back";
  Sealer sealer(KeyRing::loadOrCreate(key_file_));
  EXPECT_FALSE(sealer.ring().isRetired("k1")) << "old keys stay usable after a failed rotation";
}

TEST_P(KeyRotation, ConcurrentRotationsLoseNoValue) {
  std::thread a([&] { rotateKeys(*db_, key_file_); });
  std::thread b([&] { rotateKeys(*db_, key_file_); });
  a.join();
  b.join();
  Sealer sealer(KeyRing::loadOrCreate(key_file_));
  EXPECT_EQ(sealer.ring().currentId(), "k3") << "the second rotation saw the first one's key";
  for (const auto& [tenant, id, sealed] : tokens()) {
    EXPECT_EQ(Sealer::keyIdOf(sealed), "k3");
    EXPECT_TRUE(sealer.open(sealed, {tenant, "channel_accounts", id, "access_token_sealed"}))
        << "a value was left under a key the ring no longer has";
  }
}

TEST_P(KeyRotation, ARunningEngineLearnsTheNewKeyWithoutARestart) {
  Sealer engine(KeyRing::loadOrCreate(key_file_), key_file_);  // as serve holds it
  rotateKeys(*db_, key_file_);
  for (const auto& [tenant, id, sealed] : tokens()) {
    EXPECT_EQ(Sealer::keyIdOf(sealed), "k2");
    EXPECT_TRUE(engine.open(sealed, {tenant, "channel_accounts", id, "access_token_sealed"}))
        << "the engine did not reload the key file";
  }
}

INSTANTIATE_TEST_SUITE_P(BothDialects, KeyRotation,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
