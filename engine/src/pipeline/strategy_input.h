#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "pipeline/message_work.h"
#include "storage/database.h"

namespace baraza {

// What the chain's strategies read beyond the message, so nothing else is looked up.
struct ChainReads {
  bool streak = false, history = false;
};
ChainReads chainReads(const PluginHost& plugins, const std::string& chain);

// The tenant part of a strategy's input (id, slug, settings, open_now, the default template,
// the AI providers) as JSON text, made once per tenant configuration and minute (open_now
// follows the clock) instead of once per message. Thread-safe.
class TenantInputs {
 public:
  std::shared_ptr<const std::string> view(const TenantConfig& tenant, long long now_ms);

 private:
  struct Entry {
    long long generation = -1, minute = -1;
    std::shared_ptr<const std::string> text;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> views_;
};

// What a strategy plugin reads of one message (docs/plugins.md, "Strategy input"), as JSON
// text. The streak and the history are looked up only for a chain that reads them, and never
// for a conversation this message opened.
std::string strategyInput(MessageWork& work, TenantScope& tx, TenantInputs& tenants,
                          ChainReads reads);

}  // namespace baraza
