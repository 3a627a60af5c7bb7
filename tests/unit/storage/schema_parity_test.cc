// Both dialects must give the same tables, columns, nullability and primary keys, and every
// tenant-owned table must carry tenant_id first in its primary key.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

struct Column {
  std::string family;  // type family: text, integer, boolean, real, timestamp, json, uuid
  bool not_null;
  bool operator==(const Column&) const = default;
};
struct Table {
  std::map<std::string, Column> columns;
  std::vector<std::string> primary_key;  // in key order
};
using Schema = std::map<std::string, Table>;

// The SQLite type each PostgreSQL type is stored as (see the header of the sqlite migration).
std::string pgFamily(const std::string& type) {
  if (type == "uuid" || type == "text" || type == "character varying")
    return "text";
  if (type == "jsonb" || type == "timestamp with time zone")
    return "text";
  if (type == "boolean" || type == "integer" || type == "bigint" || type == "smallint") {
    return "integer";
  }
  if (type == "double precision" || type == "real")
    return "real";
  return "unknown:" + type;
}

std::string sqliteFamily(std::string type) {
  for (auto& c : type)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type == "text")
    return "text";
  if (type == "integer")
    return "integer";
  if (type == "real")
    return "real";
  return "unknown:" + type;
}

Schema readSqlite(Database& db) {
  Schema schema;
  auto s = db.lease();
  std::vector<std::string> tables;
  soci::rowset<std::string> names =
      ((*s)->prepare << "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                        "'sqlite_%' AND name <> 'schema_migrations'");
  for (const auto& n : names)
    tables.push_back(n);
  for (const auto& t : tables) {
    std::map<long long, std::string> pk;
    soci::rowset<soci::row> cols = ((*s)->prepare << "PRAGMA table_info(" + t + ")");
    for (const auto& r : cols) {
      std::string name = r.get<std::string>(1);
      bool not_null = rowInt(r, 3) != 0;
      long long pk_pos = rowInt(r, 5);
      schema[t].columns[name] = {sqliteFamily(r.get<std::string>(2)), not_null};
      if (pk_pos > 0)
        pk[pk_pos] = name;
    }
    for (const auto& [pos, name] : pk)
      schema[t].primary_key.push_back(name);
  }
  return schema;
}

Schema readPostgres(Database& db) {
  Schema schema;
  auto s = db.lease();
  soci::rowset<soci::row> cols =
      ((*s)->prepare << "SELECT table_name, column_name, data_type, is_nullable "
                        "FROM information_schema.columns WHERE table_schema = 'public' "
                        "AND table_name <> 'schema_migrations'");
  for (const auto& r : cols) {
    schema[r.get<std::string>(0)].columns[r.get<std::string>(1)] = {pgFamily(r.get<std::string>(2)),
                                                                    r.get<std::string>(3) == "NO"};
  }
  soci::rowset<soci::row> keys =
      ((*s)->prepare << "SELECT tc.table_name, kcu.column_name FROM "
                        "information_schema.table_constraints tc JOIN "
                        "information_schema.key_column_usage kcu ON tc.constraint_name = "
                        "kcu.constraint_name AND tc.table_schema = kcu.table_schema WHERE "
                        "tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public' "
                        "ORDER BY tc.table_name, kcu.ordinal_position");
  for (const auto& r : keys) {
    if (r.get<std::string>(0) == "schema_migrations")
      continue;
    schema[r.get<std::string>(0)].primary_key.push_back(r.get<std::string>(1));
  }
  return schema;
}

Schema migrated(const std::string& url, Dialect dialect, Schema (*read)(Database&)) {
  Database db(url, 1, std::chrono::milliseconds(2000));
  Migrator(db, embeddedMigrations(dialect)).apply();
  return read(db);
}

TEST(SchemaParity, BothDialectsGiveTheSameTablesColumnsAndKeys) {
  test::TempDir dir;
  test::PostgresDatabase pg;
  Schema lite = migrated("sqlite://" + dir.file("p.db"), Dialect::kSqlite, readSqlite);
  Schema post = migrated(pg.url(), Dialect::kPostgresql, readPostgres);
  ASSERT_FALSE(lite.empty());
  std::set<std::string> lite_tables, post_tables;
  for (const auto& [t, _] : lite)
    lite_tables.insert(t);
  for (const auto& [t, _] : post)
    post_tables.insert(t);
  ASSERT_EQ(lite_tables, post_tables);
  for (const auto& [name, table] : lite) {
    const Table& other = post.at(name);
    EXPECT_EQ(table.primary_key, other.primary_key) << name;
    for (const auto& [col, def] : table.columns) {
      ASSERT_TRUE(other.columns.count(col)) << name << "." << col << " missing in postgresql";
      EXPECT_EQ(def.family, other.columns.at(col).family) << name << "." << col;
      EXPECT_EQ(def.not_null, other.columns.at(col).not_null) << name << "." << col;
    }
    EXPECT_EQ(table.columns.size(), other.columns.size()) << name;
  }
}

// The owner leads the key: an organization's tables (leads and their links to agents, which
// also name a tenant) by organization_id, every other table with a tenant_id by tenant_id.
TEST(SchemaParity, EveryOwnedTableLeadsItsPrimaryKeyWithItsOwner) {
  test::TempDir dir;
  Schema lite = migrated("sqlite://" + dir.file("p.db"), Dialect::kSqlite, readSqlite);
  int tenant_owned = 0, organization_owned = 0;
  for (const auto& [name, table] : lite) {
    bool organization = table.columns.count("organization_id") && name != "tenants";
    if (!organization && !table.columns.count("tenant_id"))
      continue;
    ++(organization ? organization_owned : tenant_owned);
    ASSERT_FALSE(table.primary_key.empty()) << name;
    EXPECT_EQ(table.primary_key.front(), organization ? "organization_id" : "tenant_id") << name;
  }
  EXPECT_GE(tenant_owned, 7);
  EXPECT_GE(organization_owned, 4);
}

}  // namespace
}  // namespace baraza
