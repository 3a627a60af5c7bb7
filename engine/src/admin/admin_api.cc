#include "admin/admin_api.h"

#include <charconv>

#include <openssl/crypto.h>
#include <nlohmann/json.hpp>

#include "admin/api_keys.h"
#include "core/iso_time.h"
#include "core/uuid.h"
#include "tenancy/audit.h"
#include "tenancy/token_expiry.h"

namespace baraza {
namespace {

using json = nlohmann::json;

struct Caller {
  bool operator_ = false;
  std::string tenant_id;  // set for a tenant API key
  std::string actor;      // for the audit log
};

HttpResponse ok(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

class AdminApi {
 public:
  AdminApi(Database& db, std::optional<std::string> token)
      : db_(db), operator_token_(std::move(token)) {}

  HttpResponse handle(const HttpRequest& req) {
    try {
      return route(req);
    } catch (const StorageError& e) {
      return jsonError(503, "unavailable", "the database is busy or unreachable; retry");
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
    std::vector<std::string> parts;
    std::string rest = req.path.substr(std::string("/admin/v1").size());
    size_t pos = 0;
    while (pos < rest.size()) {
      size_t next = rest.find('/', pos + 1);
      if (next == std::string::npos)
        next = rest.size();
      std::string part = rest.substr(pos + 1, next - pos - 1);
      if (!part.empty())
        parts.push_back(part);
      pos = next;
    }
    const std::string& m = req.method;
    if (parts.size() == 1 && parts[0] == "tenants") {
      return m == "GET" ? listTenants(*caller, req) : notAllowed("GET");
    }
    if (parts.size() == 1 && parts[0] == "alerts") {
      return m == "GET" ? alerts(*caller) : notAllowed("GET");
    }
    if (parts.size() >= 2 && parts[0] == "tenants") {
      auto tenant = visibleTenant(*caller, parts[1]);
      if (!tenant)
        return jsonError(404, "not_found", "no tenant '" + parts[1] + "'");
      if (parts.size() == 2)
        return m == "GET" ? showTenant(*tenant) : notAllowed("GET");
      if (parts.size() == 3 && parts[2] == "api-keys") {
        if (m == "POST" && !caller->operator_) {
          // A leaked key must not be able to mint its successor before it is revoked.
          return jsonError(403, "forbidden", "only the operator token creates API keys");
        }
        if (m == "POST")
          return createKey(*caller, *tenant, req);
        return m == "GET" ? listKeys(*tenant) : notAllowed("GET, POST");
      }
      if (parts.size() == 4 && parts[2] == "api-keys") {
        return m == "DELETE" ? revokeKey(*caller, *tenant, parts[3]) : notAllowed("DELETE");
      }
      if (parts.size() == 3 && parts[2] == "audit") {
        return m == "GET" ? auditLog(*tenant, req) : notAllowed("GET");
      }
    }
    return jsonError(404, "not_found", "no admin route " + req.method + " " + req.path);
  }

  struct Tenant {
    std::string id, slug, name, organization;
    bool active;
  };

  // ?limit=N: fills `limit` (default when absent); a 400 naming the parameter otherwise.
  static std::optional<HttpResponse> readLimit(const HttpRequest& req, long long fallback,
                                               long long max, long long& limit) {
    std::string text = req.queryParam("limit");
    limit = fallback;
    if (text.empty())
      return std::nullopt;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || p != text.data() + text.size() || limit < 1 || limit > max) {
      return jsonError(400, "invalid_parameter",
                       "limit must be a whole number from 1 to " + std::to_string(max));
    }
    return std::nullopt;
  }

  static HttpResponse notAllowed(const std::string& allow) {
    HttpResponse r = jsonError(405, "method_not_allowed", "use " + allow);
    r.headers.emplace_back("Allow", allow);
    return r;
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
      return Caller{true, "", "operator"};
    }
    if (auto tenant = tenantOfApiKey(db_, token)) {
      return Caller{false, *tenant, "api-key:" + token.substr(0, 12)};
    }
    return std::nullopt;
  }

  std::optional<Tenant> visibleTenant(const Caller& caller, const std::string& slug) {
    auto lease = db_.lease();
    if (!lease)
      throw StorageError("no database connection free");
    Tenant t;
    std::string org;
    int active = 0;
    soci::indicator oi = soci::i_null;
    **lease << "SELECT CAST(t.id AS TEXT), t.slug, t.name, CASE WHEN t.active THEN 1 ELSE 0 END, "
               "o.slug FROM tenants t LEFT JOIN organizations o ON o.id = t.organization_id "
               "WHERE t.slug = :s",
        soci::use(slug), soci::into(t.id), soci::into(t.slug), soci::into(t.name),
        soci::into(active), soci::into(org, oi);
    if (!(*lease)->got_data())
      return std::nullopt;
    if (!caller.operator_ && caller.tenant_id != t.id)
      return std::nullopt;  // no data, no hint
    t.active = active != 0;
    t.organization = oi == soci::i_ok ? org : "";
    return t;
  }

  HttpResponse listTenants(const Caller& caller, const HttpRequest& req) {
    long long limit = 0;
    if (auto bad = readLimit(req, 50, 500, limit))
      return *bad;
    std::string cursor = req.queryParam("cursor");
    auto lease = db_.lease();
    if (!lease)
      throw StorageError("no database connection free");
    std::string only = caller.operator_ ? "" : caller.tenant_id;
    long long fetch = limit + 1;
    soci::rowset<soci::row> rows =
        ((*lease)->prepare << "SELECT t.slug, t.name, CASE WHEN t.active THEN 1 ELSE 0 END, "
                              "COALESCE(o.slug, '') FROM tenants t LEFT JOIN organizations o ON "
                              "o.id = t.organization_id WHERE t.slug > :c AND (:only = '' OR "
                              "CAST(t.id AS TEXT) = :only2) ORDER BY t.slug LIMIT :l",
         soci::use(cursor), soci::use(only), soci::use(only), soci::use(fetch));
    json list = json::array();
    std::string next;
    for (const auto& r : rows) {
      if (static_cast<long long>(list.size()) == limit) {
        next = list.back()["slug"];
        break;
      }
      list.push_back({{"slug", r.get<std::string>(0)},
                      {"name", r.get<std::string>(1)},
                      {"active", rowInt(r, 2) != 0},
                      {"organization", r.get<std::string>(3)}});
    }
    json body{{"tenants", list}};
    body["next_cursor"] = next.empty() ? json(nullptr) : json(next);
    return ok(200, body);
  }

  HttpResponse showTenant(const Tenant& t) {
    TenantScope scope(db_, t.id);  // row-level security: only this tenant's rows
    json channels = json::array();
    soci::rowset<soci::row> rows =
        (scope.sql().prepare << "SELECT channel_type, phone_number_id, "
                                "COALESCE(display_phone_number, ''), COALESCE(waba_id, ''), "
                                "CASE WHEN active THEN 1 ELSE 0 END, CASE WHEN "
                                "verify_token_sealed IS NULL THEN 0 ELSE 1 END, "
                                "COALESCE(CAST(token_expires_at AS TEXT), '') FROM "
                                "channel_accounts WHERE tenant_id = :t ORDER BY phone_number_id",
         soci::use(t.id));
    for (const auto& r : rows) {
      // Secrets are write-only: their presence is shown, never their value.
      channels.push_back({{"type", r.get<std::string>(0)},
                          {"phone_number_id", r.get<std::string>(1)},
                          {"display_phone_number", r.get<std::string>(2)},
                          {"waba_id", r.get<std::string>(3)},
                          {"active", rowInt(r, 4) != 0},
                          {"access_token", "********"},
                          {"verify_token", rowInt(r, 5) ? json("********") : json(nullptr)},
                          {"token_expires_at", r.get<std::string>(6)}});
    }
    long long templates = 0, knowledge = 0;
    scope.sql() << "SELECT COUNT(*) FROM prompt_templates WHERE tenant_id = :t", soci::use(t.id),
        soci::into(templates);
    scope.sql() << "SELECT COUNT(*) FROM knowledge_entries WHERE tenant_id = :t", soci::use(t.id),
        soci::into(knowledge);
    return ok(200, {{"slug", t.slug},
                    {"name", t.name},
                    {"active", t.active},
                    {"organization", t.organization},
                    {"channels", channels},
                    {"templates", templates},
                    {"knowledge_entries", knowledge}});
  }

  HttpResponse createKey(const Caller& caller, const Tenant& t, const HttpRequest& req) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return jsonError(400, "invalid_json", "the body must be a JSON object");
    }
    auto name = body.find("name");
    if (name == body.end() || !name->is_string() || name->get<std::string>().empty() ||
        name->get<std::string>().size() > 100) {
      return jsonError(400, "invalid_field", "name: a string of 1 to 100 characters is required");
    }
    TenantScope scope(db_, t.id, true);
    soci::session& sql = scope.sql();
    NewApiKey k = createApiKey(sql, t.id, name->get<std::string>());
    audit(sql, t.id, caller.actor, "create", "api_key", k.id,
          {{"name", name->get<std::string>()}, {"prefix", k.prefix}});
    scope.commit();
    return ok(201, {{"id", k.id},
                    {"name", name->get<std::string>()},
                    {"prefix", k.prefix},
                    {"key", k.key},
                    {"note", "the key is shown once; only its hash is stored"}});
  }

  HttpResponse listKeys(const Tenant& t) {
    TenantScope scope(db_, t.id);
    json keys = json::array();
    soci::rowset<soci::row> rows =
        (scope.sql().prepare << "SELECT CAST(id AS TEXT), name, prefix, CAST(created_at AS TEXT), "
                                "CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END FROM api_keys "
                                "WHERE tenant_id = :t ORDER BY created_at, id",
         soci::use(t.id));
    for (const auto& r : rows) {
      keys.push_back({{"id", r.get<std::string>(0)},
                      {"name", r.get<std::string>(1)},
                      {"prefix", r.get<std::string>(2)},
                      {"created_at", r.get<std::string>(3)},
                      {"revoked", rowInt(r, 4) != 0}});
    }
    return ok(200, {{"api_keys", keys}});
  }

  HttpResponse revokeKey(const Caller& caller, const Tenant& t, const std::string& id) {
    TenantScope scope(db_, t.id, true);
    soci::session& sql = scope.sql();
    long long found = 0;
    sql << "SELECT COUNT(*) FROM api_keys WHERE tenant_id = :t AND CAST(id AS TEXT) = :i AND "
           "revoked_at IS NULL",
        soci::use(t.id), soci::use(id), soci::into(found);
    if (found == 0)
      return jsonError(404, "not_found", "no active API key '" + id + "'");
    const char* now =
        db_.dialect() == Dialect::kSqlite ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" : "now()";
    sql << std::string("UPDATE api_keys SET revoked_at = ") + now +
               " WHERE tenant_id = :t AND CAST(id AS TEXT) = :i",
        soci::use(t.id), soci::use(id);
    audit(sql, t.id, caller.actor, "revoke", "api_key", id, json::object());
    scope.commit();
    HttpResponse r;
    r.status = 204;
    return r;
  }

  // GET .../audit?limit=&action=&entity=: newest first.
  HttpResponse auditLog(const Tenant& t, const HttpRequest& req) {
    long long limit = 0;
    if (auto bad = readLimit(req, 100, 1000, limit))
      return *bad;
    std::string action = req.queryParam("action"), entity = req.queryParam("entity");
    TenantScope scope(db_, t.id);
    soci::rowset<soci::row> rows =
        (scope.sql().prepare << "SELECT CAST(id AS TEXT), actor, action, entity, "
                                "COALESCE(entity_id, ''), COALESCE(CAST(after AS TEXT), ''), "
                                "CAST(created_at AS TEXT) FROM audit_log WHERE tenant_id = :t AND "
                                "(:a = '' OR action = :a2) AND (:e = '' OR entity = :e2) ORDER BY "
                                "created_at DESC, id DESC LIMIT :l",
         soci::use(t.id), soci::use(action), soci::use(action), soci::use(entity),
         soci::use(entity), soci::use(limit));
    json entries = json::array();
    for (const auto& r : rows) {
      json after = json::parse(r.get<std::string>(5), nullptr, false);
      entries.push_back({{"id", r.get<std::string>(0)},
                         {"actor", r.get<std::string>(1)},
                         {"action", r.get<std::string>(2)},
                         {"entity", r.get<std::string>(3)},
                         {"entity_id", r.get<std::string>(4)},
                         {"after", after.is_discarded() ? json(nullptr) : after},
                         {"at", r.get<std::string>(6)}});
    }
    return ok(200, {{"entries", entries}});
  }

  static void audit(soci::session& sql, const std::string& tenant, const std::string& actor,
                    const std::string& action, const std::string& entity,
                    const std::string& entity_id, const json& after) {
    writeAudit(sql, tenant, actor, action, entity, entity_id, after);
  }

  HttpResponse alerts(const Caller& caller) {
    json list = json::array();
    // A tenant key's alerts are read inside that tenant's scope, not filtered afterwards.
    std::string scope = caller.operator_ ? TenantScope::kAllTenants : caller.tenant_id;
    for (const auto& t : expiringTokens(db_, std::time(nullptr), 14, scope)) {
      list.push_back({{"kind", t.expired ? "token_expired" : "token_expiring"},
                      {"tenant", t.tenant_slug},
                      {"phone_number_id", t.phone_number_id},
                      {"expires_at", t.expires_at},
                      {"days_left", t.days_left}});
    }
    return ok(200, {{"alerts", list}});
  }

  Database& db_;
  std::optional<std::string> operator_token_;
};

}  // namespace

void addAdminRoutes(Router& router, Database& db, std::optional<std::string> operator_token) {
  auto api = std::make_shared<AdminApi>(db, std::move(operator_token));
  router.add("*", "/admin/v1/*", [api](const HttpRequest& req) { return api->handle(req); });
}

}  // namespace baraza
