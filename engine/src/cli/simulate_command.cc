#include <chrono>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/uuid.h"
#include "pipeline/inbox.h"
#include "pipeline/intake_events.h"
#include "storage/database.h"

namespace baraza {

// Queues one text message into the inbox, shaped as the WhatsApp channel normalizes a webhook:
// the running engine's workers take it like any other (routing, records, strategies, outbox).
int simulateCommand(const EngineConfig& config, const SimulateOptions& o) {
  Database db(config.database.url, 1, std::chrono::milliseconds(config.database.lease_timeout_ms));
  std::string tenant_id, phone_id, display;
  {
    TenantScope tx(db, TenantScope::kAllTenants);
    soci::indicator di = soci::i_null;
    tx.sql() << "SELECT CAST(t.id AS TEXT), c.phone_number_id, c.display_phone_number FROM "
                "tenants t JOIN channel_accounts c ON c.tenant_id = t.id WHERE t.slug = :s AND "
                "c.channel_type = 'whatsapp' AND c.active ORDER BY c.phone_number_id",
        soci::use(o.tenant), soci::into(tenant_id), soci::into(phone_id), soci::into(display, di);
    if (!tx.sql().got_data()) {
      std::fprintf(stderr, "baraza: simulate: no tenant '%s' with an active WhatsApp number\n",
                   o.tenant.c_str());
      return 1;
    }
    if (di != soci::i_ok)
      display.clear();
  }
  std::string wamid = "wamid.SIMULATED-" + newUuid();
  nlohmann::json event{
      {"channel", "whatsapp"},
      {"app", "simulate"},
      {"kind", "message"},
      {"account", {{"phone_number_id", phone_id}, {"display_phone_number", display}}},
      {"id", wamid},
      {"dedupe_key", "message:" + wamid},
      {"timestamp", std::to_string(std::time(nullptr))},
      {"from", {{"wa_id", o.from}, {"phone", o.from}, {"profile_name", "Simulated customer"}}},
      {"type", "text"},
      {"text", o.text}};
  std::string problem;
  auto inbox_event = inboxEventFrom(event, problem);
  Inbox inbox(db, systemNowMs);
  if (!inbox_event || !inbox.store({*inbox_event})) {
    std::fprintf(stderr, "baraza: simulate: the message could not be stored %s\n", problem.c_str());
    return 1;
  }
  std::printf(
      "queued %s from %s to %s (%s); the running engine answers it: see its log and\n"
      "GET /admin/v1/tenants/%s/messages\n",
      wamid.c_str(), o.from.c_str(), o.tenant.c_str(), phone_id.c_str(), o.tenant.c_str());
  if (!o.wait)
    return 0;
  for (int i = 0; i < 150; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string body, status, done;
    soci::indicator bi = soci::i_null;
    bool replied = false, processed = false;
    {
      TenantScope tx(db, tenant_id);
      tx.sql() << "SELECT o.body, o.status FROM messages o JOIN messages i ON i.tenant_id = "
                  "o.tenant_id AND i.id = o.in_reply_to WHERE o.tenant_id = :t AND "
                  "i.channel_message_id = :m",
          soci::use(tenant_id), soci::use(wamid), soci::into(body, bi), soci::into(status);
      replied = tx.sql().got_data();
    }
    if (replied && status != "queued") {
      std::printf("reply (%s): %s\n", status.c_str(), bi == soci::i_ok ? body.c_str() : "");
      return 0;
    }
    if (!replied) {
      TenantScope all(db, TenantScope::kAllTenants);
      std::string key = "message:" + wamid;
      all.sql() << "SELECT status FROM inbox_events WHERE dedupe_key = :k", soci::use(key),
          soci::into(done);
      processed = all.sql().got_data() && done == "done";
    }
    if (processed) {
      // Processed without a reply: the bot chose to stay silent.
      std::printf(
          "no reply: the engine processed it and stayed silent (an open escalation, a person's "
          "turn, or nothing answered; baraza_messages_unanswered_total says which)\n");
      return 0;
    }
  }
  std::printf("no reply sent within 15 s: is `baraza serve` running on this database?\n");
  return 1;
}

}  // namespace baraza
