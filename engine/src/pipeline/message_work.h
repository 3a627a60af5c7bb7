#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/clock.h"
#include "pipeline/conversation_store.h"
#include "pipeline/inbound_event.h"
#include "pipeline/inbox_store.h"
#include "pipeline/message_limits.h"
#include "pipeline/message_script.h"
#include "pipeline/message_store.h"
#include "pipeline/outbox_store.h"
#include "pipeline/pipeline_config.h"
#include "pipeline/script_services.h"
#include "pipeline/silence.h"
#include "pipeline/strategy_chain.h"
#include "plugin_host/plugin_host.h"
#include "scripting/script_host.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

class TenantInputs;

// What the steps of the message path share: built once by the pipeline.
struct StepParts {
  const PluginHost& plugins;
  ScriptHost& scripts;
  const PipelineConfig& config;
  MessageClock& clock;
  InboxStore& inbox;
  TenantInputs& tenant_inputs;
};

// One inbound message on its way through the steps (message_steps.h): what each step found
// and decided, handed to the next.
struct MessageWork {
  explicit MessageWork(InboundEvent e) : event(std::move(e)) {}

  InboundEvent event;
  std::shared_ptr<const TenantConfig> tenant;
  const CachedChannel* account = nullptr;  // the tenant's receiving account
  long long started_ms = 0;

  // record
  std::string contact_id, message_id, inbound_at;  // inbound_at: the message's own time, ISO
  ConversationRow conversation;
  bool is_new = false;  // the message was stored now (not by an earlier attempt)

  // gate
  Silence silence = Silence::kNone;
  std::optional<long long> postponed_until;  // debounce: the event waits until then
  // Debounce's join: the event with every text since the last reply and "combined"; null
  // when the message stands alone.
  nlohmann::json message;
  // What scripts and strategies read of the message: the join, or the event as stored.
  const nlohmann::json& messageTree() const { return message.is_null() ? event.tree() : message; }

  // script hooks
  ScriptSession script;
  std::optional<DatabaseScriptServices> services;
  ScriptInput script_input;
  std::optional<Escalation> escalation;
  std::string escalation_source = "script";
  // A tenant-wide limit asks a person to look at the tenant, not to take this conversation
  // over: its action pauses no conversation.
  bool escalation_pauses_conversation = true;
  std::optional<nlohmann::json> script_reply;

  // answer
  LimitCheck limits;
  std::string limit_reply_period;  // the once-per-period mark a limit reply took
  std::optional<StrategyChain> chain;
  bool waits = false;  // the chain stopped before a strategy that waits on the network
  std::optional<Decision> decision;

  // what the batch writes for it after the steps
  std::vector<OutboundMessage> replies;  // at most one
  std::vector<OutboxEntry> sends;        // its reply, read receipt, escalation notice
  UsageTally usage;
  bool reply_queued = false;  // the outbox took its reply (a retry's second reply is refused)
  bool unanswered = false;    // no answer, or only a fallback: marked on the inbound message

  // Gives the script's state back once its hooks are over; a quarantine it asked for is kept.
  // (A session whose state a kill spoiled, or that only carries a load failure, tests false
  // but may still hold the quarantine.)
  void releaseScript() {
    if (!script.quarantineReason().empty()) {
      quarantine_reason = script.quarantineReason();
      script_version = script.version();
    }
    script = ScriptSession();
    services.reset();
  }
  std::string quarantine_reason;
  int script_version = 0;
};

}  // namespace baraza
