#include "scripting/script_file_watcher.h"

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "scripting/script_lint.h"
#include "scripting/script_store.h"
#include "storage/migrator.h"

namespace baraza {

int ScriptFileWatcher::pollOnce() {
  struct Watched {
    std::string tenant_id, slug, path, source;
  };
  std::vector<Watched> watched;
  {
    TenantScope tx(db_, TenantScope::kAllTenants);
    soci::rowset<soci::row> rows =
        (tx.sql().prepare << "SELECT CAST(s.tenant_id AS TEXT), t.slug, s.source_path, s.source "
                             "FROM tenant_scripts s JOIN tenants t ON t.id = s.tenant_id WHERE "
                             "s.active AND s.source_path IS NOT NULL");
    for (const auto& r : rows) {
      watched.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2),
                         r.get<std::string>(3)});
    }
  }
  int reloaded = 0;
  for (const auto& w : watched) {
    std::ifstream in(w.path, std::ios::binary);
    if (!in)
      continue;  // moved or deleted: the active version keeps running
    std::ostringstream text;
    text << in.rdbuf();
    std::string source = text.str();
    if (source == w.source)
      continue;
    std::string fingerprint = w.path + sha256Hex(source);
    if (fingerprint == last_rejected_)
      continue;
    LintReport lint = lintScript(source, w.path.substr(w.path.find_last_of('/') + 1), limits_);
    if (!lint.ok) {
      last_rejected_ = fingerprint;
      MetricsRegistry::global().counterAdd("baraza_script_reloads_total", {{"result", "refused"}});
      spdlog::warn("dev reload: {} does not load; {} keeps its running version: {}", w.path, w.slug,
                   lint.error);
      continue;
    }
    TenantScope tx(db_, w.tenant_id, true);
    int version =
        insertScriptVersion(tx.sql(), w.tenant_id, source, w.path, "dev reload", "dev-reload");
    activateScriptVersion(tx.sql(), w.tenant_id, version);
    tx.commit();
    ++reloaded;
    MetricsRegistry::global().counterAdd("baraza_script_reloads_total", {{"result", "activated"}});
    spdlog::info("dev reload: {} changed; {} now runs version {}", w.path, w.slug, version);
  }
  return reloaded;
}

void ScriptFileWatcher::start(std::chrono::milliseconds interval) {
  spdlog::warn(
      "scripting.dev_reload is on: script files are re-imported when they change "
      "(development only)");
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        pollOnce();
      } catch (const std::exception& e) {
        spdlog::warn("dev reload: {}", e.what());
      }
      lock.lock();
      wake_.wait_for(lock, interval, [this] { return stopping_; });
    }
  });
}

void ScriptFileWatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

}  // namespace baraza
