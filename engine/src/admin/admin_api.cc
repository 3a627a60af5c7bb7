#include "admin/admin_api.h"

#include <openssl/crypto.h>

#include "admin/admin_support.h"
#include "admin/api_keys.h"
#include "admin/idempotency.h"

namespace baraza {
namespace {

using namespace admin;

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos)
      next = path.size();
    if (next > pos)
      parts.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
}

std::vector<AdminRoute> allRoutes() {
  std::vector<AdminRoute> routes;
  addTenantRoutes(routes);
  addOrganizationRoutes(routes);
  addChannelRoutes(routes);
  addSettingsRoutes(routes);
  addTemplateRoutes(routes);
  addKnowledgeRoutes(routes);
  addKeyAndAuditRoutes(routes);
  addConversationRoutes(routes);
  addInboxRoutes(routes);
  addScriptRoutes(routes);
  addActionRoutes(routes);
  addAiProviderRoutes(routes);
  addUsageRoutes(routes);
  addLeadRoutes(routes);
  addLeadReportRoutes(routes);
  addReplyRoutes(routes);
  addAnalyticsRoutes(routes);
  addOutboxRoutes(routes);
  addScriptTryRoutes(routes);
  return routes;
}

// Fills `params` when `parts` fits `pattern` ("{x}" matches any one segment).
bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& parts,
             std::vector<std::string>& params) {
  if (pattern.size() != parts.size())
    return false;
  params.clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i].front() == '{')
      params.push_back(parts[i]);
    else if (pattern[i] != parts[i])
      return false;
  }
  return true;
}

class AdminApi {
 public:
  AdminApi(Database& db, const Sealer& sealer, const TenantDirectory* directory,
           std::optional<std::string> token, const ScriptingConfig* scripting,
           AccountVerifier verify_account)
      : deps_{db, sealer, directory, scripting, std::move(verify_account)},
        idempotency_(db, sealer),
        operator_token_(std::move(token)),
        routes_(allRoutes()) {
    for (const auto& r : routes_)
      patterns_.push_back(splitPath(r.pattern));
  }

  HttpResponse handle(const HttpRequest& req) {
    try {
      return route(req);
    } catch (const StorageError&) {
      return jsonError(503, "unavailable", "the database is busy or unreachable; retry");
    } catch (const soci::soci_error&) {
      return jsonError(503, "unavailable", "the database refused the change; retry");
    }
  }

 private:
  HttpResponse route(const HttpRequest& req) {
    auto caller = authenticate(req);
    if (!caller) {
      HttpResponse r = jsonError(
          401, "unauthorized", "send Authorization: Bearer with the operator token or an API key");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    std::vector<std::string> parts = splitPath(req.path.substr(std::string("/admin/v1").size()));
    std::vector<std::string> params;
    std::string allow;
    const AdminRoute* found = nullptr;
    for (size_t i = 0; i < routes_.size(); ++i) {
      if (!matches(patterns_[i], parts, params))
        continue;
      if (routes_[i].method == req.method) {
        found = &routes_[i];
        break;
      }
      allow += (allow.empty() ? "" : ", ") + routes_[i].method;
    }
    if (!found && allow.empty())
      return notFound("no admin route " + req.method + " " + req.path);
    if (!caller->organization_id.empty() &&
        (parts.empty() ||
         (parts[0] != "tenants" && parts[0] != "organizations" && parts[0] != "session"))) {
      return forbidden(
          "an organization key reaches only /organizations and its agents' "
          "/tenants routes");
    }
    AdminRequest ar{req, *caller, deps_, std::nullopt, {}};
    // The tenant first: another tenant's resources are a 404 whatever the method.
    if (parts.size() >= 2 && parts[0] == "tenants") {
      ar.tenant = visibleTenant(*caller, parts[1]);
      if (!ar.tenant)
        return notFound("no tenant '" + parts[1] + "'");
    }
    if (!found) {
      HttpResponse r = jsonError(405, "method_not_allowed", "use " + allow);
      r.headers.emplace_back("Allow", allow);
      return r;
    }
    matches(splitPath(found->pattern), parts, params);
    ar.params = params;
    if (found->access == Access::kOperatorOnly && !caller->is_operator)
      return forbidden("only the operator token may " + req.method + " here");
    auto key = req.header("idempotency-key");
    if (req.method != "POST" || !key)
      return found->handler(ar);
    std::string who = caller->is_operator               ? "operator"
                      : caller->organization_id.empty() ? "key:" + caller->key_id
                                                        : "org-key:" + caller->key_id;
    auto claim = idempotency_.claim(who, *key, req);
    if (!claim.claimed)
      return *claim.answer;
    try {
      HttpResponse response;
      {
        CommitHook applied = idempotency_.applying(who, *key);
        response = found->handler(ar);
      }
      idempotency_.finish(who, *key, response);
      return response;
    } catch (...) {
      idempotency_.release(who, *key);
      throw;
    }
  }

  std::optional<Caller> authenticate(const HttpRequest& req) {
    auto header = req.header("authorization");
    if (!header || header->rfind("Bearer ", 0) != 0)
      return std::nullopt;
    std::string token = header->substr(7);
    if (token.empty())
      return std::nullopt;
    if (operator_token_ && operator_token_->size() == token.size() &&
        CRYPTO_memcmp(operator_token_->data(), token.data(), token.size()) == 0) {
      return Caller{true, "", "", "", "operator"};
    }
    if (auto owner = tenantOfApiKey(deps_.db, token))
      return Caller{false, owner->tenant_id, "", owner->key_id, "api-key:" + token.substr(0, 12)};
    if (auto owner = organizationOfApiKey(deps_.db, token))
      return Caller{false, "", owner->tenant_id, owner->key_id, "org-key:" + token.substr(0, 12)};
    return std::nullopt;
  }

  std::optional<TenantRef> visibleTenant(const Caller& caller, const std::string& slug) {
    TenantScope tx(deps_.db, TenantScope::kAllTenants);
    TenantRef t;
    int active = 0;
    soci::indicator oi = soci::i_null;
    tx.sql() << "SELECT CAST(id AS TEXT), slug, name, CASE WHEN active THEN 1 ELSE 0 END, "
                "CAST(organization_id AS TEXT) FROM tenants WHERE slug = :s",
        soci::use(slug), soci::into(t.id), soci::into(t.slug), soci::into(t.name),
        soci::into(active), soci::into(t.organization_id, oi);
    if (!tx.sql().got_data())
      return std::nullopt;
    if (oi != soci::i_ok)
      t.organization_id.clear();
    bool organizations_agent =
        !caller.organization_id.empty() && caller.organization_id == t.organization_id;
    if (!caller.is_operator && caller.tenant_id != t.id && !organizations_agent)
      return std::nullopt;  // no data, no hint
    t.active = active != 0;
    return t;
  }

  AdminDeps deps_;
  IdempotencyStore idempotency_;
  std::optional<std::string> operator_token_;
  std::vector<AdminRoute> routes_;
  std::vector<std::vector<std::string>> patterns_;
};

}  // namespace

void addAdminRoutes(Router& router, Database& db, const Sealer& sealer,
                    const TenantDirectory* directory, std::optional<std::string> operator_token,
                    const ScriptingConfig* scripting, AccountVerifier verify_account) {
  auto api = std::make_shared<AdminApi>(db, sealer, directory, std::move(operator_token), scripting,
                                        std::move(verify_account));
  router.add("*", "/admin/v1/*", [api](const HttpRequest& req) { return api->handle(req); });
}

std::vector<std::pair<std::string, std::string>> adminRouteList() {
  std::vector<std::pair<std::string, std::string>> list;
  for (const auto& r : allRoutes())
    list.emplace_back(r.method, "/admin/v1/" + r.pattern);
  return list;
}

}  // namespace baraza
