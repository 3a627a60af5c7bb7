// The first steps of a message: route and record.
#include <spdlog/spdlog.h>

#include "core/iso_time.h"
#include "core/metrics.h"
#include "core/uuid.h"
#include "leads/lead_records.h"
#include "pipeline/contact_store.h"
#include "pipeline/message_steps.h"

namespace baraza {

using nlohmann::json;

bool routeMessage(MessageWork& w, const TenantDirectory& directory, const PipelineConfig& config) {
  const InboundEvent& e = w.event;
  w.tenant = directory.byPhoneNumberId(e.channel, e.account_id);
  if (!w.tenant && !e.display_number.empty())
    w.tenant = directory.byDisplayNumber(e.channel, e.display_number);
  if (!w.tenant && !config.default_tenant.empty())
    w.tenant = directory.bySlug(config.default_tenant);
  if (!w.tenant)
    return false;
  for (const auto& ch : w.tenant->channels) {
    if (ch.phone_number_id == e.account_id)
      w.account = &ch;
  }
  if (!w.account && !w.tenant->channels.empty())
    w.account = &w.tenant->channels.front();  // routed by display number or as the default
  return true;
}

bool appMayDeliver(const MessageWork& w) {
  if (!w.event.app_default)
    return true;
  // Only the channel of the receiving number itself names an app: an event routed by display
  // number or to the default tenant must come from the bare path's app.
  const CachedChannel* own =
      w.account && w.account->phone_number_id == w.event.account_id ? w.account : nullptr;
  if (own && !own->app.empty())
    return w.event.app == own->app;
  return *w.event.app_default;
}

namespace {

void recordLead(MessageWork& w, TenantScope& tx) {
  auto& metrics = MetricsRegistry::global();
  const TenantConfig& tenant = *w.tenant;
  LeadOutcome lead =
      recordLeadContact(tx.sql(), tx.dialect(),
                        {tenant.organization_id, tenant.id, w.contact_id, w.conversation.id,
                         w.message_id, w.conversation.created, w.inbound_at, w.event.tree()});
  if (!lead.touch.empty())
    metrics.counterAdd("baraza_lead_touches_total", {{"kind", lead.touch}});
  if (lead.lead_id.empty()) {
    spdlog::warn("tenant {}: a message with neither phone nor user id joins no lead", tenant.slug);
    metrics.counterAdd("baraza_lead_unidentified_total", {});
  }
  if (lead.identity_conflict) {
    spdlog::warn("tenant {}: lead {} shares a phone or user id with another lead; not merged",
                 tenant.slug, lead.lead_id);
    metrics.counterAdd("baraza_lead_identity_conflicts_total", {});
  }
}

}  // namespace

namespace {

using Calls = std::vector<PreparedStatements::Call>;

// Runs calls queued for many messages together; each message's call is preceded by a switch
// of row-level security to its tenant when that changes.
class Round {
 public:
  explicit Round(TenantScope& tx) : tx_(tx) {}
  void add(MessageWork* w, PreparedStatements::Call call) {
    if (tx_.dialect() == Dialect::kPostgresql && w->tenant->id != tenant_) {
      calls_.push_back(tx_.actForCall(w->tenant->id));
      tenant_ = w->tenant->id;
    }
    calls_.push_back(std::move(call));
    queued_.emplace_back(w, calls_.size() - 1);
  }
  // Runs them (one round trip on PostgreSQL) and hands each message its rows.
  template <class Each>
  void run(Each each) {
    if (calls_.empty())
      return;
    auto rows = tx_.runCalls(calls_);
    if (!tenant_.empty())
      tx_.assumeActingFor(tenant_);
    for (const auto& [w, at] : queued_)
      each(*w, rows[at]);
  }

 private:
  TenantScope& tx_;
  Calls calls_;
  std::string tenant_;  // the tenant in force after the calls queued so far
  std::vector<std::pair<MessageWork*, size_t>> queued_;
};

// The contact of each message: one statement for all senders known by wa_id; step by step for
// those with a business-scoped id.
void recordContacts(std::vector<MessageWork*>& works, TenantScope& tx, StepParts& parts,
                    std::map<MessageWork*, bool>& created) {
  std::vector<MessageWork*> by_wa_id;
  std::vector<contact_store::ByWaId> senders;
  for (MessageWork* w : works) {
    if (contact_store::oneStatement(w->event.from)) {
      by_wa_id.push_back(w);
      senders.push_back({w->tenant->id, w->event.channel, &w->event.from, parts.clock.stamp()});
    }
  }
  auto contacts = contact_store::upsertMany(tx, senders);
  for (size_t i = 0; i < by_wa_id.size(); ++i) {
    by_wa_id[i]->contact_id = contacts[i].id;
    created[by_wa_id[i]] = contacts[i].created;
  }
  for (MessageWork* w : works) {
    if (contact_store::oneStatement(w->event.from))
      continue;
    tx.actFor(w->tenant->id);
    auto contact = contact_store::upsert(tx, w->tenant->id, w->event.channel, w->event.from,
                                         parts.clock.stamp());
    w->contact_id = contact.id;
    created[w] = contact.created;
  }
}

// Each message's conversation: the contact's open one moved forward, or a new one (a contact
// first seen now has none to look for).
void recordConversations(std::vector<MessageWork*>& works, TenantScope& tx,
                         std::map<MessageWork*, bool>& created) {
  Round touch(tx), open(tx);
  std::map<MessageWork*, std::string> window;
  for (MessageWork* w : works) {
    const TenantConfig& tenant = *w->tenant;
    // The window runs from the message's own time (Meta's timestamp), never from when it was
    // processed: a message handled late after retries keeps the window it opened.
    long long sent_s = w->event.timestamp_s > 0 ? w->event.timestamp_s : w->started_ms / 1000;
    w->inbound_at = formatIsoUtc(static_cast<std::time_t>(sent_s));
    window[w] = formatIsoUtc(static_cast<std::time_t>(sent_s + 24 * 3600));
    // Escalations pause the bot for escalation_pause_minutes (0: until resolved).
    long long pause = tenant.settings.value("escalation_pause_minutes", 60LL);
    long long since_ms = pause > 0 ? w->started_ms - pause * 60000 : 0;
    if (created[w]) {
      open.add(w, conversation_store::openCall(tenant.id, w->contact_id, w->account->id,
                                               w->inbound_at, window[w], w->conversation));
    } else {
      touch.add(w, conversation_store::touchCall(
                       tenant.id, w->contact_id, w->account->id, w->inbound_at, window[w],
                       formatIsoUtc(static_cast<std::time_t>(since_ms / 1000))));
    }
  }
  touch.run([&](MessageWork& w, const Rows& rows) {
    if (auto found = conversation_store::touched(rows))
      w.conversation = *found;
    else  // none open: a new one
      open.add(&w, conversation_store::openCall(w.tenant->id, w.contact_id, w.account->id,
                                                w.inbound_at, window[&w], w.conversation));
  });
  open.run([](MessageWork&, const Rows&) {});
}

// Each inbound message, all in one statement; one stored before (a redelivery, or a step
// redone) is found instead.
void recordInbound(std::vector<MessageWork*>& works, TenantScope& tx, StepParts& parts) {
  std::vector<message_store::InboundRow> rows;
  for (MessageWork* w : works) {
    rows.push_back(
        {w->tenant->id, w->conversation.id, w->contact_id, &w->event, parts.clock.stamp(), ""});
  }
  tx.actFor(TenantScope::kAllTenants);  // the rows span tenants
  std::set<std::string> stored = message_store::insertInbound(tx, rows);
  Round find(tx);
  for (size_t i = 0; i < works.size(); ++i) {
    MessageWork& w = *works[i];
    w.is_new = stored.count(rows[i].id) > 0;
    w.message_id = rows[i].id;
    if (!w.is_new)
      find.add(&w, message_store::findInboundCall(w.tenant->id, w.event));
  }
  find.run([](MessageWork& w, const Rows& rows) { w.message_id = message_store::firstId(rows); });
}

// What a new message adds: its count, the organization's lead, the read receipt.
void recordNew(MessageWork& w, TenantScope& tx) {
  const TenantConfig& tenant = *w.tenant;
  MetricsRegistry::global().counterAdd("baraza_messages_total", {{"direction", "inbound"}});
  w.usage.add("inbound");
  if (!tenant.organization_id.empty()) {
    tx.actFor(tenant.id);
    recordLead(w, tx);  // the organization's lead (seed 004): one per person across its agents
  }
  if (tenant.active && tenant.settings.value("mark_as_read", false)) {
    // The blue ticks: a read receipt through the outbox, like any send.
    json request{{"kind", "mark_read"}, {"message_id", w.event.id}};
    w.sends.push_back({tenant.id, newUuid(), w.message_id, "", w.account->id, w.event.from.wa_id,
                       request.dump()});
  }
}

}  // namespace

void recordMessages(std::vector<MessageWork*>& works, TenantScope& tx, StepParts& parts) {
  std::map<MessageWork*, bool> created;
  recordContacts(works, tx, parts, created);
  recordConversations(works, tx, created);
  recordInbound(works, tx, parts);
  for (MessageWork* w : works) {
    if (w->is_new)
      recordNew(*w, tx);
  }
}

}  // namespace baraza
