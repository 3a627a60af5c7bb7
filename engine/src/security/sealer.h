#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "security/key_ring.h"

namespace baraza {

// Where a sealed value lives: bound into the ciphertext as associated data, so a value copied to
// another tenant, table, row or column does not open.
struct SealContext {
  std::string tenant_id;
  std::string table;
  std::string row_id;
  std::string column;
};

// AES-256-GCM sealing of tenant secrets in the engine (never in SQL): a fresh random 96-bit
// nonce per value; associated data = tenant id, table, row id, column and key id. The sealed form
// is "bz1.KEY_ID.BASE64(nonce | ciphertext | tag)": printable, so it fits a TEXT column.
class Sealer {
 public:
  // `key_file`, when given, is read again when a value names a key id this ring lacks, and
  // before a seal when the file changed: a rotation by another process then reaches a running
  // engine without a restart, and the engine never seals under a key the rotation retires.
  explicit Sealer(KeyRing ring, std::string key_file = "");
  // The ring of BARAZA_MASTER_KEY, or of `key_file` (created on first use) with reloading.
  static Sealer fromEnvironmentOrFile(const std::string& key_file);

  std::string seal(std::string_view plaintext, const SealContext& ctx) const;
  // The plaintext, or nullopt with `error` set (a tampered, moved or malformed value, an unknown
  // or retired key). No plaintext is released when authentication fails.
  std::optional<std::string> open(std::string_view sealed, const SealContext& ctx,
                                  std::string* error = nullptr) const;
  // The key id a sealed value was made with ("" when it is not a sealed value).
  static std::string keyIdOf(std::string_view sealed);

  // A keyed digest of a secret, to find its row by an index without opening every sealed value:
  // "KEY_ID:HEX" of HMAC-SHA256 under a key derived from the master key and `purpose` (so the
  // master key itself signs nothing). Under the current key; `lookupDigests` gives one for each
  // key that is not retired, to match rows written before a rotation finished.
  std::string lookupDigest(std::string_view secret, std::string_view purpose) const;
  std::vector<std::string> lookupDigests(std::string_view secret, std::string_view purpose) const;

  // The current ring (tests change it in place; the engine never does).
  KeyRing& ring() { return *current(); }

 private:
  std::shared_ptr<KeyRing> current() const;
  std::shared_ptr<KeyRing> reloadedFor(const std::string& kid) const;
  std::shared_ptr<KeyRing> ringForSealing() const;

  mutable std::mutex mutex_;
  mutable std::shared_ptr<KeyRing> ring_;
  mutable std::string file_stamp_;  // the key file's inode, size and mtime when last read
  std::string key_file_;
};

}  // namespace baraza
