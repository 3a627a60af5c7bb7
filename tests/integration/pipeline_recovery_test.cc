// Pipeline v2's promises about failure, on the real engine process: a kill -9 under load loses
// nothing acknowledged and the restarted engine answers it within 15 s (the dead process's mark
// is gone, so it does not wait out the 10 s leases), repeating at most the sends that were in
// flight; a reply whose result cannot be recorded is not sent again.
#include <iostream>
#include <map>
#include <regex>

#include "pipeline_fixture.h"

namespace baraza::test {
namespace {

class PipelineRecovery : public Pipeline {
 protected:
  double metric(const std::string& name) {
    std::string text = httpRequest(engine_->port(), "GET", "/metrics").body;
    std::smatch m;
    if (!std::regex_search(text, m, std::regex("\n" + name + " ([0-9.e+]+)")))
      return 0;
    return std::stod(m[1]);
  }
};

TEST_P(PipelineRecovery, AKill9UnderLoadLosesNothingAndTheRestartAnswersWithin15s) {
  // Production's lease; replies slow enough that sends are in flight at the kill.
  const std::map<std::string, std::string> production{{"BARAZA_PIPELINE_LOCK_MS", "10000"},
                                                      {"BARAZA_PIPELINE_SENDERS", "4"}};
  graph_.respond([this](const RecordedRequest&) {
    MockAnswer a = sent(++sends_);
    a.delay = std::chrono::milliseconds(40);
    return a;
  });
  limitsOff();
  start(production);
  std::vector<std::string> acked;
  std::mutex mutex;
  std::atomic<bool> stop{false};
  std::thread load([&] {
    for (int i = 0; i < 400 && !stop; ++i) {
      std::string from = "2547130" + std::to_string(10000 + i);
      std::string body = textWebhook({{"wamid.L-" + std::to_string(i), "habari"}}, from);
      RawResponse r;
      try {
        r = post(body);
      } catch (const std::exception&) {
        break;  // the engine is gone
      }
      if (r.status == 200) {
        std::lock_guard lock(mutex);
        acked.push_back(from);
      }
    }
  });
  // Kill once the pipeline is busy: replies have gone out and more are acknowledged.
  bool busy = eventually([&] {
    std::lock_guard lock(mutex);
    return repliesByRecipient().size() >= 20 && acked.size() >= 60;
  });
  engine_->stop(SIGKILL);
  stop = true;
  load.join();
  engine_.reset();
  ASSERT_TRUE(busy);
  // Requests written before the kill still reach the mock, which answers one at a time.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  size_t sent_before = repliesByRecipient().size();
  // In flight at the kill: replies the Graph API received whose result was not recorded yet
  // (still being sent, or sent and waiting for the dispatcher's next batched record). Only those
  // may go out twice.
  long long recorded = count(
      "SELECT COUNT(*) FROM outbox_messages WHERE status = 'sent' AND request NOT LIKE "
      "'%mark_read%'");
  long long in_flight = static_cast<long long>(sent_before) - recorded;

  auto restarted = std::chrono::steady_clock::now();
  start(production);
  bool answered = waitAllAnswered(acked, std::chrono::seconds(20));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - restarted).count();
  ASSERT_TRUE(answered) << acked.size() << " acknowledged, " << repliesByRecipient().size()
                        << " answered; events not done: "
                        << count("SELECT COUNT(*) FROM inbox_events WHERE status <> 'done'")
                        << ", events: " << count("SELECT COUNT(*) FROM inbox_events")
                        << ", outbox: " << count("SELECT COUNT(*) FROM outbox_messages")
                        << ", inbound: "
                        << count("SELECT COUNT(*) FROM messages WHERE direction='inbound'")
                        << ", sends not sent: "
                        << count(
                               "SELECT COUNT(*) FROM outbox_messages WHERE status <> "
                               "'sent'")
                        << "\n"
                        << engine_->log();
  std::cout << acked.size() - sent_before << " acknowledged messages left unanswered by the kill "
            << "were answered " << seconds << " s after the restart\n";
  EXPECT_LT(seconds, 15.0) << "every acknowledged message answered " << seconds
                           << " s after the restart\n"
                           << engine_->log();
  EXPECT_LT(sent_before, acked.size()) << "the kill left nothing to answer: not a test";
  // Taken back because the dead process's mark was gone, not because its leases ran out.
  EXPECT_NE(engine_->log().find("is gone; its"), std::string::npos) << engine_->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int duplicates = 0;
  for (const auto& [to, n] : repliesByRecipient())
    duplicates += n - 1;
  EXPECT_LE(duplicates, in_flight) << "at most the sends in flight at the kill (" << sent_before
                                   << " received by the Graph API, " << recorded << " recorded)";
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE status <> 'done'"), 0);
  EXPECT_GE(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"),
            static_cast<long long>(acked.size()));
}

TEST_P(PipelineRecovery, AReplyWhoseResultCannotBeRecordedIsNotSentAgain) {
  start();  // leases of 1 s: a lost result would be sent again within about a second
  // While a fault row exists, no send can be marked sent (a database blip, a lock timeout).
  {
    Database owner(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
    auto lease = owner.lease();
    Database::execScript(
        **lease, GetParam(),
        GetParam() == Dialect::kSqlite
            ? "CREATE TABLE test_faults (x INTEGER);\nINSERT INTO test_faults VALUES (1);\n"
              "CREATE TRIGGER refuse_sent BEFORE UPDATE ON outbox_messages WHEN NEW.status = "
              "'sent' AND EXISTS (SELECT 1 FROM test_faults) BEGIN SELECT RAISE(ABORT, "
              "'fault'); END;"
            : "CREATE TABLE test_faults (x INTEGER);\nINSERT INTO test_faults VALUES (1);\n"
              "CREATE FUNCTION refuse_sent() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
              "AS $$ BEGIN IF NEW.status = 'sent' AND EXISTS (SELECT 1 FROM test_faults) THEN "
              "RAISE EXCEPTION 'fault'; END IF; RETURN NEW; END $$;\n"
              "CREATE TRIGGER refuse_sent BEFORE UPDATE ON outbox_messages FOR EACH ROW "
              "EXECUTE FUNCTION refuse_sent();");
  }
  ASSERT_EQ(post(textWebhook({{"wamid.R-1", "habari"}})).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 1; })) << engine_->log();
  ASSERT_TRUE(eventually([&] { return metric("baraza_outbox_record_failures_total") >= 3; }))
      << engine_->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // two and a half leases
  EXPECT_EQ(messageSends(), 1u) << engine_->log();
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'sending'"), 1);

  {
    Database owner(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
    TenantScope tx(owner, TenantScope::kAllTenants, true);
    tx.sql() << "DELETE FROM test_faults";
    tx.commit();
  }
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'sent'") == 1;
  })) << engine_->log();
  EXPECT_EQ(messageSends(), 1u);
  EXPECT_NE(engine_->log().find("not recorded yet, trying again"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, PipelineRecovery,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
