#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/soci.h"

namespace baraza {

enum class Dialect;

// One statement of a store, written once per dialect with $1..$n placeholders (SQLite reads them
// as ?1..?n). It is prepared the first time a connection runs it and reused after that: no
// parse or plan per call on the message path.
struct Statement {
  const char* name;        // unique in the process; PostgreSQL's prepared-statement name
  std::string postgresql;  // the statement in PostgreSQL's dialect
  std::string sqlite;      // in SQLite's; "" when the PostgreSQL text serves both
  // PostgreSQL plans it anew at each call, knowing the batch's size and the tables' sizes of the
  // moment. For statements that join a batch to a growing table: a plan cached while the table
  // was small (a fresh database) would read the whole table at every call once it has grown.
  // They run once per batch, so planning costs little next to what a bad plan would.
  bool plan_each_call = false;
};

// The values of one execution, in placeholder order, all sent as text (the database converts
// them to the column's type); "" can be sent as NULL with `textOrNull`.
class Params {
 public:
  Params& text(std::string_view value);
  Params& textOrNull(std::string_view value);  // "" is NULL
  Params& integer(long long value);
  Params& null();
  // A PostgreSQL array literal of texts ({"a","b\"c",NULL}), for `unnest($n::type[])`: a
  // batch's column as one parameter, parsed far faster than the same rows in a JSON document.
  // std::nullopt elements are NULL.
  Params& textArray(const std::vector<std::optional<std::string>>& items);

  size_t size() const { return values_.size(); }
  const std::string& value(size_t i) const { return values_[i]; }
  bool isNull(size_t i) const { return nulls_[i] != 0; }
  bool isInteger(size_t i) const { return integers_[i] != 0; }

 private:
  std::vector<std::string> values_;
  std::vector<char> nulls_, integers_;
};

// A batch's rows as one PostgreSQL text array per column, for `unnest($1::uuid[], $2::text[],
// ...)`: every row must have the same number of values; std::nullopt is NULL.
class ColumnArrays {
 public:
  void addRow(std::vector<std::optional<std::string>> row);
  Params params() const;  // the columns, in order

 private:
  std::vector<std::vector<std::optional<std::string>>> columns_;
};

// What one execution returned: its rows, every column as text, and how many rows it changed.
class Rows {
 public:
  size_t size() const { return cells_.size(); }
  bool empty() const { return cells_.empty(); }
  bool isNull(size_t row, size_t column) const { return !cells_[row][column].second; }
  // The column's text; "" for NULL.
  const std::string& text(size_t row, size_t column) const { return cells_[row][column].first; }
  long long integer(size_t row, size_t column) const;
  // One column's texts, row by row.
  std::vector<std::string> texts(size_t column) const {
    std::vector<std::string> out;
    for (const auto& row : cells_)
      out.push_back(row[column].first);
    return out;
  }
  long long affected() const { return affected_; }

  void addRow(std::vector<std::pair<std::string, bool>> row) { cells_.push_back(std::move(row)); }
  void setAffected(long long n) { affected_ = n; }

 private:
  std::vector<std::vector<std::pair<std::string, bool>>> cells_;  // (text, not null)
  long long affected_ = 0;
};

// The prepared statements of one pooled connection. Used by one thread at a time, like its
// connection; forget() drops them when the connection is opened again.
class PreparedStatements {
 public:
  PreparedStatements(soci::session& session, Dialect dialect);
  ~PreparedStatements();
  PreparedStatements(const PreparedStatements&) = delete;
  PreparedStatements& operator=(const PreparedStatements&) = delete;

  // Runs `statement` with `params`; throws StorageError with the database's message (and
  // PostgreSQL's SQLSTATE) when it fails.
  Rows run(const Statement& statement, const Params& params);
  // Runs `statement` once per entry of `batch`, in order. On PostgreSQL they go out together in
  // pipeline mode: one round trip for the lot, each row still its own indexed statement (a
  // plan that cannot turn into a scan, whatever the table's statistics say). Returns each
  // run's rows; throws on the first failure.
  std::vector<Rows> runMany(const Statement& statement, const std::vector<Params>& batch);
  // Runs different statements in order, together (PostgreSQL: one pipeline, one round trip).
  struct Call {
    const Statement* statement;
    Params params;
  };
  std::vector<Rows> runCalls(const std::vector<Call>& calls);
  void forget();
  soci::session& session() const { return session_; }
  size_t prepared() const { return sqlite_.size() + postgresql_.size(); }

 private:
  Rows runPostgresql(const Statement& statement, const Params& params);
  std::vector<Rows> runCallsPostgresql(const std::vector<Call>& calls);
  void preparePostgresql(const Statement& statement);
  Rows runSqlite(const Statement& statement, const Params& params);

  soci::session& session_;
  Dialect dialect_;
  std::map<std::string, void*> sqlite_;  // name -> sqlite3_stmt*
  std::map<std::string, bool> postgresql_;
  const void* connection_ = nullptr;  // the native connection they were prepared on
};

// "$1" placeholders as SQLite's "?1".
std::string sqlitePlaceholders(std::string_view postgresql);

}  // namespace baraza
