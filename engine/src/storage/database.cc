#include "storage/database.h"

#include <filesystem>
#include <map>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "core/thread_name.h"

namespace baraza {
namespace {

// How often the WalCheckpointer copies SQLite's log back into the database file.
constexpr std::chrono::milliseconds kCheckpointPeriod(250);

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// SOCI's postgresql backend mangles URIs, so hand it libpq's own key='value' form.
std::string libpqKeywords(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (!options) {
    // libpq's reason may quote the password, so it is not passed on.
    PQfreemem(error);
    throw ConfigError("database.url: libpq cannot parse " + maskUrlPassword(url) +
                      " (check the percent-encoding of special characters)");
  }
  // Defaults an operator's URL may override. Without a connect timeout, a health check against
  // a host that drops packets blocks for minutes; without keepalives and a TCP user timeout, a
  // connection whose peer vanished without a reset (a black-holed route, a dead NAT entry)
  // blocks its caller until the kernel gives up, about 15 minutes later.
  std::map<std::string, std::string> defaults = {
      {"connect_timeout", "5"},      {"keepalives", "1"},       {"keepalives_idle", "30"},
      {"keepalives_interval", "10"}, {"keepalives_count", "3"}, {"tcp_user_timeout", "30000"}};
  std::string out;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val)
      continue;
    defaults.erase(o->keyword);
    std::string value;
    for (const char* c = o->val; *c; ++c) {
      if (*c == '\\' || *c == '\'')
        value += '\\';
      value += *c;
    }
    out += std::string(out.empty() ? "" : " ") + o->keyword + "='" + value + "'";
  }
  PQconninfoFree(options);
  for (const auto& [keyword, value] : defaults)
    out += " " + keyword + "='" + value + "'";
  return out;
}

}  // namespace

long long rowInt(const soci::row& row, std::size_t column) {
  if (row.get_indicator(column) == soci::i_null)
    return 0;
  switch (row.get_properties(column).get_data_type()) {
    case soci::dt_integer:
      return row.get<int>(column);
    case soci::dt_long_long:
      return row.get<long long>(column);
    case soci::dt_unsigned_long_long:
      return static_cast<long long>(row.get<unsigned long long>(column));
    case soci::dt_double:
      return static_cast<long long>(row.get<double>(column));
    default:
      return std::stoll(row.get<std::string>(column));
  }
}

const char* dialectName(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "sqlite" : "postgresql";
}

DatabaseUrl parseDatabaseUrl(const std::string& url) {
  if (startsWith(url, "sqlite://")) {
    std::string path = url.substr(9);
    if (path.empty()) {
      throw ConfigError("database.url: sqlite:// needs a file path, e.g. sqlite://data/baraza.db");
    }
    if (path == ":memory:") {
      throw ConfigError(
          "database.url: sqlite://:memory: gives each pooled connection its own "
          "empty database; use a file");
    }
    // Quotes protect paths with spaces inside SOCI's key=value connect string. synchronous=full:
    // in WAL mode `normal` syncs only at checkpoints, so a power cut can roll back commits the
    // engine already acknowledged (a webhook answered 200); `full` syncs the WAL on each commit.
    std::string quoted = "\"" + path + "\"";
    return {Dialect::kSqlite, "db=" + quoted + " timeout=5 synchronous=full", path};
  }
  if (startsWith(url, "postgresql://") || startsWith(url, "postgres://")) {
    return {Dialect::kPostgresql, libpqKeywords(url), ""};
  }
  throw ConfigError("database.url: expected sqlite://PATH or postgresql://..., got '" +
                    maskUrlPassword(url) + "'");
}

Database::Database(const std::string& url, int pool_size, std::chrono::milliseconds lease_timeout,
                   std::chrono::milliseconds transaction_timeout)
    : url_(parseDatabaseUrl(url)),
      display_url_(maskUrlPassword(url)),
      lease_timeout_(lease_timeout),
      transaction_timeout_(url_.dialect == Dialect::kPostgresql ? transaction_timeout
                                                                : std::chrono::milliseconds(0)),
      watchdog_(transaction_timeout_.count() > 0 ? std::make_unique<ConnectionWatchdog>()
                                                 : nullptr),
      pool_(std::make_unique<soci::connection_pool>(static_cast<size_t>(pool_size))) {
  if (url_.dialect == Dialect::kSqlite) {
    auto parent = std::filesystem::path(url_.sqlite_path).parent_path();
    std::error_code ec;
    if (!parent.empty())
      std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw StorageError("cannot create folder " + parent.string() + " for " + display_url_ + ": " +
                         ec.message());
    }
  }
  for (int i = 0; i < pool_size; ++i) {
    statements_.push_back(
        std::make_unique<PreparedStatements>(pool_->at(static_cast<size_t>(i)), url_.dialect));
    try {
      openSession(pool_->at(static_cast<size_t>(i)));
    } catch (const std::exception& e) {
      throw StorageError("cannot open database " + display_url_ + ": " + e.what());
    }
  }
  if (url_.dialect == Dialect::kSqlite) {
    writer_ = std::make_unique<soci::session>();
    writer_statements_ = std::make_unique<PreparedStatements>(*writer_, url_.dialect);
    try {
      openSession(*writer_);
      // Its cache stays valid from one write to the next: room for the hot tables' indexes.
      *writer_ << "pragma cache_size=-32768";
      checkpoint_session_ = std::make_unique<soci::session>();
      openSession(*checkpoint_session_);
    } catch (const std::exception& e) {
      throw StorageError("cannot open database " + display_url_ + ": " + e.what());
    }
    checkpointer_ = std::make_unique<WalCheckpointer>(*checkpoint_session_, kCheckpointPeriod);
  }
}

Database::~Database() {
  checkpointer_.reset();  // its thread stops before its connection closes
  statements_.clear();    // finalized before their connections close
  writer_statements_.reset();
}

void Database::reopen(soci::session& session) {
  for (auto& s : statements_) {
    if (&s->session() == &session)
      s->forget();
  }
  if (writer_statements_ && &writer_statements_->session() == &session)
    writer_statements_->forget();
  openSession(session);
}

void Database::openSession(soci::session& session) {
  if (url_.dialect == Dialect::kSqlite) {
    session.open(soci::sqlite3, url_.connect_string);
    std::string mode;
    session << "pragma journal_mode=WAL", soci::into(mode);
    session << "pragma foreign_keys=ON";
    // A multi-row statement inside a transaction keeps a statement journal: in memory, not in
    // a temporary file written page by page under the write lock.
    session << "pragma temp_store=MEMORY";
    // The WalCheckpointer copies the log back every kCheckpointPeriod; a commit does it only
    // past this many pages (32 MB), should that thread fall behind or fail.
    session << "pragma wal_autocheckpoint=8192";
  } else {
    session.open(soci::postgresql, url_.connect_string);
    auto setup = watchTransaction(session);  // a server that accepts and then falls silent
    session << "SET client_min_messages = warning";
    session << "SET TIME ZONE 'UTC'";  // timestamps read as text are UTC, as on SQLite
    // Short statements only: JIT compiling one costs more than running it (and a plan
    // penalized by Plans::kIndexed would cross jit_above_cost every time).
    session << "SET jit = off";
  }
}

Database::Lease::~Lease() {
  if (db_ && pos_ != kWriterPos)
    db_->pool_->give_back(pos_);
}

soci::session& Database::Lease::operator*() const {
  return pos_ == kWriterPos ? *db_->writer_ : db_->pool_->at(pos_);
}

PreparedStatements& Database::Lease::statements() const {
  return pos_ == kWriterPos ? *db_->writer_statements_ : *db_->statements_[pos_];
}

std::optional<Database::Lease> Database::lease() {
  size_t pos = 0;
  if (!pool_->try_lease(pos, static_cast<int>(lease_timeout_.count()))) {
    return std::nullopt;
  }
  return Lease(this, pos);
}

ConnectionWatchdog::Guard Database::watchTransaction(soci::session& session) {
  if (!watchdog_)
    return {};
  // Only PostgreSQL databases have a watchdog, so the backend is libpq's.
  auto* backend = static_cast<soci::postgresql_session_backend*>(session.get_backend());
  if (!backend || !backend->conn_ || PQsocket(backend->conn_) < 0)
    return {};
  // The server's statement_timeout cancels a slow statement first; the cut is for a server
  // that does not answer at all.
  auto margin =
      std::max<std::chrono::milliseconds>(std::chrono::seconds(2), transaction_timeout_ / 5);
  return watchdog_->watch(PQsocket(backend->conn_), transaction_timeout_ + margin);
}

bool Database::ping() {
  auto session = lease();
  if (!session)
    return false;
  auto deadline = watchTransaction(**session);
  try {
    int one = 0;
    **session << "SELECT 1", soci::into(one);
    return one == 1;
  } catch (const std::exception&) {
  }
  try {
    // Reopen with the same settings as a first open (WAL, foreign keys, message level).
    session->statements().forget();
    deadline = {};
    (*session)->close();
    openSession(**session);
    deadline = watchTransaction(**session);
    int one = 0;
    **session << "SELECT 1", soci::into(one);
    return one == 1;
  } catch (const std::exception&) {
    return false;
  }
}

namespace {

// When this thread took SQLite's write turn (a thread holds at most one: the lock is not
// recursive).
thread_local std::chrono::steady_clock::time_point t_turn_since;

double secondsSince(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// SQLite's one writer is what an SQLite engine queues on: the time each kind of thread waits
// for the turn and holds it is counted, so /metrics shows what serializes the engine.
std::unique_lock<std::timed_mutex> sqliteWriteLock(Database& db, bool write) {
  if (!write || db.dialect() != Dialect::kSqlite)
    return {};
  std::unique_lock lock(db.sqliteWriter(), std::defer_lock);
  auto asked = std::chrono::steady_clock::now();
  if (!lock.try_lock_for(db.leaseTimeout()))
    throw StorageError("the database is busy: no write turn within the lease timeout");
  t_turn_since = std::chrono::steady_clock::now();
  MetricsRegistry::global().counterAdd("baraza_sqlite_write_wait_seconds_total",
                                       {{"thread", thisThreadName()}}, secondsSince(asked));
  return lock;
}

void giveBackWriteTurn(std::unique_lock<std::timed_mutex>& lock) {
  if (!lock.owns_lock())
    return;
  lock.unlock();
  MetricsRegistry::global().counterAdd("baraza_sqlite_write_hold_seconds_total",
                                       {{"thread", thisThreadName()}}, secondsSince(t_turn_since));
}

}  // namespace

TenantScope::TenantScope(Database& db, const std::string& tenant_id, bool write, Plans plans)
    : write_lock_(sqliteWriteLock(db, write)),
      lease_(write_lock_.owns_lock() ? std::optional(db.writerLease()) : db.lease()),
      dialect_(db.dialect()),
      acting_(tenant_id),
      write_(write) {
  if (!lease_)
    throw StorageError("no database connection free");
  soci::session& sql = **lease_;
  deadline_ = db.watchTransaction(sql);
  const std::string statement_timeout = std::to_string(db.transactionTimeout().count());
  auto begin = [&] {
    if (dialect_ == Dialect::kSqlite) {
      Database::execScript(sql, dialect_, write ? "BEGIN IMMEDIATE" : "BEGIN");
      return;
    }
    Database::execScript(sql, dialect_, "BEGIN");
    try {
      static const Statement scope{"tenant_scope_begin",
                                   "SELECT set_config('app.tenant_id', $1, true), "
                                   "set_config('app.organization_id', $2, true), "
                                   "set_config('statement_timeout', CASE WHEN $3 = '0' THEN "
                                   "current_setting('statement_timeout') ELSE $3 END, true)",
                                   ""};
      // Queue work: index plans only (see Plans::kIndexed), set with the scope.
      static const Statement indexed{
          "tenant_scope_begin_indexed",
          "SELECT set_config('app.tenant_id', $1, true), set_config('app.organization_id', $2, "
          "true), set_config('statement_timeout', CASE WHEN $3 = '0' THEN "
          "current_setting('statement_timeout') ELSE $3 END, true), set_config('enable_seqscan', "
          "'off', true), set_config('enable_bitmapscan', 'off', true), "
          "set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', "
          "true)",
          ""};
      bool for_organization = tenant_id.rfind("org:", 0) == 0;
      lease_->statements().run(plans == Plans::kIndexed ? indexed : scope,
                               Params()
                                   .text(for_organization ? "" : tenant_id)
                                   .text(for_organization ? tenant_id.substr(4) : "")
                                   .text(statement_timeout));
    } catch (...) {
      try {
        Database::execScript(sql, dialect_, "ROLLBACK");
      } catch (...) {
      }
      throw;
    }
  };
  try {
    begin();
  } catch (const std::exception& first) {
    // A pooled connection the server dropped (a restart, an outage) is opened again here, on
    // its next use; if the database is still away, this throws and the caller degrades.
    if (dialect_ != Dialect::kPostgresql)
      throw;
    try {
      lease_->statements().forget();
      deadline_ = {};
      sql.close();
      db.reopen(sql);
      deadline_ = db.watchTransaction(sql);
    } catch (const std::exception& e) {
      throw StorageError(std::string("the database is unreachable: ") + e.what());
    }
    begin();
    spdlog::info("database connection reopened after: {}", first.what());
  }
}

TenantScope::~TenantScope() {
  if (!done_ && lease_) {
    try {
      Database::execScript(**lease_, dialect_, "ROLLBACK");
    } catch (...) {
    }
  }
  giveBackWriteTurn(write_lock_);
}

namespace {

const Statement kActFor{"tenant_scope_act_for",
                        "SELECT set_config('app.tenant_id', $1, true), "
                        "set_config('app.organization_id', '', true)",
                        ""};

}  // namespace

PreparedStatements::Call TenantScope::actForCall(const std::string& tenant_id) const {
  return PreparedStatements::Call{&kActFor, Params().text(tenant_id)};
}

void TenantScope::actFor(const std::string& tenant_id) {
  if (dialect_ != Dialect::kPostgresql || tenant_id == acting_)
    return;
  run(kActFor, Params().text(tenant_id));
  acting_ = tenant_id;
}

namespace {
thread_local CommitHook* t_commit_hook = nullptr;
}  // namespace

CommitHook::CommitHook(std::function<void(TenantScope&)> before_commit)
    : before_commit_(std::move(before_commit)), previous_(t_commit_hook) {
  t_commit_hook = this;
}

CommitHook::~CommitHook() {
  t_commit_hook = previous_;
}

void CommitHook::runIn(TenantScope& scope) {
  CommitHook* hook = t_commit_hook;
  if (!hook)
    return;
  t_commit_hook = nullptr;  // a hook's own statements do not run it again
  struct Restore {
    CommitHook* hook;
    ~Restore() { t_commit_hook = hook; }
  } restore{hook};
  hook->before_commit_(scope);
}

void TenantScope::commit() {
  // On PostgreSQL a scope opened without `write` may still write (the flag only takes SQLite's
  // lock), so every commit runs the hook there; on SQLite only write scopes can write.
  if (write_ || dialect_ == Dialect::kPostgresql)
    CommitHook::runIn(*this);
  Database::execScript(**lease_, dialect_, "COMMIT");
  done_ = true;
  giveBackWriteTurn(write_lock_);
}

void Database::execScript(soci::session& session, Dialect dialect, const std::string& sql) {
  if (!session.get_backend()) {
    // A pooled session whose reopening failed during an outage: closed until the next try.
    throw StorageError("the database connection is closed");
  }
  if (dialect == Dialect::kSqlite) {
    auto* backend = static_cast<soci::sqlite3_session_backend*>(session.get_backend());
    char* error = nullptr;
    int rc = sqlite_api::sqlite3_exec(backend->conn_, sql.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      std::string message = error ? error : "sqlite error " + std::to_string(rc);
      sqlite_api::sqlite3_free(error);
      throw StorageError(message);
    }
    return;
  }
  auto* backend = static_cast<soci::postgresql_session_backend*>(session.get_backend());
  PGresult* result = PQexec(backend->conn_, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = PQresultErrorMessage(result);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    PQclear(result);
    throw StorageError(message.empty() ? "postgresql error" : message);
  }
  PQclear(result);
}

}  // namespace baraza
