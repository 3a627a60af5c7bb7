#pragma once

#include <cstddef>

namespace baraza {

// What one tenant state may use (docs/scripting.md, "Sandbox").
struct SandboxLimits {
  int budget_ms = 50;               // wall clock per call (a hook, or loading the chunk)
  size_t memory_bytes = 32u << 20;  // the state's whole heap
  long pattern_steps = 200000;      // per find/match/gmatch step/gsub call
  int table_sort_max = 20000;       // table.sort refuses longer arrays: one C call, no hook inside
                                    // (measured: 20,000 strings sort in 6 ms, 100,000 in 35 ms)
  // The database work one hook may cause (ctx.kv, ctx.conversation.recent): it runs inside the
  // message's transaction, on SQLite under the one write lock every tenant shares, so it is
  // bounded by count and time. Host time up to host_ms is not the script's; past it, it counts
  // against budget_ms like the script's own.
  int host_calls = 20;
  int host_ms = 100;
};

// The scripting.* keys of docs/configuration.md.
struct ScriptingConfig {
  SandboxLimits limits;
  int quarantine_after = 5;      // consecutive failures before a version is quarantined
  int idle_evict_seconds = 300;  // a state unused this long is closed
  int max_states = 20000;        // past this, the least recently used idle state is closed
  bool dev_reload = false;       // re-import a changed script file (development only)
};

}  // namespace baraza
