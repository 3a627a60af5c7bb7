#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage/prepared.h"

namespace baraza {

enum class Dialect;

// One column of a batch's rows; std::nullopt is NULL.
using BatchColumn = std::vector<std::optional<std::string>>;

// A batch's rows as parameters of one statement: one array per column on PostgreSQL (for
// `unnest($n::type[], ...)`), one JSON array of rows on SQLite (for `value ->> i` over
// `json_each`). Every column must have the same number of rows.
Params& batchColumns(Params& params, Dialect dialect, const std::vector<BatchColumn>& columns);

}  // namespace baraza
