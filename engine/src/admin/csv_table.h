#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baraza::admin {

using CsvRows = std::vector<std::vector<std::string>>;

// RFC 4180 text (libcsv, strict: a stray quote is an error) as rows of fields; nullopt with
// `error` set when it does not parse.
std::optional<CsvRows> parseCsv(std::string_view text, std::string& error);

// One CSV line, every field quoted, ending in CRLF.
std::string csvLine(const std::vector<std::string>& fields);

}  // namespace baraza::admin
