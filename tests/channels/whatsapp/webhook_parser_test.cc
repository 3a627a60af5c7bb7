#include "webhook_parser.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace baraza::whatsapp {
namespace {

using nlohmann::json;

WebhookParse parseJson(const json& payload) {
  return parseWebhook(payload.dump(), "default");
}

json onlyEvent(const std::string& own_fixture) {
  auto p = parseWebhook(test::ownFixture(own_fixture), "default");
  EXPECT_EQ(p.outcome, WebhookOutcome::kEvents);
  EXPECT_EQ(p.events.size(), 1u) << own_fixture;
  return p.events.empty() ? json() : p.events[0];
}

TEST(WebhookParser, LoneSurrogatesInAnErrorAreReplacedNotThrownOn) {
  // Found by the fuzzer: "\udc4b" decodes to bytes that are not UTF-8, and dumping the
  // errors for their dedupe key threw out of the parser.
  std::string body =
      R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":)"
      R"("messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":)"
      R"("119202345678901"},"errors":[{"code":131000,"title":"bad \udc4b title"}]}}]}]})";
  WebhookParse p = parseWebhook(body, "default");
  ASSERT_EQ(p.outcome, WebhookOutcome::kEvents);
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0]["kind"], "error");
  EXPECT_FALSE(p.events[0]["dedupe_key"].get<std::string>().empty());
}

TEST(WebhookParser, EveryMetaExampleParses) {
  auto examples = test::metaExamples("webhooks");
  ASSERT_EQ(examples.size(), 16u);
  for (const auto& ex : examples) {
    auto p = parseJson(ex["value"]);
    ASSERT_EQ(p.outcome, WebhookOutcome::kEvents) << ex["name"];
    EXPECT_EQ(p.malformed, 0) << ex["name"];
    std::string field = ex["value"]["entry"][0]["changes"][0]["field"];
    if (field == "messages") {
      ASSERT_EQ(p.events.size(), 1u) << ex["name"];
      const json& e = p.events[0];
      const json& msg = ex["value"]["entry"][0]["changes"][0]["value"]["messages"][0];
      EXPECT_EQ(e["kind"], "message");
      EXPECT_EQ(e["id"], msg["id"]) << ex["name"];
      EXPECT_EQ(e["type"], msg["type"]) << ex["name"];
      EXPECT_EQ(e["account"]["phone_number_id"], "106540352242922") << ex["name"];
      EXPECT_EQ(e["account"]["display_phone_number"], "15550783881") << ex["name"];
      EXPECT_EQ(e["from"]["wa_id"], msg["from"]) << ex["name"];
      EXPECT_EQ(e["timestamp"], std::stoll(msg["timestamp"].get<std::string>()));
      EXPECT_EQ(e["dedupe_key"], "message:" + msg["id"].get<std::string>());
    } else {
      EXPECT_TRUE(p.events.empty()) << ex["name"];
      EXPECT_EQ(p.ignored_fields[field], 1) << ex["name"];
    }
  }
}

TEST(WebhookParser, MetaTextExamplesKeepBodyProfileContextAndReferral) {
  auto text = parseJson(test::metaExample("webhooks", "Text Message")).events.at(0);
  EXPECT_EQ(text["text"], "Does it come in another color?");
  EXPECT_EQ(text["from"]["profile_name"], "Sheena Nelson");
  EXPECT_EQ(text["waba_id"], "419561257915477");

  auto ctx = parseJson(test::metaExample("webhooks", "Text Message with Context (Product Inquiry)"))
                 .events.at(0);
  EXPECT_EQ(ctx["context"]["id"], "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA");
  EXPECT_EQ(ctx["context"]["referred_product"]["product_retailer_id"], "di9ozbzfi4");
  EXPECT_EQ(ctx["context"]["forwarded"], false);

  auto ad = parseJson(test::metaExample("webhooks", "Text Message from Click to WhatsApp Ad"))
                .events.at(0);
  EXPECT_EQ(ad["referral"]["source_type"], "ad");
  EXPECT_EQ(ad["referral"]["headline"], "Chat with us");
}

TEST(WebhookParser, MetaExamplesOfEachKindKeepTheirContent) {
  auto image = parseJson(test::metaExample("webhooks", "Image Message")).events.at(0);
  EXPECT_FALSE(image["media"]["id"].get<std::string>().empty());
  EXPECT_EQ(image["media"]["mime_type"], "image/jpeg");
  EXPECT_TRUE(image["media"].contains("sha256"));

  auto loc = parseJson(test::metaExample("webhooks", "Location Message")).events.at(0);
  EXPECT_TRUE(loc["location"]["latitude"].is_number());
  EXPECT_TRUE(loc["location"]["longitude"].is_number());

  auto contacts = parseJson(test::metaExample("webhooks", "Contact Sharing Message")).events.at(0);
  EXPECT_FALSE(contacts["contacts"].empty());

  auto reaction = parseJson(test::metaExample("webhooks", "Reaction Message")).events.at(0);
  EXPECT_FALSE(reaction["reaction"]["message_id"].get<std::string>().empty());
  EXPECT_EQ(reaction["reaction"]["removed"], false);

  auto button = parseJson(test::metaExample("webhooks", "Button Message")).events.at(0);
  EXPECT_TRUE(button["button"].contains("payload"));
  EXPECT_EQ(button["text"], button["button"]["text"]);

  auto list =
      parseJson(test::metaExample("webhooks", "Interactive List Reply Message")).events.at(0);
  EXPECT_EQ(list["interactive"]["type"], "list_reply");
  EXPECT_TRUE(list["interactive"].contains("id"));

  auto reply =
      parseJson(test::metaExample("webhooks", "Interactive Button Reply Message")).events.at(0);
  EXPECT_EQ(reply["interactive"]["type"], "button_reply");
  EXPECT_EQ(reply["text"], reply["interactive"]["title"]);

  auto order = parseJson(test::metaExample("webhooks", "Order Message")).events.at(0);
  EXPECT_FALSE(order["order"]["product_items"].empty());

  auto system = parseJson(test::metaExample("webhooks", "System Message")).events.at(0);
  EXPECT_EQ(system["system"]["type"], "user_changed_number");
  EXPECT_EQ(system["system"]["wa_id"], "12195555358");
  EXPECT_EQ(system["from"]["wa_id"], "16505551234") << "no contacts[]: from the message itself";

  auto unsupported = parseJson(test::metaExample("webhooks", "Unsupported Message")).events.at(0);
  EXPECT_EQ(unsupported["type"], "unsupported");
  EXPECT_EQ(unsupported["errors"][0]["code"], 131051);
  EXPECT_EQ(unsupported["errors"][0]["details"], "Message type is currently not supported.");
}

TEST(WebhookParser, MediaKindsTheSpecLacks) {
  auto voice = onlyEvent("audio_voice");
  EXPECT_EQ(voice["type"], "audio");
  EXPECT_EQ(voice["media"]["voice"], true);
  EXPECT_EQ(voice["media"]["mime_type"], "audio/ogg; codecs=opus");
  EXPECT_EQ(onlyEvent("audio_file")["media"]["voice"], false);
  auto video = onlyEvent("video");
  EXPECT_EQ(video["media"]["caption"], "Our new drum kit");
  EXPECT_EQ(video["text"], "Our new drum kit");
  auto doc = onlyEvent("document");
  EXPECT_EQ(doc["media"]["filename"], "invoice-42.pdf");
  EXPECT_EQ(doc["media"]["sha256"], "c2hhMjU2LWRvYw==");
  EXPECT_EQ(onlyEvent("sticker")["media"]["animated"], true);
}

TEST(WebhookParser, FlowCompletionParsesItsResponseJson) {
  auto e = onlyEvent("nfm_reply");
  EXPECT_EQ(e["interactive"]["type"], "nfm_reply");
  EXPECT_EQ(e["interactive"]["response"]["flow_token"], "t-1");
  EXPECT_EQ(e["interactive"]["response"]["size"], "M");
  EXPECT_EQ(e["context"]["id"], "wamid.flow-invite");
}

TEST(WebhookParser, AHostileFlowResponseIsCutNotRecursed) {
  json payload = json::parse(test::ownFixture("nfm_reply"));
  auto& reply =
      payload["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]["nfm_reply"];
  reply["response_json"] = std::string(200000, '[') + std::string(200000, ']');
  auto p = parseJson(payload);
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_TRUE(p.events[0]["interactive"]["response"].is_array());
}

TEST(WebhookParser, UnreactionAndForwardFlags) {
  EXPECT_EQ(onlyEvent("reaction_removed")["reaction"]["removed"], true);
  auto fwd = onlyEvent("forwarded_text");
  EXPECT_EQ(fwd["context"]["forwarded"], true);
  EXPECT_EQ(fwd["context"]["frequently_forwarded"], true);
}

TEST(WebhookParser, BusinessScopedUserWithoutAPhoneNumber) {
  auto e = onlyEvent("business_scoped_user");
  EXPECT_EQ(e["from"]["user_id"], "KE.1234567890123456");
  EXPECT_EQ(e["from"]["parent_user_id"], "KE.P.99");
  EXPECT_EQ(e["from"]["username"], "@baraka.k");
  EXPECT_EQ(e["from"]["profile_name"], "Baraka");
  EXPECT_FALSE(e["from"].contains("wa_id"));
  EXPECT_FALSE(e["from"].contains("phone"));
  EXPECT_EQ(e["text"], "Habari, do you deliver?");
}

TEST(WebhookParser, StatusesKeepErrorsConversationAndPricing) {
  auto p = parseWebhook(test::ownFixture("statuses"), "default");
  ASSERT_EQ(p.events.size(), 5u);
  std::vector<std::string> states;
  for (const auto& e : p.events) {
    EXPECT_EQ(e["kind"], "status");
    states.push_back(e["status"]);
  }
  EXPECT_EQ(states, (std::vector<std::string>{"sent", "delivered", "read", "played", "failed"}));
  const json& sent = p.events[0];
  EXPECT_EQ(sent["recipient"]["wa_id"], "254711000111");
  EXPECT_EQ(sent["conversation"]["origin"], "service");
  EXPECT_EQ(sent["pricing"]["billable"], true);
  EXPECT_EQ(sent["pricing"]["category"], "service");
  EXPECT_EQ(sent["biz_opaque_callback_data"], "outbox:42");
  EXPECT_EQ(sent["dedupe_key"], "status:wamid.out-1:sent");
  EXPECT_NE(p.events[1]["dedupe_key"], sent["dedupe_key"]) << "each status of a message counts";
  const json& failed = p.events[4];
  EXPECT_EQ(failed["errors"][0]["code"], 131047);
  EXPECT_EQ(failed["errors"][0]["title"], "Re-engagement message");
  EXPECT_NE(failed["errors"][0]["details"].get<std::string>().find("24 hours"), std::string::npos);
}

TEST(WebhookParser, ValueLevelErrorsBecomeAnErrorEvent) {
  auto e = onlyEvent("value_errors");
  EXPECT_EQ(e["kind"], "error");
  EXPECT_EQ(e["errors"][0]["code"], 131000);
  EXPECT_EQ(e["account"]["phone_number_id"], "119202345678901");
  EXPECT_EQ(e["dedupe_key"], onlyEvent("value_errors")["dedupe_key"]) << "stable across deliveries";
  EXPECT_EQ(e["dedupe_key"].get<std::string>().rfind("error:119202345678901:", 0), 0u);
}

TEST(WebhookParser, EveryEntryChangeMessageAndStatusOfABatchIsHandled) {
  auto p = parseWebhook(test::ownFixture("batch"), "shop");
  ASSERT_EQ(p.events.size(), 4u);
  EXPECT_EQ(p.events[0]["text"], "first");
  EXPECT_EQ(p.events[1]["text"], "second");
  EXPECT_EQ(p.events[2]["kind"], "status");
  EXPECT_EQ(p.events[3]["text"], "third, other tenant");
  EXPECT_EQ(p.events[3]["account"]["phone_number_id"], "119200000000002");
  EXPECT_EQ(p.events[3]["waba_id"], "108900000000002");
  EXPECT_EQ(p.events[3]["from"]["profile_name"], "Juma");
  for (const auto& e : p.events)
    EXPECT_EQ(e["app"], "shop");
  EXPECT_EQ(p.ignored_fields["message_template_status_update"], 1);
}

TEST(WebhookParser, BadJsonAndForeignObjectsAreTold) {
  EXPECT_EQ(parseWebhook("{not json", "d").outcome, WebhookOutcome::kInvalidJson);
  EXPECT_EQ(parseWebhook("", "d").outcome, WebhookOutcome::kInvalidJson);
  EXPECT_EQ(parseWebhook("[1,2]", "d").outcome, WebhookOutcome::kNotAnObject);
  EXPECT_EQ(parseWebhook(R"({"object":"page","entry":[]})", "d").outcome,
            WebhookOutcome::kOtherObject);
  EXPECT_EQ(parseWebhook(R"({"object":"whatsapp_business_account","entry":5})", "d").outcome,
            WebhookOutcome::kNotAnObject);
}

TEST(WebhookParser, TrailingBytesAndInvalidUtf8AreInvalidJson) {
  std::string body = test::ownFixture("video");
  EXPECT_EQ(parseWebhook(body + "  \n", "d").outcome, WebhookOutcome::kEvents);
  EXPECT_EQ(parseWebhook(body + "{}", "d").outcome, WebhookOutcome::kInvalidJson);
  std::string bad_utf8 = body;
  bad_utf8.replace(bad_utf8.find("drum"), 4, "dr\xff\xfe");
  auto p = parseWebhook(bad_utf8, "d");
  EXPECT_EQ(p.outcome, WebhookOutcome::kInvalidJson);
  EXPECT_NE(p.problem.find("at byte"), std::string::npos) << p.problem;
}

TEST(WebhookParser, HostileNestingNeitherCrashesNorPassesThrough) {
  std::string deep(100000, '[');
  EXPECT_EQ(parseWebhook(deep, "d").outcome, WebhookOutcome::kInvalidJson);
  json payload = json::parse(test::ownFixture("video"));
  std::string nested = std::string(5000, '[') + std::string(5000, ']');
  std::string body = payload.dump();
  json msg = payload["entry"][0]["changes"][0]["value"]["messages"][0];
  std::string marker = "\"type\":\"video\"";
  body.replace(body.find(marker), marker.size(), "\"type\":\"contacts\",\"contacts\":" + nested);
  auto p = parseWebhook(body, "d");
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_TRUE(p.events[0]["contacts"].is_array()) << "kept, with the deep part cut to null";
}

TEST(WebhookParser, WrongShapesInsideAValidPayloadAreSkippedAndCounted) {
  json payload = json::parse(test::ownFixture("batch"));
  payload["entry"].push_back("not an entry");
  payload["entry"][0]["changes"][0]["value"]["messages"].push_back({{"type", "text"}});  // no id
  payload["entry"][0]["changes"][0]["value"]["messages"].push_back(42);
  payload["entry"][1]["changes"][0]["value"]["metadata"] = 5;  // unroutable change
  auto p = parseJson(payload);
  EXPECT_EQ(p.outcome, WebhookOutcome::kEvents);
  EXPECT_EQ(p.events.size(), 3u);
  EXPECT_EQ(p.malformed, 4);
}

TEST(WebhookParser, TypeConfusionNeverThrows) {
  // Every field of a real message replaced by values of the wrong type, one at a time.
  json base = json::parse(test::ownFixture("document"));
  json& msg = base["entry"][0]["changes"][0]["value"]["messages"][0];
  std::vector<json> oddities = {nullptr, 7, -1.5, true, json::array({1}), json::object(), "string"};
  for (const auto& [key, _] : msg.items()) {
    for (const auto& odd : oddities) {
      json copy = base;
      copy["entry"][0]["changes"][0]["value"]["messages"][0][key] = odd;
      EXPECT_NO_THROW(parseJson(copy)) << key;
    }
  }
  json t = base;
  t["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = 1763800000;
  EXPECT_EQ(parseJson(t).events.at(0)["timestamp"], 1763800000) << "a numeric timestamp is kept";
}

}  // namespace
}  // namespace baraza::whatsapp
