#pragma once

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/clock.h"
#include "pipeline/inbox.h"
#include "pipeline/pipeline_config.h"
#include "pipeline/strategy_chain.h"
#include "plugin_host/plugin_host.h"
#include "scripting/script_host.h"
#include "security/sealer.h"
#include "storage/database.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

class OutboxSender;

// One claimed inbox event.
struct ClaimedEvent {
  long long id = 0;
  std::string kind, account_id, payload;
  int attempts = 0;
  std::string order_key;
  long long received_ms = 0;
  mutable long long locked_until = 0;  // the claim's lock, while this worker holds it
};

// The claim of an event went to another worker (its lock had expired).
struct LostClaim : std::runtime_error {
  LostClaim() : std::runtime_error("the event's claim was lost") {}
};

// Between Meta's POST and the reply (docs/pipeline.md): the inbox's worker pool routes each
// event to its tenant, records contact, conversation and message, runs the tenant's strategy
// chain and commits the reply to the outbox, which the sender pool sends. Several engine
// processes may share one PostgreSQL database: work is claimed with FOR UPDATE SKIP LOCKED.
class Pipeline {
 public:
  Pipeline(Database& db, const Sealer& sealer, TenantDirectory& directory,
           const PluginHost& plugins, PipelineConfig config, Clock clock = systemNowMs);
  ~Pipeline();

  Inbox& inbox() { return *inbox_; }
  ScriptHost& scripts() { return *scripts_; }
  // Replaces the script host's settings (before start()).
  void configureScripting(const ScriptingConfig& config);
  // Takes a channel's events (a JSON array, or one event) into the inbox: 0 once committed.
  // `count` is set to how many events the text held.
  int accept(const std::string& channel, std::string_view events_json, size_t& count);

  void start();
  void stop();  // finishes the events and sends in hand, then returns

  // One worker's step, for tests: claims and processes up to `max` due events; returns how
  // many it processed.
  int processDue(int max);

 private:
  std::vector<ClaimedEvent> claim(int max);
  void process(const ClaimedEvent& event);
  // Extends the claim to `until` if it is still this worker's.
  bool renewClaim(const ClaimedEvent& claimed, long long until);
  void handleMessage(const ClaimedEvent& claimed, const nlohmann::json& event,
                     const TenantConfig& tenant);
  // Queues the reply to an inbound message and records it with what produced it; false when
  // the message has a reply already.
  bool queueReply(soci::session& sql, const TenantConfig& tenant, const CachedChannel& account,
                  const std::string& conversation_id, const std::string& contact_id,
                  const std::string& message_id, const nlohmann::json& event,
                  const Decision& decision, long long started);
  void handleStatus(const ClaimedEvent& claimed, const nlohmann::json& event,
                    const TenantConfig& tenant);
  void finish(soci::session& sql, long long id, const std::string& status,
              const std::string& tenant_slug, const std::string& error = "");
  void fail(const ClaimedEvent& event, const std::string& reason);
  std::shared_ptr<const TenantConfig> route(const nlohmann::json& event);
  void quarantineScript(const TenantConfig& tenant, int version, const std::string& reason);

  Database& db_;
  const Sealer& sealer_;
  TenantDirectory& directory_;
  const PluginHost& plugins_;
  PipelineConfig config_;
  Clock clock_;
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<OutboxSender> sender_;
  std::unique_ptr<ScriptHost> scripts_;
  std::atomic<bool> stopping_{false};
  std::atomic<long long> last_eviction_ms_{0};
  std::vector<std::thread> workers_;
};

}  // namespace baraza
