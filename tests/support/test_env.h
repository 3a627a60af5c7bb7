#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "security/sealer.h"
#include "storage/database.h"

namespace baraza::test {

std::string sourceDir();      // the repository root
std::string binaryDir();      // the build folder (holds baraza and plugins/)
std::string testPluginDir();  // the failure-mode plugins of tests/plugins/

// The whole content of a file ("" when it cannot be read).
std::string readFileText(const std::string& path);

// How long this machine takes to fill `bytes` of fresh memory the way a doubling string does
// (allocate, copy, free; the best of three). In a VM page faults can cost more than a script's
// whole time budget, so a memory bomb may meet the clock before the memory cap, and its time is
// bounded by the budget plus this.
double freshMemoryMs(size_t bytes);

// A fresh folder under /tmp, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `text` to `name` in this folder and returns its path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

// The throwaway server's URL from BARAZA_TEST_POSTGRES_URL. The README's test command always
// sets it; without it the calling test fails (PostgreSQL tests are never skipped).
std::string postgresUrl();

// A database of its own on the throwaway server, dropped with the object.
class PostgresDatabase {
 public:
  PostgresDatabase();
  ~PostgresDatabase();
  // As the engine connects: baraza_app, the database's owner, no superuser, no BYPASSRLS.
  const std::string& url() const { return url_; }
  // As the server's superuser: for pg_dump and other checks that must see every row.
  std::string adminUrl() const;
  const std::string& name() const { return name_; }
  // Runs one statement on the server's maintenance database.
  static void adminExec(const std::string& sql);

 private:
  std::string name_;
  std::string url_;
};

// A database of `dialect` for one test: SQLite in a folder of its own, or a fresh database on
// the throwaway PostgreSQL server. Dropped with the object.
class DialectDatabase {
 public:
  explicit DialectDatabase(Dialect dialect);
  const std::string& url() const { return url_; }
  // PostgreSQL: the superuser's URL of the same database (sees every row); SQLite: url().
  std::string adminUrl() const { return pg_ ? pg_->adminUrl() : url_; }
  std::string file(const std::string& name) const { return dir_.file(name); }

 private:
  TempDir dir_;
  std::unique_ptr<PostgresDatabase> pg_;
  std::string url_;
};

// Applies the embedded migrations up to and including `version`: a database as an older engine
// left it, for a test of what a later migration does to its rows.
void migrateThrough(Database& db, Dialect dialect, int version);

// Imports examples/tenants/SLUG.yaml for each slug, as `baraza tenant import` would.
void importExampleTenants(Database& db, const Sealer& sealer,
                          const std::vector<std::string>& slugs);

// Environment variable set for the object's lifetime.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value);
  ~ScopedEnv();

 private:
  std::string name_;
  bool had_ = false;
  std::string old_;
};

}  // namespace baraza::test
