#include "pipeline/pipeline.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/iso_time.h"
#include "core/metrics.h"
#include "core/uuid.h"
#include "leads/lead_records.h"
#include "pipeline/answer_records.h"
#include "pipeline/backoff.h"
#include "pipeline/message_limits.h"
#include "pipeline/message_script.h"
#include "pipeline/outbox_sender.h"
#include "pipeline/records.h"
#include "pipeline/script_services.h"
#include "pipeline/strategy_chain.h"
#include "pipeline/usage_ledger.h"
#include "scripting/script_store.h"
#include "tenancy/local_time.h"

namespace baraza {
namespace {

using nlohmann::json;

std::string str(const json& obj, const char* name) {
  return obj.is_object() && obj.contains(name) && obj[name].is_string()
             ? obj[name].get<std::string>()
             : std::string();
}

// Meta's epoch-seconds timestamp as ISO, or now.
std::string eventTime(const json& event, long long now_ms) {
  long long seconds = now_ms / 1000;
  if (event.contains("timestamp")) {
    const json& t = event["timestamp"];
    if (t.is_number_integer())
      seconds = t.get<long long>();
    else if (t.is_string())
      seconds = std::atoll(t.get<std::string>().c_str());
  }
  if (seconds <= 0)
    seconds = now_ms / 1000;
  return formatIsoUtc(static_cast<std::time_t>(seconds));
}

// A claimed event whose strategy waits on the network is held this long (docs/answers.md:
// an AI chain's whole budget is well under it).
constexpr long long kWaitingLockMs = 10 * 60 * 1000;

// Every inbound text of the conversation since its last reply, oldest first.
std::string textSinceLastReply(soci::session& sql, const std::string& tenant_id,
                               const std::string& conversation_id) {
  std::string last_reply, combined;
  soci::indicator li = soci::i_null;
  sql << "SELECT CAST(MAX(created_at) AS TEXT) FROM messages WHERE tenant_id = :t AND "
         "conversation_id = :c AND direction = 'outbound'",
      soci::use(tenant_id), soci::use(conversation_id), soci::into(last_reply, li);
  if (li != soci::i_ok)
    last_reply = "0000";  // no reply yet: every message of the conversation
  soci::rowset<std::string> texts =
      (sql.prepare << "SELECT COALESCE(body, '') FROM messages WHERE tenant_id = :t AND "
                      "conversation_id = :c AND direction = 'inbound' AND CAST(created_at AS "
                      "TEXT) > :after ORDER BY created_at",
       soci::use(tenant_id), soci::use(conversation_id), soci::use(last_reply));
  for (const auto& t : texts) {
    if (!t.empty())
      combined += (combined.empty() ? "" : "\n") + t;
  }
  return combined;
}

// Whether any strategy of the chain waits on the network (it then gets the history).
bool chainWaits(const PluginHost& plugins, const std::string& chain) {
  for (const auto& name : strategyNames(chain)) {
    const LoadedPlugin* p = plugins.find(name);
    if (p && p->strategy && (PluginHost::strategyFlags(*p) & BARAZA_STRATEGY_WAITS))
      return true;
  }
  return false;
}

// What a strategy plugin reads of one message (docs/plugins.md, "Strategy input").
json strategyInput(soci::session& sql, const TenantConfig& tenant, const json& message,
                   const std::string& message_id, const ConversationRow& conversation, bool open,
                   long long now_ms, const LimitCheck& limits, bool with_history) {
  // Earlier questions without an answer; not looked up when the trigger is off.
  long long after = tenant.settings.value("escalation_after_unanswered", 3LL);
  int streak = after > 0 ? unansweredStreak(sql, tenant.id, conversation.id, message_id,
                                            static_cast<int>(std::min(after, 100LL)))
                         : 0;
  json tmpl = nullptr;
  for (const auto& t : tenant.templates) {
    if (t.spec.is_default && t.spec.active) {
      tmpl = {{"name", t.spec.name},
              {"system_prompt", t.spec.system_prompt},
              {"tone", t.spec.tone},
              {"max_response_length", t.spec.max_response_length}};
    }
  }
  json providers = json::array();
  for (const auto& p : tenant.ai_providers) {
    providers.push_back(
        {{"name", p.name}, {"model", p.model}, {"has_key", !p.api_key_sealed.empty()}});
  }
  json input{{"tenant",
              {{"id", tenant.id},
               {"slug", tenant.slug},
               {"name", tenant.name},
               {"generation", tenant.generation},
               {"settings", tenant.settings},
               {"open_now", open},
               {"template", tmpl},
               {"ai_providers", providers}}},
             {"message", message},
             {"conversation",
              {{"id", conversation.id},
               {"window_expires_at", conversation.window_expires_at},
               {"unanswered_streak", streak}}},
             {"limits", {{"exceeded", limits.exceeded}, {"ai", limits.ai_exceeded}}},
             {"now_ms", now_ms}};
  if (with_history) {
    json history = json::array();
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT CAST(id AS TEXT), direction, COALESCE(body, '') FROM messages "
                        "WHERE tenant_id = :t AND conversation_id = :c ORDER BY created_at DESC "
                        "LIMIT 11",
         soci::use(tenant.id), soci::use(conversation.id));
    for (const auto& r : rows) {
      if (r.get<std::string>(0) == message_id || r.get<std::string>(2).empty())
        continue;
      history.insert(history.begin(),
                     json{{"role", r.get<std::string>(1) == "inbound" ? "user" : "assistant"},
                          {"text", r.get<std::string>(2)}});
    }
    input["conversation"]["messages"] = std::move(history);
  }
  return input;
}

}  // namespace

Pipeline::Pipeline(Database& db, const Sealer& sealer, TenantDirectory& directory,
                   const PluginHost& plugins, PipelineConfig config, Clock clock)
    : db_(db),
      sealer_(sealer),
      directory_(directory),
      plugins_(plugins),
      config_(std::move(config)),
      clock_(std::move(clock)) {
  Inbox::Options options;
  options.linger_us = config_.group_commit_linger_us;
  inbox_ = std::make_unique<Inbox>(db_, clock_, options);
  sender_ = std::make_unique<OutboxSender>(db_, sealer_, directory_, plugins_, config_, clock_);
  scripts_ = std::make_unique<ScriptHost>(ScriptingConfig{});
}

void Pipeline::configureScripting(const ScriptingConfig& config) {
  scripts_ = std::make_unique<ScriptHost>(config);
}

Pipeline::~Pipeline() {
  stop();
}

int Pipeline::accept(const std::string& channel, std::string_view events_json, size_t& count) {
  json parsed = json::parse(events_json, nullptr, false);
  if (parsed.is_object())
    parsed = json::array({parsed});
  if (!parsed.is_array())
    return 2;
  count = parsed.size();
  std::vector<InboxEvent> events;
  for (const auto& e : parsed) {
    std::string problem;
    auto event = inboxEventFrom(e, problem);
    if (!event) {
      // Kept out of the inbox but not lost from sight: logged and counted.
      MetricsRegistry::global().counterAdd("baraza_inbox_rejected_events_total",
                                           {{"channel", channel}});
      spdlog::warn("inbox: an event from {} was not taken: {}", channel, problem);
      continue;
    }
    events.push_back(std::move(*event));
  }
  return inbox_->store(std::move(events)) ? 0 : 1;
}

void Pipeline::start() {
  stopping_ = false;
  for (int i = 0; i < config_.workers; ++i) {
    workers_.emplace_back([this] {
      while (!stopping_) {
        int done = 0;
        try {
          done = processDue(8);
        } catch (const std::exception& e) {
          spdlog::warn("pipeline worker: {}", e.what());
        }
        if (done == 0 && !stopping_) {
          long long now = clock_(), last = last_eviction_ms_;
          if (now - last > 10000 && last_eviction_ms_.compare_exchange_strong(last, now))
            scripts_->evictIdle();  // idle tenants' script states are closed
          inbox_->waitForEvents(std::chrono::milliseconds(config_.poll_ms));
        }
      }
    });
  }
  sender_->start();
}

void Pipeline::stop() {
  stopping_ = true;
  for (auto& w : workers_) {
    if (w.joinable())
      w.join();
  }
  workers_.clear();
  if (sender_)
    sender_->stop();
}

std::vector<ClaimedEvent> Pipeline::claim(int max) {
  long long now = clock_(), lock = now + config_.lock_ms;
  long long limit = max;
  // Due events whose contact has no earlier event still pending: one contact's messages are
  // processed one at a time, in order; an event whose claim expired (a crashed process) is due.
  std::string pick =
      "SELECT e.id FROM inbox_events e WHERE e.status IN ('pending', 'processing') AND "
      "e.next_attempt_ms <= :now AND (e.status = 'pending' OR e.locked_until_ms < :now2) AND NOT "
      "EXISTS (SELECT 1 FROM inbox_events p WHERE p.order_key = e.order_key AND p.id < e.id AND "
      "p.status IN ('pending', 'processing')) ORDER BY e.id LIMIT :n";
  if (db_.dialect() == Dialect::kPostgresql)
    pick += " FOR UPDATE SKIP LOCKED";
  std::vector<ClaimedEvent> claimed;
  TenantScope tx(db_, TenantScope::kAllTenants, true);
  soci::rowset<soci::row> rows =
      (tx.sql().prepare << "UPDATE inbox_events SET status = 'processing', attempts = attempts + "
                           "1, locked_until_ms = :lock WHERE id IN (" +
                               pick +
                               ") RETURNING id, kind, account_id, payload, attempts, order_key, "
                               "CAST(received_ms AS TEXT)",
       soci::use(lock), soci::use(now), soci::use(now), soci::use(limit));
  for (const auto& r : rows) {
    claimed.push_back({rowInt(r, 0), r.get<std::string>(1), r.get<std::string>(2),
                       r.get<std::string>(3), static_cast<int>(rowInt(r, 4)), r.get<std::string>(5),
                       rowInt(r, 6), lock});
  }
  tx.commit();
  return claimed;
}

int Pipeline::processDue(int max) {
  auto events = claim(max);
  for (const auto& e : events)
    process(e);
  return static_cast<int>(events.size());
}

std::shared_ptr<const TenantConfig> Pipeline::route(const json& event) {
  const json& account = event.contains("account") ? event["account"] : json();
  std::string channel = str(event, "channel");
  if (auto t = directory_.byPhoneNumberId(channel, str(account, "phone_number_id")))
    return t;
  std::string display = str(account, "display_phone_number");
  if (!display.empty()) {
    if (auto t = directory_.byDisplayNumber(channel, display))
      return t;
  }
  if (!config_.default_tenant.empty())
    return directory_.bySlug(config_.default_tenant);
  return nullptr;
}

bool Pipeline::renewClaim(const ClaimedEvent& claimed, long long until) {
  TenantScope tx(db_, TenantScope::kAllTenants, true);
  soci::statement st =
      (tx.sql().prepare << "UPDATE inbox_events SET locked_until_ms = :n WHERE id = :i AND status "
                           "= 'processing' AND locked_until_ms = :ours",
       soci::use(until), soci::use(claimed.id), soci::use(claimed.locked_until));
  st.execute(true);
  bool ours = st.get_affected_rows() > 0;
  tx.commit();
  if (ours)
    claimed.locked_until = until;
  return ours;
}

void Pipeline::process(const ClaimedEvent& claimed) {
  auto& metrics = MetricsRegistry::global();
  // An event claimed in a batch may wait behind others (an AI call takes seconds): past half
  // its lock it is renewed first, and skipped if another worker has taken it meanwhile.
  if (clock_() > claimed.locked_until - config_.lock_ms / 2) {
    try {
      if (!renewClaim(claimed, clock_() + config_.lock_ms)) {
        metrics.counterAdd("baraza_inbox_lost_claims_total", {});
        spdlog::info("inbox: event {} was taken by another worker while it waited", claimed.id);
        return;
      }
    } catch (const std::exception& e) {
      spdlog::warn("inbox: could not renew the claim of event {}: {}", claimed.id, e.what());
      return;  // it expires and is taken again
    }
  }
  try {
    json event = json::parse(claimed.payload, nullptr, false);
    if (!event.is_object())
      throw std::runtime_error("the stored event is not a JSON object");
    auto tenant = route(event);
    if (!tenant) {
      metrics.counterAdd("baraza_inbox_unrouted_total", {{"kind", claimed.kind}});
      spdlog::warn("inbox: event {} to unknown number {} stored as unrouted", claimed.id,
                   claimed.account_id);
      TenantScope tx(db_, TenantScope::kAllTenants, true);
      finish(tx.sql(), claimed.id, "unrouted", "");
      tx.commit();
      return;
    }
    if (claimed.kind == "message") {
      handleMessage(claimed, event, *tenant);
    } else if (claimed.kind == "status") {
      handleStatus(claimed, event, *tenant);
    } else {
      metrics.counterAdd("baraza_channel_errors_total", {{"tenant", tenant->slug}});
      spdlog::warn("tenant {}: channel error event: {}", tenant->slug,
                   claimed.payload.substr(0, 300));
      TenantScope tx(db_, TenantScope::kAllTenants, true);
      finish(tx.sql(), claimed.id, "done", tenant->slug);
      tx.commit();
    }
    metrics.counterAdd("baraza_inbox_processed_total", {{"kind", claimed.kind}});
  } catch (const LostClaim&) {
    metrics.counterAdd("baraza_inbox_lost_claims_total", {});
    spdlog::info("inbox: event {} was taken by another worker; this one stopped", claimed.id);
  } catch (const std::exception& e) {
    fail(claimed, e.what());
  }
}

void Pipeline::finish(soci::session& sql, long long id, const std::string& status,
                      const std::string& tenant_slug, const std::string& error) {
  long long now = clock_();
  soci::indicator si = tenant_slug.empty() ? soci::i_null : soci::i_ok;
  soci::indicator ei = error.empty() ? soci::i_null : soci::i_ok;
  sql << "UPDATE inbox_events SET status = :s, tenant_slug = :t, done_ms = :d, last_error = :e "
         "WHERE id = :i",
      soci::use(status), soci::use(tenant_slug, si), soci::use(now), soci::use(error, ei),
      soci::use(id);
}

void Pipeline::fail(const ClaimedEvent& claimed, const std::string& reason) {
  auto& metrics = MetricsRegistry::global();
  bool dead = claimed.attempts >= config_.max_attempts;
  metrics.counterAdd("baraza_inbox_failures_total", {{"outcome", dead ? "dead" : "retry"}});
  spdlog::warn("inbox: event {} failed (attempt {} of {}){}: {}", claimed.id, claimed.attempts,
               config_.max_attempts, dead ? ", dead-lettered" : "", reason);
  try {
    TenantScope tx(db_, TenantScope::kAllTenants, true);
    long long next =
        clock_() + backoffMs(claimed.attempts, config_.retry_base_ms, config_.retry_max_ms);
    std::string status = dead ? "dead" : "pending";
    std::string error = reason.substr(0, 1000);
    tx.sql() << "UPDATE inbox_events SET status = :s, next_attempt_ms = :n, locked_until_ms = 0, "
                "last_error = :e WHERE id = :i",
        soci::use(status), soci::use(next), soci::use(error), soci::use(claimed.id);
    tx.commit();
  } catch (const std::exception& e) {
    // The claim expires by itself and the event is taken again.
    spdlog::warn("inbox: could not record the failure of event {}: {}", claimed.id, e.what());
  }
}

void Pipeline::handleMessage(const ClaimedEvent& claimed, const json& event,
                             const TenantConfig& tenant) {
  auto& metrics = MetricsRegistry::global();
  long long started = clock_();
  const CachedChannel* account = nullptr;
  for (const auto& ch : tenant.channels) {
    if (ch.phone_number_id == claimed.account_id)
      account = &ch;
  }
  if (!account && !tenant.channels.empty())
    account = &tenant.channels.front();  // routed by display number or as the default tenant
  if (!account)
    throw std::runtime_error("tenant " + tenant.slug + " has no channel account");

  // One transaction for the records, the reply and the event's completion: a crash before
  // its commit redoes the whole step, after it never repeats it; the unique in_reply_to refuses
  // a second reply. A strategy that waits on the network (BARAZA_STRATEGY_WAITS: an AI
  // provider) splits it in two: the records commit before it waits and the reply is written in
  // a second transaction, so it holds no row, and no SQLite write lock, while it waits (webhooks
  // keep being acknowledged). A crash between the two redoes the step from the records, found
  // stored.
  std::optional<TenantScope> tx;
  tx.emplace(db_, tenant.id, true);
  UsageTally usage;  // written at the end, in one order
  auto sql = [&]() -> soci::session& { return tx->sql(); };
  std::string contact_id = upsertContact(sql(), tenant.id, str(event, "channel"),
                                         event.contains("from") ? event["from"] : json());
  std::string inbound_at = eventTime(event, started);
  ConversationRow conversation =
      touchConversation(sql(), db_.dialect(), tenant.id, contact_id, account->id, inbound_at);
  auto [message_id, is_new] =
      insertInboundMessage(sql(), tenant.id, conversation.id, contact_id, event);
  if (is_new) {
    metrics.counterAdd("baraza_messages_total", {{"direction", "inbound"}});
    usage.add("inbound");
  }
  if (is_new && !tenant.organization_id.empty()) {
    // The organization's lead (seed 004): one per person across its agents.
    LeadOutcome lead =
        recordLeadContact(sql(), db_.dialect(),
                          {tenant.organization_id, tenant.id, contact_id, conversation.id,
                           message_id, conversation.created, inbound_at, event});
    if (!lead.touch.empty())
      metrics.counterAdd("baraza_lead_touches_total", {{"kind", lead.touch}});
    if (lead.lead_id.empty()) {
      spdlog::warn("tenant {}: a message with neither phone nor user id joins no lead",
                   tenant.slug);
      metrics.counterAdd("baraza_lead_unidentified_total", {});
    }
    if (lead.identity_conflict) {
      spdlog::warn("tenant {}: lead {} shares a phone or user id with another lead; not merged",
                   tenant.slug, lead.lead_id);
      metrics.counterAdd("baraza_lead_identity_conflicts_total", {});
    }
  }
  if (is_new && tenant.active && tenant.settings.value("mark_as_read", false)) {
    // The blue ticks: a read receipt through the outbox, like any send.
    std::string receipt_id = newUuid(), to = str(event["from"], "wa_id");
    std::string request = json{{"kind", "mark_read"}, {"message_id", str(event, "id")}}.dump();
    long long now = clock_();
    sql() << "INSERT INTO outbox_messages (tenant_id, id, message_id, channel_account_id, "
             "recipient, request, next_attempt_ms, created_ms) VALUES (:t, :i, :m, :a, :to, :rq, "
             ":n, :c)",
        soci::use(tenant.id), soci::use(receipt_id), soci::use(message_id), soci::use(account->id),
        soci::use(to), soci::use(request), soci::use(now), soci::use(now);
  }

  // Whether the bot answers at all.
  const json& s = tenant.settings;
  std::string silent;
  if (!tenant.active)
    silent = "tenant_inactive";
  else if (!s.value("bot_enabled", true))
    silent = "bot_disabled";
  else if (!s.value("auto_reply", true))
    silent = "auto_reply_off";
  else if (!conversation.assigned_to.empty()) {
    auto since = parseIsoUtc(conversation.assigned_at);
    long long minutes = s.value("human_takeover_minutes", 60LL);
    bool expired = since && minutes > 0 && (started / 1000 - *since) > minutes * 60;
    if (!expired)
      silent = "human_takeover";
  }
  if (silent.empty() && escalationPauses(sql(), db_.dialect(), tenant.id, conversation.id,
                                         s.value("escalation_pause_minutes", 60LL), started))
    silent = "escalated";  // a person has it until the action is resolved
  // Debounce (seed 003): a contact's quick messages get one answer. The event waits until
  // debounce_seconds after it arrived; by then, if the contact wrote again, the later message
  // answers for all (this one is done without a reply), else this one answers with every
  // message since the conversation's last reply.
  long long debounce_ms = s.value("debounce_seconds", 0LL) * 1000;
  std::string combined;
  if (silent.empty() && debounce_ms > 0) {
    long long due = claimed.received_ms + debounce_ms;
    if (started < due) {
      sql() << "UPDATE inbox_events SET status = 'pending', next_attempt_ms = :n, attempts = "
               "attempts - 1, locked_until_ms = 0 WHERE id = :i",
          soci::use(due), soci::use(claimed.id);
      tx->commit();
      return;
    }
    long long later = 0;
    sql() << "SELECT COUNT(*) FROM inbox_events WHERE order_key = :k AND id > :i AND status IN "
             "('pending', 'processing')",
        soci::use(claimed.order_key), soci::use(claimed.id), soci::into(later);
    if (later > 0)
      silent = "debounced";
    else
      combined = textSinceLastReply(sql(), tenant.id, conversation.id);
  }

  // The tenant's script (docs/scripting.md, "When hooks run"): on_message for every new
  // message, then route, faq (at the chain's faq step), escalate and before_send.
  // (Not only for new messages: a debounced event's last pass finds its message stored.)
  ScriptSession script = tenant.active ? scripts_->open(tenant) : ScriptSession();
  std::optional<DatabaseScriptServices> services;
  ScriptInput script_input;
  std::optional<Escalation> escalation;
  std::string escalation_source = "script";
  std::optional<json> script_reply;
  bool open = tenantOpenAt(s, static_cast<std::time_t>(started / 1000));
  json message = event;
  if (!combined.empty()) {
    message["text"] = combined;  // what the contact wrote since the last reply
    message["combined"] = true;
  }
  if (script) {
    services.emplace(sql(), db_.dialect(), tenant, conversation.id, started);
    script_input = scriptInputFor(tenant, message, contact_id,
                                  {{"id", conversation.id},
                                   {"status", conversation.status},
                                   {"window_expires_at", conversation.window_expires_at},
                                   {"assigned_to", conversation.assigned_to}},
                                  started);
    runOnMessage(script, script_input, *services, script_reply, escalation);
  }

  // Limits and quotas (docs/limits.md), counted atomically in the database: past one, no
  // strategy runs (no AI call); the contact gets the tenant's limit reply once per period, and
  // a person is asked for once per period.
  LimitCheck limits;
  std::optional<Decision> decision;
  std::string limit_reply_period;  // the once-per-period mark taken for a limit reply
  if (silent.empty()) {
    if (auto stored = storedLimitCheck(sql(), tenant.id, message_id)) {
      limits = *stored;  // a retry: the first attempt's reservation, not another one
    } else {
      limits = checkLimits(sql(), tenant, contact_id, started);
      if (!limits.reserved.empty() || limits.ai_slot || !limits.exceeded.empty())
        storeLimitCheck(sql(), tenant.id, message_id, limits);  // for a retry to reuse
    }
    if (!limits.ai_exceeded.empty())
      metrics.counterAdd("baraza_limits_exceeded_total",
                         {{"tenant", tenant.slug}, {"limit", limits.ai_exceeded}});
    if (!limits.exceeded.empty()) {
      silent = "limit_exceeded";
      metrics.counterAdd("baraza_limits_exceeded_total",
                         {{"tenant", tenant.slug}, {"limit", limits.exceeded}});
      std::string period = periodKey(limits.period, started);
      std::string reply = s.value("limit_reply", std::string());
      if (!reply.empty() && takeUsage(sql(), tenant.id, contactScope(contact_id), period,
                                      "limit_reply:" + limits.exceeded, 1)) {
        decision = Decision{"limits", json{{"kind", "text"}, {"text", reply}}};
        decision->fallback = true;
        limit_reply_period = period;
      }
      bool per_contact = limits.exceeded == "max_messages_per_user_per_day";
      if (!escalation &&
          takeUsage(sql(), tenant.id, per_contact ? contactScope(contact_id) : "tenant", period,
                    "limit_escalation:" + limits.exceeded, 1)) {
        escalation = Escalation{"message limit exceeded (" + limits.exceeded + ")", "medium"};
        escalation_source = "limit";
      }
    }
  }
  if (silent.empty()) {
    std::string chain = s.value("strategies", std::string());
    if (script && !script_reply) {
      RouteChoice choice = runRoute(script, script_input, *services, escalation);
      script_reply = choice.reply;
      if (choice.chain)
        chain = *choice.chain;
      if (choice.silenced)
        silent = "script_silenced";
    }
    if (script_reply) {
      decision = Decision{"script", *script_reply};
    } else if (silent.empty()) {
      json input = strategyInput(sql(), tenant, message, message_id, conversation, open, started,
                                 limits, chainWaits(plugins_, chain));
      ChainHooks hooks;
      if (script.defines(Hook::kFaq)) {
        hooks.before = [&](const std::string& name) -> std::optional<Decision> {
          if (name != "faq")
            return std::nullopt;
          auto reply = runFaqHook(script, script_input, *services, escalation);
          if (!reply)
            return std::nullopt;
          return Decision{"faq", *reply};
        };
      }
      hooks.suspend = [&] {
        long long lock = clock_() + std::max<long long>(config_.lock_ms, kWaitingLockMs);
        soci::statement st =
            (sql().prepare << "UPDATE inbox_events SET locked_until_ms = :l WHERE id = :i AND "
                              "locked_until_ms = :ours",
             soci::use(lock), soci::use(claimed.id), soci::use(claimed.locked_until));
        st.execute(true);
        if (st.get_affected_rows() == 0)
          throw LostClaim();  // another worker has it: this one's work rolls back
        claimed.locked_until = lock;
        tx->commit();
        tx.reset();
        metrics.counterAdd("baraza_strategy_waits_total", {});
      };
      hooks.resume = [&] {
        tx.emplace(db_, tenant.id, true);
        if (services)
          services->rebind(sql());
      };
      ChainResult result = runStrategies(plugins_, chain, std::move(input), hooks);
      decision = std::move(result.decision);
      auto asked = decision && decision->escalate ? decision->escalate : result.escalate;
      if (asked && !escalation) {
        escalation = Escalation{asked->reason, asked->priority};
        escalation_source = asked->source;
      }
    }
    if (!decision && silent.empty())
      silent = "no_strategy_answered";
  }
  if (escalation) {  // asked for before a later hook failed: still recorded, by the defaults
    std::optional<json> told;
    std::optional<EscalationTarget> target =
        EscalationTarget{s.value("escalation_phone", std::string()), escalation->priority};
    if (script)
      target = runEscalate(script, script_input, *services, *escalation, told);
    if (target) {
      std::string action_id =
          recordEscalation(sql(), tenant.id, conversation.id, contact_id, message_id,
                           escalation->reason, *target, escalation_source);
      usage.add("escalations");
      // The assignee when it is a phone number, else the tenant's escalation phone.
      std::string phone =
          target->assignee.find_first_not_of("+0123456789 -()") == std::string::npos &&
                  !target->assignee.empty()
              ? target->assignee
              : s.value("escalation_phone", std::string());
      const json& from = event.contains("from") ? event["from"] : json();
      std::string who = str(from, "profile_name");
      std::string number = str(from, "wa_id");
      who = who.empty() ? number : who + " (" + number + ")";
      notifyEscalation(sql(), db_.dialect(), tenant, account->id, action_id, phone, who,
                       escalation->reason, str(message, "text"), clock_());
    }
    if (told && !decision && (silent.empty() || silent == "no_strategy_answered")) {
      decision = Decision{"script", *told};
      silent.clear();
    }
  }
  if (decision)
    usage.addAi(*decision);  // a model's answer is paid for even if the script vetoes it
  if (decision && script.defines(Hook::kBeforeSend)) {
    if (!runBeforeSend(script, script_input, *services, decision->reply)) {
      decision.reset();
      silent = "vetoed_by_script";
    }
  }

  // Only answered messages use up a limit, and only an AI answer an AI call; a vetoed limit
  // reply leaves the contact's once-per-period reply unused. Releases come before the usage
  // counters: every transaction locks counters in that one order.
  if (!decision) {
    releaseSlots(sql(), tenant.id, limits.reserved);
    if (!limit_reply_period.empty())
      addUsage(sql(), tenant.id, contactScope(contact_id), limit_reply_period,
               "limit_reply:" + limits.exceeded, -1);
  }
  if (limits.ai_slot && !(decision && decision->ai.is_object())) {
    std::vector<UsageSlot> unused{*limits.ai_slot};
    releaseSlots(sql(), tenant.id, unused);
  }
  if ((decision && decision->fallback) || silent == "no_strategy_answered") {
    int yes = 1;
    sql() << "UPDATE messages SET unanswered = :u WHERE tenant_id = :t AND id = :i", soci::use(yes),
        soci::use(tenant.id), soci::use(message_id);
  }
  if (decision) {
    if (queueReply(sql(), tenant, *account, conversation.id, contact_id, message_id, event,
                   *decision, started)) {
      usage.add("outbound");
      if (decision->strategy == "faq")
        usage.add("faq_answers");
    }
  } else {
    metrics.counterAdd("baraza_messages_unanswered_total", {{"reason", silent}});
  }
  usage.apply(sql(), tenant, started);
  finish(sql(), claimed.id, "done", tenant.slug);
  tx->commit();
  usage.publish(tenant);
  if (decision)
    sender_->wake();
  if (!script.quarantineReason().empty())
    quarantineScript(tenant, script.version(), script.quarantineReason());
}

bool Pipeline::queueReply(soci::session& sql, const TenantConfig& tenant,
                          const CachedChannel& account, const std::string& conversation_id,
                          const std::string& contact_id, const std::string& message_id,
                          const json& event, const Decision& decision, long long started) {
  auto& metrics = MetricsRegistry::global();
  std::string out_id = newUuid(), box_id = newUuid();
  json request = decision.reply;
  request["to"] = str(event["from"], "wa_id");
  request["reply_to"] = str(event, "id");
  std::string kind = request.value("kind", "text");
  std::string body = request.value("text", request.value("body", std::string()));
  std::string request_text = request.dump(-1, ' ', false, json::error_handler_t::replace);
  long long now = clock_(), took = now - started;
  std::string now_iso = isoNowMicros();
  std::string to = request["to"], queued;
  soci::indicator qi = soci::i_null;
  // One reply per inbound message: the outbox row goes first and a second one is refused.
  sql << "INSERT INTO outbox_messages (tenant_id, id, message_id, in_reply_to, "
         "channel_account_id, recipient, request, next_attempt_ms, created_ms) VALUES (:t, "
         ":i, :m, :r, :a, :to, :rq, :n, :c) ON CONFLICT (tenant_id, in_reply_to) DO NOTHING "
         "RETURNING CAST(id AS TEXT)",
      soci::use(tenant.id), soci::use(box_id), soci::use(out_id), soci::use(message_id),
      soci::use(account.id), soci::use(to), soci::use(request_text), soci::use(now), soci::use(now),
      soci::into(queued, qi);
  if (!sql.got_data() || qi != soci::i_ok)
    return false;  // answered already (a retry)
  auto ind = [](const std::string& v) { return v.empty() ? soci::i_null : soci::i_ok; };
  AnswerColumns a = answerColumns(decision);
  double score = a.knowledge_score.value_or(0);
  long long latency = a.ai_latency_ms.value_or(0), prompt = a.ai_prompt_tokens.value_or(0),
            completion = a.ai_completion_tokens.value_or(0);
  soci::indicator ki = ind(decision.knowledge_entry_id), ai = ind(decision.ai_model),
                  si = a.knowledge_score ? soci::i_ok : soci::i_null, pi = ind(a.ai_provider),
                  li = a.ai_latency_ms ? soci::i_ok : soci::i_null,
                  ti = a.ai_prompt_tokens ? soci::i_ok : soci::i_null,
                  ci = a.ai_completion_tokens ? soci::i_ok : soci::i_null;
  int ai_processed = decision.ai_model.empty() ? 0 : 1, fallback = a.fallback ? 1 : 0;
  sql << "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, "
         "message_type, body, payload, status, ai_processed, ai_model, knowledge_entry_id, "
         "strategy, processing_ms, in_reply_to, created_at, updated_at, knowledge_score, "
         "ai_provider, ai_latency_ms, ai_prompt_tokens, ai_completion_tokens, fallback) VALUES "
         "(:t, :i, :cv, :ct, 'outbound', :ty, :b, :p, 'queued', :ap, :am, :ke, :st, :pm, :r, :n, "
         ":n2, :ks, :apr, :al, :apt, :act, :fb)",
      soci::use(tenant.id), soci::use(out_id), soci::use(conversation_id), soci::use(contact_id),
      soci::use(kind), soci::use(body), soci::use(request_text), soci::use(ai_processed),
      soci::use(decision.ai_model, ai), soci::use(decision.knowledge_entry_id, ki),
      soci::use(decision.strategy), soci::use(took), soci::use(message_id), soci::use(now_iso),
      soci::use(now_iso), soci::use(score, si), soci::use(a.ai_provider, pi),
      soci::use(latency, li), soci::use(prompt, ti), soci::use(completion, ci), soci::use(fallback);
  metrics.counterAdd("baraza_replies_total", {{"strategy", decision.strategy}});
  metrics.histogramObserve("baraza_reply_decision_ms", {}, static_cast<double>(took),
                           {1, 5, 10, 50, 100, 500, 1000, 5000, 30000});
  return true;
}

void Pipeline::quarantineScript(const TenantConfig& tenant, int version,
                                const std::string& reason) {
  scripts_->markQuarantined(tenant.id, version);
  MetricsRegistry::global().counterAdd("baraza_script_quarantines_total",
                                       {{"tenant", tenant.slug}});
  spdlog::error(
      "script {} v{} quarantined: the tenant's messages get the default behaviour "
      "until another version is activated ({})",
      tenant.slug, version, reason);
  try {
    TenantScope tx(db_, tenant.id, true);
    quarantineScriptVersion(tx.sql(), tenant.id, version, reason);
    tx.commit();
  } catch (const std::exception& e) {
    spdlog::warn("script {} v{}: could not record its quarantine: {}", tenant.slug, version,
                 e.what());
  }
}

void Pipeline::handleStatus(const ClaimedEvent& claimed, const json& event,
                            const TenantConfig& tenant) {
  std::string wamid = str(event, "id"), status = str(event, "status");
  TenantScope tx(db_, tenant.id, true);
  soci::session& sql = tx.sql();
  if (!applyStatus(sql, tenant.id, wamid, status, event)) {
    // Not known yet: the send may not have recorded its id. Kept and applied when it does.
    long long now = clock_();
    std::string payload = claimed.payload;
    sql << "INSERT INTO pending_statuses (account_id, channel_message_id, status, payload, "
           "received_ms) VALUES (:a, :m, :s, :p, :n) ON CONFLICT DO NOTHING",
        soci::use(claimed.account_id), soci::use(wamid), soci::use(status), soci::use(payload),
        soci::use(now);
    MetricsRegistry::global().counterAdd("baraza_statuses_total", {{"result", "kept"}});
  } else {
    MetricsRegistry::global().counterAdd("baraza_statuses_total", {{"result", "applied"}});
  }
  finish(sql, claimed.id, "done", tenant.slug);
  tx.commit();
}

}  // namespace baraza
