#pragma once

namespace baraza {

// The `baraza` command line. Returns the exit code: 0 ok, 1 runtime error, 2 bad usage.
int runCli(int argc, char** argv);

}  // namespace baraza
