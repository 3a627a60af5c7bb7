#include "pipeline/records.h"

#include <spdlog/spdlog.h>

#include "core/iso_time.h"
#include "core/metrics.h"
#include "core/uuid.h"

namespace baraza {

std::string upsertContact(soci::session& sql, const std::string& tenant,
                          const std::string& channel_type, const nlohmann::json& from) {
  auto field = [&](const char* name) {
    return from.is_object() && from.contains(name) && from[name].is_string()
               ? from[name].get<std::string>()
               : std::string();
  };
  std::string user_id = field("user_id"), wa_id = field("wa_id"), phone = field("phone"),
              username = field("username"), name = field("profile_name");
  if (phone.empty())
    phone = wa_id;
  auto ind = [](const std::string& v) { return v.empty() ? soci::i_null : soci::i_ok; };
  soci::indicator ui = ind(user_id), wi = ind(wa_id), pi = ind(phone), ni = ind(username),
                  pni = ind(name);
  std::string now = isoNowMicros();
  // One statement for a known contact: found by the business-scoped id when Meta sends one,
  // else by wa_id; what is known stays known (a later event without a field does not erase it).
  std::string id;
  soci::indicator ii = soci::i_null;
  std::string key_column = user_id.empty() ? "wa_id" : "business_user_id";
  const std::string& key = user_id.empty() ? wa_id : user_id;
  // A person known by a business-scoped id may bring a wa_id that an older contact (from before
  // Meta sent the ids) holds: that contact keeps it, this one goes on without it (counted),
  // instead of the unique wa_id refusing the message for good.
  std::string kept_wa_id;
  soci::indicator ki = soci::i_null;
  sql << "UPDATE contacts SET business_user_id = COALESCE(:u, business_user_id), wa_id = CASE "
         "WHEN EXISTS (SELECT 1 FROM contacts o WHERE o.tenant_id = :t0 AND o.channel_type = :c0 "
         "AND o.wa_id = :w0 AND o.id <> contacts.id) THEN wa_id ELSE COALESCE(:w, wa_id) END, "
         "phone = COALESCE(:p, phone), username = COALESCE(:n, username), profile_name = "
         "COALESCE(:pn, profile_name), last_seen_at = :now WHERE tenant_id = :t AND channel_type "
         "= :c AND " +
             key_column + " = :k RETURNING CAST(id AS TEXT), wa_id",
      soci::use(user_id, ui), soci::use(tenant), soci::use(channel_type), soci::use(wa_id, wi),
      soci::use(wa_id, wi), soci::use(phone, pi), soci::use(username, ni), soci::use(name, pni),
      soci::use(now), soci::use(tenant), soci::use(channel_type), soci::use(key),
      soci::into(id, ii), soci::into(kept_wa_id, ki);
  if (sql.got_data() && ii == soci::i_ok) {
    if (!wa_id.empty() && (ki != soci::i_ok || kept_wa_id != wa_id)) {
      spdlog::warn("tenant {}: contact {} arrived with a wa_id another contact holds; not moved",
                   tenant, id);
      MetricsRegistry::global().counterAdd("baraza_contact_identity_conflicts_total", {});
    }
    return id;
  }
  if (!user_id.empty() && !wa_id.empty()) {
    // Known by wa_id from before Meta sent a business-scoped id: the same person.
    sql << "UPDATE contacts SET business_user_id = :u, username = COALESCE(:n, username), "
           "profile_name = COALESCE(:pn, profile_name), last_seen_at = :now WHERE tenant_id = :t "
           "AND channel_type = :c AND wa_id = :w RETURNING CAST(id AS TEXT)",
        soci::use(user_id), soci::use(username, ni), soci::use(name, pni), soci::use(now),
        soci::use(tenant), soci::use(channel_type), soci::use(wa_id), soci::into(id, ii);
    if (sql.got_data() && ii == soci::i_ok)
      return id;
  }
  id = newUuid();
  sql << "INSERT INTO contacts (tenant_id, id, channel_type, wa_id, phone, business_user_id, "
         "username, profile_name, first_seen_at, last_seen_at) VALUES (:t, :i, :c, :w, :p, :u, "
         ":n, :pn, :now, :now2)",
      soci::use(tenant), soci::use(id), soci::use(channel_type), soci::use(wa_id, wi),
      soci::use(phone, pi), soci::use(user_id, ui), soci::use(username, ni), soci::use(name, pni),
      soci::use(now), soci::use(now);
  return id;
}

// The optional columns a conversation query read as NULL, as "".
static void clearNulls(ConversationRow& c, soci::indicator assigned_to, soci::indicator assigned_at,
                       soci::indicator window) {
  if (assigned_to != soci::i_ok)
    c.assigned_to.clear();
  if (assigned_at != soci::i_ok)
    c.assigned_at.clear();
  if (window != soci::i_ok)
    c.window_expires_at.clear();
}

std::optional<ConversationRow> readConversation(soci::session& sql, const std::string& tenant,
                                                const std::string& id) {
  ConversationRow c;
  soci::indicator ai = soci::i_null, ati = soci::i_null, wi = soci::i_null;
  sql << "SELECT CAST(id AS TEXT), status, assigned_to, CAST(assigned_at AS TEXT), "
         "CAST(window_expires_at AS TEXT) FROM conversations WHERE tenant_id = :t AND "
         "CAST(id AS TEXT) = :i",
      soci::use(tenant), soci::use(id), soci::into(c.id), soci::into(c.status),
      soci::into(c.assigned_to, ai), soci::into(c.assigned_at, ati),
      soci::into(c.window_expires_at, wi);
  if (!sql.got_data())
    return std::nullopt;
  clearNulls(c, ai, ati, wi);
  return c;
}

ConversationRow touchConversation(soci::session& sql, Dialect d, const std::string& tenant,
                                  const std::string& contact_id, const std::string& account_id,
                                  const std::string& inbound_at) {
  auto at = parseIsoUtc(inbound_at);
  std::string window = formatIsoUtc((at ? *at : std::time(nullptr)) + 24 * 3600);
  // The open conversation, moved forward in one statement. Messages may be processed out of
  // Meta's order after retries: the window and the last message time only grow.
  std::string later = d == Dialect::kSqlite
                          ? "MAX(COALESCE(window_expires_at, ''), :w)"
                          : "GREATEST(window_expires_at, CAST(:w AS TIMESTAMPTZ))";
  std::string last = d == Dialect::kSqlite ? "MAX(last_message_at, :l)"
                                           : "GREATEST(last_message_at, CAST(:l AS TIMESTAMPTZ))";
  ConversationRow c;
  soci::indicator ii = soci::i_null, ai = soci::i_null, ati = soci::i_null, wi = soci::i_null;
  sql << "UPDATE conversations SET window_expires_at = " + later + ", last_message_at = " + last +
             " WHERE tenant_id = :t AND id = (SELECT id FROM conversations WHERE tenant_id = :t2 "
             "AND contact_id = :c AND channel_account_id = :a AND status <> 'closed' ORDER BY "
             "last_message_at DESC LIMIT 1) RETURNING CAST(id AS TEXT), status, assigned_to, "
             "CAST(assigned_at AS TEXT), CAST(window_expires_at AS TEXT)",
      soci::use(window), soci::use(inbound_at), soci::use(tenant), soci::use(tenant),
      soci::use(contact_id), soci::use(account_id), soci::into(c.id, ii), soci::into(c.status),
      soci::into(c.assigned_to, ai), soci::into(c.assigned_at, ati),
      soci::into(c.window_expires_at, wi);
  if (sql.got_data() && ii == soci::i_ok) {
    clearNulls(c, ai, ati, wi);
    return c;
  }
  c = ConversationRow{newUuid(), "open", "", "", window, true};
  sql << "INSERT INTO conversations (tenant_id, id, contact_id, channel_account_id, "
         "window_expires_at, started_at, last_message_at) VALUES (:t, :i, :c, :a, :w, :s, :l)",
      soci::use(tenant), soci::use(c.id), soci::use(contact_id), soci::use(account_id),
      soci::use(window), soci::use(inbound_at), soci::use(inbound_at);
  return c;
}

std::string messageText(const nlohmann::json& e) {
  auto str = [](const nlohmann::json& obj, const char* name) {
    return obj.is_object() && obj.contains(name) && obj[name].is_string()
               ? obj[name].get<std::string>()
               : std::string();
  };
  std::string text = str(e, "text");
  if (text.empty() && e.contains("media"))
    text = str(e["media"], "caption");
  if (text.empty() && e.contains("interactive"))
    text = str(e["interactive"], "title");
  if (text.empty() && e.contains("button"))
    text = str(e["button"], "text");
  return text;
}

std::pair<std::string, bool> insertInboundMessage(soci::session& sql, const std::string& tenant,
                                                  const std::string& conversation_id,
                                                  const std::string& contact_id,
                                                  const nlohmann::json& event) {
  std::string wamid = event.value("id", "");
  std::string id = newUuid(), type = event.value("type", "unknown"), text = messageText(event);
  std::string payload = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  soci::indicator ti = text.empty() ? soci::i_null : soci::i_ok;
  std::string now = isoNowMicros();
  std::string inserted;
  soci::indicator ii = soci::i_null;
  sql << "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, "
         "channel_message_id, message_type, body, payload, status, created_at, updated_at) "
         "VALUES (:t, :i, :cv, :ct, 'inbound', :m, :ty, :b, :p, 'received', :n, :n2) ON CONFLICT "
         "(tenant_id, direction, channel_message_id) DO NOTHING RETURNING CAST(id AS TEXT)",
      soci::use(tenant), soci::use(id), soci::use(conversation_id), soci::use(contact_id),
      soci::use(wamid), soci::use(type), soci::use(text, ti), soci::use(payload), soci::use(now),
      soci::use(now), soci::into(inserted, ii);
  if (sql.got_data() && ii == soci::i_ok)
    return {id, true};
  // Stored before (a redelivery processed twice, or a step redone after a crash).
  std::string existing;
  sql << "SELECT CAST(id AS TEXT) FROM messages WHERE tenant_id = :t AND direction = 'inbound' "
         "AND channel_message_id = :m",
      soci::use(tenant), soci::use(wamid), soci::into(existing);
  return {existing, false};
}

int statusRank(const std::string& status) {
  if (status == "queued")
    return 0;
  if (status == "sent")
    return 1;
  if (status == "delivered")
    return 2;
  if (status == "read")
    return 3;
  if (status == "played")
    return 4;
  return -1;
}

}  // namespace baraza

namespace baraza {

bool applyStatus(soci::session& sql, const std::string& tenant, const std::string& wamid,
                 const std::string& status, const nlohmann::json& event) {
  std::string id, current;
  soci::indicator ii = soci::i_null;
  sql << "SELECT CAST(id AS TEXT), status FROM messages WHERE tenant_id = :t AND direction = "
         "'outbound' AND channel_message_id = :m",
      soci::use(tenant), soci::use(wamid), soci::into(id, ii), soci::into(current);
  if (ii != soci::i_ok)
    return false;
  if (current == "failed")
    return true;  // final
  std::string now = isoNowMicros();
  if (status == "failed") {
    std::string code, text;
    if (event.contains("errors") && event["errors"].is_array() && !event["errors"].empty()) {
      const auto& e = event["errors"][0];
      code = e.contains("code") ? e["code"].dump() : "";
      text = e.value("title", e.value("message", std::string()));
    }
    sql << "UPDATE messages SET status = 'failed', error_code = :c, error_message = :e, "
           "updated_at = :n WHERE tenant_id = :t AND CAST(id AS TEXT) = :i AND status <> "
           "'failed'",
        soci::use(code), soci::use(text), soci::use(now), soci::use(tenant), soci::use(id);
    return true;
  }
  int rank = statusRank(status);
  if (rank > statusRank(current)) {
    // The condition is in the UPDATE itself: two statuses of one message processed at once
    // (read and delivered, by two workers) both read the same `current` above, and on
    // PostgreSQL the later UPDATE re-checks the row the earlier one committed, so the status
    // still never moves backwards.
    std::string lower;
    for (const char* s : {"queued", "sent", "delivered", "read", "played"}) {
      if (statusRank(s) < rank)
        lower += std::string(lower.empty() ? "'" : ", '") + s + "'";
    }
    sql << "UPDATE messages SET status = :s, updated_at = :n WHERE tenant_id = :t AND "
           "CAST(id AS TEXT) = :i AND status IN (" +
               lower + ")",
        soci::use(status), soci::use(now), soci::use(tenant), soci::use(id);
  }
  return true;
}

}  // namespace baraza
