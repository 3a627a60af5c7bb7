#include "tenancy/plugin_tenant_data.h"

#include <nlohmann/json.hpp>

#include "log/redactor.h"

namespace baraza {

std::string knowledgeJson(const TenantConfig& tenant) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& k : tenant.knowledge) {
    entries.push_back({{"id", k.id},
                       {"type", k.spec.data_type},
                       {"question", k.spec.question},
                       {"answer", k.spec.answer},
                       {"keywords", k.spec.keywords},
                       {"category", k.spec.category},
                       {"priority", k.spec.priority}});
  }
  return entries.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TenantData pluginTenantData(const TenantDirectory& directory, const Sealer& sealer) {
  TenantData data;
  data.knowledge = [&directory](const std::string& tenant_id) -> std::optional<std::string> {
    auto tenant = directory.byId(tenant_id);
    if (!tenant)
      return std::nullopt;
    return knowledgeJson(*tenant);
  };
  data.secret = [&directory, &sealer](const std::string& tenant_id,
                                      const std::string& name) -> std::optional<std::string> {
    static const std::string prefix = "ai_providers.", suffix = ".api_key";
    if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      return std::nullopt;
    std::string provider = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    auto tenant = directory.byId(tenant_id);
    if (!tenant)
      return std::nullopt;
    for (const auto& p : tenant->ai_providers) {
      if (p.name != provider || p.api_key_sealed.empty())
        continue;
      std::string error;
      auto key = sealer.open(p.api_key_sealed,
                             {tenant_id, "tenant_ai_providers", p.id, "api_key_sealed"}, &error);
      if (!key)
        throw SecretError(error);
      Redactor::instance().add(*key);  // a provider's error may quote it
      return key;
    }
    return std::nullopt;
  };
  return data;
}

}  // namespace baraza
