// Faults of a whole engine process under load (issue 17's fault-injection suite): one of two
// engines sharing one PostgreSQL is killed with -9, and the other finishes its work; the
// PostgreSQL server is stopped for a minute under steady load, then started again.
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>

#include "pipeline_fixture.h"

namespace baraza::test {
namespace {

class EngineFaults : public Pipeline {};

TEST_P(EngineFaults, AKill9OfOneOfTwoEnginesLeavesTheOtherToFinishItsWork) {
  const std::map<std::string, std::string> production{{"BARAZA_PIPELINE_LOCK_MS", "10000"},
                                                      {"BARAZA_PIPELINE_SENDERS", "4"}};
  graph_.respond([this](const RecordedRequest&) {
    MockAnswer a = sent(++sends_);
    a.delay = std::chrono::milliseconds(40);  // sends are in flight at the kill
    return a;
  });
  limitsOff();
  start(production);  // the engine to be killed
  auto env = env_;
  env.insert(production.begin(), production.end());
  EngineProcess survivor(config(), env);
  // Meta's load reaches the survivor; both engines' workers and senders share the work.
  std::vector<std::string> acked;
  std::mutex mutex;
  std::jthread load([&] {
    for (int i = 0; i < 300; ++i) {
      std::string from = "2547140" + std::to_string(10000 + i);
      std::string body = textWebhook({{"wamid.K2-" + std::to_string(i), "habari"}}, from);
      auto r =
          httpRequest(survivor.port(), "POST", "/webhook/whatsapp", body,
                      {{"X-Hub-Signature-256", sign(body)}, {"Content-Type", "application/json"}});
      if (r.status == 200) {
        std::lock_guard lock(mutex);
        acked.push_back(from);
      }
    }
  });
  // (A jthread: joined even when an assertion ends the test early.)
  bool busy = false;
  for (int i = 0; i < 300 && !busy; ++i) {
    {
      std::lock_guard lock(mutex);
      busy = repliesByRecipient().size() >= 30 && acked.size() >= 60;
    }
    if (!busy)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(busy) << survivor.log();
  auto killed_at = std::chrono::steady_clock::now();
  engine_->stop(SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // its last requests land
  size_t sent_before = repliesByRecipient().size();
  load.join();
  bool answered = waitAllAnswered(acked, std::chrono::seconds(30));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  ASSERT_TRUE(answered) << acked.size() << " acknowledged, " << repliesByRecipient().size()
                        << " answered\n"
                        << survivor.log();
  std::cout << "kill -9 of one engine: " << acked.size() << " acknowledged, all answered "
            << seconds << " s after the kill (" << sent_before << " before it)\n";
  EXPECT_LT(seconds, 15.0) << survivor.log();
  EXPECT_NE(survivor.log().find("is gone; its"), std::string::npos)
      << "the survivor took the dead engine's claims back at once\n"
      << survivor.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int duplicates = 0;
  for (const auto& [to, n] : repliesByRecipient())
    duplicates += n - 1;
  // A send is in flight from its claim until its result is recorded: the dispatcher claims up to
  // two sends per sender (4 at the Graph API, 4 sent and waiting to be recorded).
  EXPECT_LE(duplicates, 8) << "at most the dead engine's sends in flight (4 senders, 8 claimed)";
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE status <> 'done'"), 0);
}

// A PostgreSQL server of the test's own (the shared one serves the other tests), which it can
// stop and start.
class PrivateServer {
 public:
  PrivateServer() {
    std::string out = dir_.file("url");
    run("start", " >" + out);
    url_ = readFileText(out);
    while (!url_.empty() && url_.back() == '\n')
      url_.pop_back();
  }
  ~PrivateServer() { run("stop"); }
  const std::string& url() const { return url_; }
  void pause() { run("pause"); }
  void resume() { run("resume"); }

 private:
  void run(const std::string& command, const std::string& redirect = "") {
    std::string line =
        sourceDir() + "/tools/throwaway-postgres.sh " + command + " " + dir_.file("pg") + redirect;
    if (std::system(line.c_str()) != 0)
      throw std::runtime_error("failed: " + line);
  }
  TempDir dir_;
  std::string url_;
};

class DatabaseOutage : public EngineFaults {
 protected:
  void SetUp() override {
    server_ = std::make_unique<PrivateServer>();
    url_ = std::make_unique<ScopedEnv>("BARAZA_TEST_POSTGRES_URL", server_->url());
    EngineFaults::SetUp();
  }
  void TearDown() override {
    engine_.reset();
    target_.reset();  // its database is dropped while the server still runs
  }
  std::unique_ptr<PrivateServer> server_;
  std::unique_ptr<ScopedEnv> url_;
};

// Meta's side: one new message every 20 ms, each delivered again every 500 ms until it gets a
// 200. Records when every 200 was given.
struct SteadyLoad {
  using Clock = std::chrono::steady_clock;
  std::mutex mutex;
  std::vector<std::string> acked;
  std::vector<Clock::time_point> acked_at;
  std::map<int, int> statuses;
  std::atomic<bool> new_messages{true}, running{true}, done{false};
  std::thread thread;

  ~SteadyLoad() {
    new_messages = false;
    running = false;
    if (thread.joinable())
      thread.join();
  }
  void start(const std::function<RawResponse(const std::string&)>& post) {
    thread = std::thread([this, post] {
      std::deque<std::pair<std::string, std::string>> pending;  // (from, body), oldest first
      auto next_new = Clock::now();
      for (int i = 0; running; ++i) {
        if (new_messages && Clock::now() >= next_new) {
          std::string from = "2547150" + std::to_string(10000 + i);
          pending.emplace_back(from, textWebhook({{"wamid.PG-" + std::to_string(i), "hi"}}, from));
          next_new += std::chrono::milliseconds(20);
        }
        if (pending.empty()) {
          if (!new_messages) {
            done = true;
            return;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        auto [from, body] = pending.front();
        pending.pop_front();
        RawResponse r;
        try {
          r = post(body);
        } catch (const std::exception&) {
          r.status = -1;
        }
        std::lock_guard lock(mutex);
        ++statuses[r.status];
        if (r.status == 200) {
          acked.push_back(from);
          acked_at.push_back(Clock::now());
        } else {
          pending.emplace_back(from, body);  // Meta tries again
          std::this_thread::sleep_for(std::chrono::milliseconds(500 / (pending.size() + 1)));
        }
      }
    });
  }
};

TEST_P(DatabaseOutage, PostgresqlStoppedForAMinuteUnderLoadGets503sAndLosesNothing) {
  const char* seconds_env = std::getenv("BARAZA_FAULT_OUTAGE_S");
  const int outage_s = seconds_env ? std::atoi(seconds_env) : 60;
  limitsOff();
  start();
  SteadyLoad load;
  load.start([this](const std::string& body) { return post(body); });
  std::this_thread::sleep_for(std::chrono::seconds(3));

  server_->pause();
  auto down_at = SteadyLoad::Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(httpRequest(engine_->port(), "GET", "/health").status, 503);
  std::this_thread::sleep_for(std::chrono::seconds(outage_s - 1));
  auto up_at = SteadyLoad::Clock::now();
  server_->resume();

  // The first 200 after the server is back: the time to recover.
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(load.mutex);
    return !load.acked_at.empty() && load.acked_at.back() > up_at;
  })) << engine_->log();
  double recovered_s = 0;
  {
    std::lock_guard lock(load.mutex);
    for (auto at : load.acked_at) {
      EXPECT_FALSE(at > down_at && at < up_at) << "a webhook got 200 while the database was down";
      if (at > up_at && recovered_s == 0)
        recovered_s = std::chrono::duration<double>(at - up_at).count();
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  load.new_messages = false;
  // Every refused webhook is delivered again until accepted; a minute is far more than enough.
  for (int i = 0; i < 600 && !load.done; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(load.done) << "webhooks still refused a minute after the outage";
  load.running = false;
  load.thread.join();
  // A minute's backlog (about 3,000 messages) is answered after the restart.
  ASSERT_TRUE(waitAllAnswered(load.acked, std::chrono::seconds(60))) << engine_->log();
  std::cout << "PostgreSQL stopped " << outage_s << " s under load: " << load.acked.size()
            << " messages acknowledged and answered; statuses";
  for (const auto& [status, n] : load.statuses)
    std::cout << " " << status << "x" << n;
  std::cout << "; first 200 " << recovered_s << " s after the server was back\n";
  EXPECT_LT(recovered_s, 5.0) << engine_->log();
  EXPECT_EQ(load.statuses.count(-1), 0u) << "a webhook got no answer at all";
  EXPECT_GT(load.statuses[503], 0) << "the outage refused nothing: not a test";
  EXPECT_EQ(load.statuses.size(), 2u) << "only 200 and 503";
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"),
            static_cast<long long>(load.acked.size()));
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE status <> 'done'"), 0);
}

INSTANTIATE_TEST_SUITE_P(PostgresqlOnly, DatabaseOutage, ::testing::Values(Dialect::kPostgresql),
                         [](const auto&) { return std::string("postgresql"); });

INSTANTIATE_TEST_SUITE_P(PostgresqlOnly, EngineFaults, ::testing::Values(Dialect::kPostgresql),
                         [](const auto&) { return std::string("postgresql"); });

}  // namespace
}  // namespace baraza::test
