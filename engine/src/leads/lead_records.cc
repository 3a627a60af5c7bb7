#include "leads/lead_records.h"

#include <optional>

#include "core/uuid.h"
#include "leads/lead_source.h"
#include "tenancy/tenant_store.h"

namespace baraza {
namespace {

using json = nlohmann::json;

std::string textOf(const json& obj, const char* name) {
  return obj.is_object() && obj.contains(name) && obj[name].is_string()
             ? obj[name].get<std::string>()
             : std::string();
}

soci::indicator nullIfEmpty(const std::string& v) {
  return v.empty() ? soci::i_null : soci::i_ok;
}

// The lead whose `column` is `value` in the organization.
std::optional<std::string> leadBy(soci::session& sql, const std::string& org, const char* column,
                                  const std::string& value) {
  if (value.empty())
    return std::nullopt;
  std::string id;
  sql << std::string("SELECT CAST(id AS TEXT) FROM leads WHERE organization_id = :o AND ") +
             column + " = :v",
      soci::use(org), soci::use(value), soci::into(id);
  if (!sql.got_data())
    return std::nullopt;
  return id;
}

// Fills the lead's missing phone or user id, unless another lead of the organization has it
// (then the two are one person split in two: reported, not merged).
bool completeIdentity(soci::session& sql, Dialect d, const std::string& org,
                      const std::string& lead, const char* column, const std::string& value) {
  if (value.empty())
    return false;
  auto owner = leadBy(sql, org, column, value);
  if (owner)
    return *owner != lead;
  std::string update = std::string("UPDATE leads SET ") + column +
                       " = :v WHERE organization_id = :o AND id = :i AND " + column + " IS NULL";
  if (d == Dialect::kSqlite) {  // one writer at a time: nobody took the value since the lookup
    sql << update, soci::use(value), soci::use(org), soci::use(lead);
    return false;
  }
  // Another agent's transaction may have given the value to a new lead since the lookup: its
  // unique violation undoes this statement only, not the message's transaction.
  Database::execScript(sql, d, "SAVEPOINT lead_identity");
  try {
    sql << update, soci::use(value), soci::use(org), soci::use(lead);
  } catch (const soci::soci_error&) {
    Database::execScript(sql, d, "ROLLBACK TO SAVEPOINT lead_identity");
    return true;
  }
  Database::execScript(sql, d, "RELEASE SAVEPOINT lead_identity");
  return false;
}

// An UPDATE built piece by piece, its values bound in order; each placeholder has its own
// name (SQLite binds a repeated name once, soci binds by position). "" binds NULL.
struct Update {
  explicit Update(bool pg) : pg(pg) {}
  bool pg;
  std::string text;
  std::vector<std::string> values;  // bound by reference in run(), after the last bind()
  std::vector<soci::indicator> nulls;

  void bind(const std::string& value, const char* pg_type = "") {
    std::string name = ":p" + std::to_string(values.size());
    text += pg && *pg_type ? "CAST(" + name + " AS " + pg_type + ")" : name;
    values.push_back(value);
    nulls.push_back(value.empty() ? soci::i_null : soci::i_ok);
  }
  // column = CASE WHEN <time><test> THEN <value> ELSE column END,
  void setWhen(const char* column, const char* test, const std::string& time,
               const std::string& value, const char* pg_type) {
    text += std::string(column) + " = CASE WHEN ";
    bind(time, "TIMESTAMPTZ");
    text += std::string(test) + " THEN ";
    bind(value, pg_type);
    text += std::string(" ELSE ") + column + " END, ";
  }
  void run(soci::session& sql) {
    soci::statement st = (sql.prepare << text);
    for (size_t i = 0; i < values.size(); ++i)
      st.exchange(soci::use(values[i], nulls[i]));
    st.define_and_bind();
    st.execute(true);
  }
};

}  // namespace

LeadOutcome recordLeadContact(soci::session& sql, Dialect d, const LeadContact& c) {
  LeadOutcome out;
  const json from = c.event.is_object() && c.event.contains("from") ? c.event["from"] : json();
  std::string phone = normalizePhone(textOf(from, "phone"));
  if (phone.empty())
    phone = normalizePhone(textOf(from, "wa_id"));
  std::string user_id = textOf(from, "user_id"), name = textOf(from, "profile_name");
  if (phone.empty() && user_id.empty())
    return out;
  LeadSource source = leadSourceOf(c.event);
  std::string referral = source.referral.is_null() ? "" : source.referral.dump();
  const std::string& org = c.organization_id;
  bool pg = d == Dialect::kPostgresql;
  std::string at = pg ? "CAST(:at AS TIMESTAMPTZ)" : ":at";
  std::string ref = pg ? "CAST(:r AS JSONB)" : ":r";

  // The agent's contact is linked already, or the person is known to the organization, or new.
  bool created = false, new_agent = false;
  // The lead's known phone and user id come along, so a returning sender costs no lookup.
  std::string known_phone, known_user;
  sql << "SELECT CAST(la.lead_id AS TEXT), COALESCE(l.phone, ''), COALESCE(l.business_user_id, "
         "'') FROM lead_agents la JOIN leads l ON l.organization_id = la.organization_id AND l.id "
         "= la.lead_id WHERE la.organization_id = :o AND la.tenant_id = :t AND la.contact_id = :c",
      soci::use(org), soci::use(c.tenant_id), soci::use(c.contact_id), soci::into(out.lead_id),
      soci::into(known_phone), soci::into(known_user);
  bool linked = sql.got_data();
  if (!linked) {
    out.lead_id.clear();
    auto found = leadBy(sql, org, "phone", phone);
    if (!found)
      found = leadBy(sql, org, "business_user_id", user_id);
    if (!found) {
      // Two agents' first messages may race: the unique keys let one insert win; the other
      // finds the winner's row.
      std::string id = newUuid(), inserted;
      soci::indicator pi = nullIfEmpty(phone), ui = nullIfEmpty(user_id), ni = nullIfEmpty(name),
                      si = nullIfEmpty(source.source_id), ri = nullIfEmpty(referral);
      sql << "INSERT INTO leads (organization_id, id, phone, business_user_id, display_name, "
             "first_tenant_id, first_source, first_source_id, first_referral, first_contact_at, "
             "last_tenant_id, last_source, last_source_id, last_contact_at, agent_count, "
             "message_count) VALUES (:o, :i, :p, :u, :n, :t, :s, :sid, " +
                 ref + ", " + at + ", :t2, :s2, :sid2, " +
                 (pg ? "CAST(:at2 AS TIMESTAMPTZ)" : ":at2") +
                 ", 1, 0) ON CONFLICT DO NOTHING RETURNING CAST(id AS TEXT)",
          soci::use(org), soci::use(id), soci::use(phone, pi), soci::use(user_id, ui),
          soci::use(name, ni), soci::use(c.tenant_id), soci::use(source.label),
          soci::use(source.source_id, si), soci::use(referral, ri), soci::use(c.occurred_at),
          soci::use(c.tenant_id), soci::use(source.label), soci::use(source.source_id, si),
          soci::use(c.occurred_at), soci::into(inserted);
      created = sql.got_data();
      if (created)
        found = id;
      else if (!(found = leadBy(sql, org, "phone", phone)))
        found = leadBy(sql, org, "business_user_id", user_id);
      if (!found)
        throw StorageError("lead: neither inserted nor found");
    }
    out.lead_id = *found;
    sql << "INSERT INTO lead_agents (organization_id, lead_id, tenant_id, contact_id, "
           "first_source, first_contact_at, last_contact_at) VALUES (:o, :l, :t, :c, :s, " +
               at + ", " + (pg ? "CAST(:at2 AS TIMESTAMPTZ)" : ":at2") + ") ON CONFLICT DO NOTHING",
        soci::use(org), soci::use(out.lead_id), soci::use(c.tenant_id), soci::use(c.contact_id),
        soci::use(source.label), soci::use(c.occurred_at), soci::use(c.occurred_at);
    // A new agent for the lead, unless this agent already knew the person as another contact.
    long long threads = 0;
    sql << "SELECT COUNT(*) FROM lead_agents WHERE organization_id = :o AND lead_id = :l AND "
           "tenant_id = :t",
        soci::use(org), soci::use(out.lead_id), soci::use(c.tenant_id), soci::into(threads);
    new_agent = !created && threads == 1;
    if (new_agent) {
      sql << "UPDATE leads SET agent_count = agent_count + 1 WHERE organization_id = :o AND id "
             "= :i",
          soci::use(org), soci::use(out.lead_id);
    }
  }
  if (!linked || (known_phone.empty() && !phone.empty()))
    out.identity_conflict = completeIdentity(sql, d, org, out.lead_id, "phone", phone);
  if (!linked || (known_user.empty() && !user_id.empty()))
    out.identity_conflict =
        completeIdentity(sql, d, org, out.lead_id, "business_user_id", user_id) ||
        out.identity_conflict;

  if (created)
    out.touch = "first_contact";
  else if (new_agent)
    out.touch = "new_agent";
  else if (c.new_conversation)
    out.touch = "new_conversation";
  else if (!source.referral.is_null())
    out.touch = "referral";

  // Counts and the name; the first touch moves to an earlier message whatever it is (messages
  // may be processed out of order); the last touch moves to a later touch.
  std::string now = sqlNow(d);
  Update lead(pg);
  lead.text = "UPDATE leads SET message_count = message_count + 1, display_name = COALESCE(";
  lead.bind(name);
  lead.text += ", display_name), ";
  if (!created) {
    const char* earlier = " < first_contact_at";
    lead.setWhen("first_tenant_id", earlier, c.occurred_at, c.tenant_id, "UUID");
    lead.setWhen("first_source", earlier, c.occurred_at, source.label, "");
    lead.setWhen("first_source_id", earlier, c.occurred_at, source.source_id, "");
    lead.setWhen("first_referral", earlier, c.occurred_at, referral, "JSONB");
    lead.setWhen("first_contact_at", earlier, c.occurred_at, c.occurred_at, "TIMESTAMPTZ");
  }
  if (!created && !out.touch.empty()) {
    const char* later = " >= last_contact_at";
    lead.setWhen("last_tenant_id", later, c.occurred_at, c.tenant_id, "UUID");
    lead.setWhen("last_source", later, c.occurred_at, source.label, "");
    lead.setWhen("last_source_id", later, c.occurred_at, source.source_id, "");
    lead.setWhen("last_contact_at", later, c.occurred_at, c.occurred_at, "TIMESTAMPTZ");
  }
  lead.text += "updated_at = " + now + " WHERE organization_id = ";
  lead.bind(org);
  lead.text += " AND id = ";
  lead.bind(out.lead_id);
  lead.run(sql);

  // The agent's thread: its counters, and its first contact moved to an earlier message.
  Update thread(pg);
  thread.text = "UPDATE lead_agents SET message_count = message_count + 1, ";
  thread.setWhen("first_source", " < first_contact_at", c.occurred_at, source.label, "");
  thread.setWhen("first_contact_at", " < first_contact_at", c.occurred_at, c.occurred_at,
                 "TIMESTAMPTZ");
  thread.setWhen("last_contact_at", " > last_contact_at", c.occurred_at, c.occurred_at,
                 "TIMESTAMPTZ");
  thread.text.resize(thread.text.size() - 2);  // the last ", "
  thread.text += " WHERE organization_id = ";
  thread.bind(org);
  thread.text += " AND tenant_id = ";
  thread.bind(c.tenant_id);
  thread.text += " AND contact_id = ";
  thread.bind(c.contact_id);
  thread.run(sql);
  soci::indicator si = nullIfEmpty(source.source_id), ri = nullIfEmpty(referral);
  if (!out.touch.empty()) {
    std::string id = newUuid();
    soci::indicator ci = nullIfEmpty(c.conversation_id), mi = nullIfEmpty(c.message_id);
    sql << "INSERT INTO lead_touches (organization_id, id, lead_id, tenant_id, kind, source, "
           "source_id, referral, conversation_id, message_id, occurred_at) VALUES (:o, :i, :l, "
           ":t, :k, :s, :sid, " +
               ref + ", :cv, :m, " + at + ")",
        soci::use(org), soci::use(id), soci::use(out.lead_id), soci::use(c.tenant_id),
        soci::use(out.touch), soci::use(source.label), soci::use(source.source_id, si),
        soci::use(referral, ri), soci::use(c.conversation_id, ci), soci::use(c.message_id, mi),
        soci::use(c.occurred_at);
  }
  return out;
}

}  // namespace baraza
