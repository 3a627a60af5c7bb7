#include "support/test_env.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <libpq-fe.h>

#include "storage/migrator.h"
#include "tenancy/tenant_import.h"

namespace baraza::test {
namespace {

std::string randomSuffix() {
  static std::mt19937_64 rng(std::random_device{}());
  static const char* chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 10; ++i)
    s += chars[rng() % 36];
  return s;
}

// The URL with its database name replaced.
std::string withDatabase(const std::string& url, const std::string& db) {
  auto slash = url.rfind('/');
  auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}

}  // namespace

std::string sourceDir() {
  return BARAZA_TEST_SOURCE_DIR;
}
std::string binaryDir() {
  return BARAZA_TEST_BINARY_DIR;
}
std::string testPluginDir() {
  return BARAZA_TEST_PLUGIN_DIR;
}

std::string readFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

double freshMemoryMs(size_t bytes) {
  double best = 1e9;
  for (int round = 0; round < 3; ++round) {
    auto start = std::chrono::steady_clock::now();
    size_t size = 8;
    char* p = static_cast<char*>(std::malloc(size));
    std::memset(p, 'x', size);
    while (size < bytes) {
      char* q = static_cast<char*>(std::malloc(size * 2));
      std::memcpy(q, p, size);
      std::memcpy(q + size, p, size);
      std::free(p);
      p = q;
      size *= 2;
    }
    std::free(p);
    best = std::min(
        best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                  .count());
  }
  return best;
}

TempDir::TempDir() {
  path_ = std::filesystem::temp_directory_path() / ("baraza-test-" + randomSuffix());
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
  auto p = path_ / name;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

std::string postgresUrl() {
  const char* url = std::getenv("BARAZA_TEST_POSTGRES_URL");
  if (!url || !*url) {
    throw std::runtime_error(
        "BARAZA_TEST_POSTGRES_URL is not set: run the suite with tools/test.sh, which starts a "
        "throwaway PostgreSQL server");
  }
  return url;
}

void PostgresDatabase::adminExec(const std::string& sql) {
  PGconn* conn = PQconnectdb(postgresUrl().c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string err = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot reach the test PostgreSQL server: " + err);
  }
  PGresult* r = PQexec(conn, sql.c_str());
  auto status = PQresultStatus(r);
  std::string err = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(sql + ": " + err);
  }
}

PostgresDatabase::PostgresDatabase() {
  name_ = "baraza_test_" + randomSuffix();
  adminExec("CREATE DATABASE " + name_ + " OWNER baraza_app");
  std::string admin = adminUrl();
  auto at = admin.find('@');
  url_ = "postgresql://baraza_app" + admin.substr(at);
}

std::string PostgresDatabase::adminUrl() const {
  return withDatabase(postgresUrl(), name_);
}

PostgresDatabase::~PostgresDatabase() {
  try {
    adminExec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
  }
}

DialectDatabase::DialectDatabase(Dialect dialect) {
  if (dialect == Dialect::kSqlite) {
    url_ = "sqlite://" + dir_.file("db/baraza.db");
  } else {
    pg_ = std::make_unique<PostgresDatabase>();
    url_ = pg_->url();
  }
}

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
  if (const char* old = std::getenv(name_.c_str())) {
    had_ = true;
    old_ = old;
  }
  setenv(name_.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
  if (had_) {
    setenv(name_.c_str(), old_.c_str(), 1);
  } else {
    unsetenv(name_.c_str());
  }
}

void migrateThrough(Database& db, Dialect dialect, int version) {
  std::vector<Migration> through;
  for (auto& m : embeddedMigrations(dialect)) {
    if (m.version <= version)
      through.push_back(std::move(m));
  }
  Migrator(db, through).apply();
}

void importExampleTenants(Database& db, const Sealer& sealer,
                          const std::vector<std::string>& slugs) {
  for (const auto& slug : slugs)
    importTenant(db, sealer, readTenantFile(sourceDir() + "/examples/tenants/" + slug + ".yaml"),
                 "test");
}

}  // namespace baraza::test
