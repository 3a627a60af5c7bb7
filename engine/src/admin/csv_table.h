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

// A text cell a spreadsheet will show as text, not run as a formula (OWASP's CSV injection): a
// cell starting with = + - @ TAB or CR gets a leading apostrophe, and so does one that already
// starts with an apostrophe followed by one of those (or by another apostrophe), so that
// `cellFromSpreadsheet` gives back exactly what went out.
std::string spreadsheetSafeCell(const std::string& text);
std::string cellFromSpreadsheet(const std::string& cell);

}  // namespace baraza::admin
