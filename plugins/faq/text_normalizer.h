#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace baraza::faq {

// Customer text as matching tokens (docs/answers.md, "How text is normalized"): lower case,
// Latin accents folded, hyphens inside words dropped ("m-pesa" is "mpesa"), other punctuation
// and emoji split words; common chat spellings ("pls", "u", "2day") and Swahili words ("bei",
// "wapi", "kulipa") replaced by one English word; filler and stop words dropped; repeated
// letters collapsed ("pleeease" and "please" are both "plese"); plural and -ing/-ed endings cut.
std::vector<std::string> matchTokens(std::string_view text);

// A token's weight factor: question words (what, where, when, how) count half.
double tokenWeight(const std::string& token);

}  // namespace baraza::faq
