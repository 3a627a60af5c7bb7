#include "admin/api_keys.h"

#include <openssl/rand.h>

#include "core/uuid.h"
#include "storage/migrator.h"

namespace baraza {
namespace {

// A fresh key: `kind` ("bzk_", "bzo_") and 40 hex characters of randomness.
NewApiKey freshKey(const char* kind) {
  unsigned char raw[20];
  if (RAND_bytes(raw, sizeof(raw)) != 1)
    throw StorageError("random generator failed");
  static const char* hex = "0123456789abcdef";
  NewApiKey k;
  k.key = kind;
  for (unsigned char b : raw) {
    k.key += hex[b >> 4];
    k.key += hex[b & 15];
  }
  k.id = newUuid();
  k.prefix = k.key.substr(0, 12);
  return k;
}

// The owner and id of the unrevoked key with this key's hash in `table`.
std::optional<ApiKeyOwner> ownerOf(Database& db, const std::string& table,
                                   const std::string& owner_column, const std::string& key) {
  TenantScope scope(db, TenantScope::kAllTenants);  // authentication looks across tenants
  soci::session& sql = scope.sql();
  std::string hash = sha256Hex(key);
  ApiKeyOwner owner;
  sql << "SELECT CAST(" + owner_column + " AS TEXT), CAST(id AS TEXT) FROM " + table +
             " WHERE key_hash = :h AND revoked_at IS NULL",
      soci::use(hash), soci::into(owner.tenant_id), soci::into(owner.key_id);
  if (!sql.got_data())
    return std::nullopt;
  return owner;
}

}  // namespace

NewApiKey createApiKey(soci::session& sql, const std::string& tenant_id, const std::string& name) {
  NewApiKey k = freshKey("bzk_");
  std::string hash = sha256Hex(k.key);
  sql << "INSERT INTO api_keys (tenant_id, id, name, prefix, key_hash) VALUES (:t, :i, :n, :p, :h)",
      soci::use(tenant_id), soci::use(k.id), soci::use(name), soci::use(k.prefix), soci::use(hash);
  return k;
}

std::optional<ApiKeyOwner> tenantOfApiKey(Database& db, const std::string& key) {
  if (key.rfind("bzk_", 0) != 0 || key.size() != 44)
    return std::nullopt;
  return ownerOf(db, "api_keys", "tenant_id", key);
}

NewApiKey createOrganizationKey(soci::session& sql, const std::string& organization_id,
                                const std::string& name) {
  NewApiKey k = freshKey("bzo_");
  std::string hash = sha256Hex(k.key);
  sql << "INSERT INTO organization_api_keys (organization_id, id, name, prefix, key_hash) VALUES "
         "(:o, :i, :n, :p, :h)",
      soci::use(organization_id), soci::use(k.id), soci::use(name), soci::use(k.prefix),
      soci::use(hash);
  return k;
}

std::optional<ApiKeyOwner> organizationOfApiKey(Database& db, const std::string& key) {
  if (key.rfind("bzo_", 0) != 0 || key.size() != 44)
    return std::nullopt;
  return ownerOf(db, "organization_api_keys", "organization_id", key);
}

}  // namespace baraza
