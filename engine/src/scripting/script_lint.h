#pragma once

#include <string>
#include <vector>

#include "scripting/scripting_config.h"

namespace baraza {

struct LintFinding {
  int line = 0;
  std::string message;
};

// What `baraza script check` and the upload route report about a script.
struct LintReport {
  bool ok = false;                 // compiles, loads within the limits and returns hooks
  std::string error;               // when not ok: "name:LINE: problem"
  int error_line = 0;              // 0 when the error names no line
  std::vector<std::string> hooks;  // the hooks the script defines itself
  std::vector<LintFinding> warnings;
};

// Compiles and loads the script in a fresh sandbox, then reads its bytecode (in a separate,
// trusted state that never runs it) for global writes inside functions (they raise at run
// time: globals are frozen after load), reads of globals that do not exist, and returned names
// that are not hooks.
LintReport lintScript(const std::string& source, const std::string& name,
                      const SandboxLimits& limits);

}  // namespace baraza
