#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "scripting/scripting_config.h"
#include "storage/database.h"

namespace baraza {

// Development mode (scripting.dev_reload): watches the files that active scripts were imported
// from and imports a changed one as a new active version, as `baraza tenant import` would. An
// edit that does not load is logged once and skipped; the running version stays.
class ScriptFileWatcher {
 public:
  ScriptFileWatcher(Database& db, SandboxLimits limits) : db_(db), limits_(limits) {}
  ~ScriptFileWatcher() { stop(); }

  // One look at every watched file; returns how many new versions it activated.
  int pollOnce();
  void start(std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  void stop();

 private:
  Database& db_;
  SandboxLimits limits_;
  std::string last_rejected_;  // path + hash of the last edit refused, logged once
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace baraza
