// Issue 4's canary: a tenant whose secrets are unique canaries goes through every path the
// engine has, with debug logging; then the database (SQLite file, WAL and shm, or pg_dump), the
// log and every answer are searched for the canaries, raw, base64 and hex: 0 hits.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "support/engine_process.h"
#include "support/http_client.h"
#include "support/test_env.h"

namespace baraza::test {
namespace {

const std::string kToken = "EAAX-CANARY-TOKEN-5d41402abc4b";
const std::string kVerify = "CANARY-VERIFY-9f86d081884c";

std::vector<std::string> encodings(const std::string& secret) {
  std::vector<std::string> out = {secret};
  char hex[3];
  std::string h;
  for (unsigned char c : secret) {
    std::snprintf(hex, sizeof(hex), "%02x", c);
    h += hex;
  }
  out.push_back(h);
  std::string b64(4 * ((secret.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                          reinterpret_cast<const unsigned char*>(secret.data()),
                          static_cast<int>(secret.size()));
  b64.resize(static_cast<size_t>(n));
  out.push_back(b64.substr(0, b64.size() - 4));  // a prefix: padding differs with alignment
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe)
    return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0)
    out.append(buf, n);
  pclose(pipe);
  return out;
}

class Canary : public ::testing::TestWithParam<Dialect> {};

TEST_P(Canary, SecretsAppearNowhereInClear) {
  TempDir dir;
  DialectDatabase db(GetParam());
  std::map<std::string, std::string> env = {
      {"BARAZA_DATABASE_URL", db.url()},
      {"BARAZA_SECURITY_MASTER_KEY_FILE", dir.file("master.key")},
      {"BARAZA_LOG_LEVEL", "debug"},
      {"BARAZA_ADMIN_TOKEN", "operator-canary-test"},
      {"CANARY_TOKEN", kToken},
      {"CANARY_VERIFY", kVerify}};
  auto file = dir.write("canary.yaml",
                        "slug: canary\nname: Canary\nchannels:\n  - phone_number_id: \"4242\"\n"
                        "    access_token_env: CANARY_TOKEN\n    verify_token_env: CANARY_VERIFY\n"
                        "    token_expires_at: \"2026-01-01T00:00:00Z\"\n");
  std::vector<std::string> seen;
  auto import = runBaraza({"tenant", "import", file}, env);
  ASSERT_EQ(import.exit_code, 0) << import.err;
  seen.push_back(import.out + import.err);
  auto rotate = runBaraza({"keys", "rotate"}, env);
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  seen.push_back(rotate.out + rotate.err);
  auto check = runBaraza({"check-config"}, env);
  seen.push_back(check.out + check.err);
  {
    EngineProcess engine("", env);
    std::map<std::string, std::string> op = {{"Authorization", "Bearer operator-canary-test"}};
    int port = engine.port();
    for (const std::string& path :
         {std::string("/health"), std::string("/admin/v1/tenants"),
          std::string("/admin/v1/tenants/canary"), std::string("/admin/v1/alerts"),
          std::string("/admin/v1/tenants/canary/audit"),
          std::string("/admin/v1/tenants/canary/api-keys")}) {
      auto r = httpRequest(port, "GET", path, "", op);
      EXPECT_EQ(r.status, 200) << path;
      seen.push_back(r.body);
    }
    auto handshake = httpRequest(
        port, "GET",
        "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=" + kVerify + "&hub.challenge=77");
    EXPECT_EQ(handshake.status, 200) << "the tenant's sealed verify token was used";
    seen.push_back(handshake.body);
    seen.push_back(httpRequest(port, "POST", "/webhook/whatsapp", "{}").body);
    seen.push_back(httpRequest(port, "GET", "/metrics").body);
    seen.push_back(engine.log());
  }
  if (GetParam() == Dialect::kSqlite) {
    for (const char* suffix : {"", "-wal", "-shm"})
      seen.push_back(slurp(db.file("db/baraza.db") + suffix));
    EXPECT_FALSE(seen.back().empty() && seen[seen.size() - 3].empty());
  } else {
    std::string dump = run("pg_dump --no-owner '" + db.adminUrl() + "' 2>&1");
    ASSERT_NE(dump.find("channel_accounts"), std::string::npos) << dump.substr(0, 500);
    EXPECT_NE(dump.find("bz1.k2."), std::string::npos) << "the sealed values are in the dump";
    seen.push_back(dump);
  }
  int hits = 0;
  for (const auto& secret : {kToken, kVerify}) {
    for (const auto& form : encodings(secret)) {
      for (const auto& text : seen) {
        if (text.find(form) != std::string::npos) {
          ++hits;
          ADD_FAILURE() << "found '" << form << "' in: " << text.substr(0, 300);
        }
      }
    }
  }
  EXPECT_EQ(hits, 0);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, Canary,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
