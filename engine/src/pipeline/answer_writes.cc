#include "pipeline/answer_writes.h"

#include <algorithm>

#include "core/metrics.h"
#include "core/uuid.h"
#include "pipeline/usage_ledger.h"

namespace baraza {

namespace {

bool handable(const MessageWork& w, const OutboxEntry& s) {
  return s.in_reply_to.empty() ? s.message_id == w.message_id : s.in_reply_to == w.message_id;
}

}  // namespace

size_t handableSends(const std::vector<MessageWork*>& works) {
  size_t n = 0;
  for (const MessageWork* w : works)
    n += static_cast<size_t>(std::count_if(w->sends.begin(), w->sends.end(),
                                           [&](const auto& s) { return handable(*w, s); }));
  return n;
}

std::vector<ClaimedSend> writeAnswers(TenantScope& tx, const std::vector<MessageWork*>& works,
                                      long long now_ms, const SendHandoff& handoff) {
  std::vector<OutboxEntry> sends;
  std::vector<const std::string*> windows;  // of the sends marked leased
  for (MessageWork* w : works) {
    for (const auto& s : w->sends) {
      sends.push_back(s);
      if (windows.size() < handoff.count && handable(*w, s)) {
        sends.back().leased = true;
        windows.push_back(&w->conversation.window_expires_at);
      }
    }
  }
  std::set<std::string> queued = OutboxStore::enqueue(tx, sends, now_ms, handoff.lease);
  std::vector<ClaimedSend> handed;
  for (size_t i = 0, leased = 0; i < sends.size(); ++i) {
    const OutboxEntry& s = sends[i];
    if (!s.leased)
      continue;
    const std::string& window = *windows[leased++];
    if (queued.count(s.id)) {
      handed.push_back(
          {s.tenant_id, s.id, s.message_id, s.account_id, s.recipient, s.request, 1, window});
    }
  }
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
  // Only a message left with no reply is marked: a fallback reply says so itself (its
  // `fallback`), and marking the message too rewrote a whole inbound row (payload and four
  // index entries) for most messages of a tenant whose FAQ rarely matches.
  std::vector<std::pair<std::string, std::string>> unanswered;
  for (MessageWork* w : works) {
    if (w->unanswered && !w->reply_queued)
      unanswered.emplace_back(w->tenant->id, w->message_id);
  }
  message_store::markUnanswered(tx, unanswered);
  addUsageBatch(tx, usage, newUuid());
  return handed;
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
