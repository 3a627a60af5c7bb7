#pragma once

#include <string>

#include "storage/database.h"

#include "scripting/script_api.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// ctx's kv, history and FAQ search for one message, inside that message's transaction: kv
// writes commit or roll back with the message's records.
class DatabaseScriptServices : public ScriptServices {
 public:
  static constexpr size_t kTenantKvBytes = 1 << 20;

  DatabaseScriptServices(soci::session& sql, const TenantConfig& tenant,
                         std::string conversation_id, long long now_ms)
      : sql_(sql), tenant_(tenant), conversation_id_(std::move(conversation_id)), now_ms_(now_ms) {}

  bool kvGet(const std::string& key, std::optional<std::string>& value,
             std::string& error) override;
  bool kvSet(const std::string& key, const std::string& value, long long ttl_seconds,
             std::string& error) override;
  bool kvDel(const std::string& key, std::string& error) override;
  bool recentMessages(int limit, nlohmann::json& out, std::string& error) override;
  nlohmann::json faqSearch(const std::string& text, int limit) override;

 private:
  soci::session& sql_;
  const TenantConfig& tenant_;
  std::string conversation_id_;
  long long now_ms_;
};

}  // namespace baraza
