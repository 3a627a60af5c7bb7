#include "tenancy/tenant_directory.h"

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "tenancy/tenant_store.h"

namespace baraza {
namespace {

std::string key(const std::string& type, const std::string& value) {
  return type + '\x1f' + value;
}

long long currentGeneration(soci::session& sql) {
  long long value = 0;
  sql << "SELECT value FROM config_generation WHERE id = 1", soci::into(value);
  return value;
}

}  // namespace

TenantDirectory::TenantDirectory(Database& db) : db_(db), snapshot_(std::make_shared<Snapshot>()) {}

TenantDirectory::~TenantDirectory() {
  stopPolling();
}

std::shared_ptr<const TenantDirectory::Snapshot> TenantDirectory::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::shared_ptr<TenantConfig> TenantDirectory::loadTenant(const std::string& tenant_id) {
  TenantScope tx(db_, tenant_id);  // row-level security: this tenant's rows only
  soci::session& sql = tx.sql();
  auto t = std::make_shared<TenantConfig>();
  int active = 0;
  soci::indicator oi = soci::i_null;
  sql << "SELECT CAST(id AS TEXT), slug, name, CASE WHEN active THEN 1 ELSE 0 END, "
         "CAST(organization_id AS TEXT), config_generation FROM tenants WHERE CAST(id AS TEXT) = "
         ":t",
      soci::use(tenant_id), soci::into(t->id), soci::into(t->slug), soci::into(t->name),
      soci::into(active), soci::into(t->organization_id, oi), soci::into(t->generation);
  if (!sql.got_data())
    return nullptr;
  t->active = active != 0;
  if (oi != soci::i_ok)
    t->organization_id.clear();
  t->settings = readSettings(sql, tenant_id);
  {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT CAST(id AS TEXT), channel_type, phone_number_id, "
                        "COALESCE(display_phone_number, ''), COALESCE(waba_id, ''), "
                        "COALESCE(access_token_sealed, ''), CASE WHEN active THEN 1 ELSE 0 END, "
                        "COALESCE(app, '') FROM channel_accounts WHERE tenant_id = :t ORDER BY "
                        "phone_number_id",
         soci::use(tenant_id));
    for (const auto& r : rows) {
      t->channels.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2),
                             r.get<std::string>(3), r.get<std::string>(4), r.get<std::string>(5),
                             rowInt(r, 6) != 0, r.get<std::string>(7)});
    }
  }
  {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT CAST(id AS TEXT), name, system_prompt, COALESCE(tone, ''), "
                        "COALESCE(max_response_length, 0), CASE WHEN is_default THEN 1 ELSE 0 "
                        "END, CASE WHEN active THEN 1 ELSE 0 END FROM prompt_templates WHERE "
                        "tenant_id = :t ORDER BY name",
         soci::use(tenant_id));
    for (const auto& r : rows) {
      t->templates.push_back({r.get<std::string>(0),
                              {r.get<std::string>(1), r.get<std::string>(2), r.get<std::string>(3),
                               rowInt(r, 4), rowInt(r, 5) != 0, rowInt(r, 6) != 0}});
    }
  }
  {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT CAST(id AS TEXT), data_type, question, answer, CAST(keywords AS "
                        "TEXT), category, priority, confidence FROM knowledge_entries WHERE "
                        "tenant_id = :t AND active ORDER BY priority DESC, created_at, id",
         soci::use(tenant_id));
    for (const auto& r : rows) {
      nlohmann::json words = nlohmann::json::parse(r.get<std::string>(4), nullptr, false);
      KnowledgeSpec k;
      k.data_type = r.get<std::string>(1);
      k.question = r.get<std::string>(2);
      k.answer = r.get<std::string>(3);
      if (words.is_array()) {
        for (const auto& w : words) {
          if (w.is_string())
            k.keywords.push_back(w);
        }
      }
      k.category = r.get<std::string>(5);
      k.priority = rowInt(r, 6);
      k.confidence = r.get<double>(7);
      t->knowledge.push_back({r.get<std::string>(0), std::move(k)});
    }
  }
  {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT CAST(id AS TEXT), name, COALESCE(model, ''), "
                        "COALESCE(api_key_sealed, '') FROM tenant_ai_providers WHERE tenant_id = "
                        ":t ORDER BY position",
         soci::use(tenant_id));
    for (const auto& r : rows) {
      t->ai_providers.push_back({r.get<std::string>(0), r.get<std::string>(1),
                                 r.get<std::string>(2), r.get<std::string>(3)});
    }
  }
  {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT version, source, sha256, COALESCE(source_path, ''), CASE WHEN "
                        "quarantined_at IS NULL THEN 0 ELSE 1 END FROM tenant_scripts WHERE "
                        "tenant_id = :t AND active",
         soci::use(tenant_id));
    for (const auto& r : rows) {
      auto script = std::make_shared<ActiveScript>();
      script->version = static_cast<int>(rowInt(r, 0));
      script->source = r.get<std::string>(1);
      script->sha256 = r.get<std::string>(2);
      script->source_path = r.get<std::string>(3);
      script->quarantined = rowInt(r, 4) != 0;
      t->script = std::move(script);
    }
  }
  tx.commit();
  return t;
}

void TenantDirectory::publish(long long generation,
                              const std::vector<std::shared_ptr<TenantConfig>>& changed,
                              bool replace_all) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Snapshot>();
  if (!replace_all)
    next->by_id = snapshot_->by_id;
  for (const auto& t : changed)
    next->by_id[t->id] = t;
  for (const auto& [id, t] : next->by_id) {
    next->slug_to_id[t->slug] = id;
    for (const auto& ch : t->channels) {
      if (!ch.active)
        continue;
      next->phone_to_id[key(ch.type, ch.phone_number_id)] = id;
      if (!ch.display_phone_number.empty())
        next->display_to_id[key(ch.type, ch.display_phone_number)] = id;
    }
  }
  next->generation = std::max(generation, snapshot_->generation);
  snapshot_ = std::move(next);
  MetricsRegistry::global().gaugeSet("baraza_tenant_config_generation", {},
                                     static_cast<double>(snapshot_->generation));
  MetricsRegistry::global().gaugeSet("baraza_tenants_cached", {},
                                     static_cast<double>(snapshot_->by_id.size()));
}

void TenantDirectory::loadAll() {
  long long generation = 0;
  std::vector<std::string> ids;
  {
    TenantScope tx(db_, TenantScope::kAllTenants);
    generation = currentGeneration(tx.sql());
    soci::rowset<std::string> rows = (tx.sql().prepare << "SELECT CAST(id AS TEXT) FROM tenants");
    ids.assign(rows.begin(), rows.end());
  }
  std::vector<std::shared_ptr<TenantConfig>> loaded;
  for (const auto& id : ids) {
    if (auto t = loadTenant(id))
      loaded.push_back(t);
  }
  publish(generation, loaded, true);
  MetricsRegistry::global().counterAdd("baraza_tenant_config_reloads_total", {},
                                       static_cast<double>(loaded.size()));
}

bool TenantDirectory::refresh() {
  try {
    long long seen = generation(), now = 0;
    std::vector<std::string> ids;
    {
      TenantScope tx(db_, TenantScope::kAllTenants);
      now = currentGeneration(tx.sql());
      if (now == seen) {
        if (failing_) {
          failing_ = false;
          spdlog::info("tenant configuration refresh works again");
        }
        return false;
      }
      soci::rowset<std::string> rows =
          (tx.sql().prepare << "SELECT CAST(id AS TEXT) FROM tenants WHERE config_generation > :g",
           soci::use(seen));
      ids.assign(rows.begin(), rows.end());
    }
    std::vector<std::shared_ptr<TenantConfig>> loaded;
    for (const auto& id : ids) {
      if (auto t = loadTenant(id))
        loaded.push_back(t);
    }
    publish(now, loaded, false);
    MetricsRegistry::global().counterAdd("baraza_tenant_config_reloads_total", {},
                                         static_cast<double>(loaded.size()));
    if (failing_) {
      failing_ = false;
      spdlog::info("tenant configuration refresh works again");
    }
    if (!loaded.empty())
      spdlog::debug("reloaded {} tenant configuration(s) at generation {}", loaded.size(), now);
    return !loaded.empty();
  } catch (const std::exception& e) {
    // Degraded: the last snapshot keeps serving.
    MetricsRegistry::global().counterAdd("baraza_tenant_config_refresh_failures_total", {});
    if (!failing_) {
      failing_ = true;
      spdlog::warn("tenant configuration refresh failed; serving the last one: {}", e.what());
    }
    return false;
  }
}

void TenantDirectory::startPolling(std::chrono::milliseconds interval) {
  poller_ = std::thread([this, interval] {
    std::unique_lock lock(poll_mutex_);
    while (!poll_wake_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      refresh();
      lock.lock();
    }
  });
}

void TenantDirectory::stopPolling() {
  {
    std::lock_guard lock(poll_mutex_);
    stopping_ = true;
  }
  poll_wake_.notify_all();
  if (poller_.joinable())
    poller_.join();
}

std::shared_ptr<const TenantConfig> TenantDirectory::byId(const std::string& tenant_id) const {
  auto s = snapshot();
  auto it = s->by_id.find(tenant_id);
  return it == s->by_id.end() ? nullptr : it->second;
}

std::shared_ptr<const TenantConfig> TenantDirectory::bySlug(const std::string& slug) const {
  auto s = snapshot();
  auto it = s->slug_to_id.find(slug);
  return it == s->slug_to_id.end() ? nullptr : s->by_id.at(it->second);
}

std::shared_ptr<const TenantConfig> TenantDirectory::byPhoneNumberId(
    const std::string& channel_type, const std::string& phone_number_id) const {
  auto s = snapshot();
  auto it = s->phone_to_id.find(key(channel_type, phone_number_id));
  return it == s->phone_to_id.end() ? nullptr : s->by_id.at(it->second);
}

std::shared_ptr<const TenantConfig> TenantDirectory::byDisplayNumber(
    const std::string& channel_type, const std::string& display_number) const {
  auto s = snapshot();
  auto it = s->display_to_id.find(key(channel_type, display_number));
  return it == s->display_to_id.end() ? nullptr : s->by_id.at(it->second);
}

long long TenantDirectory::generation() const {
  return snapshot()->generation;
}

size_t TenantDirectory::size() const {
  return snapshot()->by_id.size();
}

}  // namespace baraza
