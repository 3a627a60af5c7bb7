#include "tenancy/verify_tokens.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "tenancy/audit.h"

namespace baraza {

bool isTenantVerifyToken(Database& db, const Sealer& sealer, const std::string& channel,
                         std::string_view token) {
  TenantScope scope(db, TenantScope::kAllTenants, true);
  const char* yes = db.dialect() == Dialect::kSqlite ? "1" : "TRUE";
  soci::rowset<soci::row> rows =
      (scope.sql().prepare << "SELECT CAST(c.tenant_id AS TEXT), CAST(c.id AS TEXT), "
                              "c.verify_token_sealed FROM channel_accounts c JOIN tenants t ON "
                              "t.id = c.tenant_id WHERE c.channel_type = :ch AND c.active = " +
                                  std::string(yes) + " AND t.active = " + yes +
                                  " AND c.verify_token_sealed IS NOT NULL",
       soci::use(channel));
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
    // Every row is compared, so the time taken does not tell which one matched.
    if (plain->size() == token.size() &&
        CRYPTO_memcmp(plain->data(), token.data(), token.size()) == 0) {
      found = true;
      used_tenant = row.get<std::string>(0);
      used_account = row.get<std::string>(1);
    }
  }
  if (found) {  // a credential was read and used: who, which, when
    writeAudit(scope.sql(), used_tenant, "engine:webhook-handshake", "use_credential",
               "channel_account", used_account, {{"column", "verify_token_sealed"}});
    scope.commit();
  }
  return found;
}

}  // namespace baraza
