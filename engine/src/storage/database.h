#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/engine_config.h"
#include "storage/connection_watchdog.h"
#include "storage/prepared.h"
#include "storage/soci.h"
#include "storage/wal_checkpointer.h"

namespace baraza {

enum class Dialect { kSqlite, kPostgresql };

const char* dialectName(Dialect dialect);  // "sqlite" or "postgresql", as the migration folders

struct DatabaseUrl {
  Dialect dialect;
  std::string connect_string;  // what SOCI's backend gets
  std::string sqlite_path;     // sqlite only
};

// Parses sqlite://PATH (relative or absolute; sqlite:///abs also works) or
// postgresql://... / postgres://... (handed to libpq as a URI). Throws ConfigError.
DatabaseUrl parseDatabaseUrl(const std::string& url);

// An integer column of a row, whatever type the backend reports it as: SQLite gives
// expression columns (CASE, COUNT) no declared type, so SOCI may call them strings or longs.
// SOCI's SQLite backend fetches a column declared INTEGER (the queue tables' *_ms columns) as a
// 32-bit int, losing values past 2^31 before this sees them: read those as
// CAST(... AS TEXT), or through prepared statements (storage/prepared.h), which keep 64 bits.
long long rowInt(const soci::row& row, std::size_t column);

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A statement the database refused; `code` is PostgreSQL's SQLSTATE or SQLite's result code.
class SqlError : public StorageError {
 public:
  SqlError(const std::string& message, std::string code)
      : StorageError(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// A pool of SOCI sessions on one database. Thread-safe; each leased session is used by one
// thread at a time.
class Database {
 public:
  // Opens every connection of the pool; throws StorageError naming the database (password
  // masked) and the reason. On PostgreSQL a transaction (TenantScope) or health check running
  // longer than `transaction_timeout` is cancelled by the server (statement_timeout) and, should
  // the server not answer at all, has its connection cut (ConnectionWatchdog); 0: neither.
  Database(const std::string& url, int pool_size, std::chrono::milliseconds lease_timeout,
           std::chrono::milliseconds transaction_timeout = std::chrono::milliseconds(0));
  ~Database();

  Dialect dialect() const { return url_.dialect; }
  const DatabaseUrl& url() const { return url_; }
  const std::string& displayUrl() const { return display_url_; }

  // A session borrowed from the pool, given back when the lease dies.
  class Lease {
   public:
    Lease(Database* db, size_t pos) : db_(db), pos_(pos) {}
    Lease(Lease&& other) noexcept : db_(other.db_), pos_(other.pos_) { other.db_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    soci::session& operator*() const;
    soci::session* operator->() const { return &**this; }
    // The statements prepared on this connection (storage/prepared.h).
    PreparedStatements& statements() const;

   private:
    Database* db_;
    size_t pos_;
  };

  // Waits at most the lease timeout for a free session; nullopt when none came.
  std::optional<Lease> lease();
  // SQLite: the one session every write transaction of this process uses, for whoever holds
  // sqliteWriter(). One writer keeps its page cache across transactions; a pooled session's is
  // dropped whenever another one has written (most of a write's reads were then system calls).
  Lease writerLease() { return Lease(this, kWriterPos); }

  // SQLite has one writer: write transactions of this process take this first, so they queue
  // here instead of sleeping in SQLite's busy handler (whose back-off adds milliseconds).
  std::timed_mutex& sqliteWriter() { return sqlite_writer_; }
  std::chrono::milliseconds leaseTimeout() const { return lease_timeout_; }
  std::chrono::milliseconds transactionTimeout() const { return transaction_timeout_; }
  // Watches `session`'s connection for the transaction timeout (an empty guard when there is
  // none, or on SQLite, whose calls do not wait on a network).
  ConnectionWatchdog::Guard watchTransaction(soci::session& session);

  // Opens a closed pooled session again with the first open's settings; what was prepared on
  // it is forgotten.
  void reopen(soci::session& session);

  // True when a trivial query succeeds (reconnecting a dropped connection once).
  bool ping();

  // Runs a script of several statements through the backend's native API (SOCI's sqlite3
  // backend would run only the first). Throws StorageError with the database's message.
  static void execScript(soci::session& session, Dialect dialect, const std::string& sql);

 private:
  void openSession(soci::session& session);

  DatabaseUrl url_;
  std::string display_url_;
  std::chrono::milliseconds lease_timeout_;
  std::chrono::milliseconds transaction_timeout_;
  std::unique_ptr<ConnectionWatchdog> watchdog_;  // PostgreSQL with a transaction timeout
  std::unique_ptr<soci::connection_pool> pool_;
  std::vector<std::unique_ptr<PreparedStatements>> statements_;  // one per pooled connection
  static constexpr size_t kWriterPos = static_cast<size_t>(-1);
  std::unique_ptr<soci::session> writer_;  // SQLite only
  std::unique_ptr<PreparedStatements> writer_statements_;
  std::unique_ptr<soci::session> checkpoint_session_;  // SQLite only
  std::unique_ptr<WalCheckpointer> checkpointer_;
  std::timed_mutex sqlite_writer_;
};

// One transaction acting for one tenant, or for all of them (kAllTenants: operator work such as
// listing, authentication, key rotation). On PostgreSQL it sets app.tenant_id for this
// transaction only (set_config(..., true): nothing leaks to the next user of the pooled
// connection), and row-level security then shows only that tenant's rows; with no scope, a
// tenant table shows nothing. On SQLite the queries' own tenant predicates are the wall.
class TenantScope {
 public:
  static constexpr const char* kAllTenants = "*";

  // The scope of an organization's admin: the organization's own rows (leads) and, read-only,
  // its tenants' contacts, conversations and messages. Pass as the tenant id.
  static std::string organization(const std::string& organization_id) {
    return "org:" + organization_id;
  }

  // How PostgreSQL may plan this transaction's statements. kIndexed is for the message path's
  // queues and rows: its tables change faster than their statistics follow (a fresh database
  // grows by thousands of rows a second before autovacuum first looks), and a plan made from
  // stale statistics would scan whole tables or every dead version at the head of a queue's
  // index; with scans, bitmaps, hash and merge joins switched off for the transaction, every
  // statement walks its index and stops at its LIMIT.
  enum class Plans { kPlanner, kIndexed };

  // Leases a connection and begins. `write` takes SQLite's write lock at once. Throws
  // StorageError when no connection is free.
  TenantScope(Database& db, const std::string& tenant_id, bool write = false,
              Plans plans = Plans::kPlanner);
  ~TenantScope();  // rolls back unless committed
  TenantScope(const TenantScope&) = delete;
  TenantScope& operator=(const TenantScope&) = delete;

  soci::session& sql() { return **lease_; }
  Dialect dialect() const { return dialect_; }
  // Runs a prepared statement (storage/prepared.h) in this transaction.
  Rows run(const Statement& statement, const Params& params = {}) {
    return lease_->statements().run(statement, params);
  }
  // Runs it once per entry of `batch` (PostgreSQL: pipelined, one round trip).
  std::vector<Rows> runMany(const Statement& statement, const std::vector<Params>& batch) {
    return lease_->statements().runMany(statement, batch);
  }
  std::vector<Rows> runCalls(const std::vector<PreparedStatements::Call>& calls) {
    return lease_->statements().runCalls(calls);
  }
  // From here on the transaction acts for another tenant (a batch of several tenants'
  // messages): row-level security follows. Nothing is sent when it already does.
  void actFor(const std::string& tenant_id);
  // The switch as a call to run with others, sent whatever the transaction acts for now; the
  // caller says which tenant is in force once its calls have run (assumeActingFor).
  PreparedStatements::Call actForCall(const std::string& tenant_id) const;
  void assumeActingFor(const std::string& tenant_id) { acting_ = tenant_id; }
  void commit();

 private:
  std::unique_lock<std::timed_mutex> write_lock_;  // SQLite write transactions only
  std::optional<Database::Lease> lease_;
  ConnectionWatchdog::Guard deadline_;  // let go before the lease returns the connection
  Dialect dialect_;
  std::string acting_;  // the tenant row-level security follows now
  bool write_ = false;
  bool done_ = false;
};

// While one lives, every TenantScope that can write (a write scope; any on PostgreSQL) committed
// on its thread first runs `before_commit` in that transaction: the admin API marks an
// Idempotency-Key's request as applied atomically with whatever the request changed. Nested
// ones: the innermost runs.
class CommitHook {
 public:
  explicit CommitHook(std::function<void(TenantScope&)> before_commit);
  ~CommitHook();
  CommitHook(const CommitHook&) = delete;
  CommitHook& operator=(const CommitHook&) = delete;

  // Runs the thread's hook, if any, in `scope` (TenantScope::commit).
  static void runIn(TenantScope& scope);

 private:
  std::function<void(TenantScope&)> before_commit_;
  CommitHook* previous_;
};

}  // namespace baraza
