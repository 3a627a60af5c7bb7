// /tenants/{tenant}/channels: the tenant's numbers. Secrets are write-only: responses and the
// audit log show "********", never a value.
#include "admin/admin_support.h"
#include "tenancy/audit.h"
#include "tenancy/tenant_rules.h"
#include "tenancy/tenant_store.h"

namespace baraza::admin {
namespace {

const char* kChannelColumns =
    "SELECT CAST(id AS TEXT), channel_type, phone_number_id, COALESCE(display_phone_number, ''), "
    "COALESCE(waba_id, ''), CASE WHEN active THEN 1 ELSE 0 END, CASE WHEN verify_token_sealed "
    "IS NULL THEN 0 ELSE 1 END, COALESCE(CAST(token_expires_at AS TEXT), ''), COALESCE(app, '') "
    "FROM "
    "channel_accounts WHERE tenant_id = :t";

json channelJson(const soci::row& row) {
  return {{"id", row.get<std::string>(0)},
          {"type", row.get<std::string>(1)},
          {"phone_number_id", row.get<std::string>(2)},
          {"display_phone_number", row.get<std::string>(3)},
          {"waba_id", row.get<std::string>(4)},
          {"active", rowInt(row, 5) != 0},
          {"access_token", "********"},
          {"verify_token", rowInt(row, 6) ? json("********") : json(nullptr)},
          {"token_expires_at", row.get<std::string>(7)},
          {"app", row.get<std::string>(8).empty() ? json(nullptr) : json(row.get<std::string>(8))}};
}

json channelById(soci::session& sql, const std::string& tenant, const std::string& id) {
  soci::rowset<soci::row> rows =
      (sql.prepare << std::string(kChannelColumns) + " AND CAST(id AS TEXT) = :i",
       soci::use(tenant), soci::use(id));
  for (const auto& row : rows)
    return channelJson(row);
  return nullptr;
}

HttpResponse listChannels(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id);
  return jsonReply(200, {{"channels", channelList(tx.sql(), r.tenant->id)}});
}

// A key registers only a number its credentials reach at the provider, so no tenant claims
// another business's number first. The operator is trusted as it is.
std::optional<HttpResponse> verifyOwnership(AdminRequest& r, ChannelSpec& ch) {
  AccountCheck check = r.deps.verify_account ? r.deps.verify_account(ch) : AccountCheck{};
  switch (check.result) {
    case AccountCheck::Result::kVerified:
      if (ch.display_phone_number.empty())
        ch.display_phone_number = check.display_phone_number;
      return std::nullopt;
    case AccountCheck::Result::kUnavailable:
      return jsonError(503, "verification_unavailable",
                       "phone_number_id: " + check.detail + "; try again later");
    case AccountCheck::Result::kRefused:
      return jsonError(
          422, "number_not_verified",
          "phone_number_id: the access_token does not reach this number: " + check.detail);
    case AccountCheck::Result::kUnsupported:
      break;
  }
  std::string why = check.detail.empty() ? "this engine cannot check it" : check.detail;
  return jsonError(422, "number_not_verified",
                   "phone_number_id: " + why + "; the operator registers this number");
}

HttpResponse createChannel(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readObject(r.http,
                         {"type", "phone_number_id", "display_phone_number", "waba_id",
                          "access_token", "verify_token", "token_expires_at", "app"},
                         error);
  if (!body)
    return *error;
  Fields f(*body);
  ChannelSpec ch{f.text("type", "whatsapp"),     f.text("phone_number_id"),
                 f.text("display_phone_number"), f.text("waba_id"),
                 f.text("access_token"),         f.text("verify_token"),
                 f.text("token_expires_at"),     f.text("app")};
  if (auto bad = f.error())
    return *bad;
  if (auto problem = checkChannel(ch))
    return invalidField(problem->field, problem->problem);
  {
    // A number belongs to one tenant on the whole server; which one is not said.
    TenantScope all(r.deps.db, TenantScope::kAllTenants);
    if (channelOwner(all.sql(), ch.type, ch.phone_number_id))
      return jsonError(409, "conflict", "phone_number_id: this number is registered already");
  }
  if (!r.caller.is_operator) {
    if (auto refused = verifyOwnership(r, ch))
      return *refused;
  }
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  std::string id;
  try {
    id = insertChannel(sql, r.deps.sealer, r.tenant->id, ch);
  } catch (const soci::soci_error&) {
    return jsonError(409, "conflict", "phone_number_id: this number is registered already");
  }
  markConfigChanged(sql, r.tenant->id);
  json created = channelById(sql, r.tenant->id, id);
  writeAudit(sql, r.tenant->id, r.caller.actor, "create", "channel_account", id, created);
  tx.commit();
  return jsonReply(201, created);
}

HttpResponse showChannel(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id);
  json channel = channelById(tx.sql(), r.tenant->id, r.params[1]);
  if (channel.is_null())
    return notFound("no channel account '" + r.params[1] + "'");
  return jsonReply(200, channel);
}

HttpResponse changeChannel(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readObject(r.http,
                         {"display_phone_number", "waba_id", "access_token", "verify_token",
                          "token_expires_at", "active", "app"},
                         error);
  if (!body)
    return *error;
  Fields f(*body);
  ChannelPatch patch;
  auto optional_text = [&](const char* name, std::optional<std::string>& into) {
    if (f.has(name))
      into = f.text(name);
  };
  optional_text("display_phone_number", patch.display_phone_number);
  optional_text("waba_id", patch.waba_id);
  optional_text("access_token", patch.access_token);
  optional_text("verify_token", patch.verify_token);
  optional_text("token_expires_at", patch.token_expires_at);
  optional_text("app", patch.app);
  if (f.has("active"))
    patch.active = f.flag("active", true);
  if (auto bad = f.error())
    return *bad;
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  json before = channelById(sql, r.tenant->id, r.params[1]);
  if (before.is_null())
    return notFound("no channel account '" + r.params[1] + "'");
  // The whole account after the change must pass the same rules as a new one.
  ChannelSpec check{before["type"],
                    before["phone_number_id"],
                    patch.display_phone_number.value_or(before["display_phone_number"]),
                    patch.waba_id.value_or(before["waba_id"]),
                    patch.access_token.value_or("kept"),
                    patch.verify_token.value_or(""),
                    patch.token_expires_at.value_or(before["token_expires_at"]),
                    patch.app.value_or(before["app"].is_null() ? std::string()
                                                               : before["app"].get<std::string>())};
  if (auto problem = checkChannel(check))
    return invalidField(problem->field, problem->problem);
  updateChannel(sql, r.deps.db.dialect(), r.deps.sealer, r.tenant->id, r.params[1], patch);
  markConfigChanged(sql, r.tenant->id);
  json after = channelById(sql, r.tenant->id, r.params[1]);
  json audit_after = after;
  if (patch.access_token)
    audit_after["access_token"] = "******** (replaced)";
  if (patch.verify_token)
    audit_after["verify_token"] = "******** (replaced)";
  writeAudit(sql, r.tenant->id, r.caller.actor, "update", "channel_account", r.params[1],
             audit_after, before);
  tx.commit();
  return jsonReply(200, after);
}

// DELETE deactivates: stored conversations still refer to the account.
HttpResponse deactivateChannel(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  json before = channelById(sql, r.tenant->id, r.params[1]);
  if (before.is_null())
    return notFound("no channel account '" + r.params[1] + "'");
  ChannelPatch patch;
  patch.active = false;
  updateChannel(sql, r.deps.db.dialect(), r.deps.sealer, r.tenant->id, r.params[1], patch);
  markConfigChanged(sql, r.tenant->id);
  writeAudit(sql, r.tenant->id, r.caller.actor, "deactivate", "channel_account", r.params[1],
             channelById(sql, r.tenant->id, r.params[1]), before);
  tx.commit();
  return noContent();
}

}  // namespace

json channelList(soci::session& sql, const std::string& tenant_id) {
  json list = json::array();
  soci::rowset<soci::row> rows =
      (sql.prepare << std::string(kChannelColumns) + " ORDER BY phone_number_id",
       soci::use(tenant_id));
  for (const auto& row : rows)
    list.push_back(channelJson(row));
  return list;
}

void addChannelRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "tenants/{tenant}/channels", Access::kAnyCaller, listChannels});
  routes.push_back({"POST", "tenants/{tenant}/channels", Access::kAnyCaller, createChannel});
  routes.push_back({"GET", "tenants/{tenant}/channels/{id}", Access::kAnyCaller, showChannel});
  routes.push_back({"PATCH", "tenants/{tenant}/channels/{id}", Access::kAnyCaller, changeChannel});
  routes.push_back(
      {"DELETE", "tenants/{tenant}/channels/{id}", Access::kAnyCaller, deactivateChannel});
}

}  // namespace baraza::admin
