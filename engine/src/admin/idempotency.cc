#include "admin/idempotency.h"

#include <ctime>

#include <nlohmann/json.hpp>

#include "core/iso_time.h"
#include "storage/migrator.h"

namespace baraza::admin {
namespace {

bool validKey(const std::string& key) {
  if (key.empty() || key.size() > 255)
    return false;
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e)
      return false;
  }
  return true;
}

SealContext sealContext(const std::string& caller, const std::string& key) {
  return {caller, "idempotency_keys", key, "response_sealed"};
}

}  // namespace

IdempotencyStore::Claim IdempotencyStore::claim(const std::string& caller, const std::string& key,
                                                const HttpRequest& req) {
  Claim result;
  if (!validKey(key)) {
    result.answer =
        jsonError(400, "invalid_header", "Idempotency-Key: 1 to 255 visible ASCII characters");
    return result;
  }
  std::string hash = sha256Hex(req.method + ' ' + req.path + '?' + req.query + '\n' + req.body);
  std::string cutoff = formatIsoUtc(std::time(nullptr) - kKeepHours * 3600);
  TenantScope tx(db_, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  sql << "DELETE FROM idempotency_keys WHERE created_at < :c", soci::use(cutoff);
  std::string now = isoNowMicros();
  soci::statement insert =
      (sql.prepare << "INSERT INTO idempotency_keys (caller, idem_key, request_hash, created_at) "
                      "VALUES (:c, :k, :h, :n) ON CONFLICT (caller, idem_key) DO NOTHING",
       soci::use(caller), soci::use(key), soci::use(hash), soci::use(now));
  insert.execute(true);
  if (insert.get_affected_rows() == 1) {
    tx.commit();
    result.claimed = true;
    return result;
  }
  std::string stored_hash, sealed;
  int status = 0;
  soci::indicator si = soci::i_null, bi = soci::i_null;
  sql << "SELECT request_hash, status, response_sealed FROM idempotency_keys WHERE caller = :c "
         "AND idem_key = :k",
      soci::use(caller), soci::use(key), soci::into(stored_hash), soci::into(status, si),
      soci::into(sealed, bi);
  tx.commit();
  if (stored_hash != hash) {
    result.answer = jsonError(422, "idempotency_key_reused",
                              "Idempotency-Key was used for a different request; use a new key");
  } else if (si != soci::i_ok || bi != soci::i_ok) {
    result.answer = jsonError(409, "request_in_progress",
                              "a request with this Idempotency-Key is still running; retry later");
    result.answer->headers.emplace_back("Retry-After", "1");
  } else {
    auto body = sealer_.open(sealed, sealContext(caller, key));
    if (!body)
      throw StorageError("a kept idempotent response does not open");
    HttpResponse replay;
    replay.status = status;
    replay.body = *body;
    replay.headers.emplace_back("Idempotent-Replayed", "true");
    result.answer = replay;
  }
  return result;
}

void IdempotencyStore::finish(const std::string& caller, const std::string& key,
                              const HttpResponse& response) {
  if (response.status >= 500) {
    release(caller, key);
    return;
  }
  std::string sealed = sealer_.seal(response.body, sealContext(caller, key));
  TenantScope tx(db_, TenantScope::kAllTenants, true);
  tx.sql() << "UPDATE idempotency_keys SET status = :s, response_sealed = :r WHERE caller = :c "
              "AND idem_key = :k",
      soci::use(response.status), soci::use(sealed), soci::use(caller), soci::use(key);
  tx.commit();
}

void IdempotencyStore::release(const std::string& caller, const std::string& key) {
  TenantScope tx(db_, TenantScope::kAllTenants, true);
  tx.sql() << "DELETE FROM idempotency_keys WHERE caller = :c AND idem_key = :k", soci::use(caller),
      soci::use(key);
  tx.commit();
}

}  // namespace baraza::admin
