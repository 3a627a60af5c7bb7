#include "tenancy/verify_tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <spdlog/spdlog.h>
#include <memory>

#include "tenancy/audit.h"

namespace baraza {
namespace {

std::string digest(std::string_view text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

bool isTenantVerifyToken(Database& db, const Sealer& sealer, const std::string& channel,
                         std::string_view token) {
  // Unauthenticated callers reach this: a read-only scope, so they cannot hold the write lock.
  auto scope = std::make_unique<TenantScope>(db, TenantScope::kAllTenants);
  const char* yes = db.dialect() == Dialect::kSqlite ? "1" : "TRUE";
  soci::rowset<soci::row> rows =
      (scope->sql().prepare << "SELECT CAST(c.tenant_id AS TEXT), CAST(c.id AS TEXT), "
                               "c.verify_token_sealed FROM channel_accounts c JOIN tenants t ON "
                               "t.id = c.tenant_id WHERE c.channel_type = :ch AND c.active = " +
                                   std::string(yes) + " AND t.active = " + yes +
                                   " AND c.verify_token_sealed IS NOT NULL",
       soci::use(channel));
  const std::string given = digest(token);
  bool found = false;
  std::string used_tenant, used_account;
  for (const auto& row : rows) {
    std::string error;
    auto plain = sealer.open(row.get<std::string>(2),
                             {row.get<std::string>(0), "channel_accounts", row.get<std::string>(1),
                              "verify_token_sealed"},
                             &error);
    if (!plain) {
      spdlog::warn("a verify token of tenant {} does not open: {}", row.get<std::string>(0), error);
      continue;
    }
    // Digests of equal length are compared, for every row: the time taken tells neither which
    // row matched nor how long the tokens are.
    if (CRYPTO_memcmp(digest(*plain).data(), given.data(), given.size()) == 0) {
      found = true;
      used_tenant = row.get<std::string>(0);
      used_account = row.get<std::string>(1);
    }
  }
  scope.reset();
  if (found) {  // a credential was read and used: who, which, when
    TenantScope write(db, used_tenant, true);
    writeAudit(write.sql(), used_tenant, "engine:webhook-handshake", "use_credential",
               "channel_account", used_account, {{"column", "verify_token_sealed"}});
    write.commit();
  }
  return found;
}

}  // namespace baraza
