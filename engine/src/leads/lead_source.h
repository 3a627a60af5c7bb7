#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace baraza {

// A phone number as E.164 ("+254700123456"): digits kept, spaces, dashes, dots and brackets
// dropped, a leading "+" or "00" taken as the international prefix. "" when what remains is not
// 8 to 15 digits. WhatsApp's wa_id ("254700123456") is already international.
std::string normalizePhone(const std::string& raw);

// Where a message came from, for attribution (seed 004): its click-to-WhatsApp referral, or
// "direct" when it has none.
struct LeadSource {
  std::string label;        // direct, facebook_ad, instagram_ad, facebook_post, other_ad, ...
  std::string source_id;    // the ad's or post's id, "" when direct
  nlohmann::json referral;  // the referral as Meta sent it (null when direct)
};

// The source of a normalized inbound event (its "referral" object).
LeadSource leadSourceOf(const nlohmann::json& event);

}  // namespace baraza
