#include "storage/migrator.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <openssl/evp.h>

#include "storage/embedded_migrations.h"

namespace baraza {
namespace {

// Any value serves, as long as every Baraza process uses the same one.
constexpr long long kMigrationLockKey = 0x6261726172;

bool parseFileName(const std::string& file, int& version, std::string& name) {
  static const std::regex pattern(R"(^(\d{4})_([a-z0-9_]+)\.sql$)");
  std::smatch m;
  if (!std::regex_match(file, m, pattern))
    return false;
  version = std::stoi(m[1]);
  name = m[2];
  return true;
}

std::string nowIso() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::vector<Migration> sorted(std::vector<Migration> list, const std::string& where) {
  std::sort(list.begin(), list.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (size_t i = 1; i < list.size(); ++i) {
    if (list[i].version == list[i - 1].version) {
      throw StorageError(where + ": " + list[i - 1].file + " and " + list[i].file +
                         " share the number " + std::to_string(list[i].version));
    }
  }
  return list;
}

Migration makeMigration(const std::string& dialect, const std::string& file,
                        const std::string& sql) {
  Migration m;
  if (!parseFileName(file, m.version, m.name)) {
    throw StorageError(dialect + "/" + file + ": migration files are named NNNN_name.sql");
  }
  m.file = dialect + "/" + file;
  m.sql = sql;
  m.checksum = sha256Hex(sql);
  return m;
}

}  // namespace

std::string sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::vector<Migration> loadMigrationDir(const std::string& dir, Dialect dialect) {
  std::filesystem::path folder = std::filesystem::path(dir) / dialectName(dialect);
  if (!std::filesystem::is_directory(folder)) {
    throw StorageError(folder.string() + ": migration folder not found");
  }
  std::vector<Migration> list;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql")
      continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    list.push_back(makeMigration(dialectName(dialect), entry.path().filename(), buf.str()));
  }
  return sorted(std::move(list), folder.string());
}

std::vector<Migration> embeddedMigrations(Dialect dialect) {
  std::vector<Migration> list;
  for (const auto& f : embeddedMigrationFiles()) {
    if (std::string(f.dialect) == dialectName(dialect)) {
      list.push_back(makeMigration(f.dialect, f.file, f.sql));
    }
  }
  return sorted(std::move(list), "embedded migrations");
}

Migrator::Migrator(Database& db, std::vector<Migration> migrations)
    : db_(db), migrations_(std::move(migrations)) {}

void Migrator::ensureTable(soci::session& session) {
  Database::execScript(session, db_.dialect(),
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version INTEGER PRIMARY KEY,"
                       " name TEXT NOT NULL,"
                       " checksum TEXT NOT NULL,"
                       " applied_at TEXT NOT NULL)");
}

std::vector<MigrationState> Migrator::status() {
  auto session = db_.lease();
  if (!session)
    throw StorageError("no database connection free for migrations");
  return statusOn(**session);
}

bool Migrator::tableExists(soci::session& sql) {
  int n = 0;
  if (db_.dialect() == Dialect::kSqlite) {
    sql << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
           "'schema_migrations'",
        soci::into(n);
  } else {
    sql << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
           "current_schema() AND table_name = 'schema_migrations'",
        soci::into(n);
  }
  return n > 0;
}

std::vector<MigrationState> Migrator::statusOn(soci::session& sql) {
  std::vector<MigrationState> out;
  if (!tableExists(sql)) {  // a fresh database: everything pending, and nothing written
    for (const auto& m : migrations_)
      out.push_back({m, false, false, ""});
    return out;
  }
  std::map<int, std::pair<std::string, std::string>> applied;  // version -> checksum, time
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT version, checksum, applied_at FROM schema_migrations");
  for (const auto& row : rows) {
    int version = row.get_properties(0).get_data_type() == soci::dt_long_long
                      ? static_cast<int>(row.get<long long>(0))
                      : row.get<int>(0);
    applied[version] = {row.get<std::string>(1), row.get<std::string>(2)};
  }
  for (const auto& m : migrations_) {
    MigrationState state{m, false, false, ""};
    auto it = applied.find(m.version);
    if (it != applied.end()) {
      state.applied = true;
      state.modified = it->second.first != m.checksum;
      state.applied_at = it->second.second;
    }
    out.push_back(state);
  }
  return out;
}

int Migrator::apply() {
  auto session = db_.lease();
  if (!session)
    throw StorageError("no database connection free for migrations");
  soci::session& sql = **session;
  const Dialect dialect = db_.dialect();
  if (dialect == Dialect::kPostgresql) {
    // Several engine processes may start at once: one migrates, the others wait, then see it done.
    sql << "SELECT pg_advisory_lock(" << kMigrationLockKey << ")";
  }
  struct Unlock {
    soci::session& sql;
    Dialect dialect;
    ~Unlock() {
      try {
        if (dialect == Dialect::kPostgresql) {
          sql << "SELECT pg_advisory_unlock(" << kMigrationLockKey << ")";
        }
      } catch (...) {
      }
    }
  } unlock{sql, dialect};

  ensureTable(sql);
  auto states = statusOn(sql);

  int count = 0;
  for (const auto& state : states) {
    if (state.modified) {
      throw StorageError(state.migration.file +
                         ": changed after it was applied (checksum differs); add a new "
                         "migration instead of editing an old one");
    }
    if (state.applied)
      continue;
    const Migration& m = state.migration;
    const std::string applied_at = nowIso();
    Database::execScript(sql, dialect, dialect == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    try {
      int already = 0;
      sql << "SELECT COUNT(*) FROM schema_migrations WHERE version = :v", soci::use(m.version),
          soci::into(already);
      if (already > 0) {  // another process applied it while this one waited for the lock
        Database::execScript(sql, dialect, "COMMIT");
        continue;
      }
      Database::execScript(sql, dialect, m.sql);
      sql << "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
             "VALUES (:v, :n, :c, :t)",
          soci::use(m.version), soci::use(m.name), soci::use(m.checksum), soci::use(applied_at);
      Database::execScript(sql, dialect, "COMMIT");
    } catch (const std::exception& e) {
      try {
        Database::execScript(sql, dialect, "ROLLBACK");
      } catch (...) {
      }
      throw StorageError("migration " + m.file + " failed and was rolled back: " + e.what());
    }
    ++count;
  }
  return count;
}

}  // namespace baraza
