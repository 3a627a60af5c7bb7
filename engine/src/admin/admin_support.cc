#include "admin/admin_support.h"

#include <charconv>
#include <cmath>

#include "core/iso_time.h"

namespace baraza::admin {

HttpResponse jsonReply(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

HttpResponse noContent() {
  HttpResponse r;
  r.status = 204;
  return r;
}

HttpResponse notFound(const std::string& what) {
  return jsonError(404, "not_found", what);
}

HttpResponse invalidField(const std::string& field, const std::string& problem) {
  return jsonReply(
      400, {{"error", "invalid_field"}, {"field", field}, {"details", field + ": " + problem}});
}

HttpResponse forbidden(const std::string& details) {
  return jsonError(403, "forbidden", details);
}

std::optional<HttpResponse> readLimit(const HttpRequest& req, long long fallback, long long max,
                                      long long& limit) {
  std::string text = req.queryParam("limit");
  limit = fallback;
  if (text.empty())
    return std::nullopt;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (ec != std::errc() || p != text.data() + text.size() || limit < 1 || limit > max) {
    return jsonReply(
        400, {{"error", "invalid_parameter"},
              {"field", "limit"},
              {"details", "limit must be a whole number from 1 to " + std::to_string(max)}});
  }
  return std::nullopt;
}

std::string encodeCursor(const std::vector<std::string>& key) {
  static const char* hex = "0123456789abcdef";
  std::string joined, out;
  for (size_t i = 0; i < key.size(); ++i) {
    if (i)
      joined += '\x1f';
    joined += key[i];
  }
  for (unsigned char c : joined) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::optional<std::vector<std::string>> decodeCursor(const std::string& cursor, size_t parts) {
  if (cursor.size() % 2 != 0 || cursor.size() > 2048)
    return std::nullopt;
  std::string joined;
  for (size_t i = 0; i < cursor.size(); i += 2) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(cursor.data() + i, cursor.data() + i + 2, value, 16);
    if (ec != std::errc() || p != cursor.data() + i + 2)
      return std::nullopt;
    joined += static_cast<char>(value);
  }
  std::vector<std::string> key(1);
  for (char c : joined) {
    if (c == '\x1f')
      key.emplace_back();
    else
      key.back() += c;
  }
  if (key.size() != parts)
    return std::nullopt;
  return key;
}

std::optional<std::vector<std::string>> readCursor(const HttpRequest& req, size_t parts,
                                                   std::optional<HttpResponse>& error,
                                                   bool time_first) {
  std::string cursor = req.queryParam("cursor");
  if (cursor.empty())
    return std::vector<std::string>{};
  auto key = decodeCursor(cursor, parts);
  if (key && time_first && !parseIsoUtc((*key)[0]))
    key.reset();  // a forged cursor must be a 400, not a database error
  if (!key) {
    error = jsonReply(400, {{"error", "invalid_parameter"},
                            {"field", "cursor"},
                            {"details", "cursor: pass back a next_cursor this route returned"}});
  }
  return key;
}

std::optional<HttpResponse> readPage(const HttpRequest& req, long long fallback, long long max,
                                     size_t key_parts, PageRequest& page, bool time_first) {
  if (auto bad = readLimit(req, fallback, max, page.limit))
    return bad;
  std::optional<HttpResponse> error;
  auto key = readCursor(req, key_parts, error, time_first);
  if (!key)
    return error;
  page.after = *key;
  return std::nullopt;
}

json fetchPage(soci::session& sql, const std::string& text, const std::vector<std::string>& params,
               long long limit, const std::function<json(const soci::row&)>& to_json,
               const std::vector<size_t>& key_columns, json& next_cursor) {
  soci::statement st = (sql.prepare << text);
  for (const auto& p : params)
    st.exchange(soci::use(p));
  long long fetch = limit + 1;
  st.exchange(soci::use(fetch));
  soci::row row;
  st.exchange(soci::into(row));
  st.define_and_bind();
  st.execute(false);
  json list = json::array();
  std::vector<std::string> last;
  next_cursor = nullptr;
  while (st.fetch()) {
    if (static_cast<long long>(list.size()) == limit) {
      next_cursor = encodeCursor(last);
      break;
    }
    list.push_back(to_json(row));
    last.clear();
    for (size_t c : key_columns)
      last.push_back(row.get_indicator(c) == soci::i_ok ? row.get<std::string>(c) : "");
  }
  return list;
}

std::optional<json> readObject(const HttpRequest& req, const std::vector<std::string>& allowed,
                               std::optional<HttpResponse>& error) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    error = jsonError(400, "invalid_json", "the body must be a JSON object");
    return std::nullopt;
  }
  for (const auto& [name, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string known;
      for (const auto& a : allowed)
        known += (known.empty() ? "" : ", ") + a;
      error = invalidField(name, "unknown field (known: " + known + ")");
      return std::nullopt;
    }
  }
  return body;
}

void Fields::fail(const std::string& field, const std::string& problem) {
  if (field_.empty()) {
    field_ = field;
    problem_ = problem;
  }
}

std::string Fields::text(const char* name, const std::string& fallback) {
  if (!body_.contains(name) || body_[name].is_null())
    return fallback;
  if (!body_[name].is_string()) {
    fail(name, "must be a string");
    return fallback;
  }
  return body_[name].get<std::string>();
}

bool Fields::flag(const char* name, bool fallback) {
  if (!body_.contains(name))
    return fallback;
  if (!body_[name].is_boolean()) {
    fail(name, "must be true or false");
    return fallback;
  }
  return body_[name].get<bool>();
}

long long Fields::integer(const char* name, long long fallback) {
  if (!body_.contains(name) || body_[name].is_null())
    return fallback;
  if (!body_[name].is_number_integer()) {
    fail(name, "must be a whole number");
    return fallback;
  }
  return body_[name].get<long long>();
}

double Fields::number(const char* name, double fallback) {
  if (!body_.contains(name))
    return fallback;
  if (!body_[name].is_number() || !std::isfinite(body_[name].get<double>())) {
    fail(name, "must be a number");
    return fallback;
  }
  return body_[name].get<double>();
}

std::vector<std::string> Fields::texts(const char* name) {
  std::vector<std::string> out;
  if (!body_.contains(name))
    return out;
  if (!body_[name].is_array()) {
    fail(name, "must be a list of strings");
    return out;
  }
  for (const auto& v : body_[name]) {
    if (!v.is_string()) {
      fail(name, "must be a list of strings");
      return {};
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::optional<HttpResponse> Fields::error() const {
  if (field_.empty())
    return std::nullopt;
  return invalidField(field_, problem_);
}

std::optional<std::string> readKeyName(const HttpRequest& req, std::optional<HttpResponse>& error) {
  auto body = readObject(req, {"name"}, error);
  if (!body)
    return std::nullopt;
  Fields f(*body);
  std::string name = f.text("name");
  if ((error = f.error()))
    return std::nullopt;
  if (name.empty() || name.size() > 100) {
    error = invalidField("name", "a string of 1 to 100 characters is required");
    return std::nullopt;
  }
  return name;
}

json apiKeyJson(const soci::row& row) {
  return {{"id", row.get<std::string>(0)},
          {"name", row.get<std::string>(1)},
          {"prefix", row.get<std::string>(2)},
          {"created_at", row.get<std::string>(3)},
          {"revoked", rowInt(row, 4) != 0}};
}

json rowsAsJson(soci::session& sql, const std::string& text, const std::vector<std::string>& params,
                const std::vector<std::pair<const char*, bool>>& names) {
  soci::statement st = (sql.prepare << text);
  for (const auto& p : params)
    st.exchange(soci::use(p));
  soci::row row;
  st.exchange(soci::into(row));
  st.define_and_bind();
  st.execute(false);
  json list = json::array();
  while (st.fetch()) {
    json item = json::object();
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i].second) {
        item[names[i].first] = rowInt(row, i);
      } else {
        std::string v = row.get_indicator(i) == soci::i_ok ? row.get<std::string>(i) : "";
        item[names[i].first] = v.empty() ? json() : json(v);
      }
    }
    list.push_back(item);
  }
  return list;
}

}  // namespace baraza::admin
