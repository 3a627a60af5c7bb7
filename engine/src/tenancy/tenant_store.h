#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "security/sealer.h"
#include "storage/database.h"
#include "tenancy/tenant_file.h"

namespace baraza {

// Writes and reads of one tenant's configuration rows, shared by `baraza tenant import` and the
// admin API. Each runs inside the caller's transaction (a TenantScope acting for the tenant, or
// for all tenants); the caller validates first (tenant_rules.h) and writes the audit entry.

// SQL for "now" in the dialect's timestamp column format.
const char* sqlNow(Dialect d);

// Records that `tenant_id`'s configuration changed in this transaction, so every engine
// process's TenantDirectory reloads it once the transaction commits.
void markConfigChanged(soci::session& sql, const std::string& tenant_id);

// The tenant's row with counts of its active channels, templates and knowledge: what the audit
// log records before and after an import. Null when there is no such tenant.
nlohmann::json tenantSummary(soci::session& sql, const std::string& tenant_id);

// A change to a channel account; absent fields keep their value. Secrets are sealed here.
struct ChannelPatch {
  std::optional<std::string> display_phone_number, waba_id, access_token, verify_token,
      token_expires_at;  // "" clears the optional ones
  std::optional<bool> active;
  std::optional<std::string> app;  // "" clears it
};
// Inserts a new account; returns its id. The caller has checked phone_number_id is free.
std::string insertChannel(soci::session& sql, const Sealer& sealer, const std::string& tenant_id,
                          const ChannelSpec& channel);
void updateChannel(soci::session& sql, Dialect d, const Sealer& sealer,
                   const std::string& tenant_id, const std::string& id, const ChannelPatch& patch);
// The owner tenant id and account id of a number on the whole server, if it is registered.
std::optional<std::pair<std::string, std::string>> channelOwner(soci::session& sql,
                                                                const std::string& type,
                                                                const std::string& phone_id);

// Settings as JSON: every column of the settings table (defaults when the tenant has no row).
nlohmann::json readSettings(soci::session& sql, const std::string& tenant_id);
void writeSettings(soci::session& sql, const std::string& tenant_id,
                   const nlohmann::json& settings);

std::string insertTemplate(soci::session& sql, const std::string& tenant_id,
                           const TemplateSpec& tmpl);
void updateTemplate(soci::session& sql, Dialect d, const std::string& tenant_id,
                    const std::string& id, const TemplateSpec& tmpl);
// Makes `id` the only default template of the tenant.
void makeOnlyDefaultTemplate(soci::session& sql, const std::string& tenant_id,
                             const std::string& id);

std::string insertKnowledge(soci::session& sql, const std::string& tenant_id,
                            const KnowledgeSpec& entry);
void updateKnowledge(soci::session& sql, Dialect d, const std::string& tenant_id,
                     const std::string& id, const KnowledgeSpec& entry);

}  // namespace baraza
