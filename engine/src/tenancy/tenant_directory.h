#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "storage/database.h"
#include "tenancy/tenant_file.h"

namespace baraza {

struct CachedChannel {
  std::string id, type, phone_number_id, display_phone_number, waba_id;
  std::string access_token_sealed;  // opened by the sender when it sends, never here
  bool active = true;
  std::string app;  // the Meta app that may deliver for it; "": the bare webhook path's app
};

struct CachedTemplate {
  std::string id;
  TemplateSpec spec;
};

struct CachedKnowledge {
  std::string id;
  KnowledgeSpec spec;
};

// One provider of the tenant's AI chain (docs/answers.md); the key stays sealed here and is
// opened only when the ai_chain plugin asks for it.
struct CachedAiProvider {
  std::string id, name, model, api_key_sealed;  // model and key may be empty: the configured ones
};

// The tenant's active script version (docs/scripting.md).
struct ActiveScript {
  int version = 0;
  std::string source, sha256, source_path;
  bool quarantined = false;  // the engine runs the defaults until another version is activated
};

// One tenant's configuration as the message path reads it: an immutable snapshot.
struct TenantConfig {
  std::string id, slug, name, organization_id;
  bool active = true;
  long long generation = 0;  // config_generation of the change it reflects
  nlohmann::json settings;   // every settings column
  std::vector<CachedChannel> channels;
  std::vector<CachedTemplate> templates;
  std::vector<CachedKnowledge> knowledge;      // active entries only
  std::shared_ptr<const ActiveScript> script;  // none: no script of its own
  std::vector<CachedAiProvider> ai_providers;  // in order; empty: the configured chain
};

// Every tenant's configuration in memory, for the message path: lookups take no database
// round trip. Changes made by any engine process (the admin API, `tenant import`) raise the
// database's config generation in the same transaction; refresh() reads that one row and
// reloads only the tenants changed since, and the poller calls it every `interval` (default
// 200 ms, so a change is served within a second everywhere). When the database is unreachable
// the last snapshot keeps serving; that is logged once per incident and counted.
class TenantDirectory {
 public:
  explicit TenantDirectory(Database& db);
  ~TenantDirectory();

  void loadAll();
  // Reloads the tenants changed since the last look; true when any was.
  bool refresh();
  void startPolling(std::chrono::milliseconds interval = std::chrono::milliseconds(200));
  void stopPolling();

  std::shared_ptr<const TenantConfig> byId(const std::string& tenant_id) const;
  std::shared_ptr<const TenantConfig> bySlug(const std::string& slug) const;
  // The tenant of an active account: by phone_number_id, then by display number.
  std::shared_ptr<const TenantConfig> byPhoneNumberId(const std::string& channel_type,
                                                      const std::string& phone_number_id) const;
  std::shared_ptr<const TenantConfig> byDisplayNumber(const std::string& channel_type,
                                                      const std::string& display_number) const;
  long long generation() const;
  size_t size() const;

 private:
  struct Snapshot {
    long long generation = 0;
    std::map<std::string, std::shared_ptr<const TenantConfig>> by_id;
    std::map<std::string, std::string> slug_to_id;
    std::map<std::string, std::string> phone_to_id;    // type + '\x1f' + phone_number_id
    std::map<std::string, std::string> display_to_id;  // type + '\x1f' + display number
  };
  std::shared_ptr<const Snapshot> snapshot() const;
  std::shared_ptr<TenantConfig> loadTenant(const std::string& tenant_id);
  void publish(long long generation, const std::vector<std::shared_ptr<TenantConfig>>& changed,
               bool replace_all);

  Database& db_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> snapshot_;
  bool failing_ = false;

  std::mutex poll_mutex_;
  std::condition_variable poll_wake_;
  bool stopping_ = false;
  std::thread poller_;
};

}  // namespace baraza
