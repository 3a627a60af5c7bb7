#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "security/sealer.h"
#include "storage/database.h"

namespace baraza {

struct RotationResult {
  std::string new_key_id;
  std::vector<std::string> retired;
  int resealed = 0;
  int passes = 0;  // re-seal passes until none was left under an old key
};

// Every sealed column of the schema. A value's seal context is (owner, table, id, column), read
// from `owner_column` and `id_column`; `audit_target` names a credential in the tenant's audit
// log ("" for values that are not credentials, such as stored idempotent responses). A value
// found by a keyed digest has it in `digest_column`, keyed for `digest_purpose`.
struct SealedColumn {
  std::string table, column, owner_column, id_column, audit_target;
  std::string digest_column = "", digest_purpose = "";
};
const std::vector<SealedColumn>& sealedColumns();

struct RotationOptions {
  // How long to wait before looking again for values sealed under an old key: a running engine
  // that sealed a value just before the new key was saved commits it within this time.
  std::chrono::milliseconds grace{2000};
  // Tests: called once, inside the first pass after its values were read.
  std::function<void()> after_first_read;
};

// Re-seals every sealed value under a new key id, then retires the older ids. Crash-safe order:
// the new key is saved to `key_file` first (running engines seal under it from their next seal
// on); the values are re-sealed in one transaction, each written only if it is still the value
// that was read (a concurrent change is never overwritten); after `grace`, passes repeat until
// one finds no value under an old key, and only then are the old keys marked retired. A crash
// at any point leaves every value openable. Throws KeyError or StorageError on failure (the
// old keys are then not retired).
RotationResult rotateKeys(Database& db, const std::string& key_file,
                          const RotationOptions& options = {});

}  // namespace baraza
