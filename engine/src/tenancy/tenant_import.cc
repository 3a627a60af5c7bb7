#include "tenancy/tenant_import.h"

#include <map>

#include <nlohmann/json.hpp>

#include "core/uuid.h"
#include "tenancy/audit.h"

namespace baraza {
namespace {

const char* now(Dialect d) {
  return d == Dialect::kSqlite ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" : "now()";
}

// Finds a row's id by one text column; "" when there is none.
std::string findId(soci::session& sql, const std::string& query, const std::string& value) {
  std::string id;
  soci::indicator ind = soci::i_null;
  sql << query, soci::use(value), soci::into(id, ind);
  return sql.got_data() && ind == soci::i_ok ? id : "";
}

std::string upsertOrganization(soci::session& sql, Dialect d, const TenantSpec& spec) {
  if (spec.organization.empty())
    return "";
  std::string id =
      findId(sql, "SELECT CAST(id AS TEXT) FROM organizations WHERE slug = :s", spec.organization);
  std::string name = spec.organization_name.empty() ? spec.organization : spec.organization_name;
  if (id.empty()) {
    id = newUuid();
    sql << "INSERT INTO organizations (id, slug, name) VALUES (:i, :s, :n)", soci::use(id),
        soci::use(spec.organization), soci::use(name);
  } else if (!spec.organization_name.empty()) {
    sql << std::string("UPDATE organizations SET name = :n, updated_at = ") + now(d) +
               " WHERE id = :i",
        soci::use(name), soci::use(id);
  }
  return id;
}

}  // namespace

ImportResult importTenant(Database& db, const Sealer& sealer, const TenantSpec& spec,
                          const std::string& actor) {
  // Across tenants: a number must be checked against every tenant's accounts.
  TenantScope tx(db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  const Dialect d = db.dialect();
  ImportResult result;

  std::string org_id = upsertOrganization(sql, d, spec);
  soci::indicator org_ind = org_id.empty() ? soci::i_null : soci::i_ok;
  int active = spec.active ? 1 : 0;
  result.tenant_id = findId(sql, "SELECT CAST(id AS TEXT) FROM tenants WHERE slug = :s", spec.slug);
  if (result.tenant_id.empty()) {
    result.created = true;
    result.tenant_id = newUuid();
    sql << "INSERT INTO tenants (id, slug, name, active, organization_id) "
           "VALUES (:i, :s, :n, :a, :o)",
        soci::use(result.tenant_id), soci::use(spec.slug), soci::use(spec.name), soci::use(active),
        soci::use(org_id, org_ind);
  } else {
    sql << std::string(
               "UPDATE tenants SET name = :n, active = :a, organization_id = :o, "
               "updated_at = ") +
               now(d) + " WHERE id = :i",
        soci::use(spec.name), soci::use(active), soci::use(org_id, org_ind),
        soci::use(result.tenant_id);
  }
  const std::string& tenant = result.tenant_id;

  // Channel accounts: a number belongs to one tenant on the whole server.
  std::string bool_false = d == Dialect::kSqlite ? "0" : "FALSE";
  sql << "UPDATE channel_accounts SET active = " + bool_false + " WHERE tenant_id = :t",
      soci::use(tenant);
  for (const auto& ch : spec.channels) {
    std::string owner, id;
    soci::indicator oi = soci::i_null, ii = soci::i_null;
    sql << "SELECT CAST(tenant_id AS TEXT), CAST(id AS TEXT) FROM channel_accounts "
           "WHERE channel_type = :c AND phone_number_id = :p",
        soci::use(ch.type), soci::use(ch.phone_number_id), soci::into(owner, oi),
        soci::into(id, ii);
    if (sql.got_data() && owner != tenant) {
      std::string other =
          findId(sql, "SELECT slug FROM tenants WHERE CAST(id AS TEXT) = :i", owner);
      throw StorageError(spec.file + ": phone_number_id " + ch.phone_number_id +
                         " already belongs to tenant '" + other + "'");
    }
    bool exists = sql.got_data();
    if (!exists)
      id = newUuid();
    std::string access =
        sealer.seal(ch.access_token, {tenant, "channel_accounts", id, "access_token_sealed"});
    std::string verify =
        ch.verify_token.empty()
            ? ""
            : sealer.seal(ch.verify_token, {tenant, "channel_accounts", id, "verify_token_sealed"});
    soci::indicator vi = verify.empty() ? soci::i_null : soci::i_ok;
    soci::indicator ei = ch.token_expires_at.empty() ? soci::i_null : soci::i_ok;
    soci::indicator di = ch.display_phone_number.empty() ? soci::i_null : soci::i_ok;
    soci::indicator wi = ch.waba_id.empty() ? soci::i_null : soci::i_ok;
    std::string bool_true = d == Dialect::kSqlite ? "1" : "TRUE";
    if (exists) {
      sql << "UPDATE channel_accounts SET display_phone_number = :dp, waba_id = :w, "
             "access_token_sealed = :a, verify_token_sealed = :v, token_expires_at = :e, "
             "active = " +
                 bool_true + ", updated_at = " + now(d) + " WHERE tenant_id = :t AND id = :i",
          soci::use(ch.display_phone_number, di), soci::use(ch.waba_id, wi), soci::use(access),
          soci::use(verify, vi), soci::use(ch.token_expires_at, ei), soci::use(tenant),
          soci::use(id);
    } else {
      sql << "INSERT INTO channel_accounts (tenant_id, id, channel_type, phone_number_id, "
             "display_phone_number, waba_id, access_token_sealed, verify_token_sealed, "
             "token_expires_at) VALUES (:t, :i, :c, :p, :dp, :w, :a, :v, :e)",
          soci::use(tenant), soci::use(id), soci::use(ch.type), soci::use(ch.phone_number_id),
          soci::use(ch.display_phone_number, di), soci::use(ch.waba_id, wi), soci::use(access),
          soci::use(verify, vi), soci::use(ch.token_expires_at, ei);
    }
    ++result.channels;
  }

  // Settings: one row per tenant.
  const auto& s = spec.settings;
  auto flag = [&](const char* k) { return s[k].get<bool>() ? 1 : 0; };
  int bot = flag("bot_enabled"), auto_reply = flag("auto_reply"), ai = flag("ai_responses"),
      pay = flag("payment_flow"), train = flag("training_mode"),
      log_conv = flag("log_conversations"), log_err = flag("log_errors");
  long long per_hour = s["max_messages_per_hour"], per_user = s["max_messages_per_user_per_day"];
  std::string phone = s.value("escalation_phone", ""), email = s.value("escalation_email", ""),
              reply = s.value("static_reply", "");
  soci::indicator pi = phone.empty() ? soci::i_null : soci::i_ok;
  soci::indicator mi = email.empty() ? soci::i_null : soci::i_ok;
  soci::indicator ri = reply.empty() ? soci::i_null : soci::i_ok;
  sql << "DELETE FROM tenant_settings WHERE tenant_id = :t", soci::use(tenant);
  sql << "INSERT INTO tenant_settings (tenant_id, bot_enabled, auto_reply, ai_responses, "
         "payment_flow, training_mode, log_conversations, log_errors, max_messages_per_hour, "
         "max_messages_per_user_per_day, escalation_phone, escalation_email, static_reply) "
         "VALUES (:t, :b, :ar, :ai, :pf, :tm, :lc, :le, :mh, :md, :ep, :ee, :sr)",
      soci::use(tenant), soci::use(bot), soci::use(auto_reply), soci::use(ai), soci::use(pay),
      soci::use(train), soci::use(log_conv), soci::use(log_err), soci::use(per_hour),
      soci::use(per_user), soci::use(phone, pi), soci::use(email, mi), soci::use(reply, ri);

  // Templates and knowledge: the file is the truth, but rows keep their ids (messages refer to
  // knowledge entries): matched by template name and by (type, question), updated in place,
  // inserted when new, deleted when the file no longer has them.
  std::multimap<std::string, std::string> old_templates;  // name -> id
  {
    soci::rowset<soci::row> rows = (sql.prepare << "SELECT name, CAST(id AS TEXT) FROM "
                                                   "prompt_templates WHERE tenant_id = :t",
                                    soci::use(tenant));
    for (const auto& r : rows)
      old_templates.emplace(r.get<std::string>(0), r.get<std::string>(1));
  }
  for (const auto& tp : spec.templates) {
    int is_default = tp.is_default ? 1 : 0, tp_active = tp.active ? 1 : 0;
    long long max_len = tp.max_response_length;
    soci::indicator li = max_len > 0 ? soci::i_ok : soci::i_null;
    soci::indicator ti = tp.tone.empty() ? soci::i_null : soci::i_ok;
    auto found = old_templates.find(tp.name);
    if (found != old_templates.end()) {
      std::string id = found->second;
      old_templates.erase(found);
      sql << "UPDATE prompt_templates SET system_prompt = :p, tone = :tone, "
             "max_response_length = :m, is_default = :d, active = :a WHERE tenant_id = :t AND "
             "id = :i",
          soci::use(tp.system_prompt), soci::use(tp.tone, ti), soci::use(max_len, li),
          soci::use(is_default), soci::use(tp_active), soci::use(tenant), soci::use(id);
    } else {
      std::string id = newUuid();
      sql << "INSERT INTO prompt_templates (tenant_id, id, name, system_prompt, tone, "
             "max_response_length, is_default, active) VALUES (:t, :i, :n, :p, :tone, :m, :d, :a)",
          soci::use(tenant), soci::use(id), soci::use(tp.name), soci::use(tp.system_prompt),
          soci::use(tp.tone, ti), soci::use(max_len, li), soci::use(is_default),
          soci::use(tp_active);
    }
    ++result.templates;
  }
  for (const auto& [name, id] : old_templates) {
    sql << "DELETE FROM prompt_templates WHERE tenant_id = :t AND id = :i", soci::use(tenant),
        soci::use(id);
  }

  std::multimap<std::string, std::string> old_knowledge;  // type + '\x1f' + question -> id
  {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT data_type, question, CAST(id AS TEXT) FROM knowledge_entries "
                        "WHERE tenant_id = :t ORDER BY created_at, id",
         soci::use(tenant));
    for (const auto& r : rows) {
      old_knowledge.emplace(r.get<std::string>(0) + '\x1f' + r.get<std::string>(1),
                            r.get<std::string>(2));
    }
  }
  for (const auto& k : spec.knowledge) {
    std::string keywords = nlohmann::json(k.keywords).dump();
    int k_active = k.active ? 1 : 0;
    long long priority = k.priority;
    auto found = old_knowledge.find(k.data_type + '\x1f' + k.question);
    if (found != old_knowledge.end()) {
      std::string id = found->second;
      old_knowledge.erase(found);
      sql << "UPDATE knowledge_entries SET answer = :a, keywords = :k, category = :c, "
             "priority = :p, active = :ac WHERE tenant_id = :t AND id = :i",
          soci::use(k.answer), soci::use(keywords), soci::use(k.category), soci::use(priority),
          soci::use(k_active), soci::use(tenant), soci::use(id);
    } else {
      std::string id = newUuid();
      sql << "INSERT INTO knowledge_entries (tenant_id, id, data_type, question, answer, "
             "keywords, category, priority, active) VALUES (:t, :i, :d, :q, :a, :k, :c, :p, :ac)",
          soci::use(tenant), soci::use(id), soci::use(k.data_type), soci::use(k.question),
          soci::use(k.answer), soci::use(keywords), soci::use(k.category), soci::use(priority),
          soci::use(k_active);
    }
    ++result.knowledge;
  }
  for (const auto& [key, id] : old_knowledge) {
    sql << "DELETE FROM knowledge_entries WHERE tenant_id = :t AND id = :i", soci::use(tenant),
        soci::use(id);
  }

  // Who changed what; secrets appear only as "sealed".
  nlohmann::json after{{"slug", spec.slug},
                       {"name", spec.name},
                       {"active", spec.active},
                       {"organization", spec.organization},
                       {"channels", result.channels},
                       {"templates", result.templates},
                       {"knowledge", result.knowledge},
                       {"access_tokens", "sealed"}};
  writeAudit(sql, tenant, actor, result.created ? "create" : "update", "tenant", spec.slug, after);
  tx.commit();
  return result;
}

}  // namespace baraza
