#include "admin/csv_table.h"

#include <csv.h>

namespace baraza::admin {
namespace {

struct Reader {
  CsvRows rows;
  std::vector<std::string> row;
};

void onField(void* data, size_t size, void* reader) {
  static_cast<Reader*>(reader)->row.emplace_back(static_cast<const char*>(data), size);
}

void onRowEnd(int, void* reader) {
  auto* r = static_cast<Reader*>(reader);
  r->rows.push_back(std::move(r->row));
  r->row.clear();
}

bool startsAFormula(char c) {
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

// Whether `text` would lose a leading apostrophe on its way back in.
bool startsEscaped(const std::string& text) {
  return text.size() > 1 && text[0] == '\'' && (startsAFormula(text[1]) || text[1] == '\'');
}

}  // namespace

std::optional<CsvRows> parseCsv(std::string_view text, std::string& error) {
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    error = "cannot start the CSV reader";
    return std::nullopt;
  }
  Reader reader;
  size_t used = csv_parse(&parser, text.data(), text.size(), onField, onRowEnd, &reader);
  bool ok = used == text.size() && csv_fini(&parser, onField, onRowEnd, &reader) == 0;
  if (!ok) {
    error = std::string("CSV: ") + csv_strerror(csv_error(&parser)) + " in row " +
            std::to_string(reader.rows.size() + 1);
  }
  csv_free(&parser);
  if (!ok)
    return std::nullopt;
  return reader.rows;
}

std::string csvLine(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i)
      line += ',';
    size_t need = csv_write(nullptr, 0, fields[i].data(), fields[i].size());
    std::string quoted(need, '\0');
    csv_write(quoted.data(), quoted.size(), fields[i].data(), fields[i].size());
    line += quoted;
  }
  return line + "\r\n";
}

std::string spreadsheetSafeCell(const std::string& text) {
  if (text.empty() || !(startsAFormula(text[0]) || startsEscaped(text)))
    return text;
  return "'" + text;
}

std::string cellFromSpreadsheet(const std::string& cell) {
  return startsEscaped(cell) ? cell.substr(1) : cell;
}

}  // namespace baraza::admin
