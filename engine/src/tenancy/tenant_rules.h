#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tenancy/tenant_file.h"

namespace baraza {

// What is wrong with one field of a tenant's configuration: `field` is relative to the item
// ("phone_number_id"), so a tenant file and the admin API can each say where it is.
struct FieldProblem {
  std::string field;
  std::string problem;
};
using FieldCheck = std::optional<FieldProblem>;

// The rules a tenant's configuration obeys, whether it comes from a tenant file or the admin
// API: one place, so the two never disagree.
bool isSlug(const std::string& text);          // 1-63 of [a-z0-9-], not starting with '-'
bool isProviderName(const std::string& text);  // 1-32 of [a-z0-9_]
FieldCheck checkChannel(const ChannelSpec& channel);
FieldCheck checkTemplate(const TemplateSpec& tmpl);
FieldCheck checkKnowledge(const KnowledgeSpec& entry);
// `settings` holds the settings table's columns (tenantSchema()'s settings.* keys).
FieldCheck checkSettings(const nlohmann::json& settings);

}  // namespace baraza
