#include "leads/lead_source.h"

#include <algorithm>
#include <cctype>

namespace baraza {

std::string normalizePhone(const std::string& raw) {
  std::string digits;
  bool plus = false;
  for (char c : raw) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return "";  // letters or other marks: not a phone number
    }
  }
  if (!plus && digits.rfind("00", 0) == 0)
    digits.erase(0, 2);  // 00 254 ...: the international prefix
  if (digits.size() < 8 || digits.size() > 15 || digits[0] == '0')
    return "";
  return "+" + digits;
}

namespace {

std::string textOf(const nlohmann::json& obj, const char* name) {
  return obj.is_object() && obj.contains(name) && obj[name].is_string()
             ? obj[name].get<std::string>()
             : std::string();
}

// The platform of a referral's source_url: instagram, facebook, or other.
std::string platformOf(const std::string& url) {
  std::string lower = url;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t scheme = lower.find("://");
  std::string host = lower.substr(scheme == std::string::npos ? 0 : scheme + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  auto endsWith = [&](const std::string& domain) {
    return host == domain ||
           (host.size() > domain.size() &&
            host.compare(host.size() - domain.size() - 1, domain.size() + 1, "." + domain) == 0);
  };
  if (endsWith("instagram.com") || endsWith("ig.me"))
    return "instagram";
  if (endsWith("facebook.com") || endsWith("fb.me") || endsWith("fb.com") || endsWith("fb.watch"))
    return "facebook";
  return "other";
}

}  // namespace

LeadSource leadSourceOf(const nlohmann::json& event) {
  if (!event.is_object() || !event.contains("referral") || !event["referral"].is_object())
    return {"direct", "", nullptr};
  const nlohmann::json& ref = event["referral"];
  std::string type = textOf(ref, "source_type");
  if (type != "ad" && type != "post")
    type = "referral";
  LeadSource s;
  s.label = platformOf(textOf(ref, "source_url")) + "_" + type;
  s.source_id = textOf(ref, "source_id").substr(0, 100);
  s.referral = ref;
  return s;
}

}  // namespace baraza
