#include "storage/batch_columns.h"

#include <nlohmann/json.hpp>

#include "storage/database.h"

namespace baraza {

Params& batchColumns(Params& params, Dialect dialect, const std::vector<BatchColumn>& columns) {
  if (dialect == Dialect::kPostgresql) {
    for (const auto& column : columns)
      params.textArray(column);
    return params;
  }
  using nlohmann::json;
  json rows = json::array();
  for (size_t i = 0; !columns.empty() && i < columns[0].size(); ++i) {
    json row = json::array();
    for (const auto& column : columns)
      row.push_back(column[i] ? json(*column[i]) : json());
    rows.push_back(std::move(row));
  }
  return params.text(rows.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace baraza
