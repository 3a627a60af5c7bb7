#include "core/uuid.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace baraza {
namespace {

TEST(Uuid, WhatTheEngineMakesIsUuidTextAndNothingElseIs) {
  for (int i = 0; i < 100; ++i)
    EXPECT_TRUE(isUuidText(newUuid()));
  EXPECT_TRUE(isUuidText("00000000-0000-4000-8000-000000000001"));
  for (const char* not_one :
       {"", "no-such-send", "00000000-0000-4000-8000-00000000000",
        "00000000-0000-4000-8000-0000000000012", "00000000-0000-4000-8000-00000000000G",
        "00000000-0000-4000-8000-00000000000A", "00000000x0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000001' OR '1'='1"})
    EXPECT_FALSE(isUuidText(not_one)) << not_one;
}

// Ids come from a per-thread buffer of random bytes, refilled every 256 ids.
TEST(Uuid, IdsAreDistinctAcrossRefillsAndThreads) {
  std::vector<std::vector<std::string>> made(4);
  std::vector<std::thread> threads;
  for (auto& ids : made)
    threads.emplace_back([&ids] {
      for (int i = 0; i < 2000; ++i)
        ids.push_back(newUuid());
    });
  for (auto& t : threads)
    t.join();
  std::set<std::string> distinct;
  for (const auto& ids : made)
    distinct.insert(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), 8000u);
}

// A child forked with a half-used buffer must not make the ids its parent makes next.
TEST(Uuid, AForkedChildDrawsItsOwnBytes) {
  newUuid();  // the buffer is filled and partly used
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string id = newUuid();
    ssize_t written = write(pipe_fds[1], id.data(), id.size());
    _exit(written == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  std::string parent_id = newUuid();
  char buf[64] = {};
  ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
  int status = 0;
  waitpid(child, &status, 0);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  ASSERT_EQ(n, 36);
  EXPECT_NE(std::string(buf, 36), parent_id);
}

}  // namespace
}  // namespace baraza
