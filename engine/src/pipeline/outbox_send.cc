// One send of the outbox: what goes (the window, the template), when (pacing), and what the
// channel's answer means.
#include <cstring>

#include <spdlog/spdlog.h>

#include "core/iso_time.h"
#include "core/metrics.h"
#include "log/redactor.h"
#include "pipeline/backoff.h"
#include "pipeline/inbound_event.h"
#include "pipeline/outbox_dispatcher.h"

namespace baraza {
namespace {

using nlohmann::json;

SendResult settled(const ClaimedSend& s, const std::string& outbox_status,
                   const std::string& message_status, const std::string& code,
                   const std::string& error) {
  SendResult r(s, SendResult::Kind::kSettled);
  r.outbox_status = outbox_status;
  r.message_status = message_status;
  r.error_code = code;
  r.error = error;
  return r;
}

SendResult later(const ClaimedSend& s, SendResult::Kind kind, long long at_ms,
                 const std::string& error) {
  SendResult r(s, kind);
  r.at_ms = at_ms;
  r.error = error;
  return r;
}

json reengagement(const TenantConfig& tenant, const std::string& recipient) {
  return {{"kind", "template"},
          {"to", recipient},
          {"template",
           {{"name", tenant.settings.value("reengagement_template", std::string())},
            {"language", tenant.settings.value("reengagement_language", std::string("en"))}}}};
}

const CachedChannel* accountOf(const TenantConfig& tenant, const std::string& account_id) {
  for (const auto& ch : tenant.channels) {
    if (ch.id == account_id)
      return &ch;
  }
  return nullptr;
}

}  // namespace

SendResult OutboxDispatcher::send(const ClaimedSend& s) {
  auto& metrics = MetricsRegistry::global();
  long long now = clock_.nowMs();
  auto tenant = directory_.byId(s.tenant_id);
  const CachedChannel* account = tenant ? accountOf(*tenant, s.account_id) : nullptr;
  if (!account) {
    return later(s, SendResult::Kind::kRetry, now + config_.retry_base_ms,
                 "tenant or account not loaded yet");
  }
  json request = json::parse(s.request, nullptr, false);
  if (!request.is_object())
    return settled(s, "dead", "failed", "", "the queued request is not a JSON object");
  // A read receipt (settings.mark_as_read) is not a message to the customer: no window, no gap
  // per recipient, and its result leaves the message rows alone.
  const bool receipt = jsonText(request, "kind") == "mark_read";
  // The 24-hour customer-service window: outside it only a template may go.
  auto expires = parseIsoUtc(s.window_expires_at);
  bool outside = !receipt && expires && now / 1000 > *expires;
  bool has_template = !tenant->settings.value("reengagement_template", std::string()).empty();
  if (outside && jsonText(request, "kind") != "template") {
    if (!has_template) {
      metrics.counterAdd("baraza_sends_total", {{"result", "blocked_by_window"}});
      return settled(s, "blocked_by_window", "blocked_by_window", "", "outside the 24-hour window");
    }
    request = reengagement(*tenant, s.recipient);
  }
  long long wait =
      pacer_.take(account->phone_number_id, receipt ? "receipt:" + s.id : s.recipient, now);
  if (wait > 0) {
    metrics.counterAdd("baraza_sends_paced_total", {});
    return later(s, SendResult::Kind::kPaced, now + wait, "");
  }
  return callChannel(s, *tenant, *account, std::move(request), receipt);
}

SendResult OutboxDispatcher::callChannel(const ClaimedSend& s, const TenantConfig& tenant,
                                         const CachedChannel& account, json request, bool receipt) {
  auto& metrics = MetricsRegistry::global();
  long long now = clock_.nowMs();
  auto token = sealer_.open(account.access_token_sealed,
                            {s.tenant_id, "channel_accounts", account.id, "access_token_sealed"});
  if (!token) {
    metrics.counterAdd("baraza_sends_total", {{"result", "dead"}});
    spdlog::error("tenant {}: the access token of {} does not open; send dead-lettered",
                  tenant.slug, account.phone_number_id);
    return settled(s, "dead", receipt ? "" : "failed", "credentials",
                   "the access token does not open");
  }
  // Graph may quote the token back in an error; the quote must not reach a log, a row or a
  // response.
  Redactor::instance().add(*token);
  const LoadedPlugin* channel = plugins_.find(account.type);
  if (!channel || !channel->channel || !channel->instance) {
    return later(s, SendResult::Kind::kRetry, now + config_.retry_base_ms,
                 "channel plugin " + account.type + " is not loaded");
  }
  bool is_template = jsonText(request, "kind") == "template";
  request["account"] = {{"phone_number_id", account.phone_number_id}, {"access_token", *token}};
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
    SendResult r(s, SendResult::Kind::kSent);
    r.receipt = receipt;
    r.channel_id = jsonText(result, "id");
    r.account_number = account.phone_number_id;
    return r;
  }
  std::string cls = jsonText(result, "class"), reason = jsonText(result, "reason");
  if (cls.empty())
    cls = "fatal";
  if (reason.empty())
    reason = "unknown";
  std::string code = result.contains("code") ? result["code"].dump() : "";
  std::string detail = Redactor::instance().redact(
      reason + (result.contains("message") ? ": " + jsonText(result, "message") : std::string()));
  if (cls == "retry_later") {
    if (s.attempts >= config_.max_attempts) {
      metrics.counterAdd("baraza_sends_total", {{"result", "dead"}});
      spdlog::warn("tenant {}: send {} dead-lettered after {} attempts: {}", tenant.slug, s.id,
                   s.attempts, detail);
      return settled(s, "dead", receipt ? "" : "failed", code, detail);
    }
    long long suggested = result.contains("retry_after_ms") && result["retry_after_ms"].is_number()
                              ? result["retry_after_ms"].get<long long>()
                              : 0;
    metrics.counterAdd("baraza_sends_total", {{"result", "retry"}});
    return later(
        s, SendResult::Kind::kRetry,
        now + backoffMs(s.attempts, config_.retry_base_ms, config_.retry_max_ms, suggested),
        detail);
  }
  if (cls == "outside_window") {
    if (!tenant.settings.value("reengagement_template", std::string()).empty() && !is_template) {
      // Meta says the window closed: the re-engagement template goes instead.
      metrics.counterAdd("baraza_sends_total", {{"result", "template_fallback"}});
      SendResult r = later(s, SendResult::Kind::kNewRequest, now, "");
      r.request = reengagement(tenant, s.recipient).dump();
      return r;
    }
    metrics.counterAdd("baraza_sends_total", {{"result", "blocked_by_window"}});
    return settled(s, "blocked_by_window", "blocked_by_window", code, detail);
  }
  metrics.counterAdd("baraza_sends_total", {{"result", "dead"}});
  metrics.counterAdd("baraza_send_fatal_total", {{"tenant", tenant.slug}, {"reason", reason}});
  spdlog::error("tenant {}: send {} failed for good ({}); dead-lettered", tenant.slug, s.id,
                detail);
  return settled(s, "dead", receipt ? "" : "failed", code, detail);
}

}  // namespace baraza
