#include "storage/prepared.h"

#include <cctype>
#include <stdexcept>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "storage/database.h"

namespace baraza {

Params& Params::text(std::string_view value) {
  values_.emplace_back(value);
  nulls_.push_back(0);
  integers_.push_back(0);
  return *this;
}

Params& Params::textOrNull(std::string_view value) {
  return value.empty() ? null() : text(value);
}

Params& Params::textArray(const std::vector<std::optional<std::string>>& items) {
  std::string literal = "{";
  for (const auto& item : items) {
    if (literal.size() > 1)
      literal += ',';
    if (!item) {
      literal += "NULL";
      continue;
    }
    literal += '"';
    for (char c : *item) {
      if (c == '"' || c == '\\')
        literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return text(literal);
}

void ColumnArrays::addRow(std::vector<std::optional<std::string>> row) {
  if (columns_.empty())
    columns_.resize(row.size());
  if (row.size() != columns_.size())
    throw std::logic_error("ColumnArrays: rows of different widths");
  for (size_t c = 0; c < row.size(); ++c)
    columns_[c].push_back(std::move(row[c]));
}

Params ColumnArrays::params() const {
  Params params;
  for (const auto& column : columns_)
    params.textArray(column);
  return params;
}

Params& Params::integer(long long value) {
  values_.push_back(std::to_string(value));
  nulls_.push_back(0);
  integers_.push_back(1);
  return *this;
}

Params& Params::null() {
  values_.emplace_back();
  nulls_.push_back(1);
  integers_.push_back(0);
  return *this;
}

long long Rows::integer(size_t row, size_t column) const {
  const auto& cell = cells_[row][column];
  return cell.second ? std::atoll(cell.first.c_str()) : 0;
}

std::string sqlitePlaceholders(std::string_view postgresql) {
  std::string out;
  out.reserve(postgresql.size());
  for (size_t i = 0; i < postgresql.size(); ++i) {
    char c = postgresql[i];
    bool placeholder = c == '$' && i + 1 < postgresql.size() &&
                       std::isdigit(static_cast<unsigned char>(postgresql[i + 1]));
    out.push_back(placeholder ? '?' : c);
  }
  return out;
}

PreparedStatements::PreparedStatements(soci::session& session, Dialect dialect)
    : session_(session), dialect_(dialect) {}

PreparedStatements::~PreparedStatements() {
  forget();
}

void PreparedStatements::forget() {
  for (auto& [name, stmt] : sqlite_)
    sqlite_api::sqlite3_finalize(static_cast<sqlite_api::sqlite3_stmt*>(stmt));
  sqlite_.clear();
  postgresql_.clear();
  connection_ = nullptr;
}

Rows PreparedStatements::run(const Statement& statement, const Params& params) {
  if (!session_.get_backend())
    throw StorageError("the database connection is closed");
  return dialect_ == Dialect::kPostgresql ? runPostgresql(statement, params)
                                          : runSqlite(statement, params);
}

namespace {

[[noreturn]] void throwPostgresError(PGresult* result, const std::string& what) {
  std::string message = result ? PQresultErrorMessage(result) : "no result";
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  PQclear(result);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
    message.pop_back();
  throw SqlError(what + ": " + message, sqlstate);
}

// The rows of a result, which it frees.
Rows postgresqlRows(PGresult* result, const char* name) {
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throwPostgresError(result, name);
  Rows rows;
  int n = PQntuples(result), columns = PQnfields(result);
  for (int r = 0; r < n; ++r) {
    std::vector<std::pair<std::string, bool>> row;
    row.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      bool present = !PQgetisnull(result, r, c);
      row.emplace_back(present ? std::string(PQgetvalue(result, r, c), PQgetlength(result, r, c))
                               : std::string(),
                       present);
    }
    rows.addRow(std::move(row));
  }
  const char* affected = PQcmdTuples(result);
  rows.setAffected(affected && *affected ? std::atoll(affected) : 0);
  PQclear(result);
  return rows;
}

}  // namespace

Rows PreparedStatements::runPostgresql(const Statement& statement, const Params& params) {
  PGconn* conn = static_cast<soci::postgresql_session_backend*>(session_.get_backend())->conn_;
  if (conn != connection_) {
    forget();  // a new connection: nothing is prepared on it yet
    connection_ = conn;
  }
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i)
    values[i] = params.isNull(i) ? nullptr : params.value(i).c_str();
  int n = static_cast<int>(params.size());
  if (statement.plan_each_call) {
    return postgresqlRows(PQexecParams(conn, statement.postgresql.c_str(), n, nullptr,
                                       values.data(), nullptr, nullptr, 0),
                          statement.name);
  }
  preparePostgresql(statement);
  return postgresqlRows(PQexecPrepared(conn, statement.name, n, values.data(), nullptr, nullptr, 0),
                        statement.name);
}

void PreparedStatements::preparePostgresql(const Statement& statement) {
  if (postgresql_.count(statement.name))
    return;
  PGconn* conn = static_cast<PGconn*>(const_cast<void*>(connection_));
  PGresult* prepared = PQprepare(conn, statement.name, statement.postgresql.c_str(), 0, nullptr);
  if (PQresultStatus(prepared) != PGRES_COMMAND_OK)
    throwPostgresError(prepared, std::string("preparing ") + statement.name);
  PQclear(prepared);
  postgresql_[statement.name] = true;
}

std::vector<Rows> PreparedStatements::runMany(const Statement& statement,
                                              const std::vector<Params>& batch) {
  std::vector<Call> calls;
  calls.reserve(batch.size());
  for (const auto& params : batch)
    calls.push_back({&statement, params});
  return runCalls(calls);
}

std::vector<Rows> PreparedStatements::runCalls(const std::vector<Call>& calls) {
  if (!session_.get_backend())
    throw StorageError("the database connection is closed");
  if (dialect_ == Dialect::kPostgresql && calls.size() > 1)
    return runCallsPostgresql(calls);
  std::vector<Rows> out;
  out.reserve(calls.size());
  for (const auto& call : calls)
    out.push_back(run(*call.statement, call.params));
  return out;
}

std::vector<Rows> PreparedStatements::runCallsPostgresql(const std::vector<Call>& calls) {
  PGconn* conn = static_cast<soci::postgresql_session_backend*>(session_.get_backend())->conn_;
  if (conn != connection_) {
    forget();
    connection_ = conn;
  }
  for (const auto& call : calls)
    preparePostgresql(*call.statement);
  if (PQenterPipelineMode(conn) != 1)
    throw StorageError("cannot enter pipeline mode");
  std::string failure, failed_name;
  std::vector<Rows> out;
  out.reserve(calls.size());
  // The pipeline is drained and left before anything is thrown: the connection stays usable.
  for (const auto& call : calls) {
    const Params& params = call.params;
    std::vector<const char*> values(params.size());
    for (size_t i = 0; i < params.size(); ++i)
      values[i] = params.isNull(i) ? nullptr : params.value(i).c_str();
    if (PQsendQueryPrepared(conn, call.statement->name, static_cast<int>(params.size()),
                            values.data(), nullptr, nullptr, 0) != 1) {
      failure = PQerrorMessage(conn);
      failed_name = call.statement->name;
      break;
    }
  }
  if (PQpipelineSync(conn) != 1 && failure.empty())
    failure = PQerrorMessage(conn);
  int nulls = 0;
  for (;;) {
    PGresult* result = PQgetResult(conn);
    if (!result) {
      // The end of one statement's results; two in a row: nothing more will come.
      if (++nulls > 1 || PQstatus(conn) == CONNECTION_BAD) {
        if (failure.empty())
          failure = "the connection was lost in a pipeline";
        break;
      }
      continue;
    }
    nulls = 0;
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(result);
      break;
    }
    size_t at = out.size();
    const char* name = at < calls.size() ? calls[at].statement->name : "pipeline";
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      out.push_back(postgresqlRows(result, name));
      continue;
    }
    if (failure.empty() && status != PGRES_PIPELINE_ABORTED) {
      const char* message = PQresultErrorMessage(result);
      failure = message ? message : "failed";
      failed_name = name;
    }
    out.emplace_back();  // keeps the count aligned with the calls
    PQclear(result);
  }
  PQexitPipelineMode(conn);
  if (!failure.empty()) {
    while (!failure.empty() && (failure.back() == '\n' || failure.back() == ' '))
      failure.pop_back();
    throw SqlError((failed_name.empty() ? std::string("pipeline") : failed_name) + ": " + failure,
                   "");
  }
  return out;
}

Rows PreparedStatements::runSqlite(const Statement& statement, const Params& params) {
  using namespace sqlite_api;
  sqlite3* db = static_cast<soci::sqlite3_session_backend*>(session_.get_backend())->conn_;
  if (db != connection_) {
    forget();
    connection_ = db;
  }
  sqlite3_stmt*& stmt = reinterpret_cast<sqlite3_stmt*&>(sqlite_[statement.name]);
  if (!stmt) {
    std::string text =
        sqlitePlaceholders(statement.sqlite.empty() ? statement.postgresql : statement.sqlite);
    if (sqlite3_prepare_v3(db, text.c_str(), static_cast<int>(text.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      std::string message = sqlite3_errmsg(db);
      sqlite_.erase(statement.name);
      throw SqlError(std::string("preparing ") + statement.name + ": " + message, "");
    }
  }
  for (size_t i = 0; i < params.size(); ++i) {
    int at = static_cast<int>(i) + 1;
    if (params.isNull(i))
      sqlite3_bind_null(stmt, at);
    else if (params.isInteger(i))
      sqlite3_bind_int64(stmt, at, std::atoll(params.value(i).c_str()));
    else
      sqlite3_bind_text(stmt, at, params.value(i).data(), static_cast<int>(params.value(i).size()),
                        SQLITE_STATIC);
  }
  Rows rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    int columns = sqlite3_column_count(stmt);
    std::vector<std::pair<std::string, bool>> row;
    row.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
        row.emplace_back(std::string(), false);
        continue;
      }
      const unsigned char* text = sqlite3_column_text(stmt, c);
      row.emplace_back(std::string(reinterpret_cast<const char*>(text),
                                   static_cast<size_t>(sqlite3_column_bytes(stmt, c))),
                       true);
    }
    rows.addRow(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    std::string message = sqlite3_errmsg(db);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    throw SqlError(std::string(statement.name) + ": " + message, std::to_string(rc));
  }
  rows.setAffected(sqlite3_changes(db));
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return rows;
}

}  // namespace baraza
