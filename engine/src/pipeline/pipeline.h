#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "core/incident_log.h"
#include "pipeline/clock.h"
#include "pipeline/inbox.h"
#include "pipeline/inbox_store.h"
#include "pipeline/inbox_worker.h"
#include "pipeline/lease_keeper.h"
#include "pipeline/outbox_dispatcher.h"
#include "pipeline/outbox_store.h"
#include "pipeline/pace_ledger.h"
#include "pipeline/pipeline_config.h"
#include "pipeline/strategy_input.h"
#include "pipeline/table_upkeep.h"
#include "pipeline/waiting_answers.h"
#include "pipeline/worker_pool.h"
#include "plugin_host/plugin_host.h"
#include "scripting/script_host.h"
#include "security/sealer.h"
#include "storage/database.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// Between the inbox and the reply (docs/pipeline.md): inbox workers answer events in batches,
// waiting answers run strategies that wait on the network, the outbox dispatcher sends, and the
// lease keeper keeps this process's claims alive and takes back a dead one's. Several engine
// processes may share one PostgreSQL database.
class Pipeline {
 public:
  Pipeline(Database& db, Inbox& inbox, const Sealer& sealer, const TenantDirectory& directory,
           const PluginHost& plugins, ScriptHost& scripts, PipelineConfig config,
           Clock clock = systemNowMs);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  void start();
  void stop();  // finishes the batches and sends in hand, then returns

  // For tests without threads: one worker's batch of up to `max` due events (messages whose
  // strategy waits are answered before it returns); returns how many it claimed.
  int processDue(int max);
  // For tests without threads: claims, sends and records up to `max` due sends.
  int sendDue(int max);
  // This process's lease owner id.
  const std::string& owner() const { return owner_; }

 private:
  int workerStep();
  // The send budget per number, shared through the database (pipeline.shared_pacing).
  SendPacer::Reserve sharedPace();
  // Once a second; every fifth round usage deltas are folded, and the tables kept.
  int upkeep();

  Database& db_;
  Inbox& inbox_;
  PipelineConfig config_;
  MessageClock clock_;
  std::string owner_;
  OwnerLiveness liveness_;
  InboxStore inbox_store_;
  OutboxStore outbox_store_;
  LeaseKeeper leases_;
  TenantInputs tenant_inputs_;
  StepParts parts_;
  PaceLedger pace_ledger_;
  OutboxDispatcher dispatcher_;
  WaitingAnswers waiting_;
  InboxWorker worker_;
  ScriptHost& scripts_;
  std::atomic<long long> last_eviction_ms_{0};
  WorkerPool workers_;
  TableUpkeep upkeep_;
  long long upkeep_rounds_ = 0;
  IncidentLog fold_incidents_{"usage: folding deltas"};
  IncidentLog upkeep_incidents_{"table upkeep"};
  WorkerPool upkeep_thread_;
  bool started_ = false;
  std::atomic<bool> stopping_{false};  // stop() began: workers claim nothing more
};

}  // namespace baraza
