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
class IdempotencyStore {
 public:
  IdempotencyStore(Database& db, const Sealer& sealer) : db_(db), sealer_(sealer) {}

  struct Claim {
    bool claimed = false;                // this request runs; finish() or release() follows
    std::optional<HttpResponse> answer;  // otherwise: the replay or the error to return
  };
  // `caller` names who asks ("operator", "key:ID"); `key` is the header's value.
  Claim claim(const std::string& caller, const std::string& key, const HttpRequest& req);
  // Keeps the response of a claimed request (or forgets the claim for a 5xx).
  void finish(const std::string& caller, const std::string& key, const HttpResponse& response);
  // Forgets a claim whose request failed without a response.
  void release(const std::string& caller, const std::string& key);

  static constexpr int kKeepHours = 24;

 private:
  Database& db_;
  const Sealer& sealer_;
};

}  // namespace baraza::admin
