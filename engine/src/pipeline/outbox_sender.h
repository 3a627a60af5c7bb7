#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/clock.h"
#include "pipeline/pipeline_config.h"
#include "pipeline/send_pacer.h"
#include "plugin_host/plugin_host.h"
#include "security/sealer.h"
#include "storage/database.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// Sends committed replies: `senders` threads each claim one due outbox row (FOR UPDATE SKIP
// LOCKED on PostgreSQL, so processes share the work), open the tenant's sealed token, pace per
// number and per recipient, and send through the channel plugin. The Graph message id is
// recorded and statuses that arrived early are applied; retryable failures come back with
// full-jitter backoff (never sooner than Meta suggests); a closed 24-hour window turns into the
// tenant's re-engagement template or blocked_by_window; fatal errors are dead-lettered with
// their reason. A row claimed by a process that died is taken again when its claim expires.
class OutboxSender {
 public:
  OutboxSender(Database& db, const Sealer& sealer, const TenantDirectory& directory,
               const PluginHost& plugins, PipelineConfig config, Clock clock);
  ~OutboxSender();

  void start();
  void stop();
  void wake();
  // One step for tests: claims and sends up to `max` due rows; returns how many it took.
  int sendDue(int max);

 private:
  struct Row {
    std::string tenant_id, id, message_id, account_id, recipient, request;
    int attempts = 0;
    std::string window_expires_at;  // the conversation's, read with the claim
  };
  bool claimOne(Row& row);
  void send(const Row& row);
  void reschedule(const Row& row, long long at_ms, bool count_attempt, const std::string& error);
  void settle(const Row& row, const std::string& outbox_status, const std::string& message_status,
              const std::string& error_code, const std::string& error);
  void recordSent(const Row& row, const std::string& account_phone, const std::string& wamid);

  Database& db_;
  const Sealer& sealer_;
  const TenantDirectory& directory_;
  const PluginHost& plugins_;
  PipelineConfig config_;
  Clock clock_;
  SendPacer pacer_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  unsigned long long wakes_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace baraza
