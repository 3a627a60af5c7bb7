#include "security/sealer.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <thread>

#include "support/test_env.h"

namespace baraza {
namespace {

const SealContext kTokenOfA{"tenant-a", "channel_accounts", "row-1", "access_token_sealed"};

KeyRing freshRing() {
  test::TempDir dir;
  return KeyRing::loadOrCreate(dir.file("master.key"));
}

TEST(Sealer, SealsAndOpensInItsPlace) {
  Sealer sealer(freshRing());
  std::string sealed = sealer.seal("EAAX-token-1234", kTokenOfA);
  EXPECT_EQ(sealed.rfind("bz1.k1.", 0), 0u);
  EXPECT_EQ(sealed.find("EAAX"), std::string::npos);
  EXPECT_EQ(sealer.open(sealed, kTokenOfA), "EAAX-token-1234");
  EXPECT_EQ(sealer.open(sealer.seal("", kTokenOfA), kTokenOfA), "");
}

TEST(Sealer, AValueMovedToAnotherTenantTableRowOrColumnDoesNotOpen) {
  Sealer sealer(freshRing());
  std::string sealed = sealer.seal("EAAX-token-1234", kTokenOfA);
  std::string error;
  for (const SealContext& other :
       {SealContext{"tenant-b", "channel_accounts", "row-1", "access_token_sealed"},
        SealContext{"tenant-a", "ai_providers", "row-1", "access_token_sealed"},
        SealContext{"tenant-a", "channel_accounts", "row-2", "access_token_sealed"},
        SealContext{"tenant-a", "channel_accounts", "row-1", "verify_token_sealed"}}) {
    EXPECT_EQ(sealer.open(sealed, other, &error), std::nullopt);
    EXPECT_NE(error.find("does not open here"), std::string::npos);
  }
}

TEST(Sealer, EveryFlippedBitIsDetected) {
  Sealer sealer(freshRing());
  std::string sealed = sealer.seal("secret", kTokenOfA);
  size_t body = sealed.find('.', 4) + 1;
  int opened = 0;
  for (size_t i = body; i < sealed.size(); ++i) {
    for (char c : std::string("AZaz09+/")) {
      if (sealed[i] == c)
        continue;
      std::string tampered = sealed;
      tampered[i] = c;
      if (sealer.open(tampered, kTokenOfA))
        ++opened;
    }
  }
  EXPECT_EQ(opened, 0);
  EXPECT_EQ(sealer.open("plain text", kTokenOfA), std::nullopt);
  EXPECT_EQ(sealer.open("bz1.k1.!!!", kTokenOfA), std::nullopt);
  EXPECT_EQ(sealer.open("bz1.k1.", kTokenOfA), std::nullopt);
}

TEST(Sealer, NoncesAreFreshForEveryValue) {
  Sealer sealer(freshRing());
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i)
    seen.insert(sealer.seal("same", kTokenOfA).substr(7, 16));
  EXPECT_EQ(seen.size(), 20000u);
}

TEST(Sealer, RotationSealsUnderTheNewKeyAndARetiredKeyFailsLoudly) {
  Sealer sealer(freshRing());
  std::string old_value = sealer.seal("v", kTokenOfA);
  std::string k2 = sealer.ring().addKey();
  EXPECT_EQ(k2, "k2");
  std::string new_value = sealer.seal("v", kTokenOfA);
  EXPECT_EQ(Sealer::keyIdOf(new_value), "k2");
  EXPECT_EQ(sealer.open(old_value, kTokenOfA), "v") << "old values open until re-sealed";
  sealer.ring().retire("k1");
  std::string error;
  EXPECT_EQ(sealer.open(old_value, kTokenOfA, &error), std::nullopt);
  EXPECT_EQ(error, "master key 'k1' is retired: its values must be re-sealed first");
  EXPECT_THROW(sealer.ring().retire("k2"), KeyError) << "the current key stays";
}

TEST(KeyRing, TheFirstRunCreatesAPrivateKeyFileAndLaterRunsReadIt) {
  test::TempDir dir;
  std::string file = dir.file("data/master.key");
  KeyRing first = KeyRing::loadOrCreate(file);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  KeyRing again = KeyRing::loadOrCreate(file);
  Sealer a(first), b(again);
  EXPECT_EQ(b.open(a.seal("x", kTokenOfA), kTokenOfA), "x");
  ::chmod(file.c_str(), 0644);
  EXPECT_THROW(KeyRing::loadOrCreate(file), KeyError);
}

TEST(KeyRing, EnginesStartingTogetherAgreeOnOneKeyFile) {
  test::TempDir dir;
  std::string file = dir.file("data/master.key");
  std::vector<std::string> sealed(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back(
        [&, i] { sealed[i] = Sealer(KeyRing::loadOrCreate(file)).seal("v", kTokenOfA); });
  }
  for (auto& t : threads)
    t.join();
  Sealer final_ring(KeyRing::loadOrCreate(file));
  for (const auto& value : sealed)
    EXPECT_EQ(final_ring.open(value, kTokenOfA), "v");
}

TEST(KeyRing, TheTextFormIsCheckedLineByLine) {
  EXPECT_THROW(KeyRing::parse("k1 abc\n", "t"), KeyError);
  EXPECT_THROW(KeyRing::parse("# only a comment\n", "t"), KeyError);
  std::string hex(64, 'a');
  EXPECT_THROW(KeyRing::parse("k1 " + hex + "\nk1 " + hex + "\n", "t"), KeyError);
  KeyRing ring = KeyRing::parse("retired k1 " + hex + "\nk2 " + std::string(64, 'b') + "\n", "t");
  EXPECT_EQ(ring.currentId(), "k2");
  EXPECT_TRUE(ring.isRetired("k1"));
  EXPECT_EQ(KeyRing::parse(ring.text(), "again").currentId(), "k2");
}

TEST(KeyRing, TheEnvironmentMayHoldTheKey) {
  test::ScopedEnv env("BARAZA_MASTER_KEY", std::string(64, 'c'));
  test::TempDir dir;
  KeyRing ring = KeyRing::fromEnvironmentOrFile(dir.file("never-created.key"));
  EXPECT_EQ(ring.currentId(), "env");
  EXPECT_FALSE(std::ifstream(dir.file("never-created.key")).good());
}

}  // namespace
}  // namespace baraza
