#pragma once

#include <map>
#include <string>
#include <vector>

namespace baraza::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs build/baraza with `args` and extra environment, waits for it, returns what it printed.
CommandResult runBaraza(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {});

// `baraza serve` as a real child process on a free port (server.listen 127.0.0.1:0), with its
// stderr in a file. The constructor waits until it logs "listening on".
class EngineProcess {
 public:
  EngineProcess(const std::string& config_file, const std::map<std::string, std::string>& env = {});
  ~EngineProcess();
  EngineProcess(const EngineProcess&) = delete;
  EngineProcess& operator=(const EngineProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const;  // everything it wrote to stderr so far
  // Sends `signal` and waits up to timeout_ms for the exit; returns the exit code, or -1 when it
  // was still running (it is then killed).
  int stop(int signal, int timeout_ms = 15000);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_file_;
  std::string key_file_;
};

}  // namespace baraza::test
