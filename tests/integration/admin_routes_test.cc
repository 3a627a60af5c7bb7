// Every /admin/v1 route: isolation walked over the route table, the resources' round trips,
// validation, Idempotency-Key, the audit trail's before/after and the cross-process cache.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <set>
#include <thread>

#include "admin/admin_api.h"
#include "core/iso_time.h"
#include "integration/admin_fixture.h"
#include "storage/migrator.h"

namespace baraza::test {
namespace {

using nlohmann::json;

class AdminRoutes : public AdminApi {
 protected:
  json get(const std::string& path, const std::string& token = kOperator) {
    auto r = call("GET", path, token);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json send(const std::string& method, const std::string& path, const json& body, int status,
            const std::string& token = kOperator) {
    auto r = call(method, path, token, body.dump());
    EXPECT_EQ(r.status, status) << method << " " << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  // Ids of one of the tenant's resources of each kind, for {id} placeholders.
  std::map<std::string, std::string> idsOf(const std::string& slug) {
    std::string base = "/admin/v1/tenants/" + slug;
    std::map<std::string, std::string> ids;
    ids["channels"] = get(base + "/channels")["channels"][0]["id"];
    ids["templates"] = get(base + "/templates")["templates"][0]["id"];
    ids["knowledge"] = get(base + "/knowledge")["entries"][0]["id"];
    ids["api-keys"] = send("POST", base + "/api-keys", {{"name", "probe"}}, 201)["id"];
    // A conversation, as the pipeline would have opened it.
    Database db(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
    TenantScope tx(db, TenantScope::kAllTenants, true);
    std::string tenant,
        contact = "00000000-0000-4000-8000-" + std::string(12, slug[0] == 'k' ? '1' : '2');
    std::string conversation =
        "00000000-0000-4000-9000-" + std::string(12, slug[0] == 'k' ? '1' : '2');
    tx.sql() << "SELECT CAST(id AS TEXT) FROM tenants WHERE slug = :s", soci::use(slug),
        soci::into(tenant);
    tx.sql() << "INSERT INTO contacts (tenant_id, id, channel_type, wa_id) VALUES (:t, :i, "
                "'whatsapp', '254700000000')",
        soci::use(tenant), soci::use(contact);
    tx.sql() << "INSERT INTO conversations (tenant_id, id, contact_id, channel_account_id) VALUES "
                "(:t, :i, :c, :a)",
        soci::use(tenant), soci::use(conversation), soci::use(contact), soci::use(ids["channels"]);
    tx.commit();
    ids["conversations"] = conversation;
    return ids;
  }
  static std::string fill(std::string pattern, const std::string& tenant,
                          const std::map<std::string, std::string>& ids, const std::string& org) {
    auto replace = [&](const std::string& from, const std::string& to) {
      auto at = pattern.find(from);
      if (at != std::string::npos)
        pattern.replace(at, from.size(), to);
    };
    replace("{tenant}", tenant);
    replace("{org}", org);
    for (const auto& [kind, id] : ids) {
      if (pattern.find("/" + kind + "/{id}") != std::string::npos)
        replace("{id}", id);
    }
    return pattern;
  }
};

TEST_P(AdminRoutes, EveryRouteHidesAnotherTenantAndItsIds) {
  auto foreign = idsOf("mama-mboga");
  auto own = idsOf("kassangas");
  std::string key = newKey("kassangas");
  const std::set<std::string> foreign_values = {"Mama Mboga", foreign["channels"],
                                                foreign["templates"], foreign["knowledge"],
                                                "119200000000002"};
  auto leaks = [&](const std::string& body) {
    for (const auto& v : foreign_values) {
      if (body.find(v) != std::string::npos)
        return v;
    }
    return std::string();
  };
  int walked = 0;
  for (const auto& [method, pattern] : adminRouteList()) {
    // An empty object passes every body check, so what answers is the ownership check.
    std::string body = method == "GET" || method == "DELETE" ? "" : "{}";
    if (pattern.find("{tenant}") != std::string::npos) {
      // Another tenant's slug, with this tenant's key: 404 whatever the route.
      std::string path = fill(pattern, "mama-mboga", foreign, "");
      auto r = call(method, path, key, body);
      EXPECT_EQ(r.status, 404) << method << " " << path << ": " << r.body;
      EXPECT_EQ(leaks(r.body), "") << method << " " << path;
      // Its own slug with another tenant's resource id: 404 as well.
      if (pattern.find("{id}") != std::string::npos) {
        std::string mixed = fill(pattern, "kassangas", foreign, "");
        auto m = call(method, mixed, key, body);
        EXPECT_EQ(m.status, 404) << method << " " << mixed << ": " << m.body;
        // (The 404 may repeat the id the caller sent; it shows nothing else.)
        EXPECT_EQ(m.body.find("Mama Mboga"), std::string::npos) << method << " " << mixed;
        // ...and for the operator too: the id belongs to another tenant.
        auto o = call(method, mixed, kOperator, body);
        EXPECT_EQ(o.status, 404) << "operator " << method << " " << mixed << ": " << o.body;
      }
    } else {
      // Server-wide routes: a foreign organization is a 404; operator-only routes a 403.
      std::string path = fill(pattern, "", {}, "nyumba-realty");
      auto r = call(method, path, key, body);
      EXPECT_TRUE(r.status == 404 || r.status == 403 || (method == "GET" && r.status == 200))
          << method << " " << path << ": " << r.status;
      EXPECT_EQ(leaks(r.body), "") << method << " " << path;
      for (const char* other : {"Nyumba Realty Ltd", "nyumba-amina"})
        EXPECT_EQ(r.body.find(other), std::string::npos) << method << " " << path;
    }
    ++walked;
  }
  EXPECT_GE(walked, 30) << "the route table shrank?";
  // The tenant's own resources still answer, so the 404s above were about ownership.
  EXPECT_EQ(call("GET", "/admin/v1/tenants/kassangas/templates/" + own["templates"], key).status,
            200);
  EXPECT_EQ(call("GET", "/admin/v1/tenants/kassangas/knowledge/" + own["knowledge"], key).status,
            200);
  EXPECT_EQ(
      call("GET", "/admin/v1/tenants/kassangas/conversations/" + own["conversations"], key).status,
      200);
  // Nothing of mama-mboga changed.
  EXPECT_EQ(get("/admin/v1/tenants/mama-mboga")["name"], "Mama Mboga Fresh Produce");
  EXPECT_EQ(get("/admin/v1/tenants/mama-mboga/channels")["channels"][0]["active"], true);
}

TEST_P(AdminRoutes, ChannelsKeepSecretsWriteOnlyAndNumbersUnique) {
  std::string base = "/admin/v1/tenants/kassangas/channels";
  json made = send("POST", base,
                   {{"phone_number_id", "5550001"},
                    {"display_phone_number", "254700000001"},
                    {"access_token", "EAAG-secret-channel-token"},
                    {"verify_token", "verify-me-please"},
                    {"token_expires_at", "2030-01-01T00:00:00Z"}},
                   201);
  EXPECT_EQ(made["access_token"], "********");
  EXPECT_EQ(made["verify_token"], "********");
  std::string id = made["id"];
  auto dup = send("POST", "/admin/v1/tenants/mama-mboga/channels",
                  {{"phone_number_id", "5550001"}, {"access_token", "x"}}, 409);
  EXPECT_EQ(dup.dump().find("kassangas"), std::string::npos) << "the owner is not named";
  auto bad = send("POST", base, {{"phone_number_id", "12a"}, {"access_token", "x"}}, 400);
  EXPECT_EQ(bad["field"], "phone_number_id");
  EXPECT_EQ(send("POST", base, {{"phone_number_id", "1"}}, 400)["field"], "access_token");
  EXPECT_EQ(send("POST", base, {{"phone_number_id", "1"}, {"access_token", "x"}, {"colour", 1}},
                 400)["field"],
            "colour");
  EXPECT_EQ(send("PATCH", base + "/" + id, {{"token_expires_at", "soon"}}, 400)["field"],
            "token_expires_at");
  json changed = send("PATCH", base + "/" + id,
                      {{"access_token", "EAAG-second-secret"}, {"waba_id", "777"}}, 200);
  EXPECT_EQ(changed["waba_id"], "777");
  EXPECT_EQ(changed["display_phone_number"], "254700000001");
  auto audit = get("/admin/v1/tenants/kassangas/audit?entity=channel_account&entity_id=" + id);
  ASSERT_EQ(audit["entries"].size(), 2u);
  EXPECT_EQ(audit["entries"][0]["before"]["waba_id"], "");
  EXPECT_EQ(audit["entries"][0]["after"]["waba_id"], "777");
  EXPECT_EQ(audit["entries"][0]["after"]["access_token"], "******** (replaced)");
  EXPECT_EQ(call("DELETE", base + "/" + id, kOperator).status, 204);
  EXPECT_EQ(get(base + "/" + id)["active"], false);
  std::string everything = audit.dump() + get(base).dump() + engine_->log();
  for (const char* secret : {"EAAG-secret-channel-token", "EAAG-second-secret", "verify-me"})
    EXPECT_EQ(everything.find(secret), std::string::npos) << secret;
}

TEST_P(AdminRoutes, SettingsChangeByFieldWithTypesChecked) {
  std::string path = "/admin/v1/tenants/kassangas/settings";
  json before = get(path);
  for (const char* column :
       {"bot_enabled", "auto_reply", "ai_responses", "payment_flow", "training_mode",
        "log_conversations", "log_errors", "max_messages_per_hour", "max_messages_per_user_per_day",
        "escalation_phone", "escalation_email", "static_reply"})
    EXPECT_TRUE(before.contains(column)) << column;
  json after = send("PATCH", path, {{"max_messages_per_hour", 7}, {"training_mode", true}}, 200);
  EXPECT_EQ(after["max_messages_per_hour"], 7);
  EXPECT_EQ(after["training_mode"], true);
  EXPECT_EQ(after["static_reply"], before["static_reply"]) << "untouched fields stay";
  EXPECT_EQ(send("PATCH", path, {{"max_messages_per_hour", -1}}, 400)["field"],
            "max_messages_per_hour");
  EXPECT_EQ(send("PATCH", path, {{"bot_enabled", "yes"}}, 400)["field"], "bot_enabled");
  EXPECT_EQ(send("PATCH", path, {{"botenabled", true}}, 400)["field"], "botenabled");
  EXPECT_EQ(get(path)["max_messages_per_hour"], 7) << "a rejected change changes nothing";
  auto audit = get("/admin/v1/tenants/kassangas/audit?entity=settings")["entries"];
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0]["before"]["max_messages_per_hour"], before["max_messages_per_hour"]);
  EXPECT_EQ(audit[0]["after"]["max_messages_per_hour"], 7);
}

TEST_P(AdminRoutes, TemplatesHaveUniqueNamesAndOneDefault) {
  std::string base = "/admin/v1/tenants/kassangas/templates";
  json list = get(base)["templates"];
  ASSERT_EQ(list.size(), 3u);
  json made = send("POST", base,
                   {{"name", "holiday"},
                    {"system_prompt", "We are closed for the holidays."},
                    {"max_response_length", 300},
                    {"default", true}},
                   201);
  std::string id = made["id"];
  int defaults = 0;
  json templates = get(base)["templates"];
  for (const auto& t : templates)
    defaults += t["default"].get<bool>();
  EXPECT_EQ(defaults, 1);
  EXPECT_EQ(send("POST", base, {{"name", "holiday"}, {"system_prompt", "x"}}, 409)["error"],
            "conflict");
  EXPECT_EQ(send("POST", base, {{"name", "x"}, {"system_prompt", ""}}, 400)["field"],
            "system_prompt");
  EXPECT_EQ(send("PATCH", base + "/" + id, {{"max_response_length", -5}}, 400)["field"],
            "max_response_length");
  EXPECT_EQ(send("PATCH", base + "/" + id, {{"tone", "warm"}}, 200)["tone"], "warm");
  auto page = get(base + "?limit=2");
  ASSERT_EQ(page["templates"].size(), 2u);
  auto rest = get(base + "?limit=2&cursor=" + page["next_cursor"].get<std::string>());
  EXPECT_EQ(rest["templates"].size(), 2u);
  EXPECT_TRUE(rest["next_cursor"].is_null());
  EXPECT_EQ(call("DELETE", base + "/" + id, kOperator).status, 204);
  EXPECT_EQ(call("GET", base + "/" + id, kOperator).status, 404);
  auto audit = get("/admin/v1/tenants/kassangas/audit?entity=template&action=delete")["entries"];
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0]["before"]["name"], "holiday");
  EXPECT_TRUE(audit[0]["after"].is_null());
  EXPECT_EQ(call("GET", base + "?cursor=zz", kOperator).status, 400);
  // Well-formed hex whose time part is not a time: refused before it reaches the database.
  std::string forged = "6e6f742d612d74696d651f78";  // "not-a-time\x1fx"
  for (const char* list : {"knowledge", "audit", "messages", "conversations"}) {
    auto r = call("GET", "/admin/v1/tenants/kassangas/" + std::string(list) + "?cursor=" + forged,
                  kOperator);
    EXPECT_EQ(r.status, 400) << list << ": " << r.body;
  }
}

TEST_P(AdminRoutes, KnowledgeFiltersPagesAndChanges) {
  std::string base = "/admin/v1/tenants/kassangas/knowledge";
  json all = get(base)["entries"];
  ASSERT_EQ(all.size(), 9u);
  json found = get(base + "?q=M-PESA")["entries"];
  ASSERT_GE(found.size(), 1u);
  std::set<std::string> seen;
  std::string cursor;
  do {
    json page = get(base + "?limit=4" + (cursor.empty() ? "" : "&cursor=" + cursor));
    for (const auto& e : page["entries"])
      EXPECT_TRUE(seen.insert(e["id"].get<std::string>()).second) << "no entry twice";
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
  } while (!cursor.empty());
  EXPECT_EQ(seen.size(), 9u);
  json made = send("POST", base,
                   {{"question", "Do you sell drums?"},
                    {"answer", "Yes, acoustic and electronic."},
                    {"keywords", {"drums", "ngoma"}},
                    {"type", "canned_reply"},
                    {"confidence", 0.8}},
                   201);
  EXPECT_EQ(made["keywords"], json({"drums", "ngoma"}));
  EXPECT_EQ(get(base + "?type=canned_reply")["entries"].size(), 1u);
  std::string id = made["id"];
  EXPECT_EQ(send("PATCH", base + "/" + id, {{"priority", 11}}, 400)["field"], "priority");
  EXPECT_EQ(send("PATCH", base + "/" + id, {{"keywords", "drums"}}, 400)["field"], "keywords");
  EXPECT_EQ(send("PATCH", base + "/" + id, {{"active", false}}, 200)["active"], false);
  EXPECT_EQ(get(base + "?active=false")["entries"].size(), 1u);
  EXPECT_EQ(call("DELETE", base + "/" + id, kOperator).status, 204);
  EXPECT_EQ(get(base)["entries"].size(), 9u);
}

TEST_P(AdminRoutes, KnowledgeExportsAndImportsAsCsvAndJson) {
  std::string base = "/admin/v1/tenants/kassangas/knowledge";
  auto csv = call("GET", base + "/export?format=csv", kOperator);
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.headers["content-type"].rfind("text/csv", 0), 0u);
  EXPECT_EQ(csv.body.rfind("\"type\",\"question\",\"answer\"", 0), 0u) << csv.body.substr(0, 80);
  // Replacing with the export changes nothing: the round trip is exact.
  json exported = get(base + "/export")["entries"];
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + kOperator},
                                             {"Content-Type", "text/csv"}};
  auto again =
      httpRequest(engine_->port(), "POST", base + "/import?mode=replace", csv.body, headers);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["updated"], 9);
  EXPECT_EQ(json::parse(again.body)["deleted"], 0);
  json reimported = get(base + "/export")["entries"];
  for (auto* list : {&exported, &reimported}) {
    for (auto& e : *list)
      e.erase("updated_at");
  }
  EXPECT_EQ(reimported, exported);
  // Quotes, commas and line breaks inside fields; a merge adds to what is there.
  std::string text =
      "question,answer,keywords,priority\r\n"
      "\"Do you tune pianos, too?\",\"Yes.\nCall us: \"\"tuning\"\" is 2,500 "
      "KSh.\",piano;tune,7\r\n";
  auto merged = httpRequest(engine_->port(), "POST", base + "/import", text, headers);
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(json::parse(merged.body)["created"], 1);
  json piano = get(base + "?q=pianos")["entries"];
  ASSERT_EQ(piano.size(), 1u);
  EXPECT_EQ(piano[0]["answer"], "Yes.\nCall us: \"tuning\" is 2,500 KSh.");
  EXPECT_EQ(piano[0]["keywords"], json({"piano", "tune"}));
  EXPECT_EQ(piano[0]["priority"], 7);
  // One bad row rejects the whole file, naming the row and the field.
  std::string bad = "question,answer,priority\r\nA,B,5\r\nC,D,99\r\n";
  auto refused = httpRequest(engine_->port(), "POST", base + "/import", bad, headers);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(json::parse(refused.body)["field"], "row 3.priority");
  EXPECT_EQ(get(base)["entries"].size(), 10u) << "nothing of a refused import is kept";
  auto broken = httpRequest(engine_->port(), "POST", base + "/import", "q\"uestion\r\n", headers);
  EXPECT_EQ(broken.status, 400);
  // JSON, replacing: what is not in the import goes.
  json one = {{"entries", {{{"question", "Only this?"}, {"answer", "Only this."}}}}};
  json replaced = send("POST", base + "/import?mode=replace", one, 200);
  EXPECT_EQ(replaced["created"], 1);
  EXPECT_EQ(replaced["deleted"], 10);
  EXPECT_EQ(get(base)["entries"].size(), 1u);
  EXPECT_EQ(send("POST", base + "/import", {{"entries", {{{"question", "x"}}}}}, 400)["field"],
            "entries[0].answer");
  auto audit = get("/admin/v1/tenants/kassangas/audit?entity=knowledge&action=import")["entries"];
  ASSERT_EQ(audit.size(), 3u);
  EXPECT_EQ(audit[0]["before"]["entries"], 10);
}

// A question or answer a customer could have typed opens as text in a spreadsheet, and the
// export imports back unchanged.
TEST_P(AdminRoutes, KnowledgeCsvCellsNeverStartAFormula) {
  std::string base = "/admin/v1/tenants/kassangas/knowledge";
  json entry = {{"question", "=HYPERLINK(\"http://evil.example\",\"Click\")"},
                {"answer", "@SUM(1+1)"},
                {"keywords", {"-2+3", "'=quoted"}},
                {"category", "+cmd"}};
  send("POST", base, entry, 201);
  auto csv = call("GET", base + "/export?format=csv", kOperator);
  ASSERT_EQ(csv.status, 200);
  for (const char* start : {"\"=", "\"+", "\"-", "\"@"})
    EXPECT_EQ(csv.body.find(start), std::string::npos) << start << " in " << csv.body;
  EXPECT_NE(csv.body.find("\"'=HYPERLINK("), std::string::npos) << csv.body;
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + kOperator},
                                             {"Content-Type", "text/csv"}};
  json before = get(base + "/export")["entries"];
  auto again =
      httpRequest(engine_->port(), "POST", base + "/import?mode=replace", csv.body, headers);
  ASSERT_EQ(again.status, 200) << again.body;
  json after = get(base + "/export")["entries"];
  for (auto* list : {&before, &after}) {
    for (auto& e : *list)
      e.erase("updated_at");
  }
  EXPECT_EQ(after, before);
  json found = get(base + "?q=HYPERLINK")["entries"];
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["question"], entry["question"]);
  EXPECT_EQ(found[0]["keywords"], entry["keywords"]);
}

TEST_P(AdminRoutes, PostsHonourIdempotencyKeys) {
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + kOperator},
                                             {"Idempotency-Key", "create-key-1"}};
  std::string path = "/admin/v1/tenants/kassangas/api-keys";
  auto first = httpRequest(engine_->port(), "POST", path, R"({"name":"once"})", headers);
  auto second = httpRequest(engine_->port(), "POST", path, R"({"name":"once"})", headers);
  ASSERT_EQ(first.status, 201);
  EXPECT_EQ(second.status, 201);
  EXPECT_EQ(second.body, first.body) << "the same key, shown again to its creator";
  EXPECT_EQ(second.headers["idempotent-replayed"], "true");
  EXPECT_EQ(get(path)["api_keys"].size(), 1u) << "one key made, not two";
  auto other = httpRequest(engine_->port(), "POST", path, R"({"name":"twice"})", headers);
  EXPECT_EQ(other.status, 422);
  // Keys are per caller: a tenant key's "create-key-1" is its own.
  std::string key = newKey("mama-mboga");
  std::map<std::string, std::string> tenant_headers{{"Authorization", "Bearer " + key},
                                                    {"Idempotency-Key", "create-key-1"}};
  auto entry = httpRequest(engine_->port(), "POST", "/admin/v1/tenants/mama-mboga/knowledge",
                           R"({"question":"Q?","answer":"A."})", tenant_headers);
  EXPECT_EQ(entry.status, 201) << entry.body;
  auto bad_key = httpRequest(
      engine_->port(), "POST", path, R"({"name":"x"})",
      {{"Authorization", "Bearer " + kOperator}, {"Idempotency-Key", std::string(300, 'k')}});
  EXPECT_EQ(bad_key.status, 400);
  // The kept response holds an API key: it is sealed, not stored in clear.
  Database db(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
  TenantScope scope(db, TenantScope::kAllTenants);
  std::string sealed;
  scope.sql() << "SELECT response_sealed FROM idempotency_keys WHERE idem_key = 'create-key-1' "
                 "AND caller = 'operator'",
      soci::into(sealed);
  std::string made = json::parse(first.body)["key"];
  EXPECT_EQ(sealed.rfind("bz1.", 0), 0u);
  EXPECT_EQ(sealed.find(made), std::string::npos);
}

// Defect 6 of issue 17. The key was minted, then keeping its response failed: the claim was
// released and the retry minted a second live key. Now the request is marked applied with what
// it changed, and a retry never runs it again.
TEST_P(AdminRoutes, AnIdempotentPostWhoseResponseWasNotKeptIsNotRunTwice) {
  Database db(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
  auto exec = [&](const std::string& statement) {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    tx.sql() << statement;
    tx.commit();
  };
  // The final write fails, as it would on a full disk or a dropped connection.
  if (GetParam() == Dialect::kSqlite) {
    exec(
        "CREATE TRIGGER fail_keep BEFORE UPDATE OF response_sealed ON idempotency_keys BEGIN "
        "SELECT RAISE(ABORT, 'injected: the disk is full'); END");
  } else {
    exec(
        "CREATE FUNCTION fail_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE "
        "EXCEPTION 'injected: the connection dropped'; END $$");
    exec(
        "CREATE TRIGGER fail_keep BEFORE UPDATE OF response_sealed ON idempotency_keys FOR EACH "
        "ROW EXECUTE FUNCTION fail_keep()");
  }
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + kOperator},
                                             {"Idempotency-Key", "mint-once"}};
  std::string path = "/admin/v1/tenants/kassangas/api-keys";
  auto first = httpRequest(engine_->port(), "POST", path, R"({"name":"once"})", headers);
  EXPECT_EQ(first.status, 201) << "the key was made: its creator gets it " << first.body;
  exec(GetParam() == Dialect::kSqlite ? "DROP TRIGGER fail_keep"
                                      : "DROP TRIGGER fail_keep ON idempotency_keys");
  auto retry = httpRequest(engine_->port(), "POST", path, R"({"name":"once"})", headers);
  EXPECT_EQ(retry.status, 409) << retry.body;
  EXPECT_EQ(get(path)["api_keys"].size(), 1u) << "one key made, not two";
  // Past the claim's lease (within the 24 hours a response is kept).
  exec("UPDATE idempotency_keys SET created_at = '" + formatIsoUtc(std::time(nullptr) - 600) +
       "' WHERE idem_key = 'mint-once'");
  auto later = httpRequest(engine_->port(), "POST", path, R"({"name":"once"})", headers);
  EXPECT_EQ(later.status, 409);
  EXPECT_EQ(json::parse(later.body)["error"], "idempotent_response_lost");
  EXPECT_EQ(get(path)["api_keys"].size(), 1u);
  auto metrics = httpRequest(engine_->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("baraza_idempotency_unkept_responses_total 1"), std::string::npos)
      << metrics;
}

// A claim whose request died before it changed anything (a crash, a kill -9) no longer answers
// 409 for 24 hours: after its lease the next retry runs the request.
TEST_P(AdminRoutes, AClaimLeftByARequestThatDiedIsRunAgainAfterItsLease) {
  std::string path = "/admin/v1/tenants/kassangas/api-keys";
  std::string body = R"({"name":"after-a-crash"})";
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + kOperator},
                                             {"Idempotency-Key", "crashed"}};
  Database db(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
  auto claimAt = [&](const std::string& at) {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    std::string hash = sha256Hex("POST " + path + "?\n" + body);
    tx.sql() << "INSERT INTO idempotency_keys (caller, idem_key, request_hash, created_at) VALUES "
                "('operator', 'crashed', :h, :a)",
        soci::use(hash), soci::use(at);
    tx.commit();
  };
  claimAt(isoNowMicros());
  EXPECT_EQ(httpRequest(engine_->port(), "POST", path, body, headers).status, 409)
      << "within its lease the first request may still be running";
  {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    tx.sql() << "DELETE FROM idempotency_keys WHERE idem_key = 'crashed'";
    tx.commit();
  }
  claimAt(formatIsoUtc(std::time(nullptr) - 600));
  auto run = httpRequest(engine_->port(), "POST", path, body, headers);
  EXPECT_EQ(run.status, 201) << run.body;
  auto replay = httpRequest(engine_->port(), "POST", path, body, headers);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.body, run.body);
  EXPECT_EQ(get(path)["api_keys"].size(), 1u);
}

TEST_P(AdminRoutes, OrganizationsGroupTenantsAndKeysSeeOnlyTheirOwn) {
  json list = get("/admin/v1/organizations")["organizations"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["slug"], "nyumba-realty");
  EXPECT_EQ(list[0]["tenants"], json({"nyumba-amina"}));
  send("POST", "/admin/v1/organizations", {{"slug", "duka-group"}, {"name", "Duka Group"}}, 201);
  EXPECT_EQ(
      send("POST", "/admin/v1/organizations", {{"slug", "Bad Slug"}, {"name", "x"}}, 400)["field"],
      "slug");
  send("PATCH", "/admin/v1/tenants/mama-mboga", {{"organization", "duka-group"}}, 200);
  EXPECT_EQ(get("/admin/v1/organizations/duka-group")["tenants"], json({"mama-mboga"}));
  EXPECT_EQ(call("DELETE", "/admin/v1/organizations/duka-group", kOperator).status, 409);
  std::string key = newKey("mama-mboga");
  EXPECT_EQ(get("/admin/v1/organizations", key)["organizations"].size(), 1u);
  EXPECT_EQ(call("GET", "/admin/v1/organizations/nyumba-realty", key).status, 404);
  EXPECT_EQ(
      send("PATCH", "/admin/v1/tenants/mama-mboga", {{"organization", ""}}, 403, key)["error"],
      "forbidden");
  send("PATCH", "/admin/v1/tenants/mama-mboga", {{"name", "Mama Mboga Ltd"}}, 200, key);
  send("PATCH", "/admin/v1/tenants/mama-mboga", {{"organization", ""}}, 200);
  EXPECT_EQ(call("DELETE", "/admin/v1/organizations/duka-group", kOperator).status, 204);
  auto audit = get("/admin/v1/audit?entity=organization")["entries"];
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0]["action"], "delete");
  EXPECT_EQ(audit[0]["before"]["name"], "Duka Group");
  auto renamed = get("/admin/v1/tenants/mama-mboga/audit?entity=tenant&action=update")["entries"];
  ASSERT_EQ(renamed.size(), 3u);
  EXPECT_EQ(renamed[1]["before"]["name"], "Mama Mboga Fresh Produce");
  EXPECT_EQ(renamed[1]["after"]["name"], "Mama Mboga Ltd");
  EXPECT_EQ(call("GET", "/admin/v1/audit", key).status, 403);
}

// A tenant the operator deactivated stays so: its own key may rename it but not switch it back
// on (nor off: the switch is the operator's).
TEST_P(AdminRoutes, OnlyTheOperatorActivatesOrDeactivatesATenant) {
  std::string base = "/admin/v1/tenants/mama-mboga";
  std::string key = newKey("mama-mboga");
  EXPECT_EQ(send("PATCH", base, {{"active", false}}, 403, key)["error"], "forbidden");
  EXPECT_EQ(get(base)["active"], true);
  send("PATCH", base, {{"active", false}}, 200);
  auto refused = send("PATCH", base, {{"active", true}}, 403, key);
  EXPECT_EQ(refused["error"], "forbidden");
  EXPECT_NE(refused["details"].get<std::string>().find("operator"), std::string::npos);
  EXPECT_EQ(get(base)["active"], false) << "a refused change changes nothing";
  EXPECT_EQ(
      send("PATCH", base, {{"name", "Mama Mboga Ltd"}, {"active", false}}, 200, key)["active"],
      false);
  EXPECT_EQ(send("PATCH", base, {{"active", true}}, 200)["active"], true);
}

TEST_P(AdminRoutes, TheAuditLogPagesNewestFirst) {
  for (int i = 0; i < 5; ++i)
    send("PATCH", "/admin/v1/tenants/kassangas/settings", {{"max_messages_per_hour", i}}, 200);
  std::vector<long long> values;
  std::string cursor;
  do {
    json page = get("/admin/v1/tenants/kassangas/audit?entity=settings&limit=2" +
                    (cursor.empty() ? "" : "&cursor=" + cursor));
    for (const auto& e : page["entries"])
      values.push_back(e["after"]["max_messages_per_hour"]);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
  } while (!cursor.empty());
  EXPECT_EQ(values, (std::vector<long long>{4, 3, 2, 1, 0}));
}

TEST_P(AdminRoutes, AChangeReachesAnotherEngineProcessWithinASecond) {
  EngineProcess second("", env_);
  auto runtime = [&](int port) {
    auto r = httpRequest(port, "GET", "/admin/v1/tenants/kassangas/runtime", "",
                         {{"Authorization", "Bearer " + kOperator}});
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  };
  EXPECT_EQ(runtime(second.port())["settings"]["max_messages_per_hour"], 100);
  send("PATCH", "/admin/v1/tenants/kassangas/settings", {{"max_messages_per_hour", 42}}, 200);
  auto changed = std::chrono::steady_clock::now();
  long long seen = 0;
  while (std::chrono::steady_clock::now() - changed < std::chrono::seconds(3)) {
    seen = runtime(second.port())["settings"]["max_messages_per_hour"];
    if (seen == 42)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto took = std::chrono::steady_clock::now() - changed;
  EXPECT_EQ(seen, 42);
  EXPECT_LT(took, std::chrono::seconds(1))
      << "the other process saw it after "
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  // The other process's own change comes back the same way; a deactivated number stops routing.
  auto r = httpRequest(second.port(), "PATCH", "/admin/v1/tenants/kassangas", R"({"active":false})",
                       {{"Authorization", "Bearer " + kOperator}});
  ASSERT_EQ(r.status, 200);
  for (int i = 0; i < 100 && runtime(engine_->port())["active"] != false; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(runtime(engine_->port())["active"], false);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, AdminRoutes,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
