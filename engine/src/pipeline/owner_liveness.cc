#include "pipeline/owner_liveness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <optional>
#include <set>

#include <soci/postgresql/soci-postgresql.h>
#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "storage/soci.h"

namespace baraza {

class OwnerLiveness::Mark {
 public:
  virtual ~Mark() = default;
  virtual bool announce(const std::string& owner) = 0;
  virtual bool isGone(const std::string& owner) = 0;
  virtual bool stillMarked() = 0;  // throws when the mark was lost with its connection
  virtual void withdraw(const std::string& owner) = 0;
  // Whether another marked process runs on the database; nullopt when this mark cannot tell.
  virtual std::optional<bool> othersAlive(const std::string&) { return std::nullopt; }
};

namespace {

// Advisory lock keys: Baraza's class (`Brz\0`) and a 31-bit FNV-1a hash of the owner id. Two
// live owners with one hash only make each other look alive: leases still tell.
constexpr int kOwnerLockClass = 0x42727a00;

int ownerKey(const std::string& owner) {
  unsigned long long h = 1469598103934665603ULL;
  for (unsigned char c : owner)
    h = (h ^ c) * 1099511628211ULL;
  return static_cast<int>(h & 0x7fffffff);
}

bool tryLock(soci::session& session, const std::string& owner) {
  int held = 0, cls = kOwnerLockClass, key = ownerKey(owner);
  session << "SELECT CAST(pg_try_advisory_lock(:c, :k) AS INTEGER)", soci::use(cls), soci::use(key),
      soci::into(held);
  return held != 0;
}

class AdvisoryLockMark : public OwnerLiveness::Mark {
 public:
  explicit AdvisoryLockMark(std::string connect_string)
      : connect_string_(std::move(connect_string)) {}

  bool announce(const std::string& owner) override {
    session_.reset();
    auto session = std::make_unique<soci::session>(soci::postgresql, connect_string_);
    if (!tryLock(*session, owner))
      return false;  // another owner has this hash
    session_ = std::move(session);
    return true;
  }

  bool isGone(const std::string& owner) override {
    if (!session_ || !tryLock(*session_, owner))
      return false;
    int released = 0, cls = kOwnerLockClass, key = ownerKey(owner);
    *session_ << "SELECT CAST(pg_advisory_unlock(:c, :k) AS INTEGER)", soci::use(cls),
        soci::use(key), soci::into(released);
    return true;
  }

  bool stillMarked() override {
    if (!session_)
      return false;
    int one = 0;
    *session_ << "SELECT 1", soci::into(one);
    return one == 1;
  }

  void withdraw(const std::string&) override { session_.reset(); }

 private:
  std::string connect_string_;
  std::unique_ptr<soci::session> session_;
};

class LockFileMark : public OwnerLiveness::Mark {
 public:
  explicit LockFileMark(const std::string& database_path) : dir_(database_path + ".owners") {}
  ~LockFileMark() override {
    if (fd_ >= 0)
      ::close(fd_);
  }

  bool announce(const std::string& owner) override {
    std::filesystem::create_directories(dir_);
    // Between the open and the lock another process may take the new, unlocked file for a dead
    // one's and unlink it: the lock is then on a name nobody sees, so it is made again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      int fd = ::open(pathOf(owner).c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0)
        return false;
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return false;
      }
      struct stat held {
      }, named{};
      if (::fstat(fd, &held) == 0 && ::stat(pathOf(owner).c_str(), &named) == 0 &&
          held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
        fd_ = fd;
        sweep(owner);
        return true;
      }
      ::close(fd);
    }
    return false;
  }

  bool isGone(const std::string& owner) override {
    if (owner.find('/') != std::string::npos || owner.empty() || owner[0] == '.')
      return false;  // not an id this engine makes
    if (gone_.count(owner))
      return true;  // its mark was cleared by this process
    int fd = ::open(pathOf(owner).c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return false;  // never marked (or cleared by another process): only its lease tells
    // The kernel dropped its holder's lock with the holder.
    bool gone = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (gone) {
      ::unlink(pathOf(owner).c_str());
      gone_.insert(owner);  // its claims may still be waiting for the reaper's next round
    }
    ::close(fd);
    return gone;
  }

  bool stillMarked() override { return fd_ >= 0; }

  std::optional<bool> othersAlive(const std::string& self) override {
    if (fd_ < 0)
      return std::nullopt;  // unmarked: others may not see this process either
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
      std::string name = entry.path().filename().string();
      if (name != self && !isGone(name))
        return true;
    }
    return ec ? std::nullopt : std::optional<bool>(false);
  }

  void withdraw(const std::string& owner) override {
    if (fd_ < 0)
      return;
    ::unlink(pathOf(owner).c_str());
    ::close(fd_);
    fd_ = -1;
  }

 private:
  std::string pathOf(const std::string& owner) const { return (dir_ / owner).string(); }

  // The marks of processes that died holding no claim are never looked at: cleared at start.
  void sweep(const std::string& self) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
      std::string name = entry.path().filename().string();
      if (name != self)
        isGone(name);  // unlinks the file of a gone process
    }
  }

  std::filesystem::path dir_;
  int fd_ = -1;
  std::set<std::string> gone_;  // one name per dead process seen: a handful
};

}  // namespace

OwnerLiveness::OwnerLiveness(const DatabaseUrl& url, std::string owner) : owner_(std::move(owner)) {
  if (url.dialect == Dialect::kPostgresql)
    mark_ = std::make_unique<AdvisoryLockMark>(url.connect_string);
  else if (!url.sqlite_path.empty() && url.sqlite_path != ":memory:")
    mark_ = std::make_unique<LockFileMark>(url.sqlite_path);
}

OwnerLiveness::~OwnerLiveness() {
  withdraw();
}

bool OwnerLiveness::markLocked() {
  if (!mark_)
    return false;
  std::string why = "another owner id holds its mark";
  try {
    if (marked_ && mark_->stillMarked())
      return true;
    if (mark_->announce(owner_)) {
      if (marked_ == false && failed_)
        spdlog::info("leases: this process is marked alive again");
      marked_ = true;
      failed_ = false;
      return true;
    }
  } catch (const std::exception& e) {
    why = e.what();
  }
  marked_ = false;
  MetricsRegistry::global().counterAdd("baraza_owner_mark_failures_total", {});
  if (!failed_)  // logged once per outage; counted at every try
    spdlog::warn(
        "leases: cannot mark this process alive ({}); until it can, a restart of the "
        "others waits out its leases",
        why);
  failed_ = true;
  return false;
}

bool OwnerLiveness::othersAlive() {
  std::lock_guard lock(mutex_);
  if (!mark_ || !marked_)
    return true;  // cannot tell: assume company
  try {
    return mark_->othersAlive(owner_).value_or(true);
  } catch (const std::exception&) {
    return true;
  }
}

bool OwnerLiveness::announce() {
  std::lock_guard lock(mutex_);
  return markLocked();
}

bool OwnerLiveness::isGone(const std::string& owner) {
  if (owner == owner_ || owner.rfind(kMarkedPrefix, 0) != 0)
    return false;
  std::lock_guard lock(mutex_);
  if (!mark_)
    return false;
  try {
    return mark_->isGone(owner);
  } catch (const std::exception& e) {
    spdlog::warn("leases: checking process {}: {}", owner, e.what());
  }
  // The connection went, and this process's own mark with it: made again at once, so that no
  // other process takes this one for dead for longer than the outage.
  marked_ = false;
  markLocked();
  return false;
}

void OwnerLiveness::withdraw() {
  std::lock_guard lock(mutex_);
  if (mark_)
    mark_->withdraw(owner_);
  marked_ = false;
}

}  // namespace baraza
