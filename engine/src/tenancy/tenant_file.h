#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config_schema.h"

namespace baraza {

struct ChannelSpec {
  std::string type;  // "whatsapp"
  std::string phone_number_id;
  std::string display_phone_number;
  std::string waba_id;
  std::string access_token;      // plaintext until sealed; never printed
  std::string verify_token;      // may be empty
  std::string token_expires_at;  // ISO 8601, may be empty
  std::string app;  // the Meta app the number belongs to; empty: the bare webhook path's app
};

struct TemplateSpec {
  std::string name;
  std::string system_prompt;
  std::string tone;
  long long max_response_length = 0;  // 0: none
  bool is_default = false;
  bool active = true;
};

struct KnowledgeSpec {
  std::string data_type;  // faq, canned_reply, example, rule
  std::string question;
  std::string answer;
  std::vector<std::string> keywords;
  std::string category;
  long long priority = 5;
  bool active = true;
  double confidence = 1.0;  // how sure the answer is, 0-1
};

// One AI provider of the tenant's chain: a provider configured under
// strategies.ai_chain.providers, with the tenant's own model or key.
struct AiProviderSpec {
  std::string name;
  std::string model;    // empty: the configured one
  std::string api_key;  // plaintext until sealed; empty: the shared key
};

// One tenant file of `baraza tenant import`, validated (docs/tenants.md has the format).
struct TenantSpec {
  std::string file;
  std::string slug;
  std::string name;
  bool active = true;
  std::string organization;       // slug, may be empty
  std::string organization_name;  // may be empty
  std::vector<ChannelSpec> channels;
  nlohmann::json settings;  // the settings table's columns, defaults applied
  std::vector<TemplateSpec> templates;
  std::vector<KnowledgeSpec> knowledge;
  std::vector<AiProviderSpec> ai_providers;  // empty: the configured chain
  std::string script;                        // path relative to the file; may be empty
};

// The typed table of the tenant file (also the source of its docs).
const Schema& tenantSchema();

// Reads and validates a tenant file. Throws ConfigError naming the file, line and problem.
TenantSpec readTenantFile(const std::string& file);

}  // namespace baraza
