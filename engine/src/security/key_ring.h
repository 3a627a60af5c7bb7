#pragma once

#include <array>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace baraza {

class KeyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The master keys that seal tenant secrets, by key id. Kept outside the database: in the file
// security.master_key_file (mode 0600), or in BARAZA_MASTER_KEY. Text form, one key a line:
//   KEY_ID HEX64            a key; the last active one seals new values
//   retired KEY_ID HEX64    a key that may no longer open anything: opening fails loudly
// Lines starting with '#' are comments.
class KeyRing {
 public:
  using Key = std::array<unsigned char, 32>;

  static KeyRing parse(const std::string& text, const std::string& where);
  // Reads `file`, or creates it with one fresh key (id k1) and mode 0600 when it is missing.
  // Refuses a file that group or others may read. Throws KeyError naming the file.
  static KeyRing loadOrCreate(const std::string& file);
  // BARAZA_MASTER_KEY when set (its text form, or a bare 64-digit hex key as id "env"), else
  // loadOrCreate(file).
  static KeyRing fromEnvironmentOrFile(const std::string& file);

  const std::string& currentId() const { return current_; }
  bool contains(const std::string& id) const { return keys_.count(id) > 0; }
  bool isRetired(const std::string& id) const;
  // The key for `id`; throws KeyError for an unknown or retired id.
  const Key& key(const std::string& id) const;
  std::vector<std::string> ids() const;

  // Adds a fresh random key that becomes current; returns its id (k2, k3, ...).
  std::string addKey();
  void retire(const std::string& id);
  std::string text() const;
  // Writes text() to `file` atomically with mode 0600.
  void save(const std::string& file) const;
  // Creates `file` with text() unless it exists already (then returns false, changing nothing).
  bool saveIfAbsent(const std::string& file) const;

 private:
  struct Entry {
    Key key;
    bool retired = false;
  };
  std::map<std::string, Entry> keys_;
  std::vector<std::string> order_;  // ids in file order
  std::string current_;
};

// An advisory lock on KEY_FILE.lock: exclusive while keys rotate, shared while values are sealed
// (tenant import), so no value is sealed under a key that a concurrent rotation then retires or
// loses. Blocks until granted; released with the object.
class KeyFileLock {
 public:
  KeyFileLock(const std::string& key_file, bool exclusive);
  ~KeyFileLock();
  KeyFileLock(const KeyFileLock&) = delete;
  KeyFileLock& operator=(const KeyFileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace baraza
