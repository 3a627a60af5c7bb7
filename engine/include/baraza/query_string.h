// Header-only helpers for raw query strings, shared by the engine and plugins (nothing to link,
// so the plugin ABI stays the only contract).
#ifndef BARAZA_QUERY_STRING_H
#define BARAZA_QUERY_STRING_H

#include <string>
#include <string_view>

namespace baraza {

// The value of one hex digit (either case), or -1.
inline int hexDigitValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// %XX and '+' decoded; a malformed % sequence is kept as it is.
inline std::string percentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hexDigitValue(s[i + 1]) >= 0 &&
               hexDigitValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexDigitValue(s[i + 1]) * 16 + hexDigitValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The first `name=value` of a raw query string (no '?'), percent-decoded; "" when absent.
inline std::string queryParam(std::string_view query, std::string_view name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos)
      end = query.size();
    std::string_view pair = query.substr(pos, end - pos);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && percentDecode(pair.substr(0, eq)) == name) {
      return percentDecode(pair.substr(eq + 1));
    }
    pos = end + 1;
  }
  return "";
}

}  // namespace baraza

#endif  // BARAZA_QUERY_STRING_H
