#include "admin/idempotency.h"

#include <chrono>
#include <ctime>
#include <thread>

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/iso_time.h"
#include "core/metrics.h"
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

struct StoredClaim {
  std::string hash, sealed;
  int status = 0;
  bool has_response = false, applied = false;
  bool stale = false;  // claimed before `lease_cutoff`
};

StoredClaim readClaim(soci::session& sql, const std::string& caller, const std::string& key,
                      const std::string& lease_cutoff) {
  StoredClaim c;
  int applied = 0, stale = 0;
  soci::indicator si = soci::i_null, bi = soci::i_null;
  sql << "SELECT request_hash, status, response_sealed, CASE WHEN applied THEN 1 ELSE 0 END, "
         "CASE WHEN created_at < :cut THEN 1 ELSE 0 END FROM idempotency_keys WHERE caller = :c "
         "AND idem_key = :k",
      soci::use(lease_cutoff), soci::use(caller), soci::use(key), soci::into(c.hash),
      soci::into(c.status, si), soci::into(c.sealed, bi), soci::into(applied), soci::into(stale);
  c.has_response = si == soci::i_ok && bi == soci::i_ok;
  c.applied = applied != 0;
  c.stale = stale != 0;
  return c;
}

// Takes over a claim whose request died before it applied anything; true when this one did
// (of two retries racing, one).
bool takeOver(soci::session& sql, const std::string& caller, const std::string& key,
              const std::string& lease_cutoff) {
  std::string now = isoNowMicros();
  soci::statement st =
      (sql.prepare << "UPDATE idempotency_keys SET created_at = :n WHERE caller = :c AND "
                      "idem_key = :k AND status IS NULL AND NOT applied AND created_at < :cut",
       soci::use(now), soci::use(caller), soci::use(key), soci::use(lease_cutoff));
  st.execute(true);
  return st.get_affected_rows() == 1;
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
  std::string lease_cutoff = formatIsoUtc(std::time(nullptr) - kLeaseSeconds);
  StoredClaim stored = readClaim(sql, caller, key, lease_cutoff);
  if (stored.hash == hash && !stored.has_response && !stored.applied && stored.stale &&
      takeOver(sql, caller, key, lease_cutoff)) {
    tx.commit();
    spdlog::warn("Idempotency-Key claim of {} left by a request that did not finish: run again",
                 caller);
    MetricsRegistry::global().counterAdd("baraza_idempotency_takeovers_total", {});
    result.claimed = true;
    return result;
  }
  tx.commit();
  if (stored.hash != hash) {
    result.answer = jsonError(422, "idempotency_key_reused",
                              "Idempotency-Key was used for a different request; use a new key");
  } else if (!stored.has_response && stored.applied && stored.stale) {
    result.answer = jsonError(409, "idempotent_response_lost",
                              "the request with this Idempotency-Key was applied, but its response "
                              "could not be kept; it is not run again: check the result");
  } else if (!stored.has_response) {
    result.answer = jsonError(409, "request_in_progress",
                              "a request with this Idempotency-Key is still running; retry later");
    result.answer->headers.emplace_back("Retry-After", "1");
  } else {
    auto body = sealer_.open(stored.sealed, sealContext(caller, key));
    if (!body)
      throw StorageError("a kept idempotent response does not open");
    HttpResponse replay;
    replay.status = stored.status;
    replay.body = *body;
    replay.headers.emplace_back("Idempotent-Replayed", "true");
    result.answer = replay;
  }
  return result;
}

CommitHook IdempotencyStore::applying(const std::string& caller, const std::string& key) const {
  return CommitHook([caller, key](TenantScope& tx) {
    const char* yes = tx.dialect() == Dialect::kSqlite ? "1" : "TRUE";
    tx.sql() << std::string("UPDATE idempotency_keys SET applied = ") + yes +
                    " WHERE caller = :c AND idem_key = :k",
        soci::use(caller), soci::use(key);
  });
}

void IdempotencyStore::finish(const std::string& caller, const std::string& key,
                              const HttpResponse& response) {
  if (response.status >= 500 && releaseUnapplied(caller, key))
    return;
  std::string sealed = sealer_.seal(response.body, sealContext(caller, key));
  for (int attempt = 1;; ++attempt) {
    try {
      TenantScope tx(db_, TenantScope::kAllTenants, true);
      tx.sql() << "UPDATE idempotency_keys SET status = :s, response_sealed = :r WHERE caller = "
                  ":c AND idem_key = :k",
          soci::use(response.status), soci::use(sealed), soci::use(caller), soci::use(key);
      tx.commit();
      return;
    } catch (const std::exception& e) {
      if (attempt < 3) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt * attempt));
        continue;
      }
      // The request was applied: its response goes back all the same, and a retry with the key
      // gets 409 idempotent_response_lost instead of running it again.
      spdlog::error("the response of an Idempotency-Key request of {} could not be kept: {}",
                    caller, e.what());
      MetricsRegistry::global().counterAdd("baraza_idempotency_unkept_responses_total", {});
      return;
    }
  }
}

void IdempotencyStore::release(const std::string& caller, const std::string& key) {
  releaseUnapplied(caller, key);
}

bool IdempotencyStore::releaseUnapplied(const std::string& caller, const std::string& key) {
  TenantScope tx(db_, TenantScope::kAllTenants, true);
  soci::statement st =
      (tx.sql().prepare << "DELETE FROM idempotency_keys WHERE caller = :c AND idem_key = :k AND "
                           "NOT applied",
       soci::use(caller), soci::use(key));
  st.execute(true);
  tx.commit();
  return st.get_affected_rows() == 1;
}

}  // namespace baraza::admin
