#pragma once

#include <optional>
#include <string>

#include "http/http_types.h"
#include "security/sealer.h"
#include "storage/database.h"

namespace baraza::admin {

// Idempotency-Key on admin POSTs (as Stripe's API does it): the first request with a key runs
// and its response is kept for 24 hours, sealed (it may hold a new API key); a retry with the
// same key and the same request gets that response again with `Idempotent-Replayed: true`; the
// same key with a different request is a 422; a retry while the first still runs is a 409. A
// response of 500 or more is not kept, so the retry runs again. Keys are per caller.
//
// What the request changed and the mark that it was applied commit together (`applying`, a
// CommitHook), so a retry never runs a request twice: a claim left by a request that crashed
// before committing anything is taken over once its lease (kLeaseSeconds) has passed; one whose
// request was applied but whose response could not be kept answers 409
// `idempotent_response_lost` for the rest of the 24 hours.
class IdempotencyStore {
 public:
  IdempotencyStore(Database& db, const Sealer& sealer) : db_(db), sealer_(sealer) {}

  struct Claim {
    bool claimed = false;                // this request runs; finish() or release() follows
    std::optional<HttpResponse> answer;  // otherwise: the replay or the error to return
  };
  // `caller` names who asks ("operator", "key:ID"); `key` is the header's value.
  Claim claim(const std::string& caller, const std::string& key, const HttpRequest& req);
  // Installs the mark: every write transaction the claimed request commits on this thread
  // records that it was applied. Keep it alive while the handler runs.
  CommitHook applying(const std::string& caller, const std::string& key) const;
  // Keeps the response of a claimed request (or forgets the claim for a 5xx that changed
  // nothing). Retried a few times; when it still fails, logged and counted, and the response is
  // returned all the same (the request was applied).
  void finish(const std::string& caller, const std::string& key, const HttpResponse& response);
  // Forgets a claim whose request failed without a response, unless it was applied.
  void release(const std::string& caller, const std::string& key);

  static constexpr int kKeepHours = 24;
  // An unapplied claim older than this belongs to a request that died (admin requests take
  // milliseconds; serve drains for server.shutdown_timeout_ms, 10 s by default).
  static constexpr int kLeaseSeconds = 120;

 private:
  bool releaseUnapplied(const std::string& caller, const std::string& key);

  Database& db_;
  const Sealer& sealer_;
};

}  // namespace baraza::admin
