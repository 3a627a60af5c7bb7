#include "security/key_rotation.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/migrator.h"
#include "support/test_env.h"

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
    test::importExampleTenants(*db_, sealer, {"kassangas", "mama-mboga"});
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

  static RotationOptions fast() {
    RotationOptions options;
    options.grace = std::chrono::milliseconds(20);
    return options;
  }

  void setToken(const Sealer& sealer, const std::string& tenant, const std::string& id,
                const std::string& token) {
    TenantScope tx(*db_, tenant, true);
    std::string sealed =
        sealer.seal(token, {tenant, "channel_accounts", id, "access_token_sealed"});
    tx.sql() << "UPDATE channel_accounts SET access_token_sealed = :v WHERE tenant_id = :t AND "
                "id = :i",
        soci::use(sealed), soci::use(tenant), soci::use(id);
    tx.commit();
  }

  test::TempDir dir_;
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::string key_file_;
};

TEST_P(KeyRotation, EveryValueIsResealedUnderTheNewKeyAndTheOldOneRetired) {
  auto before = tokens();
  ASSERT_EQ(before.size(), 2u);
  RotationResult r = rotateKeys(*db_, key_file_, fast());
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
  EXPECT_EQ(rotateKeys(*db_, key_file_, fast()).new_key_id, "k3") << "rotating again works";
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
  EXPECT_THROW(rotateKeys(*db_, key_file_, fast()), KeyError);
  auto after = tokens();
  EXPECT_EQ(Sealer::keyIdOf(std::get<2>(after[0])), "k1") << "rolled back";
  Sealer sealer(KeyRing::loadOrCreate(key_file_));
  EXPECT_FALSE(sealer.ring().isRetired("k1")) << "old keys stay usable after a failed rotation";
}

TEST_P(KeyRotation, ConcurrentRotationsLoseNoValue) {
  std::thread a([&] { rotateKeys(*db_, key_file_, fast()); });
  std::thread b([&] { rotateKeys(*db_, key_file_, fast()); });
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
  rotateKeys(*db_, key_file_, fast());
  for (const auto& [tenant, id, sealed] : tokens()) {
    EXPECT_EQ(Sealer::keyIdOf(sealed), "k2");
    EXPECT_TRUE(engine.open(sealed, {tenant, "channel_accounts", id, "access_token_sealed"}))
        << "the engine did not reload the key file";
  }
}

// Defect 2 of issue 17: a running engine kept sealing under its cached ring, so what it sealed
// after a rotation was under a retired key and never opened again.
TEST_P(KeyRotation, ARunningEngineSealsUnderTheNewKeyAfterARotation) {
  Sealer engine(KeyRing::loadOrCreate(key_file_), key_file_);  // as serve holds it
  auto [tenant, id, sealed] = tokens()[0];
  EXPECT_EQ(Sealer::keyIdOf(engine.seal("x", {tenant, "channel_accounts", id, "c"})), "k1");
  rotateKeys(*db_, key_file_, fast());
  setToken(engine, tenant, id, "sealed-after-the-rotation");
  Sealer restarted(KeyRing::loadOrCreate(key_file_));
  auto after = tokens()[0];
  EXPECT_EQ(Sealer::keyIdOf(std::get<2>(after)), "k2");
  EXPECT_EQ(
      restarted.open(std::get<2>(after), {tenant, "channel_accounts", id, "access_token_sealed"}),
      "sealed-after-the-rotation")
      << "a restarted engine cannot open what the running one sealed";
}

// A token changed while the rotation runs is neither lost (the rotation writing back the old
// token it had read) nor left under the retired key.
TEST_P(KeyRotation, ATokenChangedDuringTheRotationKeepsItsNewValue) {
  Sealer engine(KeyRing::loadOrCreate(key_file_), key_file_);
  engine.seal("warm", {"t", "channel_accounts", "i", "c"});  // the engine has read the ring
  auto [tenant, id, sealed] = tokens()[0];
  std::thread patcher;
  RotationOptions options = fast();
  options.after_first_read = [&] {
    patcher = std::thread([&] { setToken(engine, tenant, id, "patched-meanwhile"); });
    // PostgreSQL: the change commits between the rotation's read and its write. SQLite: the
    // change waits for the rotation's write turn and lands after its first pass.
    if (GetParam() == Dialect::kPostgresql)
      patcher.join();
  };
  RotationResult r = rotateKeys(*db_, key_file_, options);
  if (patcher.joinable())
    patcher.join();
  EXPECT_GE(r.passes, 2);
  Sealer restarted(KeyRing::loadOrCreate(key_file_));
  ASSERT_TRUE(restarted.ring().isRetired("k1"));
  auto after = tokens()[0];
  EXPECT_EQ(
      restarted.open(std::get<2>(after), {tenant, "channel_accounts", id, "access_token_sealed"}),
      "patched-meanwhile");
  for (const auto& [t, i, value] : tokens())
    EXPECT_EQ(Sealer::keyIdOf(value), "k2");
}

// Stored Idempotency-Key responses (which may hold a new API key) are sealed values too.
TEST_P(KeyRotation, StoredIdempotentResponsesAreResealed) {
  Sealer sealer(KeyRing::loadOrCreate(key_file_));
  SealContext ctx{"operator", "idempotency_keys", "key-1", "response_sealed"};
  std::string sealed = sealer.seal(R"({"key":"bzk_secret"})", ctx);
  {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << "INSERT INTO idempotency_keys (caller, idem_key, request_hash, status, "
                "response_sealed) VALUES ('operator', 'key-1', 'h', 201, :r)",
        soci::use(sealed);
    tx.commit();
  }
  RotationResult r = rotateKeys(*db_, key_file_, fast());
  EXPECT_EQ(r.resealed, 4);
  std::string stored;
  {
    TenantScope scope(*db_, TenantScope::kAllTenants);
    scope.sql() << "SELECT response_sealed FROM idempotency_keys WHERE idem_key = 'key-1'",
        soci::into(stored);
  }
  EXPECT_EQ(Sealer::keyIdOf(stored), "k2");
  EXPECT_EQ(Sealer(KeyRing::loadOrCreate(key_file_)).open(stored, ctx), R"({"key":"bzk_secret"})");
}

INSTANTIATE_TEST_SUITE_P(BothDialects, KeyRotation,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
