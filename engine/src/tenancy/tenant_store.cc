#include "tenancy/tenant_store.h"

#include "core/uuid.h"
#include "tenancy/tenant_file.h"
#include "tenancy/verify_tokens.h"

namespace baraza {

const char* sqlNow(Dialect d) {
  return d == Dialect::kSqlite ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" : "now()";
}

void markConfigChanged(soci::session& sql, const std::string& tenant_id) {
  // One counter row: its lock orders concurrent changes, so generations commit in order and a
  // reader that saw generation G never misses a change numbered G or below.
  sql << "UPDATE config_generation SET value = value + 1 WHERE id = 1";
  sql << "UPDATE tenants SET config_generation = (SELECT value FROM config_generation WHERE "
         "id = 1) WHERE CAST(id AS TEXT) = :t",
      soci::use(tenant_id);
}

nlohmann::json tenantSummary(soci::session& sql, const std::string& tenant) {
  std::string slug, name, org;
  int active = 0;
  long long channels = 0, templates = 0, knowledge = 0, script = 0;
  soci::indicator oi = soci::i_null;
  sql << "SELECT t.slug, t.name, CASE WHEN t.active THEN 1 ELSE 0 END, o.slug, "
         "(SELECT COUNT(*) FROM channel_accounts c WHERE c.tenant_id = t.id AND c.active), "
         "(SELECT COUNT(*) FROM prompt_templates p WHERE p.tenant_id = t.id), "
         "(SELECT COUNT(*) FROM knowledge_entries k WHERE k.tenant_id = t.id), "
         "(SELECT COALESCE(MAX(s.version), 0) FROM tenant_scripts s WHERE s.tenant_id = t.id AND "
         "s.active) "
         "FROM tenants t LEFT JOIN organizations o ON o.id = t.organization_id "
         "WHERE CAST(t.id AS TEXT) = :t",
      soci::use(tenant), soci::into(slug), soci::into(name), soci::into(active),
      soci::into(org, oi), soci::into(channels), soci::into(templates), soci::into(knowledge),
      soci::into(script);
  if (!sql.got_data())
    return nullptr;
  return {{"slug", slug},
          {"name", name},
          {"active", active != 0},
          {"organization", oi == soci::i_ok ? org : ""},
          {"channels", channels},
          {"templates", templates},
          {"knowledge", knowledge},
          {"script_version", script > 0 ? nlohmann::json(script) : nullptr},
          {"access_tokens", "sealed"}};
}

std::string insertChannel(soci::session& sql, const Sealer& sealer, const std::string& tenant,
                          const ChannelSpec& ch) {
  std::string id = newUuid();
  std::string access =
      sealer.seal(ch.access_token, {tenant, "channel_accounts", id, "access_token_sealed"});
  std::string verify =
      ch.verify_token.empty()
          ? ""
          : sealer.seal(ch.verify_token, {tenant, "channel_accounts", id, "verify_token_sealed"});
  std::string digest = ch.verify_token.empty() ? "" : verifyTokenDigest(sealer, ch.verify_token);
  soci::indicator vi = verify.empty() ? soci::i_null : soci::i_ok;
  soci::indicator ei = ch.token_expires_at.empty() ? soci::i_null : soci::i_ok;
  soci::indicator di = ch.display_phone_number.empty() ? soci::i_null : soci::i_ok;
  soci::indicator wi = ch.waba_id.empty() ? soci::i_null : soci::i_ok;
  soci::indicator ai = ch.app.empty() ? soci::i_null : soci::i_ok;
  sql << "INSERT INTO channel_accounts (tenant_id, id, channel_type, phone_number_id, "
         "display_phone_number, waba_id, access_token_sealed, verify_token_sealed, "
         "verify_token_digest, token_expires_at, app) VALUES (:t, :i, :c, :p, :dp, :w, :a, :v, "
         ":vd, :e, :app)",
      soci::use(tenant), soci::use(id), soci::use(ch.type), soci::use(ch.phone_number_id),
      soci::use(ch.display_phone_number, di), soci::use(ch.waba_id, wi), soci::use(access),
      soci::use(verify, vi), soci::use(digest, vi), soci::use(ch.token_expires_at, ei),
      soci::use(ch.app, ai);
  return id;
}

void updateChannel(soci::session& sql, Dialect d, const Sealer& sealer, const std::string& tenant,
                   const std::string& id, const ChannelPatch& p) {
  auto set_text = [&](const char* column, const std::optional<std::string>& value) {
    if (!value)
      return;
    soci::indicator ind = value->empty() ? soci::i_null : soci::i_ok;
    sql << std::string("UPDATE channel_accounts SET ") + column +
               " = :v WHERE tenant_id = :t AND id = :i",
        soci::use(*value, ind), soci::use(tenant), soci::use(id);
  };
  set_text("display_phone_number", p.display_phone_number);
  set_text("waba_id", p.waba_id);
  set_text("app", p.app);
  set_text("token_expires_at", p.token_expires_at);
  if (p.access_token) {
    set_text("access_token_sealed",
             sealer.seal(*p.access_token, {tenant, "channel_accounts", id, "access_token_sealed"}));
  }
  if (p.verify_token) {
    set_text("verify_token_sealed",
             p.verify_token->empty() ? std::string()
                                     : sealer.seal(*p.verify_token, {tenant, "channel_accounts", id,
                                                                     "verify_token_sealed"}));
    set_text("verify_token_digest",
             p.verify_token->empty() ? std::string() : verifyTokenDigest(sealer, *p.verify_token));
  }
  if (p.active) {
    int active = *p.active ? 1 : 0;  // PostgreSQL reads '1' and '0' as booleans too
    sql << "UPDATE channel_accounts SET active = :a WHERE tenant_id = :t AND id = :i",
        soci::use(active), soci::use(tenant), soci::use(id);
  }
  sql << std::string("UPDATE channel_accounts SET updated_at = ") + sqlNow(d) +
             " WHERE tenant_id = :t AND id = :i",
      soci::use(tenant), soci::use(id);
}

std::optional<std::pair<std::string, std::string>> channelOwner(soci::session& sql,
                                                                const std::string& type,
                                                                const std::string& phone_id) {
  std::string owner, id;
  soci::indicator oi = soci::i_null, ii = soci::i_null;
  sql << "SELECT CAST(tenant_id AS TEXT), CAST(id AS TEXT) FROM channel_accounts "
         "WHERE channel_type = :c AND phone_number_id = :p",
      soci::use(type), soci::use(phone_id), soci::into(owner, oi), soci::into(id, ii);
  if (!sql.got_data())
    return std::nullopt;
  return std::make_pair(owner, id);
}

namespace {

// The settings columns: the settings.* keys of the tenant file's table, one column each.
const std::vector<KeySpec>& settingsKeys() {
  static const std::vector<KeySpec> keys = [] {
    std::vector<KeySpec> out;
    for (const auto& key : tenantSchema()) {
      if (key.path.rfind("settings.", 0) == 0) {
        KeySpec k = key;
        k.path = key.path.substr(9);
        out.push_back(k);
      }
    }
    return out;
  }();
  return keys;
}

}  // namespace

nlohmann::json readSettings(soci::session& sql, const std::string& tenant) {
  std::string columns;
  for (const auto& k : settingsKeys()) {
    columns += columns.empty() ? "" : ", ";
    if (k.type == KeyType::kBool)
      columns += "CASE WHEN " + k.path + " THEN 1 ELSE 0 END";
    else if (k.type == KeyType::kInt)
      columns += k.path;
    else
      columns += "COALESCE(" + k.path + ", '')";
  }
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT " + columns + " FROM tenant_settings WHERE tenant_id = :t",
       soci::use(tenant));
  for (const auto& r : rows) {
    nlohmann::json s = nlohmann::json::object();
    for (size_t i = 0; i < settingsKeys().size(); ++i) {
      const auto& k = settingsKeys()[i];
      if (k.type == KeyType::kBool)
        s[k.path] = rowInt(r, i) != 0;
      else if (k.type == KeyType::kInt)
        s[k.path] = rowInt(r, i);
      else
        s[k.path] = r.get<std::string>(i);
    }
    return s;
  }
  // No row yet: the tenant file's defaults are the settings' defaults.
  nlohmann::json s = nlohmann::json::object();
  for (const auto& k : settingsKeys()) {
    std::string def = k.default_value.value_or("");
    if (k.type == KeyType::kBool)
      s[k.path] = def == "true";
    else if (k.type == KeyType::kInt)
      s[k.path] = std::stoll(def);
    else
      s[k.path] = def;
  }
  return s;
}

void writeSettings(soci::session& sql, const std::string& tenant, const nlohmann::json& s) {
  nlohmann::json full = readSettings(sql, tenant);  // defaults for anything not given
  for (const auto& [name, value] : s.items()) {
    if (full.contains(name))
      full[name] = value;
  }
  std::string columns = "tenant_id", values = ":t";
  std::vector<long long> ints;
  std::vector<std::string> texts;
  std::vector<soci::indicator> inds;
  ints.reserve(settingsKeys().size());
  texts.reserve(settingsKeys().size());
  inds.reserve(settingsKeys().size());
  for (const auto& k : settingsKeys()) {
    columns += ", " + k.path;
    values += ", :" + k.path;
  }
  sql << "DELETE FROM tenant_settings WHERE tenant_id = :t", soci::use(tenant);
  soci::statement st =
      (sql.prepare << "INSERT INTO tenant_settings (" + columns + ") VALUES (" + values + ")");
  st.exchange(soci::use(tenant));
  for (const auto& k : settingsKeys()) {
    const auto& v = full[k.path];
    if (k.type == KeyType::kBool || k.type == KeyType::kInt) {
      // PostgreSQL reads '1' and '0' as booleans too.
      ints.push_back(k.type == KeyType::kBool ? (v.get<bool>() ? 1 : 0) : v.get<long long>());
      st.exchange(soci::use(ints.back()));
    } else {
      texts.push_back(v.is_string() ? v.get<std::string>() : "");
      inds.push_back(texts.back().empty() ? soci::i_null : soci::i_ok);
      st.exchange(soci::use(texts.back(), inds.back()));
    }
  }
  st.define_and_bind();
  st.execute(true);
}

std::string insertTemplate(soci::session& sql, const std::string& tenant, const TemplateSpec& tp) {
  std::string id = newUuid();
  int is_default = tp.is_default ? 1 : 0, active = tp.active ? 1 : 0;
  long long max_len = tp.max_response_length;
  soci::indicator li = max_len > 0 ? soci::i_ok : soci::i_null;
  soci::indicator ti = tp.tone.empty() ? soci::i_null : soci::i_ok;
  sql << "INSERT INTO prompt_templates (tenant_id, id, name, system_prompt, tone, "
         "max_response_length, is_default, active) VALUES (:t, :i, :n, :p, :tone, :m, :d, :a)",
      soci::use(tenant), soci::use(id), soci::use(tp.name), soci::use(tp.system_prompt),
      soci::use(tp.tone, ti), soci::use(max_len, li), soci::use(is_default), soci::use(active);
  return id;
}

void updateTemplate(soci::session& sql, Dialect d, const std::string& tenant, const std::string& id,
                    const TemplateSpec& tp) {
  int is_default = tp.is_default ? 1 : 0, active = tp.active ? 1 : 0;
  long long max_len = tp.max_response_length;
  soci::indicator li = max_len > 0 ? soci::i_ok : soci::i_null;
  soci::indicator ti = tp.tone.empty() ? soci::i_null : soci::i_ok;
  sql << std::string(
             "UPDATE prompt_templates SET name = :n, system_prompt = :p, tone = :tone, "
             "max_response_length = :m, is_default = :d, active = :a, updated_at = ") +
             sqlNow(d) + " WHERE tenant_id = :t AND id = :i",
      soci::use(tp.name), soci::use(tp.system_prompt), soci::use(tp.tone, ti),
      soci::use(max_len, li), soci::use(is_default), soci::use(active), soci::use(tenant),
      soci::use(id);
}

void makeOnlyDefaultTemplate(soci::session& sql, const std::string& tenant, const std::string& id) {
  sql << "UPDATE prompt_templates SET is_default = (CASE WHEN CAST(id AS TEXT) = :i THEN 1 ELSE "
         "0 END) = 1 WHERE tenant_id = :t",
      soci::use(id), soci::use(tenant);
}

std::string insertKnowledge(soci::session& sql, const std::string& tenant, const KnowledgeSpec& k) {
  std::string id = newUuid();
  std::string keywords = nlohmann::json(k.keywords).dump();
  int active = k.active ? 1 : 0;
  long long priority = k.priority;
  double confidence = k.confidence;
  sql << "INSERT INTO knowledge_entries (tenant_id, id, data_type, question, answer, keywords, "
         "category, priority, confidence, active) VALUES (:t, :i, :d, :q, :a, :k, :c, :p, :cf, "
         ":ac)",
      soci::use(tenant), soci::use(id), soci::use(k.data_type), soci::use(k.question),
      soci::use(k.answer), soci::use(keywords), soci::use(k.category), soci::use(priority),
      soci::use(confidence), soci::use(active);
  return id;
}

void updateKnowledge(soci::session& sql, Dialect d, const std::string& tenant,
                     const std::string& id, const KnowledgeSpec& k) {
  std::string keywords = nlohmann::json(k.keywords).dump();
  int active = k.active ? 1 : 0;
  long long priority = k.priority;
  double confidence = k.confidence;
  sql << std::string(
             "UPDATE knowledge_entries SET data_type = :d, question = :q, answer = :a, "
             "keywords = :k, category = :c, priority = :p, confidence = :cf, active = "
             ":ac, updated_at = ") +
             sqlNow(d) + " WHERE tenant_id = :t AND id = :i",
      soci::use(k.data_type), soci::use(k.question), soci::use(k.answer), soci::use(keywords),
      soci::use(k.category), soci::use(priority), soci::use(confidence), soci::use(active),
      soci::use(tenant), soci::use(id);
}

}  // namespace baraza
