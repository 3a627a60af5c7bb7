#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/http_types.h"
#include "scripting/script_lint.h"
#include "scripting/scripting_config.h"
#include "security/sealer.h"
#include "storage/database.h"
#include "tenancy/account_check.h"
#include "tenancy/tenant_directory.h"

namespace baraza::admin {

using json = nlohmann::json;

// Who is calling: the operator token, one tenant's API key, or one organization's key (which
// reaches the organization's leads and its agents' tenant routes).
struct Caller {
  bool is_operator = false;
  std::string tenant_id;        // a tenant key's tenant
  std::string organization_id;  // an organization key's organization
  std::string key_id;           // a key's id ("" for the operator)
  std::string actor;            // for the audit log: "operator" or "api-key:bzk_1234abcd"
};

// The tenant a /tenants/{tenant}/... request addresses, once the caller may see it.
struct TenantRef {
  std::string id, slug, name, organization_id;
  bool active = true;
};

struct AdminDeps {
  Database& db;
  const Sealer& sealer;
  const TenantDirectory* directory;            // this process's cache; null in tools without one
  const ScriptingConfig* scripting = nullptr;  // the sandbox limits uploads are checked with
  // Checks with the provider that a key's new channel account is its own; none: keys cannot
  // register accounts, only the operator can.
  AccountVerifier verify_account;
};

// One admin request on its way through a route: the caller, the resolved tenant (routes whose
// pattern has {tenant}) and the other {placeholders} in order.
struct AdminRequest {
  const HttpRequest& http;
  const Caller& caller;
  AdminDeps& deps;
  std::optional<TenantRef> tenant;
  std::vector<std::string> params;
};

using AdminHandler = std::function<HttpResponse(AdminRequest&)>;

enum class Access { kAnyCaller, kOperatorOnly };

struct AdminRoute {
  std::string method;
  std::string pattern;  // below /admin/v1: "tenants/{tenant}/templates/{id}"
  Access access;
  AdminHandler handler;
};

// Each resource file adds its routes here.
void addTenantRoutes(std::vector<AdminRoute>& routes);
void addOrganizationRoutes(std::vector<AdminRoute>& routes);
void addChannelRoutes(std::vector<AdminRoute>& routes);
void addSettingsRoutes(std::vector<AdminRoute>& routes);
void addTemplateRoutes(std::vector<AdminRoute>& routes);
void addKnowledgeRoutes(std::vector<AdminRoute>& routes);
void addKeyAndAuditRoutes(std::vector<AdminRoute>& routes);
void addConversationRoutes(std::vector<AdminRoute>& routes);
void addInboxRoutes(std::vector<AdminRoute>& routes);
void addScriptRoutes(std::vector<AdminRoute>& routes);
void addActionRoutes(std::vector<AdminRoute>& routes);
void addAiProviderRoutes(std::vector<AdminRoute>& routes);
void addUsageRoutes(std::vector<AdminRoute>& routes);
void addLeadRoutes(std::vector<AdminRoute>& routes);
void addLeadReportRoutes(std::vector<AdminRoute>& routes);
void addReplyRoutes(std::vector<AdminRoute>& routes);
void addAnalyticsRoutes(std::vector<AdminRoute>& routes);
void addOutboxRoutes(std::vector<AdminRoute>& routes);
void addScriptTryRoutes(std::vector<AdminRoute>& routes);

// The organization `slug` when the caller may read its leads: the operator, or that
// organization's key. A 404 (no such organization, or not the caller's) or a 403 (a tenant key
// of that organization) in `error` otherwise.
struct OrganizationRef {
  std::string id, slug, name;
};
std::optional<OrganizationRef> leadOrganization(AdminRequest& r, const std::string& slug,
                                                std::optional<HttpResponse>& error);

// An API key creation's body, {"name": 1 to 100 characters}: the name, or a 400 in `error`.
std::optional<std::string> readKeyName(const HttpRequest& req, std::optional<HttpResponse>& error);
// A key listing's row (id, name, prefix, created_at, revoked 0/1) as JSON; never the hash.
json apiKeyJson(const soci::row& row);

// A script's Lua text as uploads and tries take it: a 400 naming `source` when it is empty,
// not UTF-8 text, or over 256 KiB (script_routes.cc).
std::optional<HttpResponse> badScriptSource(const std::string& source);
// The 400 `invalid_script` of a script that does not load, with its line.
HttpResponse invalidScript(const LintReport& lint);

// ?since= and ?until= as ISO times ("" when absent); a 400 naming the parameter otherwise.
std::optional<HttpResponse> readTimeRange(const HttpRequest& req, std::string& since,
                                          std::string& until);

// A tenant's channel accounts as JSON, secrets masked (channel_routes.cc).
json channelList(soci::session& sql, const std::string& tenant_id);

// A page of an audit log table ("audit_log" for `tenant_id`, or "operator_audit_log" with
// tenant_id ""), newest first, filtered by ?action=&entity=&entity_id= and paged by ?cursor=.
// Returns {"entries": [...], "next_cursor": ...}, or a 400 in `error`.
json auditPage(AdminRequest& r, soci::session& sql, const std::string& table,
               const std::string& tenant_id, long long limit, std::optional<HttpResponse>& error);

// Responses.
HttpResponse jsonReply(int status, const json& body);
HttpResponse noContent();
HttpResponse notFound(const std::string& what);
// 400 {"error": "invalid_field", "field": ..., "details": "field: problem"}.
HttpResponse invalidField(const std::string& field, const std::string& problem);
HttpResponse forbidden(const std::string& details);

// ?limit=N: fills `limit` (`fallback` when absent); a 400 naming the parameter otherwise.
std::optional<HttpResponse> readLimit(const HttpRequest& req, long long fallback, long long max,
                                      long long& limit);

// Opaque page cursors: the sort key of the last row shown, hex-encoded.
std::string encodeCursor(const std::vector<std::string>& key);
// The key, or nullopt when `cursor` was not made by encodeCursor with `parts` parts.
std::optional<std::vector<std::string>> decodeCursor(const std::string& cursor, size_t parts);
// The cursor parameter as a key: {} when absent, a 400 in `error` when malformed. With
// `time_first`, the key's first part must be a timestamp (it is compared with a time column).
std::optional<std::vector<std::string>> readCursor(const HttpRequest& req, size_t parts,
                                                   std::optional<HttpResponse>& error,
                                                   bool time_first = false);

// ?limit= and ?cursor= of a list route.
struct PageRequest {
  long long limit = 0;
  std::vector<std::string> after;  // the cursor's key; empty on the first page
};
// Reads both (limit `fallback` when absent, 1 to `max`; a cursor of `key_parts` parts); a 400
// naming the parameter otherwise.
std::optional<HttpResponse> readPage(const HttpRequest& req, long long fallback, long long max,
                                     size_t key_parts, PageRequest& page, bool time_first = false);

// Runs `text` (ending in "LIMIT :n") with the string `params` bound in order and then the
// limit plus one; answers the rows (at most `limit`) through `to_json`, and sets `next_cursor`
// to the `key_columns` of the last row shown when more remain (else null).
json fetchPage(soci::session& sql, const std::string& text, const std::vector<std::string>& params,
               long long limit, const std::function<json(const soci::row&)>& to_json,
               const std::vector<size_t>& key_columns, json& next_cursor);

// The rows of `text` (the string `params` bound in order) as JSON objects whose fields are
// `names` in column order (true: a number); "" and NULL text become null.
json rowsAsJson(soci::session& sql, const std::string& text, const std::vector<std::string>& params,
                const std::vector<std::pair<const char*, bool>>& names);

// The body as a JSON object whose fields are all in `allowed`; otherwise a 400 in `error`.
std::optional<json> readObject(const HttpRequest& req, const std::vector<std::string>& allowed,
                               std::optional<HttpResponse>& error);

// Typed fields of a JSON body: each getter returns the value (or `fallback` when absent) and
// records the first problem, which error() turns into a 400 naming the field.
class Fields {
 public:
  explicit Fields(const json& body) : body_(body) {}
  bool has(const char* name) const { return body_.contains(name); }
  std::string text(const char* name, const std::string& fallback = "");
  bool flag(const char* name, bool fallback);
  long long integer(const char* name, long long fallback);
  double number(const char* name, double fallback);
  std::vector<std::string> texts(const char* name);
  std::optional<HttpResponse> error() const;
  const std::string& failedField() const { return field_; }
  const std::string& failedProblem() const { return problem_; }
  void fail(const std::string& field, const std::string& problem);

 private:
  const json& body_;
  std::string field_, problem_;
};

}  // namespace baraza::admin
