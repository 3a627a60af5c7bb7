#pragma once

#include <string>

#include "security/sealer.h"
#include "storage/database.h"

namespace baraza {

struct RotationResult {
  std::string new_key_id;
  std::vector<std::string> retired;
  int resealed = 0;
};

// Every sealed column of the schema: (table, column). Rotation and the canary tests walk it.
struct SealedColumn {
  std::string table, column, audit_target;
};
const std::vector<SealedColumn>& sealedColumns();

// Re-seals every sealed value under a new key id, then retires the older ids. Crash-safe order:
// the new key is saved to `key_file` first, the values are re-sealed in one transaction, and
// only then are the old keys marked retired in the file; a crash at any point leaves every
// value openable. Throws KeyError or StorageError (nothing re-sealed) on failure.
RotationResult rotateKeys(Database& db, const std::string& key_file);

}  // namespace baraza
