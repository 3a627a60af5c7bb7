#include "pipeline/answer_writes.h"

#include "core/metrics.h"
#include "core/uuid.h"
#include "pipeline/usage_ledger.h"

namespace baraza {

void writeAnswers(TenantScope& tx, const std::vector<MessageWork*>& works, long long now_ms) {
  std::vector<OutboxEntry> sends;
  for (MessageWork* w : works)
    sends.insert(sends.end(), w->sends.begin(), w->sends.end());
  std::set<std::string> queued = OutboxStore::enqueue(tx, sends, now_ms);
  std::vector<OutboundMessage> replies;
  std::map<UsageKey, long long> usage;
  for (MessageWork* w : works) {
    for (const auto& s : w->sends) {
      if (!s.in_reply_to.empty() && queued.count(s.id) && !w->replies.empty()) {
        w->reply_queued = true;
        replies.push_back(w->replies.front());
        w->usage.add("outbound");
        if (w->replies.front().strategy == "faq")
          w->usage.add("faq_answers");
        else if (!w->replies.front().ai_model.empty())
          w->usage.add("ai_answers");
      }
    }
    if (w->unanswered)
      w->usage.add("unanswered");
    w->usage.collect(usage, *w->tenant, w->started_ms);
  }
  message_store::insertOutbound(tx, replies);
  std::vector<std::pair<std::string, std::string>> unanswered;
  for (MessageWork* w : works) {
    if (w->unanswered)
      unanswered.emplace_back(w->tenant->id, w->message_id);
  }
  message_store::markUnanswered(tx, unanswered);
  addUsageBatch(tx, usage, newUuid());
}

int publishAnswers(const std::vector<MessageWork*>& works) {
  auto& metrics = MetricsRegistry::global();
  int queued = 0;
  for (MessageWork* w : works) {
    w->usage.publish(*w->tenant);
    if (!w->reply_queued)
      continue;
    ++queued;
    const OutboundMessage& reply = w->replies.front();
    metrics.counterAdd("baraza_replies_total", {{"strategy", reply.strategy}});
    metrics.histogramObserve("baraza_reply_decision_ms", {},
                             static_cast<double>(reply.processing_ms),
                             {1, 5, 10, 50, 100, 500, 1000, 5000, 30000});
  }
  return queued;
}

}  // namespace baraza
