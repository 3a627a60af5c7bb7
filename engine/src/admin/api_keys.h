#pragma once

#include <optional>
#include <string>

#include "storage/database.h"

namespace baraza {

struct NewApiKey {
  std::string id;
  std::string prefix;  // the first characters, shown in listings to tell keys apart
  std::string key;     // shown once; only its SHA-256 is stored
};

// A per-tenant admin API key: "bzk_" + 40 hex characters of randomness. Stored hashed.
NewApiKey createApiKey(soci::session& sql, const std::string& tenant_id, const std::string& name);

struct ApiKeyOwner {
  std::string tenant_id;  // or, for an organization key, the organization's id
  std::string key_id;
};

// The tenant a presented key belongs to (not revoked), or nullopt.
std::optional<ApiKeyOwner> tenantOfApiKey(Database& db, const std::string& key);

// An organization-scoped admin API key (seed 004's organization admin): "bzo_" + 40 hex
// characters. Stored hashed in organization_api_keys.
NewApiKey createOrganizationKey(soci::session& sql, const std::string& organization_id,
                                const std::string& name);

// The organization a presented "bzo_" key belongs to (not revoked), or nullopt.
std::optional<ApiKeyOwner> organizationOfApiKey(Database& db, const std::string& key);

}  // namespace baraza
