// /tenants/{tenant}/script: the tenant's Lua script and its versions (docs/scripting.md).
#include "admin/admin_support.h"
#include "scripting/lua_json.h"
#include "scripting/script_lint.h"
#include "scripting/script_store.h"
#include "tenancy/audit.h"

namespace baraza::admin {
namespace {

constexpr size_t kMaxSourceBytes = 256 * 1024;

json versionJson(const ScriptVersion& v, bool with_source) {
  json out{{"version", v.version},
           {"active", v.active},
           {"sha256", v.sha256},
           {"note", v.note.empty() ? json() : json(v.note)},
           {"source_path", v.source_path.empty() ? json() : json(v.source_path)},
           {"created_by", v.created_by},
           {"created_at", v.created_at},
           {"activated_at", v.activated_at.empty() ? json() : json(v.activated_at)},
           {"quarantined_at", v.quarantined_at.empty() ? json() : json(v.quarantined_at)},
           {"quarantine_reason", v.quarantine_reason.empty() ? json() : json(v.quarantine_reason)}};
  if (with_source)
    out["source"] = v.source;
  return out;
}

std::optional<int> versionParam(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoi(text);
}

HttpResponse uploadScript(AdminRequest& r) {
  std::string source, note;
  bool activate = true;
  std::string type = r.http.header("content-type").value_or("");
  if (type.rfind("text/", 0) == 0) {
    source = r.http.body;  // the raw Lua text
  } else {
    std::optional<HttpResponse> error;
    auto body = readObject(r.http, {"source", "activate", "note"}, error);
    if (!body)
      return *error;
    Fields f(*body);
    source = f.text("source");
    activate = f.flag("activate", true);
    note = f.text("note");
    if (auto bad = f.error())
      return *bad;
    if (!body->contains("source"))
      return invalidField("source", "the script's Lua text is required");
  }
  if (auto bad = badScriptSource(source))
    return *bad;
  if (note.size() > 500)
    return invalidField("note", "at most 500 characters");
  SandboxLimits limits = r.deps.scripting ? r.deps.scripting->limits : SandboxLimits{};
  LintReport lint = lintScript(source, r.tenant->slug + ".lua", limits);
  if (!lint.ok)
    return invalidScript(lint);
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  int version = insertScriptVersion(sql, r.tenant->id, source, "", note, r.caller.actor);
  auto before = activeScriptVersion(sql, r.tenant->id);
  if (activate)
    activateScriptVersion(sql, r.tenant->id, version);
  auto stored = getScriptVersion(sql, r.tenant->id, version);
  json out = versionJson(*stored, false);
  writeAudit(sql, r.tenant->id, r.caller.actor, activate ? "upload_and_activate" : "upload",
             "script", std::to_string(version), out,
             before ? json{{"active_version", before->version}} : json());
  tx.commit();
  json warnings = json::array();
  for (const auto& w : lint.warnings)
    warnings.push_back({{"line", w.line > 0 ? json(w.line) : json()}, {"message", w.message}});
  out["hooks"] = lint.hooks;
  out["warnings"] = warnings;
  return jsonReply(201, out);
}

HttpResponse showActiveScript(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id);
  auto v = activeScriptVersion(tx.sql(), r.tenant->id);
  if (!v)
    return notFound("the tenant has no active script");
  return jsonReply(200, versionJson(*v, true));
}

HttpResponse deactivateScript(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id, true);
  auto before = activeScriptVersion(tx.sql(), r.tenant->id);
  if (!before || !deactivateScripts(tx.sql(), r.tenant->id))
    return notFound("the tenant has no active script");
  writeAudit(tx.sql(), r.tenant->id, r.caller.actor, "deactivate", "script",
             std::to_string(before->version), nullptr, {{"active_version", before->version}});
  tx.commit();
  return noContent();
}

HttpResponse listVersions(AdminRequest& r) {
  PageRequest page;
  if (auto bad = readPage(r.http, 50, 200, 1, page))
    return *bad;
  int before = 0;
  if (!page.after.empty()) {
    auto v = versionParam(page.after[0]);
    if (!v)
      return invalidField("cursor", "not a cursor of this list");
    before = *v;
  }
  TenantScope tx(r.deps.db, r.tenant->id);
  auto rows = listScriptVersions(tx.sql(), r.tenant->id, before, static_cast<int>(page.limit) + 1);
  json list = json::array();
  std::string next;
  for (const auto& v : rows) {
    if (static_cast<long long>(list.size()) == page.limit) {
      next = encodeCursor({std::to_string(list.back()["version"].get<int>())});
      break;
    }
    list.push_back(versionJson(v, false));
  }
  return jsonReply(200, {{"versions", list}, {"next_cursor", next.empty() ? json() : json(next)}});
}

HttpResponse showVersion(AdminRequest& r) {
  auto version = versionParam(r.params[1]);
  TenantScope tx(r.deps.db, r.tenant->id);
  auto v = version ? getScriptVersion(tx.sql(), r.tenant->id, *version) : std::nullopt;
  if (!v)
    return notFound("no script version '" + r.params[1] + "'");
  return jsonReply(200, versionJson(*v, true));
}

HttpResponse activateVersion(AdminRequest& r) {
  auto version = versionParam(r.params[1]);
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  auto before = activeScriptVersion(sql, r.tenant->id);
  if (!version || !activateScriptVersion(sql, r.tenant->id, *version))
    return notFound("no script version '" + r.params[1] + "'");
  json after = versionJson(*getScriptVersion(sql, r.tenant->id, *version), false);
  writeAudit(sql, r.tenant->id, r.caller.actor, "activate", "script", r.params[1], after,
             before ? json{{"active_version", before->version}} : json());
  tx.commit();
  return jsonReply(200, after);
}

}  // namespace

std::optional<HttpResponse> badScriptSource(const std::string& source) {
  if (source.empty())
    return invalidField("source", "the script is empty");
  if (source.find('\0') != std::string::npos || validUtf8(source) != source)
    return invalidField("source", "the script is not UTF-8 text");
  if (source.size() > kMaxSourceBytes)
    return invalidField(
        "source", "the script is " + std::to_string(source.size()) + " bytes; at most 262144");
  return std::nullopt;
}

HttpResponse invalidScript(const LintReport& lint) {
  return jsonReply(400, {{"error", "invalid_script"},
                         {"details", lint.error},
                         {"field", "source"},
                         {"line", lint.error_line > 0 ? json(lint.error_line) : json()}});
}

void addScriptRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"PUT", "tenants/{tenant}/script", Access::kAnyCaller, uploadScript});
  routes.push_back({"GET", "tenants/{tenant}/script", Access::kAnyCaller, showActiveScript});
  routes.push_back({"DELETE", "tenants/{tenant}/script", Access::kAnyCaller, deactivateScript});
  routes.push_back({"GET", "tenants/{tenant}/script/versions", Access::kAnyCaller, listVersions});
  routes.push_back(
      {"GET", "tenants/{tenant}/script/versions/{version}", Access::kAnyCaller, showVersion});
  routes.push_back({"POST", "tenants/{tenant}/script/versions/{version}/activate",
                    Access::kAnyCaller, activateVersion});
}

}  // namespace baraza::admin
