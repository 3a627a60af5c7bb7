#include "pipeline/outbox_sender.h"

#include <cstring>

#include <spdlog/spdlog.h>

#include "core/iso_time.h"
#include "core/metrics.h"
#include "pipeline/backoff.h"
#include "pipeline/records.h"

namespace baraza {

using nlohmann::json;

OutboxSender::OutboxSender(Database& db, const Sealer& sealer, const TenantDirectory& directory,
                           const PluginHost& plugins, PipelineConfig config, Clock clock)
    : db_(db),
      sealer_(sealer),
      directory_(directory),
      plugins_(plugins),
      config_(std::move(config)),
      clock_(std::move(clock)),
      pacer_(config_.per_number_rate, config_.pair_interval_ms) {}

OutboxSender::~OutboxSender() {
  stop();
}

void OutboxSender::start() {
  stopping_ = false;
  for (int i = 0; i < config_.senders; ++i) {
    threads_.emplace_back([this] {
      while (!stopping_) {
        int sent = 0;
        try {
          sent = sendDue(1);
        } catch (const std::exception& e) {
          spdlog::warn("outbox sender: {}", e.what());
        }
        if (sent == 0 && !stopping_) {
          std::unique_lock lock(mutex_);
          unsigned long long seen = wakes_;
          wake_.wait_for(lock, std::chrono::milliseconds(config_.poll_ms),
                         [&] { return stopping_ || wakes_ != seen; });
        }
      }
    });
  }
}

void OutboxSender::stop() {
  stopping_ = true;
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable())
      t.join();
  }
  threads_.clear();
}

void OutboxSender::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakes_;
  }
  wake_.notify_one();
}

int OutboxSender::sendDue(int max) {
  int taken = 0;
  Row row;
  while (taken < max && claimOne(row)) {
    ++taken;
    send(row);
  }
  return taken;
}

bool OutboxSender::claimOne(Row& row) {
  long long now = clock_(), lock = now + config_.lock_ms;
  std::string pick =
      "SELECT tenant_id, id FROM outbox_messages WHERE status IN ('pending', 'sending') AND "
      "next_attempt_ms <= :now AND (status = 'pending' OR locked_until_ms < :now2) ORDER BY "
      "next_attempt_ms LIMIT 1";
  if (db_.dialect() == Dialect::kPostgresql)
    pick += " FOR UPDATE SKIP LOCKED";
  TenantScope tx(db_, TenantScope::kAllTenants, true);
  soci::rowset<soci::row> rows =
      (tx.sql().prepare << "UPDATE outbox_messages SET status = 'sending', attempts = attempts + "
                           "1, locked_until_ms = :lock WHERE (tenant_id, id) IN (" +
                               pick +
                               ") RETURNING CAST(tenant_id AS TEXT), CAST(id AS TEXT), "
                               "CAST(message_id AS TEXT), CAST(channel_account_id AS TEXT), "
                               "recipient, request, attempts, (SELECT COALESCE(CAST("
                               "c.window_expires_at AS TEXT), '') FROM messages m JOIN "
                               "conversations c ON c.tenant_id = m.tenant_id AND c.id = "
                               "m.conversation_id WHERE m.tenant_id = outbox_messages.tenant_id "
                               "AND m.id = outbox_messages.message_id)",
       soci::use(lock), soci::use(now), soci::use(now));
  bool found = false;
  for (const auto& r : rows) {
    row = {r.get<std::string>(0),
           r.get<std::string>(1),
           r.get<std::string>(2),
           r.get<std::string>(3),
           r.get<std::string>(4),
           r.get<std::string>(5),
           static_cast<int>(rowInt(r, 6)),
           r.get_indicator(7) == soci::i_ok ? r.get<std::string>(7) : std::string()};
    found = true;
  }
  tx.commit();
  return found;
}

void OutboxSender::reschedule(const Row& row, long long at_ms, bool count_attempt,
                              const std::string& error) {
  TenantScope tx(db_, row.tenant_id, true);
  int attempts = count_attempt ? row.attempts : row.attempts - 1;
  soci::indicator ei = error.empty() ? soci::i_null : soci::i_ok;
  tx.sql() << "UPDATE outbox_messages SET status = 'pending', next_attempt_ms = :n, "
              "locked_until_ms = 0, attempts = :a, last_error = COALESCE(:e, last_error) WHERE "
              "tenant_id = :t AND CAST(id AS TEXT) = :i",
      soci::use(at_ms), soci::use(attempts), soci::use(error, ei), soci::use(row.tenant_id),
      soci::use(row.id);
  tx.commit();
}

void OutboxSender::settle(const Row& row, const std::string& outbox_status,
                          const std::string& message_status, const std::string& error_code,
                          const std::string& error) {
  TenantScope tx(db_, row.tenant_id, true);
  soci::session& sql = tx.sql();
  sql << "UPDATE outbox_messages SET status = :s, locked_until_ms = 0, last_error = :e WHERE "
         "tenant_id = :t AND CAST(id AS TEXT) = :i",
      soci::use(outbox_status), soci::use(error), soci::use(row.tenant_id), soci::use(row.id);
  if (!message_status.empty()) {
    std::string now = isoNowMicros();
    sql << "UPDATE messages SET status = :s, error_code = :c, error_message = :e, updated_at = "
           ":n WHERE tenant_id = :t AND CAST(id AS TEXT) = :i",
        soci::use(message_status), soci::use(error_code), soci::use(error), soci::use(now),
        soci::use(row.tenant_id), soci::use(row.message_id);
  }
  tx.commit();
}

void OutboxSender::recordSent(const Row& row, const std::string& account_phone,
                              const std::string& wamid) {
  TenantScope tx(db_, row.tenant_id, true);
  soci::session& sql = tx.sql();
  long long now = clock_();
  sql << "UPDATE outbox_messages SET status = 'sent', sent_ms = :n, locked_until_ms = 0 WHERE "
         "tenant_id = :t AND CAST(id AS TEXT) = :i",
      soci::use(now), soci::use(row.tenant_id), soci::use(row.id);
  std::string iso = isoNowMicros();
  sql << "UPDATE messages SET channel_message_id = :m, status = CASE WHEN status = 'queued' THEN "
         "'sent' ELSE status END, updated_at = :n WHERE tenant_id = :t AND CAST(id AS TEXT) = :i",
      soci::use(wamid), soci::use(iso), soci::use(row.tenant_id), soci::use(row.message_id);
  // Statuses that came before we knew the id.
  std::vector<std::pair<std::string, std::string>> early;
  {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT status, payload FROM pending_statuses WHERE account_id = :a AND "
                        "channel_message_id = :m ORDER BY received_ms",
         soci::use(account_phone), soci::use(wamid));
    for (const auto& r : rows)
      early.emplace_back(r.get<std::string>(0), r.get<std::string>(1));
  }
  for (const auto& [status, payload] : early) {
    applyStatus(sql, row.tenant_id, wamid, status, json::parse(payload, nullptr, false));
  }
  if (!early.empty()) {
    sql << "DELETE FROM pending_statuses WHERE account_id = :a AND channel_message_id = :m",
        soci::use(account_phone), soci::use(wamid);
  }
  tx.commit();
}

void OutboxSender::send(const Row& row) {
  auto& metrics = MetricsRegistry::global();
  auto tenant = directory_.byId(row.tenant_id);
  const CachedChannel* account = nullptr;
  if (tenant) {
    for (const auto& ch : tenant->channels) {
      if (ch.id == row.account_id)
        account = &ch;
    }
  }
  if (!account) {
    reschedule(row, clock_() + config_.retry_base_ms, true, "tenant or account not loaded yet");
    return;
  }
  json request = json::parse(row.request, nullptr, false);
  long long now = clock_();
  // A read receipt (settings.mark_as_read) is not a message to the customer: no window, no
  // gap per recipient, and its result leaves the message rows alone.
  const bool receipt = request.value("kind", "") == "mark_read";

  // The 24-hour customer-service window: outside it only a template may go.
  auto expires = parseIsoUtc(row.window_expires_at);
  bool outside = !receipt && expires && now / 1000 > *expires;
  std::string tmpl = tenant->settings.value("reengagement_template", std::string());
  if (outside && request.value("kind", "") != "template") {
    if (tmpl.empty()) {
      metrics.counterAdd("baraza_sends_total", {{"result", "blocked_by_window"}});
      settle(row, "blocked_by_window", "blocked_by_window", "", "outside the 24-hour window");
      return;
    }
    request = {
        {"kind", "template"},
        {"to", row.recipient},
        {"template",
         {{"name", tmpl},
          {"language", tenant->settings.value("reengagement_language", std::string("en"))}}}};
  }

  long long wait =
      pacer_.take(account->phone_number_id, receipt ? "receipt:" + row.id : row.recipient, now);
  if (wait > 0) {
    metrics.counterAdd("baraza_sends_paced_total", {});
    reschedule(row, now + wait, false, "");
    return;
  }
  auto token = sealer_.open(account->access_token_sealed, {row.tenant_id, "channel_accounts",
                                                           account->id, "access_token_sealed"});
  if (!token) {
    metrics.counterAdd("baraza_sends_total", {{"result", "dead"}});
    spdlog::error("tenant {}: the access token of {} does not open; send dead-lettered",
                  tenant->slug, account->phone_number_id);
    settle(row, "dead", receipt ? "" : "failed", "credentials", "the access token does not open");
    return;
  }
  request["account"] = {{"phone_number_id", account->phone_number_id}, {"access_token", *token}};
  const LoadedPlugin* channel = plugins_.find(account->type);
  if (!channel || !channel->channel || !channel->instance) {
    reschedule(row, now + config_.retry_base_ms, true,
               "channel plugin " + account->type + " is not loaded");
    return;
  }
  std::string text = request.dump();
  std::string out(16 * 1024, '\0');
  channel->channel->send(channel->instance, text.data(), text.size(), out.data(), out.size());
  std::fill(text.begin(), text.end(), '\0');  // the token leaves memory with the request
  out.resize(strnlen(out.data(), out.size()));
  json result = json::parse(out, nullptr, false);
  if (!result.is_object())
    result = {{"ok", false}, {"class", "retry_later"}, {"reason", "unreadable_result"}};
  if (result.value("ok", false)) {
    metrics.counterAdd("baraza_sends_total", {{"result", receipt ? "receipt" : "sent"}});
    if (receipt)
      settle(row, "sent", "", "", "");
    else
      recordSent(row, account->phone_number_id, result.value("id", ""));
    return;
  }
  std::string cls = result.value("class", "fatal"), reason = result.value("reason", "unknown");
  std::string code = result.contains("code") ? result["code"].dump() : "";
  std::string detail =
      reason + (result.contains("message") ? ": " + result.value("message", "") : std::string());
  if (cls == "retry_later") {
    if (row.attempts >= config_.max_attempts) {
      metrics.counterAdd("baraza_sends_total", {{"result", "dead"}});
      spdlog::warn("tenant {}: send {} dead-lettered after {} attempts: {}", tenant->slug, row.id,
                   row.attempts, detail);
      settle(row, "dead", receipt ? "" : "failed", code, detail);
      return;
    }
    long long delay = backoffMs(row.attempts, config_.retry_base_ms, config_.retry_max_ms,
                                result.value("retry_after_ms", 0LL));
    metrics.counterAdd("baraza_sends_total", {{"result", "retry"}});
    reschedule(row, now + delay, true, detail);
  } else if (cls == "outside_window") {
    if (!tmpl.empty() && request.value("kind", "") != "template") {
      // Meta says the window closed: the re-engagement template goes instead.
      json fallback = {
          {"kind", "template"},
          {"to", row.recipient},
          {"template",
           {{"name", tmpl},
            {"language", tenant->settings.value("reengagement_language", std::string("en"))}}}};
      TenantScope tx(db_, row.tenant_id, true);
      std::string fallback_text = fallback.dump();
      tx.sql() << "UPDATE outbox_messages SET request = :r, status = 'pending', locked_until_ms "
                  "= 0, next_attempt_ms = :n WHERE tenant_id = :t AND CAST(id AS TEXT) = :i",
          soci::use(fallback_text), soci::use(now), soci::use(row.tenant_id), soci::use(row.id);
      tx.commit();
      metrics.counterAdd("baraza_sends_total", {{"result", "template_fallback"}});
      wake();
      return;
    }
    metrics.counterAdd("baraza_sends_total", {{"result", "blocked_by_window"}});
    settle(row, "blocked_by_window", "blocked_by_window", code, detail);
  } else {
    metrics.counterAdd("baraza_sends_total", {{"result", "dead"}});
    metrics.counterAdd("baraza_send_fatal_total", {{"tenant", tenant->slug}, {"reason", reason}});
    spdlog::error("tenant {}: send {} failed for good ({}); dead-lettered", tenant->slug, row.id,
                  detail);
    settle(row, "dead", receipt ? "" : "failed", code, detail);
  }
}

}  // namespace baraza
