#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tenancy/tenant_directory.h"

namespace baraza {

// ctx.faq.search: the entries that best fit `text`, best first, as
// [{id, question, answer, category, score}]. A keyword found in the text counts 3, and the
// share of the question's words (3+ letters) found in the text up to 2; priority breaks ties.
// Entries scoring 0 are left out. (The faq strategy plugin has its own, finer matcher.)
nlohmann::json searchKnowledge(const std::vector<CachedKnowledge>& entries, const std::string& text,
                               int limit);

}  // namespace baraza
