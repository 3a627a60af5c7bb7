#include "pipeline/intake_gate.h"

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>

#include <future>
#include <sstream>

#include "in_process_pipeline.h"

namespace baraza {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

double metric(const std::string& name) {
  return MetricsRegistry::global().value(name, {});
}

IntakeGate::Options limits(long long late_limit_ms, long long max_hold_ms) {
  return {milliseconds(late_limit_ms), milliseconds(max_hold_ms)};
}

TEST(IntakeGate, WebhooksPassAtOnceWhileWorkIsOnTime) {
  IntakeGate gate(limits(1000, 10000));
  double holds = metric("baraza_inbox_intake_holds_total");
  gate.observe(IntakeGate::Stage::kInbox, 999);
  auto started = Clock::now();
  gate.waitForRoom();
  EXPECT_LT(Clock::now() - started, milliseconds(1000));
  EXPECT_EQ(metric("baraza_inbox_intake_holds_total"), holds);
}

TEST(IntakeGate, AWebhookWaitsUntilTheWorkersCatchUp) {
  IntakeGate gate(limits(1000, 30000));
  double holds = metric("baraza_inbox_intake_holds_total");
  double timeouts = metric("baraza_inbox_intake_hold_timeouts_total");
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  gate.observe(IntakeGate::Stage::kInbox, 5000);
  gate.observe(IntakeGate::Stage::kInbox,
               6000);  // still behind: one warning for the incident, not one per claim
  auto held = std::async(std::launch::async, [&] {
    auto started = Clock::now();
    gate.waitForRoom();
    return Clock::now() - started;
  });
  EXPECT_EQ(held.wait_for(milliseconds(200)), std::future_status::timeout) << "not held";
  gate.observe(IntakeGate::Stage::kInbox, 900);
  ASSERT_EQ(held.wait_for(milliseconds(10000)), std::future_status::ready)
      << "still held after the workers caught up";
  EXPECT_LT(held.get(), milliseconds(20000)) << "let go by the catch-up, not the longest hold";
  // Hovering at the limit, as under a steady overload: one incident, not one per crossing.
  gate.observe(IntakeGate::Stage::kInbox, 1100);
  gate.observe(IntakeGate::Stage::kInbox, 900);
  EXPECT_EQ(log.str().find("caught up"), std::string::npos) << "over while still near the limit";
  gate.observe(IntakeGate::Stage::kInbox, 10);
  spdlog::set_default_logger(previous);
  EXPECT_EQ(metric("baraza_inbox_intake_holds_total") - holds, 1);
  EXPECT_EQ(metric("baraza_inbox_intake_hold_timeouts_total"), timeouts);
  EXPECT_EQ(MetricsRegistry::global().value("baraza_inbox_lateness_seconds", {{"stage", "inbox"}}),
            0.01);
  std::string lines = log.str();
  EXPECT_NE(lines.find("work runs 5000 ms behind (events 5000 ms, sends 0 ms"), std::string::npos)
      << lines;
  EXPECT_EQ(lines.find("6000 ms"), std::string::npos) << "logged again within the incident";
  EXPECT_EQ(lines.find("1100 ms"), std::string::npos) << "logged again within the incident";
  EXPECT_NE(lines.find("caught up"), std::string::npos) << lines;
}

TEST(IntakeGate, AHeldWebhookIsStoredAnywayAfterTheLongestHold) {
  IntakeGate gate(limits(1000, 100));
  double timeouts = metric("baraza_inbox_intake_hold_timeouts_total");
  double held_s = metric("baraza_inbox_intake_hold_seconds_total");
  gate.observe(IntakeGate::Stage::kInbox, 60000);
  auto started = Clock::now();
  gate.waitForRoom();
  EXPECT_GE(Clock::now() - started, milliseconds(100));
  EXPECT_EQ(metric("baraza_inbox_intake_hold_timeouts_total") - timeouts, 1);
  EXPECT_GE(metric("baraza_inbox_intake_hold_seconds_total") - held_s, 0.1);
}

TEST(IntakeGate, ALimitOfZeroNeverHolds) {
  IntakeGate gate(limits(0, 30000));
  gate.observe(IntakeGate::Stage::kInbox, 3600000);
  auto started = Clock::now();
  gate.waitForRoom();
  EXPECT_LT(Clock::now() - started, milliseconds(1000));
  EXPECT_EQ(gate.lateMs(), 0) << "not even tracked";
}

TEST(IntakeGate, OpeningLetsHeldWebhooksGoAtShutdown) {
  IntakeGate gate(limits(1000, 30000));
  gate.observe(IntakeGate::Stage::kInbox, 5000);
  auto held = std::async(std::launch::async, [&] { gate.waitForRoom(); });
  EXPECT_EQ(held.wait_for(milliseconds(100)), std::future_status::timeout);
  gate.open();
  EXPECT_EQ(held.wait_for(milliseconds(10000)), std::future_status::ready);
  gate.observe(IntakeGate::Stage::kInbox, 5000);
  auto started = Clock::now();
  gate.waitForRoom();
  EXPECT_LT(Clock::now() - started, milliseconds(1000)) << "held after the gate opened";
}

// The lateness comes from what a claim took: how long the most recently due event of the batch
// had waited, on the pipeline's clock.
class Backpressure : public test::InProcessPipeline {
 protected:
  void SetUp() override {
    InProcessPipeline::SetUp();
    Inbox::Options options;
    options.intake = limits(1000, 30000);
    pipeline_.reset();
    inbox_ = std::make_unique<Inbox>(
        *db_, [this] { return now_.load(); }, options);
    usePipeline(PipelineConfig{});
  }
  static long long late(const char* stage = "inbox") {
    return static_cast<long long>(
        MetricsRegistry::global().value("baraza_inbox_lateness_seconds", {{"stage", stage}}) *
        1000);
  }
};

TEST_P(Backpressure, WebhooksWaitWhileClaimedWorkRunsLateAndGoOnOnceItCatchesUp) {
  receive("255700000001", "one");
  receive("255700000002", "two");
  receive("255700000003", "three");
  now_ += 5000;  // the workers fell five seconds behind
  EXPECT_EQ(pipeline_->processDue(2), 2);
  EXPECT_EQ(late(), 5000);
  // A webhook now waits for the workers, as a thread of the HTTP server would.
  auto webhook = std::async(std::launch::async, [&] { return receive("255700000004", "four"); });
  EXPECT_EQ(webhook.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "stored while the work ran five seconds late";
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events"), 3);
  // The last old event, claimed with nothing fresher: still late.
  EXPECT_EQ(pipeline_->processDue(10), 1);
  EXPECT_EQ(late(), 5000);
  EXPECT_EQ(webhook.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  // No due work left: caught up; the webhook is stored and answered on time.
  EXPECT_EQ(pipeline_->processDue(10), 0);
  EXPECT_EQ(late(), 0);
  ASSERT_EQ(webhook.wait_for(std::chrono::milliseconds(10000)), std::future_status::ready);
  webhook.get();
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events"), 4);
  EXPECT_EQ(pipeline_->processDue(10), 1);
  EXPECT_EQ(late(), 0);
}

TEST_P(Backpressure, ABatchIsAsLateAsItsFreshestEvent) {
  receive("255700000001", "first");
  receive("255700000001", "second, waits for the first");
  EXPECT_EQ(pipeline_->processDue(10), 1);
  now_ += 5000;
  receive("255700000002", "fresh");
  // The contact's second message waited five seconds behind its first; the batch's fresh one
  // shows the queue itself is not behind.
  EXPECT_EQ(pipeline_->processDue(10), 2);
  EXPECT_EQ(late(), 0);
}

TEST_P(Backpressure, SendsRunningLateHoldWebhooksToo) {
  receive("255700000001", "one");
  receive("255700000002", "two");
  EXPECT_EQ(pipeline_->processDue(10), 2);  // two replies queued
  EXPECT_EQ(late(), 0);
  now_ += 3000;  // the senders fell three seconds behind
  EXPECT_EQ(pipeline_->sendDue(1), 1);
  EXPECT_EQ(late("outbox"), 3000);
  auto webhook = std::async(std::launch::async, [&] { return receive("255700000003", "three"); });
  EXPECT_EQ(webhook.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "stored while the sends ran three seconds late";
  EXPECT_EQ(pipeline_->sendDue(10), 1);
  EXPECT_EQ(late("outbox"), 3000) << "the last late send";
  EXPECT_EQ(pipeline_->sendDue(10), 0);
  EXPECT_EQ(late("outbox"), 0);
  ASSERT_EQ(webhook.wait_for(std::chrono::milliseconds(10000)), std::future_status::ready);
  webhook.get();
  EXPECT_EQ(graph_sends_, 2);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, Backpressure,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
