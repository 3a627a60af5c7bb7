// The message pipeline end to end, over real HTTP: Meta's signed webhooks into the real engine
// process, replies out to a mock Graph API, on SQLite and on PostgreSQL.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>

#include "pipeline/landing_journal.h"
#include "pipeline_fixture.h"

#include <soci/sqlite3/soci-sqlite3.h>

namespace baraza::test {
namespace {

TEST_P(Pipeline, AMessageIsStoredAnsweredAndItsStatusesFollow) {
  start();
  auto r = post(textWebhook({{"wamid.IN-1", "Habari, mko wazi leo?"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(eventually([&] { return messageSends() == 1; })) << engine_->log();
  auto req = graph_.requests()[0];
  EXPECT_EQ(req.path, "/v23.0/" + kNumber + "/messages");
  EXPECT_EQ(req.authorization, "Bearer EAAG-pipeline-token-secret");
  json body = json::parse(req.body);
  EXPECT_EQ(body["to"], "254711000111");
  EXPECT_EQ(body["text"]["body"], "Asante! We will reply soon.");
  EXPECT_EQ(body["context"]["message_id"], "wamid.IN-1");
  ASSERT_TRUE(eventually([&] {
    auto m = admin("/admin/v1/tenants/duka/messages?direction=outbound")["messages"];
    return !m.empty() && m[0]["status"] == "sent";
  }));
  // read before delivered: the status only moves forward.
  ASSERT_EQ(post(statusWebhook("wamid.OUT-1", "read")).status, 200);
  ASSERT_EQ(post(statusWebhook("wamid.OUT-1", "delivered")).status, 200);
  ASSERT_TRUE(eventually(
      [&] { return count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'") == 3; }));
  json out = admin("/admin/v1/tenants/duka/messages?direction=outbound")["messages"][0];
  EXPECT_EQ(out["status"], "read");
  EXPECT_EQ(out["channel_message_id"], "wamid.OUT-1");
  EXPECT_EQ(out["strategy"], "static_reply");
  json in = admin("/admin/v1/tenants/duka/messages?direction=inbound")["messages"][0];
  EXPECT_EQ(in["text"], "Habari, mko wazi leo?");
  json conv = admin("/admin/v1/tenants/duka/conversations")["conversations"];
  ASSERT_EQ(conv.size(), 1u);
  EXPECT_EQ(conv[0]["contact"]["profile_name"], "Wanjiku");
  EXPECT_FALSE(conv[0]["window_expires_at"].get<std::string>().empty());
  EXPECT_EQ(admin("/admin/v1/tenants/duka/messages?q=WAZI")["messages"].size(), 1u);
  EXPECT_EQ(engine_->log().find("EAAG-pipeline-token-secret"), std::string::npos);
}

TEST_P(Pipeline, ThreeConcurrentCopiesMakeOneRowAndOneReply) {
  start();
  std::string body = textWebhook({{"wamid.DUP-1", "Bei ya gitaa?"}});
  std::vector<std::thread> senders;
  std::atomic<int> ok{0};
  for (int i = 0; i < 3; ++i) {
    senders.emplace_back([&] { ok += post(body).status == 200; });
  }
  for (auto& t : senders)
    t.join();
  EXPECT_EQ(ok, 3) << "a duplicate is a 200 too";
  ASSERT_TRUE(eventually([&] { return messageSends() >= 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(messageSends(), 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages"), 1);
}

TEST_P(Pipeline, OneContactsMessagesAreAnsweredInOrder) {
  start();
  std::vector<std::pair<std::string, std::string>> batch;
  for (int i = 0; i < 6; ++i)
    batch.emplace_back("wamid.ORD-" + std::to_string(i), "message " + std::to_string(i));
  ASSERT_EQ(post(textWebhook(batch)).status, 200);
  ASSERT_EQ(post(textWebhook({{"wamid.OTHER-1", "hi"}}, "254722000222")).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 7; })) << messageSends();
  // Replies were committed in the order of the messages they answer.
  Database db(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
  TenantScope tx(db, TenantScope::kAllTenants);
  soci::rowset<std::string> rows =
      (tx.sql().prepare << "SELECT i.channel_message_id FROM messages o JOIN messages i ON "
                           "i.tenant_id = o.tenant_id AND i.id = o.in_reply_to JOIN contacts k ON "
                           "k.tenant_id = o.tenant_id AND k.id = o.contact_id WHERE k.wa_id = "
                           "'254711000111' ORDER BY o.created_at");
  std::vector<std::string> order(rows.begin(), rows.end());
  std::vector<std::string> expected;
  for (const auto& [id, text] : batch)
    expected.push_back(id);
  EXPECT_EQ(order, expected);
}

TEST_P(Pipeline, NothingIsLostOrRepeatedAcrossAKill9) {
  // First engine: accepts and stores, but neither processes nor sends.
  start({{"BARAZA_PIPELINE_ENABLED", "false"}});
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(post(textWebhook({{"wamid.K-" + std::to_string(i), "hello"}},
                               "2547110000" + std::to_string(10 + i)))
                  .status,
              200);
  }
  engine_->stop(SIGKILL);
  engine_.reset();
  // Every acknowledged webhook is stored once: on SQLite some may still be in the landing
  // journal, not yet moved in, or in both (killed between a move and its removal from the
  // journal: the next move drops the copy).
  std::set<std::string> stored;
  {
    Database db(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
    TenantScope tx(db, TenantScope::kAllTenants);
    soci::rowset<std::string> keys =
        (tx.sql().prepare << "SELECT dedupe_key FROM inbox_events WHERE status = 'pending'");
    stored.insert(keys.begin(), keys.end());
  }
  if (GetParam() == Dialect::kSqlite) {
    for (const auto& batch : LandingJournal(target_->file("db/baraza.db.landing")).oldest(100)) {
      for (const auto& e : batch.events)
        stored.insert(e.dedupe_key);
    }
  }
  EXPECT_EQ(stored.size(), 5u);
  EXPECT_EQ(messageSends(), 0u);
  // Second engine: processes but has no senders, and is killed with every reply unsent.
  start({{"BARAZA_PIPELINE_SENDERS", "0"}});
  ASSERT_TRUE(eventually([&] { return count("SELECT COUNT(*) FROM outbox_messages") == 5; }));
  engine_->stop(SIGKILL);
  engine_.reset();
  EXPECT_EQ(messageSends(), 0u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'"), 5);
  // Third engine: every reply goes exactly once.
  start();
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'sent'") == 5;
  })) << engine_->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(messageSends(), 5u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'"), 5);
}

TEST_P(Pipeline, GraphFaultsAreRetriedUntilSent) {
  std::atomic<int> calls{0};
  graph_.respond([&](const RecordedRequest&) {
    int n = ++calls;
    // Meta asks for a second's pause after 130429: honoured, so this takes about two seconds.
    if (n <= 2)
      return MockAnswer{400, MockGraph::errorBody(130429, "Rate limit hit")};
    return sent(n);
  });
  start();
  ASSERT_EQ(post(textWebhook({{"wamid.R-1", "retry me"}})).status, 200);
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'sent'") == 1;
  })) << engine_->log();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(count("SELECT attempts FROM outbox_messages"), 3);
}

TEST_P(Pipeline, AServerErrorAndATimeoutAreRetriedUntilSent) {
  std::atomic<int> calls{0};
  graph_.respond([&](const RecordedRequest&) {
    int n = ++calls;
    if (n == 1)
      return MockAnswer{500, "{}"};  // Meta's own trouble: retried after Meta's 5 s
    if (n == 2) {
      MockAnswer slow = sent(n);
      slow.delay = std::chrono::milliseconds(1500);  // longer than the request timeout
      return slow;
    }
    return sent(n);
  });
  start({{"BARAZA_CHANNELS_WHATSAPP_REQUEST_TIMEOUT_MS", "500"}});
  ASSERT_EQ(post(textWebhook({{"wamid.T-1", "patience"}})).status, 200);
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'sent'") == 1;
  })) << engine_->log();
  EXPECT_EQ(calls, 3);
  json out = admin("/admin/v1/tenants/duka/messages?direction=outbound")["messages"][0];
  EXPECT_EQ(out["channel_message_id"], "wamid.OUT-3");
}

TEST_P(Pipeline, AnHttp429WithRetryAfterAndACutConnectionAreRetriedUntilSent) {
  std::atomic<int> calls{0};
  graph_.respond([&](const RecordedRequest&) {
    int n = ++calls;
    if (n == 1) {
      MockAnswer busy{429, MockGraph::errorBody(80007, "Rate limit reached", 0, true)};
      busy.headers = {{"Retry-After", "1"}};
      return busy;
    }
    if (n == 2) {
      MockAnswer cut;
      cut.hang_up = true;
      return cut;
    }
    return sent(n);
  });
  start();
  auto posted = std::chrono::steady_clock::now();
  ASSERT_EQ(post(textWebhook({{"wamid.H-1", "patience"}})).status, 200);
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'sent'") == 1;
  })) << engine_->log();
  EXPECT_EQ(calls, 3);
  EXPECT_GE(std::chrono::steady_clock::now() - posted, std::chrono::milliseconds(900))
      << "Retry-After was not honoured";
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages WHERE status <> 'sent'"), 0);
}

TEST_P(Pipeline, AClosedWindowFallsBackToTheTemplate) {
  std::atomic<int> calls{0};
  graph_.respond([&](const RecordedRequest& r) {
    ++calls;
    if (r.body.find("\"template\"") == std::string::npos)
      return MockAnswer{400, MockGraph::errorBody(131047, "Re-engagement message")};
    return sent(calls);
  });
  start();
  ASSERT_EQ(post(textWebhook({{"wamid.W-1", "late"}})).status, 200);
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'sent'") == 1;
  })) << engine_->log();
  auto requests = graph_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(json::parse(requests[1].body)["template"]["name"], "karibu_tena");
}

TEST_P(Pipeline, AFatalErrorIsDeadLetteredWithoutRetries) {
  graph_.respond([](const RecordedRequest&) {
    return MockAnswer{401, MockGraph::errorBody(190, "Error validating access token")};
  });
  start();
  ASSERT_EQ(post(textWebhook({{"wamid.F-1", "anyone?"}})).status, 200);
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'dead'") == 1;
  })) << engine_->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(messageSends(), 1u);
  json out = admin("/admin/v1/tenants/duka/messages?direction=outbound")["messages"][0];
  EXPECT_EQ(out["status"], "failed");
  EXPECT_EQ(out["error_code"], "190");
}

// Graph may quote the token it refused. The quote is masked in the log, in the database and in
// what the admin API serves.
TEST_P(Pipeline, AGraphErrorQuotingTheTokenNeverShowsIt) {
  const std::string token = "EAAG-pipeline-token-secret";
  graph_.respond([&](const RecordedRequest&) {
    return MockAnswer{401, MockGraph::errorBody(190, "Malformed access token " + token)};
  });
  start();
  ASSERT_EQ(post(textWebhook({{"wamid.Q-1", "anyone?"}})).status, 200);
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'dead'") == 1;
  })) << engine_->log();
  json out = admin("/admin/v1/tenants/duka/messages?direction=outbound")["messages"][0];
  EXPECT_EQ(out["error_code"], "190");
  EXPECT_NE(out.dump().find("Malformed access token [redacted]"), std::string::npos) << out;
  EXPECT_EQ(out.dump().find(token), std::string::npos) << out;
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages WHERE last_error LIKE '%" + token + "%'"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE error_message LIKE '%" + token + "%'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE error_message LIKE '%[redacted]%'"), 1);
  EXPECT_EQ(engine_->log().find(token), std::string::npos) << engine_->log();
}

// With several Meta apps, an app's secret delivers only for the numbers that belong to it.
TEST_P(Pipeline, AnotherMetaAppsSecretCannotDeliverForANumber) {
  const std::string partner_secret = "partner-app-secret-91";
  engine_ = std::make_unique<EngineProcess>(
      config("      - name: partner\n        app_secret: " + partner_secret + "\n"), env_);
  auto viaPartner = [&](const std::string& body) {
    return httpRequest(engine_->port(), "POST", "/webhook/whatsapp/partner", body,
                       {{"X-Hub-Signature-256", metaSignature(partner_secret, body)},
                        {"Content-Type", "application/json"}});
  };
  // duka's number names no app: it belongs to the default app's path.
  ASSERT_EQ(viaPartner(textWebhook({{"wamid.APP-1", "forged"}})).status, 200);
  ASSERT_TRUE(
      eventually([&] { return admin("/admin/v1/inbox?status=unrouted")["events"].size() == 1; }));
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages"), 0);
  EXPECT_NE(engine_->log().find("signed by Meta app 'partner'"), std::string::npos);
  // Once the number is declared the partner app's, the partner's events go through and the
  // default app's do not.
  json channel = admin("/admin/v1/tenants/duka/channels")["channels"][0];
  EXPECT_TRUE(channel["app"].is_null());
  auto patched =
      adminCall("PATCH", "/admin/v1/tenants/duka/channels/" + channel["id"].get<std::string>(),
                R"({"app": "partner"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::parse(patched.body)["app"], "partner");
  // The tenant cache reloads a moment after the change: until then an event is unrouted.
  for (int i = 0; i < 20 && messageSends() == 0; ++i) {
    std::string body = textWebhook({{"wamid.APP-2-" + std::to_string(i), "genuine"}});
    ASSERT_EQ(viaPartner(body).status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_EQ(messageSends(), 1u) << engine_->log();
  long long unrouted_before = count("SELECT COUNT(*) FROM inbox_events WHERE status = 'unrouted'");
  ASSERT_EQ(post(textWebhook({{"wamid.APP-3", "wrong app now"}})).status, 200);
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM inbox_events WHERE status = 'unrouted'") ==
           unrouted_before + 1;
  }));
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"), 1);
  auto metrics = httpRequest(engine_->port(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("baraza_inbox_wrong_app_total{app=\"default\"} 1"),
            std::string::npos);
  auto bad =
      adminCall("PATCH", "/admin/v1/tenants/duka/channels/" + channel["id"].get<std::string>(),
                R"({"app": "no spaces"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("app"), std::string::npos) << bad.body;
}

TEST_P(Pipeline, AnUnknownNumberIsStoredUnroutedAndAHumanSilencesTheBot) {
  start();
  std::string unknown = textWebhook({{"wamid.U-1", "hello?"}}, "254711000111", "999999");
  unknown.replace(unknown.find("254700555000"), 12, "254700999999");  // no display match either
  ASSERT_EQ(post(unknown).status, 200);
  ASSERT_TRUE(
      eventually([&] { return admin("/admin/v1/inbox?status=unrouted")["events"].size() == 1; }));
  EXPECT_EQ(messageSends(), 0u);
  // A conversation a human took over gets no bot reply.
  ASSERT_EQ(post(textWebhook({{"wamid.H-1", "first"}})).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 1; }));
  std::string conv = admin("/admin/v1/tenants/duka/conversations")["conversations"][0]["id"];
  auto assign = httpRequest(engine_->port(), "POST",
                            "/admin/v1/tenants/duka/conversations/" + conv + "/assign",
                            R"({"assignee":"amina"})", {{"Authorization", "Bearer " + kOperator}});
  ASSERT_EQ(assign.status, 200) << assign.body;
  ASSERT_EQ(post(textWebhook({{"wamid.H-2", "second"}})).status, 200);
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'") == 2 &&
           count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'") == 2;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(messageSends(), 1u) << "the bot stays silent while a human has the conversation";
}

TEST_P(Pipeline, ADatabaseOutageIs503AndRecoveryLosesNothing) {
  start();
  ASSERT_EQ(post(textWebhook({{"wamid.O-1", "before"}})).status, 200);
  // PostgreSQL: a superuser session on another database of the same server.
  std::string admin = target_->adminUrl();
  std::string name = admin.substr(admin.rfind('/') + 1);
  Database owner(
      GetParam() == Dialect::kPostgresql ? admin.substr(0, admin.rfind('/')) + "/postgres" : admin,
      1, std::chrono::milliseconds(2000));
  auto outage = [&](bool down) {
    if (GetParam() == Dialect::kPostgresql) {
      // No new connections, and every engine connection cut: the server is gone for it.
      auto lease = owner.lease();
      ASSERT_TRUE(lease);
      Database::execScript(
          **lease, Dialect::kPostgresql,
          "ALTER DATABASE \"" + name + "\" WITH ALLOW_CONNECTIONS " + (down ? "false" : "true"));
      if (down) {
        long long killed = 0;
        **lease << "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                   "datname = :d",
            soci::use(name), soci::into(killed);
        EXPECT_GT(killed, 0);
      }
    } else {
      // SQLite: the landing journal refuses writes (as a full disk would). The inbox refusing
      // them alone is Landing.AFailedMoveKeepsTheEventsLandedAndIsCountedAndTriedAgain.
      soci::session landing(soci::sqlite3,
                            "db=" + target_->file("db/baraza.db.landing") + " timeout=5");
      landing << (down ? "ALTER TABLE landed RENAME TO landed_away"
                       : "ALTER TABLE landed_away RENAME TO landed");
    }
  };
  outage(true);
  std::string during = textWebhook({{"wamid.O-2", "during"}});
  for (int i = 0; i < 3; ++i) {
    RawResponse r;
    ASSERT_NO_THROW(r = post(during)) << engine_->log();
    EXPECT_EQ(r.status, 503) << "never a 200 for what was not stored: " << r.body;
  }
  outage(false);
  ASSERT_EQ(postUntilAccepted(during, 100, std::chrono::milliseconds(50)), 200) << engine_->log();
  ASSERT_TRUE(eventually([&] { return messageSends() == 2; })) << engine_->log();
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events"), 2);
}

TEST_P(Pipeline, MarkAsReadSendsAReadReceiptBesideTheReply) {
  start();
  auto on = httpRequest(engine_->port(), "PATCH", "/admin/v1/tenants/duka/settings",
                        R"({"mark_as_read": true})", {{"Authorization", "Bearer " + kOperator}});
  ASSERT_EQ(on.status, 200) << on.body;
  // The setting reaches the pipeline through the tenant cache within a second.
  ASSERT_TRUE(eventually([&] {
    auto r = admin("/admin/v1/tenants/duka/runtime");
    return r["settings"]["mark_as_read"] == true;
  }));
  ASSERT_EQ(post(textWebhook({{"wamid.READ-1", "seen?"}})).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 2; })) << engine_->log();
  json receipt, reply;
  for (const auto& r : graph_.requests()) {
    json body = json::parse(r.body);
    (body.contains("status") ? receipt : reply) = body;
  }
  EXPECT_EQ(receipt["status"], "read");
  EXPECT_EQ(receipt["message_id"], "wamid.READ-1");
  EXPECT_EQ(reply["text"]["body"], "Asante! We will reply soon.");
  ASSERT_TRUE(eventually(
      [&] { return count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'sent'") == 2; }));
  json in = admin("/admin/v1/tenants/duka/messages?direction=inbound")["messages"][0];
  EXPECT_EQ(in["status"], "received") << "a receipt leaves the message rows alone";
  EXPECT_EQ(in["channel_message_id"], "wamid.READ-1");
}

TEST_P(Pipeline, DebounceAnswersAQuickBurstOnce) {
  start();
  auto on = httpRequest(engine_->port(), "PATCH", "/admin/v1/tenants/duka/settings",
                        R"({"debounce_seconds": 1})", {{"Authorization", "Bearer " + kOperator}});
  ASSERT_EQ(on.status, 200) << on.body;
  ASSERT_TRUE(eventually([&] {
    return admin("/admin/v1/tenants/duka/runtime")["settings"]["debounce_seconds"] == 1;
  }));
  for (const char* id : {"wamid.B-1", "wamid.B-2", "wamid.B-3"})
    ASSERT_EQ(post(textWebhook({{id, "part"}})).status, 200);
  ASSERT_EQ(post(textWebhook({{"wamid.B-OTHER", "alone"}}, "254799000999")).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 2; })) << engine_->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(messageSends(), 2u) << "one answer for the burst, one for the other contact";
  std::set<std::string> answered;
  for (const auto& r : graph_.requests())
    answered.insert(json::parse(r.body)["context"]["message_id"].get<std::string>());
  EXPECT_EQ(answered, (std::set<std::string>{"wamid.B-3", "wamid.B-OTHER"}))
      << "the burst's last message answers for all";
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'"), 4);
}

TEST_P(Pipeline, APoisonEventIsDeadLetteredAndReplayedOnceFixed) {
  start();
  {
    // An event no worker can read, as a corrupted row would be.
    Database db(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
    TenantScope tx(db, TenantScope::kAllTenants, true);
    long long now = static_cast<long long>(std::time(nullptr)) * 1000;
    tx.sql() << "INSERT INTO inbox_events (channel_type, account_id, dedupe_key, kind, "
                "order_key, payload, next_attempt_ms, received_ms) VALUES ('whatsapp', :a, "
                "'message:wamid.POISON', 'message', 'poison', 'not json', :n, :n2)",
        soci::use(kNumber), soci::use(now), soci::use(now);
    tx.sql() << "INSERT INTO inbox_work (event_id, order_key, next_attempt_ms) SELECT id, "
                "order_key, next_attempt_ms FROM inbox_events WHERE dedupe_key = "
                "'message:wamid.POISON'";
    tx.commit();
  }
  ASSERT_TRUE(eventually([&] {
    return admin("/admin/v1/inbox?status=dead")["events"].size() == 1;
  })) << engine_->log();
  json dead = admin("/admin/v1/inbox?status=dead")["events"][0];
  EXPECT_EQ(dead["attempts"], 5) << "pipeline.max_attempts";
  EXPECT_NE(dead["error"].get<std::string>().find("not a JSON object"), std::string::npos);
  // Other traffic is not held up meanwhile.
  ASSERT_EQ(post(textWebhook({{"wamid.P-1", "still there?"}})).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 1; }));
  {
    Database db(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
    TenantScope tx(db, TenantScope::kAllTenants, true);
    std::string fixed = json::parse(textWebhook(
        {{"wamid.POISON", "fixed"}}))["entry"][0]["changes"][0]["value"]["messages"][0]
                            .dump();
    json event{{"channel", "whatsapp"},
               {"kind", "message"},
               {"account", {{"phone_number_id", kNumber}}},
               {"id", "wamid.POISON"},
               {"from", {{"wa_id", "254711000111"}}},
               {"type", "text"},
               {"text", "fixed"}};
    std::string payload = event.dump();
    tx.sql() << "UPDATE inbox_events SET payload = :p WHERE dedupe_key = 'message:wamid.POISON'",
        soci::use(payload);
    tx.commit();
  }
  std::string id = std::to_string(dead["id"].get<long long>());
  auto replay = httpRequest(engine_->port(), "POST", "/admin/v1/inbox/" + id + "/replay", "",
                            {{"Authorization", "Bearer " + kOperator}});
  EXPECT_EQ(replay.status, 202) << replay.body;
  ASSERT_TRUE(eventually([&] { return messageSends() == 2; })) << engine_->log();
  auto again = httpRequest(engine_->port(), "POST", "/admin/v1/inbox/" + id + "/replay", "",
                           {{"Authorization", "Bearer " + kOperator}});
  EXPECT_EQ(again.status, 409) << "a done event is not replayed";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(messageSends(), 2u);
}

TEST_P(Pipeline, AStatusBeforeItsMessageIsKeptAndApplied) {
  start({{"BARAZA_PIPELINE_SENDERS", "0"}});
  ASSERT_EQ(post(textWebhook({{"wamid.S-1", "hi"}})).status, 200);
  ASSERT_TRUE(eventually([&] { return count("SELECT COUNT(*) FROM outbox_messages") == 1; }));
  // Meta's status for the reply arrives before this engine recorded the reply's id.
  ASSERT_EQ(post(statusWebhook("wamid.OUT-1", "delivered")).status, 200);
  ASSERT_TRUE(eventually([&] { return count("SELECT COUNT(*) FROM pending_statuses") == 1; }));
  engine_->stop(SIGTERM);
  start();
  ASSERT_TRUE(eventually([&] {
    auto m = admin("/admin/v1/tenants/duka/messages?direction=outbound")["messages"];
    return !m.empty() && m[0]["status"] == "delivered";
  })) << engine_->log();
  EXPECT_EQ(count("SELECT COUNT(*) FROM pending_statuses"), 0);
}

TEST_P(Pipeline, AClosedWindowIsSeenBeforeSendingAndAfterHoursHaveTheirReply) {
  start();
  // A message from two days ago (processed late): its window has closed.
  std::time_t two_days_ago = std::time(nullptr) - 2 * 86400;
  ASSERT_EQ(
      post(textWebhook({{"wamid.OLD-1", "hello?"}}, "254711000111", kNumber, two_days_ago)).status,
      200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 1; })) << engine_->log();
  EXPECT_EQ(json::parse(graph_.requests()[0].body)["template"]["name"], "karibu_tena")
      << "the template goes at once, without a refused text first";
  // Without a template: blocked, nothing sent.
  auto patch = [&](const std::string& body) {
    auto r = httpRequest(engine_->port(), "PATCH", "/admin/v1/tenants/duka/settings", body,
                         {{"Authorization", "Bearer " + kOperator}});
    ASSERT_EQ(r.status, 200) << r.body;
  };
  patch(R"({"reengagement_template": "", "business_hours": "sun 00:00-00:01",
            "after_hours_reply": "Tumefunga. We open Monday at 8."})");
  ASSERT_TRUE(eventually([&] {
    return admin("/admin/v1/tenants/duka/runtime")["settings"]["reengagement_template"] == "";
  }));
  ASSERT_EQ(
      post(textWebhook({{"wamid.OLD-2", "anyone?"}}, "254722111222", kNumber, two_days_ago)).status,
      200);
  ASSERT_TRUE(eventually([&] {
    return count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'blocked_by_window'") == 1;
  })) << engine_->log();
  EXPECT_EQ(messageSends(), 1u);
  // Within the window but outside business hours: the after-hours reply.
  ASSERT_EQ(post(textWebhook({{"wamid.NIGHT-1", "mko?"}}, "254733222333")).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 2; })) << engine_->log();
  EXPECT_EQ(json::parse(graph_.requests()[1].body)["text"]["body"],
            "Tumefunga. We open Monday at 8.");
}

TEST_P(Pipeline, TwoEngineProcessesShareTheWorkAndAnswerEachMessageOnce) {
  // SKIP LOCKED on PostgreSQL; on SQLite, whose writers take turns, the claims serialize.
  start();
  EngineProcess second(config(), env_);
  std::vector<std::thread> senders;
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    senders.emplace_back([&, i] {
      std::string body = textWebhook({{"wamid.TWO-" + std::to_string(i), "hi"}},
                                     "25471100" + std::to_string(1000 + i));
      int port = i % 2 ? second.port() : engine_->port();
      ok += httpRequest(port, "POST", "/webhook/whatsapp", body,
                        {{"X-Hub-Signature-256", sign(body)}})
                .status == 200;
    });
  }
  for (auto& t : senders)
    t.join();
  EXPECT_EQ(ok, 20);
  ASSERT_TRUE(eventually([&] { return messageSends() >= 20; })) << engine_->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(messageSends(), 20u) << "each reply sent by exactly one process";
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"), 20);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'sent'"), 20);
}

TEST_P(Pipeline, ADisabledBotStoresWithoutAnsweringAndTheDefaultTenantTakesStrangers) {
  start({{"BARAZA_PIPELINE_DEFAULT_TENANT", "duka"}});
  std::string stranger = textWebhook({{"wamid.D-1", "hello?"}}, "254711000111", "999999");
  stranger.replace(stranger.find("254700555000"), 12, "254700999999");
  ASSERT_EQ(post(stranger).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 1; })) << "answered by the default tenant";
  auto off = httpRequest(engine_->port(), "PATCH", "/admin/v1/tenants/duka/settings",
                         R"({"bot_enabled": false})", {{"Authorization", "Bearer " + kOperator}});
  ASSERT_EQ(off.status, 200);
  ASSERT_TRUE(eventually(
      [&] { return admin("/admin/v1/tenants/duka/runtime")["settings"]["bot_enabled"] == false; }));
  ASSERT_EQ(post(textWebhook({{"wamid.D-2", "anyone?"}})).status, 200);
  ASSERT_TRUE(eventually(
      [&] { return count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'") == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(messageSends(), 1u) << "stored, not answered";
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"), 2);
}

TEST_P(Pipeline, SimulateQueuesAMessageTheRunningEngineAnswers) {
  start();
  auto r = runBaraza(
      {"simulate", "--tenant", "duka", "--from", "254733000333", "--wait", "Habari", "yenu?"},
      env_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("reply (sent): Asante! We will reply soon."), std::string::npos) << r.out;
  ASSERT_EQ(messageSends(), 1u);
  EXPECT_EQ(json::parse(graph_.requests()[0].body)["to"], "254733000333");
  auto unknown = runBaraza({"simulate", "--tenant", "nobody", "hi"}, env_);
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no tenant 'nobody'"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, Pipeline,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
