// Threads are named for what they do (top -H, perf, /proc), and metrics label by that name.
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/thread_name.h"

namespace baraza {
namespace {

std::string kernelName() {
  std::ifstream comm("/proc/self/task/" + std::to_string(syscall(SYS_gettid)) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

TEST(ThreadName, ANameIsGivenToTheKernelCutToFifteenCharacters) {
  std::string seen, kernel;
  std::thread([&] {
    nameThisThread("outbox dispatcher");
    seen = thisThreadName();
    kernel = kernelName();
  }).join();
  EXPECT_EQ(seen, "outbox dispatch");
  EXPECT_EQ(kernel, "outbox dispatch");
}

TEST(ThreadName, AnUnnamedThreadReportsTheKernelsName) {
  std::string seen, kernel;
  std::thread([&] {
    seen = thisThreadName();
    kernel = kernelName();
  }).join();
  EXPECT_FALSE(seen.empty());
  EXPECT_EQ(seen, kernel);
}

}  // namespace
}  // namespace baraza
