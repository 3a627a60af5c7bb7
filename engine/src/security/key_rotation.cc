#include "security/key_rotation.h"

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <tuple>
#include <utility>

#include "tenancy/audit.h"
#include "tenancy/verify_tokens.h"

namespace baraza {
namespace {

constexpr int kMaxPasses = 10;

struct SealedValue {
  std::string owner, id, sealed;
};

std::vector<SealedValue> valuesUnder(soci::session& sql, const SealedColumn& c,
                                     const std::vector<std::string>& key_ids) {
  std::vector<SealedValue> out;
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT CAST(" + c.owner_column + " AS TEXT), CAST(" + c.id_column +
                          " AS TEXT), " + c.column + " FROM " + c.table + " WHERE " + c.column +
                          " IS NOT NULL");
  for (const auto& r : rows) {
    SealedValue v{r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2)};
    if (std::find(key_ids.begin(), key_ids.end(), Sealer::keyIdOf(v.sealed)) != key_ids.end())
      out.push_back(std::move(v));
  }
  return out;
}

// Writes `fresh` only where the row still holds `old`: a value changed since it was read (an
// admin PATCH) is left as it is, and the next pass looks at it again. True when written.
bool replaceIfUnchanged(soci::session& sql, const SealedColumn& c, const SealedValue& v,
                        const std::string& fresh) {
  soci::statement st =
      (sql.prepare << "UPDATE " + c.table + " SET " + c.column + " = :v WHERE " + c.owner_column +
                          " = :o AND " + c.id_column + " = :i AND " + c.column + " = :old",
       soci::use(fresh), soci::use(v.owner), soci::use(v.id), soci::use(v.sealed));
  st.execute(true);
  return st.get_affected_rows() > 0;
}

// One pass in one transaction: every value still under an old key, opened and sealed again.
// Returns how many it found (re-sealed or changed meanwhile).
int resealPass(Database& db, const Sealer& sealer, const std::vector<std::string>& old_ids,
               RotationResult& result, std::function<void()> after_read) {
  TenantScope tx(db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  int found = 0;
  for (const auto& column : sealedColumns()) {
    auto values = valuesUnder(sql, column, old_ids);
    if (after_read)
      std::exchange(after_read, nullptr)();
    for (const auto& v : values) {
      ++found;
      SealContext ctx{v.owner, column.table, v.id, column.column};
      std::string error;
      auto plain = sealer.open(v.sealed, ctx, &error);
      if (!plain) {
        throw KeyError(column.table + "." + column.column + " of " + v.owner + " row " + v.id +
                       " does not open: " + error);
      }
      if (!replaceIfUnchanged(sql, column, v, sealer.seal(*plain, ctx)))
        continue;
      if (!column.digest_column.empty()) {
        std::string digest = sealer.lookupDigest(*plain, column.digest_purpose);
        sql << "UPDATE " + column.table + " SET " + column.digest_column + " = :d WHERE " +
                   column.owner_column + " = :o AND " + column.id_column + " = :i",
            soci::use(digest), soci::use(v.owner), soci::use(v.id);
      }
      if (!column.audit_target.empty()) {
        writeAudit(sql, v.owner, "cli:keys-rotate", "reseal_credential", column.audit_target, v.id,
                   {{"column", column.column}, {"key", result.new_key_id}});
      }
      ++result.resealed;
    }
  }
  tx.commit();  // a throw above rolled the whole pass back
  ++result.passes;
  return found;
}

}  // namespace

const std::vector<SealedColumn>& sealedColumns() {
  static const std::vector<SealedColumn> columns = {
      {"channel_accounts", "access_token_sealed", "tenant_id", "id", "channel_account"},
      {"channel_accounts", "verify_token_sealed", "tenant_id", "id", "channel_account",
       "verify_token_digest", std::string(kVerifyTokenDigestPurpose)},
      {"tenant_ai_providers", "api_key_sealed", "tenant_id", "id", "ai_provider"},
      {"idempotency_keys", "response_sealed", "caller", "idem_key", ""},
  };
  return columns;
}

RotationResult rotateKeys(Database& db, const std::string& key_file,
                          const RotationOptions& options) {
  if (const char* env = std::getenv("BARAZA_MASTER_KEY"); env && *env) {
    throw KeyError("keys rotate needs the key file: unset BARAZA_MASTER_KEY and use " + key_file);
  }
  KeyFileLock lock(key_file, true);  // one rotation at a time, and no import sealing meanwhile
  KeyRing ring = KeyRing::loadOrCreate(key_file);
  std::vector<std::string> old_ids;
  for (const auto& id : ring.ids()) {
    if (!ring.isRetired(id))
      old_ids.push_back(id);
  }
  RotationResult result;
  result.new_key_id = ring.addKey();
  ring.save(key_file);  // 1. the new key is safe on disk before any value depends on it
  Sealer sealer(ring);

  resealPass(db, sealer, old_ids, result, options.after_first_read);  // 2.
  int found = 0;
  do {  // 3. after a grace for seals in flight, until no value is left under an old key
    if (result.passes >= kMaxPasses) {
      throw KeyError("values keep appearing under the old keys after " +
                     std::to_string(kMaxPasses) +
                     " passes (an engine without the new key file?); the old keys stay in use");
    }
    std::this_thread::sleep_for(options.grace);
    found = resealPass(db, sealer, old_ids, result, nullptr);
  } while (found > 0);
  for (const auto& id : old_ids)
    ring.retire(id);
  ring.save(key_file);  // 4. the old keys may no longer open anything
  result.retired = old_ids;
  return result;
}

}  // namespace baraza
