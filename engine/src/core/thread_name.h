#pragma once

#include <string>
#include <string_view>

namespace baraza {

// Names the calling thread (what `top -H`, perf and /proc show; cut to the kernel's 15
// characters) and remembers it for thisThreadName.
void nameThisThread(std::string_view name);

// The calling thread's name: the one it was given, else the kernel's (a thread nobody named
// has the process's, "baraza"). Read once per thread.
const std::string& thisThreadName();

}  // namespace baraza
