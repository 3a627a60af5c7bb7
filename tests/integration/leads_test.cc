// Seed 004 end to end: a real-estate organization with two agents, each with its own number,
// FAQ and bot personality. One person writes to agent A from a Facebook ad and to agent B from
// an Instagram ad: one lead, attributed to A, two isolated threads; the organization's key sees
// the aggregated profile, the cross-agent history and the attribution report; agent B's key
// sees only B's thread. Working hours follow each agent's time zone. SQLite and PostgreSQL.
#include <date/tz.h>

#include "pipeline_fixture.h"

namespace baraza::test {
namespace {

const std::string kLead = "254711000111";
const std::string kNumberA = "5552001", kNumberB = "5552002";

// Meta's webhook: one text from `from` to `number`, sent at `at`, with an optional
// click-to-WhatsApp referral (Meta's "Referral Message" example shape).
std::string leadWebhook(const std::string& number, const std::string& wamid,
                        const std::string& text, std::time_t at, const json& referral = nullptr) {
  json message{{"from", kLead},
               {"id", wamid},
               {"timestamp", std::to_string(at)},
               {"type", "text"},
               {"text", {{"body", text}}}};
  if (!referral.is_null())
    message["referral"] = referral;
  json value{
      {"messaging_product", "whatsapp"},
      {"metadata", {{"display_phone_number", "2547006" + number}, {"phone_number_id", number}}},
      {"contacts", {{{"profile", {{"name", "Wanjiku"}}}, {"wa_id", kLead}}}},
      {"messages", {message}}};
  return json{
      {"object", "whatsapp_business_account"},
      {"entry",
       {{{"id", "WABA-" + number}, {"changes", {{{"field", "messages"}, {"value", value}}}}}}}}
      .dump();
}

json ad(const std::string& url, const std::string& id) {
  return {{"source_url", url},
          {"source_id", id},
          {"source_type", "ad"},
          {"headline", "Karibu"},
          {"body", "2-bedroom, Kilimani"},
          {"ctwa_clid", "clid-" + id}};
}

std::string agentYaml(const std::string& slug, const std::string& number, const std::string& bot,
                      const std::string& price_answer, const std::string& extra_settings = "") {
  return "slug: " + slug + "\nname: " + bot +
         "\norganization: nyumba\norganization_name: Nyumba "
         "Realty\nchannels:\n  - phone_number_id: \"" +
         number + "\"\n    display_phone_number: \"2547006" + number +
         "\"\n    access_token: EAAG-" + slug +
         "-token\nsettings:\n  strategies: faq,static_reply\n  static_reply: \"" + bot +
         " here: an agent will call you back.\"\n" + extra_settings +
         "templates:\n  - name: default\n    system_prompt: You are " + bot +
         ", a property assistant.\n    default: true\nfaq:\n  - question: How much is the rent?\n"
         "    answer: \"" +
         price_answer + "\"\n    keywords: [rent, price]\n";
}

class Leads : public Pipeline {
 protected:
  void SetUp() override {
    Pipeline::SetUp();
    importAgent(agentYaml("agent-a", kNumberA, "Amina",
                          "Amina here: the Kilimani 2-bedroom is KES 85,000 a month."));
    importAgent(agentYaml("agent-b", kNumberB, "Baraka",
                          "Baraka here: Westlands studios start at KES 40,000."));
  }
  void importAgent(const std::string& yaml) {
    std::string file = dir_.write("agent-" + std::to_string(agents_++) + ".yaml", yaml);
    auto r = runBaraza({"tenant", "import", file}, env_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void startLeads() {
    std::string config = dir_.write("leads.yaml",
                                    "plugins:\n  load: [whatsapp, faq, static_reply]\n"
                                    "channels:\n  whatsapp:\n    graph_base_url: " +
                                        graph_.baseUrl() +
                                        "\n    apps:\n      - name: default\n"
                                        "        app_secret: " +
                                        kSecret +
                                        "\npipeline:\n  retry_base_ms: 20\n  retry_max_ms: 100\n"
                                        "  poll_ms: 20\n  pair_interval_ms: 0\n  lock_ms: 1000\n");
    engine_ = std::make_unique<EngineProcess>(config, env_);
  }
  RawResponse call(const std::string& token, const std::string& method, const std::string& path,
                   const std::string& body = "") {
    return httpRequest(
        engine_->port(), method, path, body,
        {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  }
  std::string newKey(const std::string& path) {
    auto r = adminCall("POST", path, R"({"name": "seed-004"})");
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body, nullptr, false).value("key", "");
  }
  // The text sent through each number's Graph path, in any order.
  std::multiset<std::pair<std::string, std::string>> replies() {
    std::multiset<std::pair<std::string, std::string>> out;
    for (const auto& r : graph_.requests()) {
      if (r.path.find("/messages") == std::string::npos)
        continue;
      json body = json::parse(r.body, nullptr, false);
      std::string number = r.path.find(kNumberA) != std::string::npos   ? kNumberA
                           : r.path.find(kNumberB) != std::string::npos ? kNumberB
                                                                        : r.path;
      if (body.contains("text"))
        out.insert({number, body["text"].value("body", "")});
    }
    return out;
  }
  bool processed(long long events) {
    return eventually(
        [&] { return count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'") >= events; });
  }
  int agents_ = 0;
};

TEST_P(Leads, TheSameLeadThroughTwoAgentsIsOneLeadWithTwoIsolatedThreads) {
  startLeads();
  std::time_t t0 = std::time(nullptr) - 600;
  ASSERT_EQ(post(leadWebhook(kNumberA, "wamid.A1", "How much is the rent?", t0,
                             ad("https://fb.me/3cr4Wqqkv", "120226305854810726")))
                .status,
            200);
  ASSERT_TRUE(processed(1));
  ASSERT_EQ(post(leadWebhook(kNumberB, "wamid.B1", "How much is the rent?", t0 + 300,
                             ad("https://www.instagram.com/p/C9xyz/", "98765")))
                .status,
            200);
  ASSERT_TRUE(processed(2));
  ASSERT_TRUE(eventually([&] { return replies().size() >= 2; }));

  // Each agent answered through its own number, in its own voice.
  auto sent = replies();
  EXPECT_EQ(sent.count({kNumberA, "Amina here: the Kilimani 2-bedroom is KES 85,000 a month."}),
            1u);
  EXPECT_EQ(sent.count({kNumberB, "Baraka here: Westlands studios start at KES 40,000."}), 1u);

  // One lead, two threads.
  EXPECT_EQ(count("SELECT COUNT(*) FROM leads"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM lead_agents"), 2);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT tenant_id) FROM conversations c WHERE EXISTS (SELECT 1 "
                  "FROM contacts k WHERE k.id = c.contact_id AND k.wa_id = '254711000111')"),
            2);

  std::string org_key = newKey("/admin/v1/organizations/nyumba/api-keys");
  std::string b_key = newKey("/admin/v1/tenants/agent-b/api-keys");
  ASSERT_EQ(org_key.rfind("bzo_", 0), 0u);

  // The organization's admin: the aggregated profile, attributed to A's Facebook ad.
  auto list = call(org_key, "GET", "/admin/v1/organizations/nyumba/leads");
  ASSERT_EQ(list.status, 200) << list.body;
  json leads = json::parse(list.body)["leads"];
  ASSERT_EQ(leads.size(), 1u);
  json lead = leads[0];
  EXPECT_EQ(lead["phone"], "+254711000111");
  EXPECT_EQ(lead["name"], "Wanjiku");
  EXPECT_EQ(lead["first_touch"]["agent"], "agent-a");
  EXPECT_EQ(lead["first_touch"]["source"], "facebook_ad");
  EXPECT_EQ(lead["first_touch"]["source_id"], "120226305854810726");
  EXPECT_EQ(lead["first_touch"]["referral"]["ctwa_clid"], "clid-120226305854810726");
  EXPECT_EQ(lead["last_touch"]["agent"], "agent-b");
  EXPECT_EQ(lead["last_touch"]["source"], "instagram_ad");
  EXPECT_EQ(lead["agent_count"], 2);
  std::string id = lead["id"];

  auto shown = call(org_key, "GET", "/admin/v1/organizations/nyumba/leads/" + id);
  ASSERT_EQ(shown.status, 200) << shown.body;
  json profile = json::parse(shown.body);
  ASSERT_EQ(profile["agents"].size(), 2u);
  EXPECT_EQ(profile["agents"][0]["agent"], "agent-a");
  EXPECT_EQ(profile["agents"][0]["first_source"], "facebook_ad");
  EXPECT_EQ(profile["agents"][1]["agent"], "agent-b");
  EXPECT_EQ(profile["agents"][1]["conversations"], 1);
  ASSERT_EQ(profile["touches"].size(), 2u);
  EXPECT_EQ(profile["touches"][0]["kind"], "new_agent") << "newest first";
  EXPECT_EQ(profile["touches"][1]["kind"], "first_contact");

  // The cross-agent history: both threads, each message labelled with its agent.
  ASSERT_TRUE(eventually([&] {
    auto h = call(org_key, "GET", "/admin/v1/organizations/nyumba/leads/" + id + "/messages");
    return json::parse(h.body, nullptr, false)["messages"].size() == 4;
  }));
  json history = json::parse(
      call(org_key, "GET", "/admin/v1/organizations/nyumba/leads/" + id + "/messages").body);
  std::multiset<std::string> agents;
  for (const auto& m : history["messages"])
    agents.insert(m["agent"].get<std::string>());
  EXPECT_EQ(agents.count("agent-a"), 2u);
  EXPECT_EQ(agents.count("agent-b"), 2u);

  // Agent B sees its own thread only: none of A's messages, not A, not the lead.
  auto mine = call(b_key, "GET", "/admin/v1/tenants/agent-b/messages");
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(json::parse(mine.body)["messages"].size(), 2u);
  EXPECT_EQ(mine.body.find("Amina"), std::string::npos);
  EXPECT_EQ(call(b_key, "GET", "/admin/v1/tenants/agent-a/messages").status, 404);
  EXPECT_EQ(call(b_key, "GET", "/admin/v1/organizations/nyumba/leads").status, 403);
  EXPECT_EQ(call(b_key, "GET", "/admin/v1/organizations/nyumba/leads/" + id + "/messages").status,
            403);

  // The organization key reaches its agents, not the operator's routes nor other tenants.
  EXPECT_EQ(call(org_key, "GET", "/admin/v1/tenants/agent-a/messages").status, 200);
  EXPECT_EQ(call(org_key, "GET", "/admin/v1/tenants/duka/messages").status, 404);
  EXPECT_EQ(call(org_key, "GET", "/admin/v1/alerts").status, 403);
  EXPECT_EQ(
      call(org_key, "POST", "/admin/v1/organizations/nyumba/api-keys", "{\"name\":\"x\"}").status,
      403);
  json tenants = json::parse(call(org_key, "GET", "/admin/v1/tenants").body)["tenants"];
  ASSERT_EQ(tenants.size(), 2u) << tenants.dump();
  EXPECT_EQ(tenants[0]["slug"], "agent-a");

  // The report: first touch A (Facebook), last touch B (Instagram), one multi-agent lead.
  auto report = call(org_key, "GET", "/admin/v1/organizations/nyumba/reports/leads");
  ASSERT_EQ(report.status, 200) << report.body;
  json r = json::parse(report.body);
  EXPECT_EQ(r["leads"], 1);
  EXPECT_EQ(r["multi_agent_leads"], 1);
  ASSERT_EQ(r["by_source"].size(), 1u);
  EXPECT_EQ(r["by_source"][0], (json{{"source", "facebook_ad"}, {"leads", 1}}));
  ASSERT_EQ(r["by_agent"].size(), 2u);
  EXPECT_EQ(r["by_agent"][0],
            (json{{"agent", "agent-a"}, {"first_touch", 1}, {"last_touch", 0}, {"leads", 1}}));
  EXPECT_EQ(r["by_agent"][1],
            (json{{"agent", "agent-b"}, {"first_touch", 0}, {"last_touch", 1}, {"leads", 1}}));
  ASSERT_EQ(r["first_vs_last_touch"].size(), 1u);
  EXPECT_EQ(r["first_vs_last_touch"][0]["first_agent"], "agent-a");
  EXPECT_EQ(r["first_vs_last_touch"][0]["last_source"], "instagram_ad");
  auto later = call(org_key, "GET",
                    "/admin/v1/organizations/nyumba/reports/leads?since=2099-01-01T00:00:00Z");
  EXPECT_EQ(json::parse(later.body)["leads"], 0);
  auto bad = call(org_key, "GET", "/admin/v1/organizations/nyumba/reports/leads?since=yesterday");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("since"), std::string::npos);
  auto multi = call(org_key, "GET", "/admin/v1/organizations/nyumba/leads?multi_agent=true");
  EXPECT_EQ(json::parse(multi.body)["leads"].size(), 1u);
  auto by_agent = call(org_key, "GET", "/admin/v1/organizations/nyumba/leads?source=direct");
  EXPECT_EQ(json::parse(by_agent.body)["leads"].size(), 0u);
}

TEST_P(Leads, ARevokedOrganizationKeyIsRefused) {
  startLeads();
  auto created = adminCall("POST", "/admin/v1/organizations/nyumba/api-keys", R"({"name":"k"})");
  ASSERT_EQ(created.status, 201);
  json k = json::parse(created.body);
  EXPECT_EQ(call(k["key"], "GET", "/admin/v1/organizations/nyumba/leads").status, 200);
  auto listed = json::parse(adminCall("GET", "/admin/v1/organizations/nyumba/api-keys", "").body);
  ASSERT_EQ(listed["api_keys"].size(), 1u);
  EXPECT_FALSE(listed["api_keys"][0].contains("key")) << "shown once";
  EXPECT_EQ(adminCall("DELETE",
                      "/admin/v1/organizations/nyumba/api-keys/" + k["id"].get<std::string>(), "")
                .status,
            204);
  EXPECT_EQ(call(k["key"], "GET", "/admin/v1/organizations/nyumba/leads").status, 401);
}

// A zone whose local hour is now between 03:00 and 20:00, so a window of an hour and a half
// either side of now stays within the day.
std::pair<std::string, int> zoneAwayFromMidnight() {
  for (const char* zone : {"America/New_York", "Asia/Tokyo"}) {
    auto info = date::locate_zone(zone)->get_info(
        std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    std::time_t local = std::time(nullptr) + info.offset.count();
    int minute = static_cast<int>((local % 86400) / 60);
    if (minute >= 180 && minute < 20 * 60)
      return {zone, minute};
  }
  return {"", 0};
}

std::string hhmm(int minute) {
  char text[8];
  std::snprintf(text, sizeof(text), "%02d:%02d", minute / 60, minute % 60);
  return text;
}

TEST_P(Leads, EachAgentsWorkingHoursFollowItsOwnTimeZone) {
  auto [zone, minute] = zoneAwayFromMidnight();
  ASSERT_FALSE(zone.empty());
  startLeads();
  // A is open now in its zone (and, the zone being hours away from UTC, would be closed if the
  // engine read the hours as UTC); B, in the same zone, opens only at midnight.
  std::string open = "sun-sat " + hhmm(minute - 90) + "-" + hhmm(minute + 90);
  auto a = adminCall(
      "PATCH", "/admin/v1/tenants/agent-a/settings",
      json{{"time_zone", zone}, {"business_hours", open}, {"after_hours_reply", "Amina is closed."}}
          .dump());
  ASSERT_EQ(a.status, 200) << a.body;
  auto b = adminCall("PATCH", "/admin/v1/tenants/agent-b/settings",
                     json{{"time_zone", zone},
                          {"business_hours", "sun-sat 00:00-01:00"},
                          {"after_hours_reply", "Baraka is closed; we open at midnight."}}
                         .dump());
  ASSERT_EQ(b.status, 200) << b.body;
  auto wrong = adminCall("PATCH", "/admin/v1/tenants/agent-b/settings",
                         R"({"time_zone": "Africa/Atlantis"})");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("time_zone"), std::string::npos) << wrong.body;

  ASSERT_TRUE(eventually([&] {  // the engine's tenant cache has the new hours
    return admin("/admin/v1/tenants/agent-b/runtime")["settings"]["time_zone"] == zone &&
           admin("/admin/v1/tenants/agent-a/runtime")["settings"]["time_zone"] == zone;
  }));
  std::time_t now = std::time(nullptr);
  post(leadWebhook(kNumberA, "wamid.HA", "Can I view it tomorrow?", now));
  post(leadWebhook(kNumberB, "wamid.HB", "Can I view it tomorrow?", now));
  ASSERT_TRUE(eventually([&] { return replies().size() >= 2; }));
  auto sent = replies();
  EXPECT_EQ(sent.count({kNumberA, "Amina here: an agent will call you back."}), 1u)
      << "open: the usual reply";
  EXPECT_EQ(sent.count({kNumberB, "Baraka is closed; we open at midnight."}), 1u)
      << "closed: the after-hours reply";
}

INSTANTIATE_TEST_SUITE_P(BothDialects, Leads,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
