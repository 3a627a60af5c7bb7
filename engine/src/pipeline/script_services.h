#pragma once

#include <functional>
#include <string>

#include "storage/database.h"

#include "scripting/script_api.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// ctx's kv, history and FAQ search for one message, inside that message's transaction: kv
// writes commit or roll back with the message's records. Each statement runs under a
// savepoint, so a refused one (a bad value, a lock timeout) fails that call alone and leaves
// PostgreSQL's transaction usable.
class DatabaseScriptServices : public ScriptServices {
 public:
  static constexpr size_t kTenantKvBytes = 1 << 20;

  DatabaseScriptServices(soci::session& sql, Dialect dialect, const TenantConfig& tenant,
                         std::string conversation_id, long long now_ms)
      : sql_(&sql),
        dialect_(dialect),
        tenant_(tenant),
        conversation_id_(std::move(conversation_id)),
        now_ms_(now_ms) {}

  bool kvGet(const std::string& key, std::optional<std::string>& value,
             std::string& error) override;
  bool kvSet(const std::string& key, const std::string& value, long long ttl_seconds,
             std::string& error) override;
  bool kvDel(const std::string& key, std::string& error) override;
  bool recentMessages(int limit, nlohmann::json& out, std::string& error) override;
  nlohmann::json faqSearch(const std::string& text, int limit) override;
  // The message's work moved to another transaction (around a strategy that waits).
  void rebind(soci::session& sql) { sql_ = &sql; }

 private:
  // Runs `work` under a savepoint; false with `error` when it throws.
  bool guarded(const std::function<void()>& work, std::string& error);

  soci::session* sql_;
  Dialect dialect_;
  const TenantConfig& tenant_;
  std::string conversation_id_;
  long long now_ms_;
};

}  // namespace baraza
