// Statements prepared once per connection, run alone or many at once (PostgreSQL's pipeline
// mode), on both databases: values and NULLs round-trip, a failure names the statement and
// leaves the connection usable, and a reopened connection prepares again.
#include <gtest/gtest.h>

#include "storage/database.h"
#include "support/test_env.h"

namespace baraza {
namespace {

const Statement kCreate{"test_prepared_create",
                        "CREATE TABLE prepared_probe (k TEXT PRIMARY KEY, v BIGINT, note TEXT)",
                        ""};
const Statement kInsert{"test_prepared_insert",
                        "INSERT INTO prepared_probe (k, v, note) VALUES ($1, $2, $3) RETURNING k",
                        ""};
const Statement kRead{"test_prepared_read", "SELECT k, v, note FROM prepared_probe WHERE k = $1",
                      ""};
const Statement kCount{"test_prepared_count", "SELECT COUNT(*) FROM prepared_probe", ""};

class Prepared : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 2, std::chrono::milliseconds(5000));
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.run(kCreate);
    tx.commit();
  }
  long long count() {
    TenantScope tx(*db_, TenantScope::kAllTenants);
    return tx.run(kCount).integer(0, 0);
  }
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
};

TEST_P(Prepared, ValuesAndNullsRoundTripAloneAndManyAtOnce) {
  TenantScope tx(*db_, TenantScope::kAllTenants, true);
  tx.run(kInsert, Params().text("a").integer(-7).null());
  std::vector<Params> batch;
  for (int i = 0; i < 50; ++i)
    batch.push_back(Params().text("b" + std::to_string(i)).integer(i).text("it's \"quoted\""));
  auto inserted = tx.runMany(kInsert, batch);
  ASSERT_EQ(inserted.size(), 50u);
  EXPECT_EQ(inserted[49].text(0, 0), "b49");
  Rows a = tx.run(kRead, Params().text("a"));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a.integer(0, 1), -7);
  EXPECT_TRUE(a.isNull(0, 2));
  auto read = tx.runMany(kRead, {Params().text("b3"), Params().text("nobody")});
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].text(0, 2), "it's \"quoted\"");
  EXPECT_TRUE(read[1].empty());
  tx.commit();
  EXPECT_EQ(count(), 51);
}

TEST_P(Prepared, AFailureInABatchNamesTheStatementAndTheConnectionStaysUsable) {
  {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    std::vector<Params> batch{Params().text("x").integer(1).null(),
                              Params().text("x").integer(2).null(),  // the same key again
                              Params().text("y").integer(3).null()};
    try {
      tx.runMany(kInsert, batch);
      FAIL() << "a duplicate key was accepted";
    } catch (const SqlError& e) {
      EXPECT_NE(std::string(e.what()).find("test_prepared_insert"), std::string::npos) << e.what();
    }
  }  // rolled back
  EXPECT_EQ(count(), 0);
  TenantScope tx(*db_, TenantScope::kAllTenants, true);
  EXPECT_EQ(tx.runMany(kInsert, {Params().text("z").integer(1).null()}).size(), 1u);
  tx.commit();
  EXPECT_EQ(count(), 1);
}

// SOCI's rows (the admin API's reads) carry values past 2^31 from BIGINT columns and
// expressions on both dialects (not from SQLite columns declared INTEGER: see rowInt).
TEST_P(Prepared, RowIntReadsSixtyFourBitValues) {
  TenantScope tx(*db_, TenantScope::kAllTenants, true);
  tx.run(kInsert, Params().text("ms").integer(1795000000123LL).text("x"));
  soci::row row;
  tx.sql() << "SELECT v, v + 0, COUNT(*) FROM prepared_probe WHERE k = 'ms' GROUP BY v",
      soci::into(row);
  EXPECT_EQ(rowInt(row, 0), 1795000000123LL);
  EXPECT_EQ(rowInt(row, 1), 1795000000123LL);
  EXPECT_EQ(rowInt(row, 2), 1);
}

// A text array parameter carries any text, NULLs and an empty array intact through unnest.
TEST(PreparedArrays, TextArraysRoundTripThroughUnnest) {
  test::DialectDatabase target(Dialect::kPostgresql);
  Database db(target.url(), 1, std::chrono::milliseconds(10000));
  const Statement unnest{
      "array_probe", "SELECT v, n FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n",
      ""};
  std::vector<std::optional<std::string>> items = {
      "plain", "with \"quotes\"", "back\\slash\\", "{braces},comma", "", std::nullopt,
      "NULL",  " spaced ",        "Habari, 😀 ✓",   "line\nbreak"};
  TenantScope tx(db, TenantScope::kAllTenants);
  Rows rows = tx.run(unnest, Params().textArray(items));
  ASSERT_EQ(rows.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(rows.isNull(i, 0), !items[i].has_value()) << i;
    if (items[i])
      EXPECT_EQ(rows.text(i, 0), *items[i]) << i;
  }
  EXPECT_TRUE(tx.run(unnest, Params().textArray({})).empty());

  // Rows become columns, unnested back into the same rows.
  const Statement pairs{"array_pairs",
                        "SELECT a, b FROM unnest($1::text[], $2::bigint[]) AS u(a, b)", ""};
  ColumnArrays columns;
  columns.addRow({"one", "1"});
  columns.addRow({std::nullopt, "2"});
  Rows back = tx.run(pairs, columns.params());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.text(0, 0), "one");
  EXPECT_TRUE(back.isNull(1, 0));
  EXPECT_EQ(back.integer(1, 1), 2);
  EXPECT_THROW(columns.addRow({"three"}), std::logic_error);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, Prepared,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
