#include "security/key_ring.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <openssl/rand.h>

namespace baraza {
namespace {

bool parseHexKey(const std::string& hex, KeyRing::Key& key) {
  if (hex.size() != 64)
    return false;
  for (size_t i = 0; i < 32; ++i) {
    unsigned v = 0;
    for (int j = 0; j < 2; ++j) {
      char c = hex[2 * i + j];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return false;
    }
    key[i] = static_cast<unsigned char>(v);
  }
  return true;
}

std::string toHex(const KeyRing::Key& key) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : key) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

KeyRing::Key randomKey() {
  KeyRing::Key key;
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    throw KeyError("the system random generator failed to make a key");
  }
  return key;
}

}  // namespace

KeyRing KeyRing::parse(const std::string& text, const std::string& where) {
  KeyRing ring;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream words(line);
    std::string first, id, hex, extra;
    if (!(words >> first) || first[0] == '#')
      continue;
    bool retired = first == "retired";
    if (retired) {
      words >> id >> hex;
    } else {
      id = first;
      words >> hex;
    }
    Entry entry;
    entry.retired = retired;
    if (id.empty() || words >> extra || !parseHexKey(hex, entry.key)) {
      throw KeyError(where + ":" + std::to_string(number) +
                     ": expected 'KEY_ID HEX64' or 'retired KEY_ID HEX64'");
    }
    if (ring.keys_.count(id)) {
      throw KeyError(where + ":" + std::to_string(number) + ": key id '" + id + "' repeated");
    }
    ring.keys_[id] = entry;
    ring.order_.push_back(id);
    if (!retired)
      ring.current_ = id;
  }
  if (ring.current_.empty())
    throw KeyError(where + ": no active master key");
  return ring;
}

KeyRing KeyRing::loadOrCreate(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    KeyRing ring;
    ring.keys_["k1"] = Entry{randomKey(), false};
    ring.order_.push_back("k1");
    ring.current_ = "k1";
    // Several engines may start at once on a fresh machine: exactly one key file must win, and
    // every process must use that one.
    if (ring.saveIfAbsent(file))
      return ring;
    if (::stat(file.c_str(), &st) != 0) {
      throw KeyError(file + ": cannot create the master key file");
    }
  }
  // Mode and content come from the same open descriptor: no swap between check and read.
  int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    throw KeyError(file + ": cannot read the master key file");
  if (::fstat(fd, &st) != 0 || (st.st_mode & (S_IRWXG | S_IRWXO))) {
    ::close(fd);
    throw KeyError(file +
                   ": the master key file must not be readable by group or others (chmod 600 " +
                   file + ")");
  }
  std::string content;
  char chunk[4096];
  ssize_t n;
  while ((n = ::read(fd, chunk, sizeof(chunk))) > 0)
    content.append(chunk, static_cast<size_t>(n));
  ::close(fd);
  std::stringstream buf;
  buf << content;
  return parse(buf.str(), file);
}

KeyRing KeyRing::fromEnvironmentOrFile(const std::string& file) {
  if (const char* env = std::getenv("BARAZA_MASTER_KEY"); env && *env) {
    std::string text = env;
    Key key;
    if (parseHexKey(text, key))
      return parse("env " + text, "BARAZA_MASTER_KEY");
    return parse(text, "BARAZA_MASTER_KEY");
  }
  return loadOrCreate(file);
}

bool KeyRing::isRetired(const std::string& id) const {
  auto it = keys_.find(id);
  return it != keys_.end() && it->second.retired;
}

const KeyRing::Key& KeyRing::key(const std::string& id) const {
  auto it = keys_.find(id);
  if (it == keys_.end())
    throw KeyError("master key '" + id + "' is not in the key ring");
  if (it->second.retired) {
    throw KeyError("master key '" + id + "' is retired: its values must be re-sealed first");
  }
  return it->second.key;
}

std::vector<std::string> KeyRing::ids() const {
  return order_;
}

std::string KeyRing::addKey() {
  int n = static_cast<int>(order_.size()) + 1;
  std::string id;
  do {
    id = "k" + std::to_string(n++);
  } while (keys_.count(id));
  keys_[id] = Entry{randomKey(), false};
  order_.push_back(id);
  current_ = id;
  return id;
}

void KeyRing::retire(const std::string& id) {
  auto it = keys_.find(id);
  if (it == keys_.end())
    throw KeyError("master key '" + id + "' is not in the key ring");
  if (id == current_)
    throw KeyError("the current master key cannot be retired");
  it->second.retired = true;
}

std::string KeyRing::text() const {
  std::string out =
      "# Baraza master keys: one 'KEY_ID HEX' a line, the last active one seals new values.\n"
      "# Keep this file secret and out of the database and its backups.\n";
  for (const auto& id : order_) {
    const Entry& e = keys_.at(id);
    out += (e.retired ? "retired " : "") + id + " " + toHex(e.key) + "\n";
  }
  return out;
}

namespace {

// Writes `content` to a new private file next to `file` and returns its name.
std::string writeTemporary(const std::string& file, const std::string& content) {
  auto parent = std::filesystem::path(file).parent_path();
  std::error_code ec;
  if (!parent.empty())
    std::filesystem::create_directories(parent, ec);
  std::string tmp = file + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  std::remove(tmp.c_str());  // a leftover of a crashed run of this same process id
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    throw KeyError(file + ": cannot write the master key file");
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
            ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    std::remove(tmp.c_str());
    throw KeyError(file + ": cannot write the master key file");
  }
  return tmp;
}

}  // namespace

bool KeyRing::saveIfAbsent(const std::string& file) const {
  std::string tmp = writeTemporary(file, text());
  int rc = ::link(tmp.c_str(), file.c_str());  // atomic: fails when the file exists
  int err = errno;
  std::remove(tmp.c_str());
  if (rc == 0)
    return true;
  if (err == EEXIST)
    return false;
  throw KeyError(file + ": cannot create the master key file");
}

void KeyRing::save(const std::string& file) const {
  std::string tmp = writeTemporary(file, text());
  if (std::rename(tmp.c_str(), file.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw KeyError(file + ": cannot write the master key file");
  }
}

KeyFileLock::KeyFileLock(const std::string& key_file, bool exclusive) {
  auto parent = std::filesystem::path(key_file).parent_path();
  std::error_code ec;
  if (!parent.empty())
    std::filesystem::create_directories(parent, ec);
  std::string path = key_file + ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd_ < 0)
    throw KeyError(path + ": cannot open the key lock file");
  if (::flock(fd_, exclusive ? LOCK_EX : LOCK_SH) != 0) {
    ::close(fd_);
    throw KeyError(path + ": cannot lock the key file");
  }
}

KeyFileLock::~KeyFileLock() {
  if (fd_ >= 0)
    ::close(fd_);  // closing releases the lock
}

}  // namespace baraza
