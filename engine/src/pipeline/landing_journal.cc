#include "pipeline/landing_journal.h"

#include "storage/database.h"
#include "storage/soci.h"

#include <soci/sqlite3/soci-sqlite3.h>

namespace baraza {

LandingJournal::LandingJournal(const std::string& path)
    : session_(std::make_unique<soci::session>()) {
  try {
    // synchronous=full: a commit is on disk before append() returns, as the database's are.
    session_->open(soci::sqlite3, "db=\"" + path + "\" timeout=5 synchronous=full");
    std::string mode;
    *session_ << "pragma journal_mode=WAL", soci::into(mode);
    // AUTOINCREMENT: an id is never given again. Two processes on one database share this
    // file, and a mover removes by id up to the last it moved; had the other process's mover
    // emptied the table meanwhile, a webhook landed since would have reused a removed id and been
    // removed unmoved (two replies of 25 lost in SharedPacing on SQLite).
    *session_ << "CREATE TABLE IF NOT EXISTS landed (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                 "received_ms INTEGER "
                 "NOT NULL, channel_type TEXT NOT NULL, account_id TEXT NOT NULL, dedupe_key "
                 "TEXT NOT NULL, kind TEXT NOT NULL, order_key TEXT NOT NULL, payload TEXT NOT "
                 "NULL)";
  } catch (const std::exception& e) {
    throw StorageError("cannot open the landing journal " + path + ": " + e.what());
  }
}

LandingJournal::~LandingJournal() = default;

std::string LandingJournal::pathBeside(const std::string& sqlite_path) {
  if (sqlite_path.empty() || sqlite_path == ":memory:")
    return "";
  return sqlite_path + ".landing";
}

void LandingJournal::append(const std::vector<InboxEvent>& events, long long received_ms) {
  if (events.empty())
    return;
  // Numbers travel as text: SOCI's SQLite backend binds a vector of long long as 32-bit
  // integers (a time in milliseconds came back as 131668272).
  std::vector<std::string> at(events.size(), std::to_string(received_ms));
  std::vector<std::string> channel, account, dedupe, kind, order, payload;
  for (const auto& e : events) {
    channel.push_back(e.channel_type);
    account.push_back(e.account_id);
    dedupe.push_back(e.dedupe_key);
    kind.push_back(e.kind);
    order.push_back(e.order_key);
    payload.push_back(e.payload);
  }
  std::lock_guard lock(mutex_);
  soci::transaction tx(*session_);
  *session_ << "INSERT INTO landed (received_ms, channel_type, account_id, dedupe_key, kind, "
               "order_key, payload) VALUES (:at, :channel, :account, :dedupe, :kind, :ord, "
               ":payload)",
      soci::use(at), soci::use(channel), soci::use(account), soci::use(dedupe), soci::use(kind),
      soci::use(order), soci::use(payload);
  tx.commit();
}

std::vector<LandingJournal::Batch> LandingJournal::oldest(size_t max) {
  std::vector<std::string> ids(max), at(max);
  std::vector<std::string> channel(max), account(max), dedupe(max), kind(max), order(max),
      payload(max);
  long long limit = static_cast<long long>(max);
  {
    std::lock_guard lock(mutex_);
    *session_ << "SELECT CAST(id AS TEXT), CAST(received_ms AS TEXT), channel_type, account_id, "
                 "dedupe_key, kind, order_key, "
                 "payload FROM landed ORDER BY id LIMIT :n",
        soci::into(ids), soci::into(at), soci::into(channel), soci::into(account),
        soci::into(dedupe), soci::into(kind), soci::into(order), soci::into(payload),
        soci::use(limit);
  }
  std::vector<Batch> batches;
  for (size_t i = 0; i < ids.size(); ++i) {
    long long received = std::stoll(at[i]);
    if (batches.empty() || batches.back().received_ms != received)
      batches.push_back({0, received, {}});
    Batch& b = batches.back();
    b.last_id = std::stoll(ids[i]);
    b.events.push_back({channel[i], account[i], dedupe[i], kind[i], order[i], payload[i]});
  }
  return batches;
}

void LandingJournal::remove(long long last_id) {
  std::lock_guard lock(mutex_);
  std::string up_to = std::to_string(last_id);
  *session_ << "DELETE FROM landed WHERE id <= CAST(:id AS INTEGER)", soci::use(up_to);
}

long long LandingJournal::depth() {
  std::lock_guard lock(mutex_);
  long long n = 0;
  *session_ << "SELECT COUNT(*) FROM landed", soci::into(n);
  return n;
}

}  // namespace baraza
