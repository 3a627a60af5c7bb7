#include "tenancy/verify_tokens.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <utility>
#include <vector>

#include "log/redactor.h"
#include "tenancy/audit.h"

namespace baraza {
namespace {

// The (tenant, account) whose active verify token has one of `digests`.
std::optional<std::pair<std::string, std::string>> accountWithDigest(
    Database& db, const std::string& channel, const std::vector<std::string>& digests) {
  // A read-only scope, so an unauthenticated caller cannot hold the write lock.
  TenantScope scope(db, TenantScope::kAllTenants);
  const std::string yes = db.dialect() == Dialect::kSqlite ? "1" : "TRUE";
  for (const auto& digest : digests) {
    std::string tenant, account;
    soci::indicator ti = soci::i_null, ai = soci::i_null;
    scope.sql() << "SELECT CAST(c.tenant_id AS TEXT), CAST(c.id AS TEXT) FROM channel_accounts c "
                   "JOIN tenants t ON t.id = c.tenant_id WHERE c.channel_type = :ch AND "
                   "c.verify_token_digest = :d AND c.active = " +
                       yes + " AND t.active = " + yes + " LIMIT 1",
        soci::use(channel), soci::use(digest), soci::into(tenant, ti), soci::into(account, ai);
    if (ti == soci::i_ok)
      return std::make_pair(tenant, account);
  }
  return std::nullopt;
}

}  // namespace

std::string verifyTokenDigest(const Sealer& sealer, std::string_view token) {
  return sealer.lookupDigest(token, kVerifyTokenDigestPurpose);
}

bool isTenantVerifyToken(Database& db, const Sealer& sealer, const std::string& channel,
                         std::string_view token) {
  if (token.empty())
    return false;
  auto found =
      accountWithDigest(db, channel, sealer.lookupDigests(token, kVerifyTokenDigestPurpose));
  if (!found)
    return false;
  // A credential was used: who, which, when.
  const auto& [tenant, account] = *found;
  TenantScope write(db, tenant, true);
  writeAudit(write.sql(), tenant, "engine:webhook-handshake", "use_credential", "channel_account",
             account, {{"column", "verify_token_sealed"}});
  write.commit();
  return true;
}

int fillVerifyTokenDigests(Database& db, const Sealer& sealer) {
  struct Row {
    std::string tenant, id, sealed, digest;
  };
  TenantScope tx(db, TenantScope::kAllTenants, true);
  std::vector<Row> rows;
  {
    soci::rowset<soci::row> found =
        (tx.sql().prepare << "SELECT CAST(tenant_id AS TEXT), CAST(id AS TEXT), "
                             "verify_token_sealed, COALESCE(verify_token_digest, '') FROM "
                             "channel_accounts WHERE verify_token_sealed IS NOT NULL");
    for (const auto& r : found) {
      rows.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2),
                      r.get<std::string>(3)});
    }
  }
  int written = 0;
  for (const auto& row : rows) {
    std::string error;
    auto plain = sealer.open(
        row.sealed, {row.tenant, "channel_accounts", row.id, "verify_token_sealed"}, &error);
    if (!plain) {
      spdlog::warn(
          "the verify token of tenant {} channel account {} does not open ({}): Meta's "
          "handshake cannot use it until it is set again",
          row.tenant, row.id, error);
      continue;
    }
    Redactor::instance().add(*plain);
    std::string digest = verifyTokenDigest(sealer, *plain);
    if (digest == row.digest)
      continue;
    tx.sql() << "UPDATE channel_accounts SET verify_token_digest = :d WHERE tenant_id = :t AND "
                "id = :i AND verify_token_sealed = :s",
        soci::use(digest), soci::use(row.tenant), soci::use(row.id), soci::use(row.sealed);
    ++written;
  }
  tx.commit();
  return written;
}

}  // namespace baraza
