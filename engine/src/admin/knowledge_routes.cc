// /tenants/{tenant}/knowledge: FAQ and other entries (seed 001's bot_training_data), one by one
// or in bulk: export and import as JSON or CSV.
#include <map>

#include "admin/admin_support.h"
#include "admin/csv_table.h"
#include "tenancy/audit.h"
#include "tenancy/tenant_rules.h"
#include "tenancy/tenant_store.h"

namespace baraza::admin {
namespace {

const char* kKnowledgeColumns =
    "SELECT CAST(id AS TEXT), data_type, question, answer, CAST(keywords AS TEXT), category, "
    "priority, confidence, CASE WHEN active THEN 1 ELSE 0 END, CAST(created_at AS TEXT), "
    "CAST(updated_at AS TEXT) FROM knowledge_entries WHERE tenant_id = :t";

const std::vector<std::string> kFields = {"type",     "question", "answer",     "keywords",
                                          "category", "priority", "confidence", "active"};
// An exported entry also has these; an import accepts and ignores them.
const std::vector<std::string> kExportOnly = {"id", "updated_at"};

json entryJson(const soci::row& row) {
  json keywords = json::parse(row.get<std::string>(4), nullptr, false);
  return {{"id", row.get<std::string>(0)},
          {"type", row.get<std::string>(1)},
          {"question", row.get<std::string>(2)},
          {"answer", row.get<std::string>(3)},
          {"keywords", keywords.is_array() ? keywords : json::array()},
          {"category", row.get<std::string>(5)},
          {"priority", rowInt(row, 6)},
          {"confidence", row.get<double>(7)},
          {"active", rowInt(row, 8) != 0},
          {"updated_at", row.get<std::string>(10)}};
}

json entryById(soci::session& sql, const std::string& tenant, const std::string& id) {
  soci::rowset<soci::row> rows =
      (sql.prepare << std::string(kKnowledgeColumns) + " AND CAST(id AS TEXT) = :i",
       soci::use(tenant), soci::use(id));
  for (const auto& row : rows)
    return entryJson(row);
  return nullptr;
}

KnowledgeSpec specOf(const json& e) {
  KnowledgeSpec k;
  k.data_type = e["type"];
  k.question = e["question"];
  k.answer = e["answer"];
  k.keywords = e["keywords"].get<std::vector<std::string>>();
  k.category = e["category"];
  k.priority = e["priority"];
  k.confidence = e["confidence"];
  k.active = e["active"];
  return k;
}

// An entry from a JSON object, starting from `base`; `where` prefixes the field in errors.
std::optional<KnowledgeSpec> readEntry(const json& body, const KnowledgeSpec& base,
                                       const std::string& where, std::optional<HttpResponse>& err) {
  for (const auto& [name, value] : body.items()) {
    bool known = std::find(kFields.begin(), kFields.end(), name) != kFields.end() ||
                 std::find(kExportOnly.begin(), kExportOnly.end(), name) != kExportOnly.end();
    if (!known) {
      err = invalidField(where + name, "unknown field");
      return std::nullopt;
    }
  }
  Fields f(body);
  KnowledgeSpec k{
      f.text("type", base.data_type),    f.text("question", base.question),
      f.text("answer", base.answer),     f.has("keywords") ? f.texts("keywords") : base.keywords,
      f.text("category", base.category), f.integer("priority", base.priority),
      f.flag("active", base.active),     f.number("confidence", base.confidence)};
  if (f.error()) {
    err = invalidField(where + f.failedField(), f.failedProblem());
    return std::nullopt;
  }
  if (auto problem = checkKnowledge(k)) {
    err = invalidField(where + problem->field, problem->problem);
    return std::nullopt;
  }
  return k;
}

KnowledgeSpec defaults() {
  KnowledgeSpec k;
  k.data_type = "faq";
  k.category = "general";
  return k;
}

HttpResponse listKnowledge(AdminRequest& r) {
  PageRequest page;
  if (auto bad = readPage(r.http, 100, 1000, 2, page, true))
    return *bad;
  std::string type = r.http.queryParam("type"), category = r.http.queryParam("category");
  std::string active = r.http.queryParam("active"), q = r.http.queryParam("q");
  if (!active.empty() && active != "true" && active != "false")
    return invalidField("active", "must be true or false");
  std::string text = std::string(kKnowledgeColumns) +
                     " AND (:ty = '' OR data_type = :ty2) AND (:ca = '' OR category = :ca2) "
                     "AND (:ac = '' OR (CASE WHEN active THEN 'true' ELSE 'false' END) = :ac2) "
                     "AND (:q = '' OR LOWER(question) LIKE LOWER(:l1) OR LOWER(answer) LIKE "
                     "LOWER(:l2) OR LOWER(CAST(keywords AS TEXT)) LIKE LOWER(:l3))";
  std::string like = "%" + q + "%";
  std::vector<std::string> params = {r.tenant->id, type, type, category, category, active,
                                     active,       q,    like, like,     like};
  if (!page.after.empty()) {
    text += " AND (created_at > :ct OR (created_at = :ct2 AND CAST(id AS TEXT) > :ci))";
    params.insert(params.end(), {page.after[0], page.after[0], page.after[1]});
  }
  text += " ORDER BY created_at, CAST(id AS TEXT) LIMIT :n";
  TenantScope tx(r.deps.db, r.tenant->id);
  json next;
  json list = fetchPage(tx.sql(), text, params, page.limit, entryJson, {9, 0}, next);
  return jsonReply(200, {{"entries", list}, {"next_cursor", next}});
}

HttpResponse createEntry(AdminRequest& r) {
  json body = json::parse(r.http.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return jsonError(400, "invalid_json", "the body must be a JSON object");
  std::optional<HttpResponse> error;
  auto spec = readEntry(body, defaults(), "", error);
  if (!spec)
    return *error;
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  std::string id = insertKnowledge(sql, r.tenant->id, *spec);
  markConfigChanged(sql, r.tenant->id);
  json created = entryById(sql, r.tenant->id, id);
  writeAudit(sql, r.tenant->id, r.caller.actor, "create", "knowledge", id, created);
  tx.commit();
  return jsonReply(201, created);
}

HttpResponse showEntry(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id);
  json e = entryById(tx.sql(), r.tenant->id, r.params[1]);
  return e.is_null() ? notFound("no knowledge entry '" + r.params[1] + "'") : jsonReply(200, e);
}

HttpResponse changeEntry(AdminRequest& r) {
  json body = json::parse(r.http.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return jsonError(400, "invalid_json", "the body must be a JSON object");
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  const std::string& id = r.params[1];
  json before = entryById(sql, r.tenant->id, id);
  if (before.is_null())
    return notFound("no knowledge entry '" + id + "'");
  std::optional<HttpResponse> error;
  auto spec = readEntry(body, specOf(before), "", error);
  if (!spec)
    return *error;
  updateKnowledge(sql, r.deps.db.dialect(), r.tenant->id, id, *spec);
  markConfigChanged(sql, r.tenant->id);
  json after = entryById(sql, r.tenant->id, id);
  writeAudit(sql, r.tenant->id, r.caller.actor, "update", "knowledge", id, after, before);
  tx.commit();
  return jsonReply(200, after);
}

HttpResponse deleteEntry(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  const std::string& id = r.params[1];
  json before = entryById(sql, r.tenant->id, id);
  if (before.is_null())
    return notFound("no knowledge entry '" + id + "'");
  sql << "DELETE FROM knowledge_entries WHERE tenant_id = :t AND CAST(id AS TEXT) = :i",
      soci::use(r.tenant->id), soci::use(id);
  markConfigChanged(sql, r.tenant->id);
  writeAudit(sql, r.tenant->id, r.caller.actor, "delete", "knowledge", id, nullptr, before);
  tx.commit();
  return noContent();
}

std::string csvFormatOf(const HttpRequest& req) {
  std::string format = req.queryParam("format");
  if (!format.empty())
    return format;
  auto type = req.header("content-type").value_or("");
  return type.rfind("text/csv", 0) == 0 ? "csv" : "json";
}

const std::vector<std::string> kCsvColumns = {"type",     "question", "answer",     "keywords",
                                              "category", "priority", "confidence", "active"};

// GET .../knowledge/export?format=json|csv: every entry, oldest first.
HttpResponse exportKnowledge(AdminRequest& r) {
  std::string format = r.http.queryParam("format");
  if (format.empty())
    format = "json";
  if (format != "json" && format != "csv")
    return invalidField("format", "must be json or csv");
  TenantScope tx(r.deps.db, r.tenant->id);
  soci::rowset<soci::row> rows =
      (tx.sql().prepare << std::string(kKnowledgeColumns) + " ORDER BY created_at, id",
       soci::use(r.tenant->id));
  json entries = json::array();
  for (const auto& row : rows)
    entries.push_back(entryJson(row));
  if (format == "json")
    return jsonReply(200, {{"tenant", r.tenant->slug}, {"entries", entries}});
  HttpResponse csv;
  csv.content_type = "text/csv; charset=utf-8";
  csv.body = csvLine(kCsvColumns);
  for (const auto& e : entries) {
    std::string keywords;
    for (const auto& k : e["keywords"])
      keywords += (keywords.empty() ? "" : ";") + k.get<std::string>();
    auto text = [](const json& v) { return spreadsheetSafeCell(v.get<std::string>()); };
    csv.body += csvLine({text(e["type"]), text(e["question"]), text(e["answer"]),
                         spreadsheetSafeCell(keywords), text(e["category"]),
                         std::to_string(e["priority"].get<long long>()),
                         json(e["confidence"]).dump(), e["active"] ? "true" : "false"});
  }
  csv.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"" + r.tenant->slug + "-knowledge.csv\"");
  return csv;
}

// CSV rows (a header naming kCsvColumns, in any order) as the JSON entries an import reads.
std::optional<json> csvEntries(const std::string& text, std::optional<HttpResponse>& error) {
  std::string problem;
  auto rows = parseCsv(text, problem);
  if (!rows) {
    error = jsonError(400, "invalid_csv", problem);
    return std::nullopt;
  }
  if (rows->empty()) {
    error = jsonError(400, "invalid_csv", "the CSV needs a header row: " + csvLine(kCsvColumns));
    return std::nullopt;
  }
  const auto& header = (*rows)[0];
  for (const auto& name : header) {
    if (std::find(kCsvColumns.begin(), kCsvColumns.end(), name) == kCsvColumns.end()) {
      error = invalidField("row 1", "unknown column '" + name + "'");
      return std::nullopt;
    }
  }
  json entries = json::array();
  for (size_t i = 1; i < rows->size(); ++i) {
    const auto& fields = (*rows)[i];
    std::string where = "row " + std::to_string(i + 1);
    if (fields.size() != header.size()) {
      error = invalidField(where, "has " + std::to_string(fields.size()) + " fields, the header " +
                                      std::to_string(header.size()));
      return std::nullopt;
    }
    json e = json::object();
    for (size_t c = 0; c < header.size(); ++c) {
      const std::string& name = header[c];
      const std::string v = cellFromSpreadsheet(fields[c]);
      if (name == "keywords") {
        json list = json::array();
        size_t start = 0;
        while (start <= v.size() && !v.empty()) {
          size_t end = v.find(';', start);
          std::string word = v.substr(start, end == std::string::npos ? end : end - start);
          while (!word.empty() && word.front() == ' ')
            word.erase(0, 1);
          while (!word.empty() && word.back() == ' ')
            word.pop_back();
          if (!word.empty())
            list.push_back(word);
          if (end == std::string::npos)
            break;
          start = end + 1;
        }
        e[name] = list;
      } else if (name == "priority" || name == "confidence") {
        if (v.empty())
          continue;
        json number = json::parse(v, nullptr, false);
        e[name] = number.is_number() ? number : json(v);  // a string fails validation
      } else if (name == "active") {
        if (v.empty())
          continue;
        e[name] = v == "true" ? json(true) : v == "false" ? json(false) : json(v);
      } else if (!v.empty() || name == "question" || name == "answer") {
        e[name] = v;
      }
    }
    entries.push_back(e);
  }
  return entries;
}

// POST .../knowledge/import?mode=merge|replace: JSON ({"entries": [...]} or [...]) or CSV
// (Content-Type text/csv or ?format=csv). All or nothing: one bad entry changes nothing.
HttpResponse importKnowledge(AdminRequest& r) {
  std::string mode = r.http.queryParam("mode");
  if (mode.empty())
    mode = "merge";
  if (mode != "merge" && mode != "replace")
    return invalidField("mode", "must be merge or replace");
  std::string format = csvFormatOf(r.http);
  if (format != "json" && format != "csv")
    return invalidField("format", "must be json or csv");
  std::optional<HttpResponse> error;
  json entries;
  if (format == "csv") {
    auto parsed = csvEntries(r.http.body, error);
    if (!parsed)
      return *error;
    entries = *parsed;
  } else {
    json body = json::parse(r.http.body, nullptr, false);
    if (body.is_object() && body.contains("entries"))
      body = body["entries"];
    if (body.is_discarded() || !body.is_array())
      return jsonError(400, "invalid_json", "the body must be {\"entries\": [...]} or a list");
    entries = body;
  }
  static constexpr size_t kMaxEntries = 5000;
  if (entries.size() > kMaxEntries)
    return invalidField("entries", "at most " + std::to_string(kMaxEntries) + " per import");
  std::vector<KnowledgeSpec> specs;
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string where = format == "csv" ? "row " + std::to_string(i + 2) + "."
                                        : "entries[" + std::to_string(i) + "].";
    if (!entries[i].is_object())
      return invalidField(where.substr(0, where.size() - 1), "must be an object");
    auto spec = readEntry(entries[i], defaults(), where, error);
    if (!spec)
      return *error;
    if (!seen.emplace(spec->data_type + '\x1f' + spec->question, i).second)
      return invalidField(where + "question", "is given twice for one type");
    specs.push_back(*spec);
  }
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  std::map<std::string, std::string> existing;  // type + '\x1f' + question -> id
  {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT data_type, question, CAST(id AS TEXT) FROM knowledge_entries "
                        "WHERE tenant_id = :t",
         soci::use(r.tenant->id));
    for (const auto& row : rows) {
      existing.emplace(row.get<std::string>(0) + '\x1f' + row.get<std::string>(1),
                       row.get<std::string>(2));
    }
  }
  long long before_count = static_cast<long long>(existing.size());
  long long created = 0, updated = 0, deleted = 0;
  for (const auto& spec : specs) {
    auto found = existing.find(spec.data_type + '\x1f' + spec.question);
    if (found != existing.end()) {
      updateKnowledge(sql, r.deps.db.dialect(), r.tenant->id, found->second, spec);
      existing.erase(found);
      ++updated;
    } else {
      insertKnowledge(sql, r.tenant->id, spec);
      ++created;
    }
  }
  if (mode == "replace") {
    for (const auto& [key, id] : existing) {
      sql << "DELETE FROM knowledge_entries WHERE tenant_id = :t AND CAST(id AS TEXT) = :i",
          soci::use(r.tenant->id), soci::use(id);
      ++deleted;
    }
  }
  markConfigChanged(sql, r.tenant->id);
  json result{{"mode", mode},
              {"format", format},
              {"created", created},
              {"updated", updated},
              {"deleted", deleted}};
  writeAudit(sql, r.tenant->id, r.caller.actor, "import", "knowledge", "", result,
             {{"entries", before_count}});
  tx.commit();
  return jsonReply(200, result);
}

}  // namespace

void addKnowledgeRoutes(std::vector<AdminRoute>& routes) {
  // The fixed paths first: "export" and "import" are not entry ids.
  routes.push_back(
      {"GET", "tenants/{tenant}/knowledge/export", Access::kAnyCaller, exportKnowledge});
  routes.push_back(
      {"POST", "tenants/{tenant}/knowledge/import", Access::kAnyCaller, importKnowledge});
  routes.push_back({"GET", "tenants/{tenant}/knowledge", Access::kAnyCaller, listKnowledge});
  routes.push_back({"POST", "tenants/{tenant}/knowledge", Access::kAnyCaller, createEntry});
  routes.push_back({"GET", "tenants/{tenant}/knowledge/{id}", Access::kAnyCaller, showEntry});
  routes.push_back({"PATCH", "tenants/{tenant}/knowledge/{id}", Access::kAnyCaller, changeEntry});
  routes.push_back({"DELETE", "tenants/{tenant}/knowledge/{id}", Access::kAnyCaller, deleteEntry});
}

}  // namespace baraza::admin
