// SQLite on a full disk under the real engine (issue 17's fault-injection suite): the database
// lives on a small tmpfs that the test fills, then frees.
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "pipeline_fixture.h"

namespace baraza::test {
namespace {

// A 4 MiB tmpfs for the test's lifetime (the test runs as root, as CI does).
class SmallDisk {
 public:
  explicit SmallDisk(std::string dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=4m") != 0)
      throw std::runtime_error("cannot mount a tmpfs at " + dir_ + " (the test needs root)");
  }
  ~SmallDisk() { ::umount2(dir_.c_str(), MNT_DETACH); }
  const std::string& dir() const { return dir_; }
  // Writes a file until the disk is full; returns its path.
  std::string fill() {
    std::string path = dir_ + "/filler";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::string block(4096, 'x');
    while (f && std::fwrite(block.data(), 1, block.size(), f) == block.size() &&
           std::fflush(f) == 0) {
    }
    if (f)
      std::fclose(f);
    return path;
  }

 private:
  std::string dir_;
};

class DiskFaults : public Pipeline {};

TEST_P(DiskFaults, SqliteOnAFullDiskAnswers503AndRecoversWithoutCorruption) {
  if (::geteuid() != 0)  // CI runs as root; a developer's account may not mount
    GTEST_SKIP() << "mounting the test's tmpfs needs root";
  SmallDisk disk(dir_.file("disk"));
  const std::string url = "sqlite://" + disk.dir() + "/baraza.db";
  env_["BARAZA_DATABASE_URL"] = url;
  ASSERT_EQ(runBaraza({"tenant", "import", tenant_file_}, env_).exit_code, 0);
  start();
  ASSERT_EQ(post(textWebhook({{"wamid.D-0", "before"}})).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 1; })) << engine_->log();

  std::string filler = disk.fill();
  std::vector<std::string> refused;
  for (int i = 1; i <= 5; ++i) {
    std::string body = textWebhook({{"wamid.D-" + std::to_string(i), "full"}},
                                   "2547160000" + std::to_string(10 + i));
    auto r = post(body);
    EXPECT_EQ(r.status, 503) << "never a 200 for what was not stored: " << r.body;
    refused.push_back(body);
  }
  EXPECT_NE(engine_->log().find("database or disk is full"), std::string::npos) << engine_->log();
  EXPECT_NE(httpRequest(engine_->port(), "GET", "/metrics")
                .body.find("baraza_inbox_commit_failures_total"),
            std::string::npos);

  std::filesystem::remove(filler);
  for (const auto& body : refused)
    ASSERT_EQ(postUntilAccepted(body), 200) << engine_->log();
  ASSERT_TRUE(eventually([&] { return messageSends() == 6; })) << engine_->log();
  EXPECT_EQ(engine_->stop(SIGTERM), 0);
  Database db(url, 1, std::chrono::milliseconds(2000));
  auto lease = db.lease();
  std::string integrity;
  **lease << "PRAGMA integrity_check", soci::into(integrity);
  EXPECT_EQ(integrity, "ok");
  long long inbound = 0;
  **lease << "SELECT COUNT(*) FROM messages WHERE direction = 'inbound'", soci::into(inbound);
  EXPECT_EQ(inbound, 6);
}

INSTANTIATE_TEST_SUITE_P(SqliteOnly, DiskFaults, ::testing::Values(Dialect::kSqlite),
                         [](const auto&) { return std::string("sqlite"); });

}  // namespace
}  // namespace baraza::test
