#include "support/engine_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/test_env.h"

namespace baraza::test {
namespace {

std::string slurp(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string tempFile(const std::string& stem) {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() /
          ("baraza-" + stem + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter)))
      .string();
}

pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& out_file, const std::string& err_file) {
  std::string exe = binaryDir() + "/baraza";
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    for (const auto& [k, v] : env)
      setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(exe.c_str()));
    for (const auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int exitCodeOf(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

CommandResult runBaraza(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env) {
  std::string out = tempFile("out"), err = tempFile("err");
  pid_t pid = spawn(args, env, out, err);
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r{exitCodeOf(status), slurp(out), slurp(err)};
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

EngineProcess::EngineProcess(const std::string& config_file,
                             const std::map<std::string, std::string>& env) {
  log_file_ = tempFile("serve");
  std::map<std::string, std::string> full_env = env;
  full_env.emplace("BARAZA_SERVER_LISTEN", "127.0.0.1:0");
  full_env.emplace("BARAZA_PLUGINS_DIR", binaryDir() + "/plugins");
  key_file_ = tempFile("master-key");  // each engine its own, unless the test shares one
  full_env.emplace("BARAZA_SECURITY_MASTER_KEY_FILE", key_file_);
  std::vector<std::string> args = {"serve"};
  if (!config_file.empty()) {
    args.push_back("--config");
    args.push_back(config_file);
  }
  pid_ = spawn(args, full_env, "/dev/null", log_file_);
  static const std::regex listening(R"(listening on http://[0-9.]+:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string text = log();
    if (std::regex_search(text, m, listening)) {
      port_ = std::stoi(m[1]);
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("baraza serve exited with " + std::to_string(exitCodeOf(status)) +
                               ": " + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop(SIGKILL, 2000);
  throw std::runtime_error("baraza serve did not start within 30 s: " + log());
}

EngineProcess::~EngineProcess() {
  if (pid_ > 0)
    stop(SIGKILL, 5000);
  std::remove(log_file_.c_str());
  std::remove(key_file_.c_str());
}

std::string EngineProcess::log() const {
  return slurp(log_file_);
}

int EngineProcess::stop(int signal, int timeout_ms) {
  if (pid_ <= 0)
    return -1;
  kill(pid_, signal);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return exitCodeOf(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

}  // namespace baraza::test
