// Meta's GET handshake finds a tenant's verify token by its keyed digest (defect 5 of issue
// 17): no sealed value is opened for an unauthenticated caller, a value that does not open is
// not logged on every request, and rotations and changes keep the digest current.
#include "tenancy/verify_tokens.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "security/key_rotation.h"
#include "storage/migrator.h"
#include "support/test_env.h"
#include "tenancy/tenant_store.h"

namespace baraza {
namespace {

class VerifyTokens : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 2, std::chrono::milliseconds(2000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    key_file_ = dir_.file("master.key");
    sealer_ = std::make_unique<Sealer>(KeyRing::loadOrCreate(key_file_), key_file_);
    test::importExampleTenants(*db_, *sealer_, {"kassangas", "mama-mboga"});
  }

  bool known(const std::string& token) {
    return isTenantVerifyToken(*db_, *sealer_, "whatsapp", token);
  }

  void sql(const std::string& statement) {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << statement;
    tx.commit();
  }

  std::string accountOf(const std::string& phone_number_id) {
    TenantScope scope(*db_, TenantScope::kAllTenants);
    std::string id;
    scope.sql() << "SELECT CAST(id AS TEXT) FROM channel_accounts WHERE phone_number_id = :p",
        soci::use(phone_number_id), soci::into(id);
    return id;
  }

  test::TempDir dir_;
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::string key_file_;
  std::unique_ptr<Sealer> sealer_;
};

TEST_P(VerifyTokens, AHandshakeOpensNoSealedValueAndLogsNoOtherTenantsRow) {
  // Mama Mboga's row holds a value that does not open here (a token sealed elsewhere).
  sql("UPDATE channel_accounts SET verify_token_sealed = 'bz1.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAA' "
      "WHERE phone_number_id = '119200000000002'");
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out)));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(known("kassangas-verify"));
    EXPECT_FALSE(known("guess-" + std::to_string(i)));
  }
  spdlog::set_default_logger(previous);
  EXPECT_EQ(out.str(), "") << "an unauthenticated request made the engine log";
}

TEST_P(VerifyTokens, TokensFromBeforeTheDigestAreFoundOnceTheEngineFillsThem) {
  sql("UPDATE channel_accounts SET verify_token_digest = NULL");
  EXPECT_FALSE(known("kassangas-verify"));
  EXPECT_EQ(fillVerifyTokenDigests(*db_, *sealer_), 1);
  EXPECT_TRUE(known("kassangas-verify"));
  EXPECT_EQ(fillVerifyTokenDigests(*db_, *sealer_), 0) << "nothing left to fill";
}

TEST_P(VerifyTokens, AChangedTokenReplacesTheOldOneAtOnce) {
  std::string tenant;
  {
    TenantScope scope(*db_, TenantScope::kAllTenants);
    scope.sql() << "SELECT CAST(id AS TEXT) FROM tenants WHERE slug = 'kassangas'",
        soci::into(tenant);
  }
  TenantScope tx(*db_, tenant, true);
  ChannelPatch patch;
  patch.verify_token = "a-new-verify-token";
  updateChannel(tx.sql(), GetParam(), *sealer_, tenant, accountOf("119202345678901"), patch);
  tx.commit();
  EXPECT_TRUE(known("a-new-verify-token"));
  EXPECT_FALSE(known("kassangas-verify"));
}

TEST_P(VerifyTokens, ARotationKeepsTheHandshakeWorking) {
  RotationOptions fast;
  fast.grace = std::chrono::milliseconds(10);
  rotateKeys(*db_, key_file_, fast);
  EXPECT_TRUE(known("kassangas-verify")) << "the running engine's sealer, reading the new file";
  Sealer restarted(KeyRing::loadOrCreate(key_file_));
  EXPECT_TRUE(isTenantVerifyToken(*db_, restarted, "whatsapp", "kassangas-verify"));
  EXPECT_FALSE(isTenantVerifyToken(*db_, restarted, "whatsapp", "mama-mboga-verify"));
}

TEST_P(VerifyTokens, AnInactiveTenantOrChannelAndAnotherChannelTypeDoNotCount) {
  EXPECT_FALSE(isTenantVerifyToken(*db_, *sealer_, "telegram", "kassangas-verify"));
  sql("UPDATE channel_accounts SET active = " +
      std::string(GetParam() == Dialect::kSqlite ? "0" : "FALSE"));
  EXPECT_FALSE(known("kassangas-verify"));
}

INSTANTIATE_TEST_SUITE_P(BothDialects, VerifyTokens,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
