#include "message_builder.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace baraza::whatsapp {
namespace {

using nlohmann::json;

const char* const kContentKeys[] = {"text",     "image",       "audio",    "video",
                                    "document", "sticker",     "location", "contacts",
                                    "reaction", "interactive", "template"};

// The engine's outbound form of one of Meta's send examples: the inverse of the builder, written
// from Meta's documentation of each message type.
json toOutbound(const json& v) {
  if (v.value("status", "") == "read") {
    return {{"kind", "mark_read"},
            {"message_id", v["message_id"]},
            {"typing_indicator", v.contains("typing_indicator")}};
  }
  json m{{"to", v["to"]}};
  if (v.contains("recipient_type"))
    m["recipient_type"] = v["recipient_type"];
  if (v.contains("context"))
    m["reply_to"] = v["context"]["message_id"];
  std::string type = v.value("type", "");
  for (const char* key : kContentKeys) {
    if (type.empty() && v.contains(key))
      type = key;
  }
  if (type == "text") {
    m["kind"] = "text";
    m["text"] = v["text"]["body"];
    if (v["text"].contains("preview_url"))
      m["preview_url"] = v["text"]["preview_url"];
  } else if (type == "image" || type == "audio" || type == "video" || type == "document" ||
             type == "sticker") {
    m["kind"] = type;
    m["media"] = v[type];
  } else if (type == "interactive") {
    const json& i = v["interactive"];
    std::string itype = i["type"];
    if (itype == "button" || itype == "list") {
      m["kind"] = itype == "button" ? "buttons" : "list";
      m["body"] = i["body"]["text"];
      if (i.contains("header"))
        m["header"] = i["header"];
      if (i.contains("footer"))
        m["footer"] = i["footer"]["text"];
      if (itype == "button") {
        m["buttons"] = json::array();
        for (const auto& b : i["action"]["buttons"])
          m["buttons"].push_back(b["reply"]);
      } else {
        m["button"] = i["action"]["button"];
        m["sections"] = i["action"]["sections"];
      }
    } else {
      m["kind"] = "interactive";
      m["interactive"] = i;
    }
  } else {
    m["kind"] = type;
    m[type] = v[type];
  }
  return m;
}

// Meta's examples leave out fields that have defaults (recipient_type "individual", and in two
// examples the type, which their content key gives); the builder always writes them.
json withDefaults(json v) {
  if (v.value("status", "") == "read")
    return v;
  if (!v.contains("recipient_type"))
    v["recipient_type"] = "individual";
  if (!v.contains("type")) {
    for (const char* key : kContentKeys) {
      if (v.contains(key)) {
        v["type"] = key;
        break;
      }
    }
  }
  return v;
}

TEST(MessageBuilder, BuildsEverySendExampleOfMetasSpec) {
  auto examples = test::metaExamples("sends");
  ASSERT_GE(examples.size(), 50u);
  for (const auto& ex : examples) {
    auto built = buildGraphMessage(toOutbound(ex["value"]));
    ASSERT_TRUE(built.ok) << ex["name"] << ": " << built.error;
    EXPECT_EQ(built.body, withDefaults(ex["value"])) << ex["name"];
  }
}

TEST(MessageBuilder, TextReplyAndCallbackData) {
  auto built = buildGraphMessage({{"kind", "text"},
                                  {"to", "254711000111"},
                                  {"text", "Karibu!"},
                                  {"reply_to", "wamid.in-1"},
                                  {"biz_opaque_callback_data", "outbox:7"}});
  ASSERT_TRUE(built.ok) << built.error;
  EXPECT_EQ(built.body,
            json::parse(R"({"messaging_product":"whatsapp","recipient_type":"individual",
    "to":"254711000111","type":"text","text":{"body":"Karibu!"},"context":{"message_id":"wamid.in-1"},
    "biz_opaque_callback_data":"outbox:7"})"));
}

TEST(MessageBuilder, MarkReadWithTypingIndicator) {
  auto built = buildGraphMessage(
      {{"kind", "mark_read"}, {"message_id", "wamid.x"}, {"typing_indicator", true}});
  ASSERT_TRUE(built.ok);
  EXPECT_EQ(built.body["typing_indicator"]["type"], "text");
  EXPECT_FALSE(built.body.contains("to"));
}

json buttonsMessage(int count, size_t title_length = 5) {
  json b = json::array();
  for (int i = 0; i < count; ++i) {
    b.push_back({{"id", "b" + std::to_string(i)}, {"title", std::string(title_length, 'x')}});
  }
  return {{"kind", "buttons"}, {"to", "1"}, {"body", "Pick one"}, {"buttons", b}};
}

json listMessage(int rows, size_t title_length = 5) {
  json r = json::array();
  for (int i = 0; i < rows; ++i) {
    r.push_back({{"id", "r" + std::to_string(i)}, {"title", std::string(title_length, 'y')}});
  }
  return {{"kind", "list"},
          {"to", "1"},
          {"body", "Menu"},
          {"button", "Open"},
          {"sections", {{{"title", "All"}, {"rows", r}}}}};
}

TEST(MessageBuilder, MetasInteractiveLimitsAreCheckedBeforeSending) {
  EXPECT_TRUE(buildGraphMessage(buttonsMessage(3)).ok);
  auto four = buildGraphMessage(buttonsMessage(4));
  EXPECT_FALSE(four.ok);
  EXPECT_EQ(four.error, "buttons: 4 given; Meta allows 1 to 3");
  EXPECT_FALSE(buildGraphMessage(buttonsMessage(0)).ok);
  EXPECT_TRUE(buildGraphMessage(buttonsMessage(1, 20)).ok);
  EXPECT_EQ(buildGraphMessage(buttonsMessage(1, 21)).error,
            "title is 21 characters; Meta allows 20");
  EXPECT_TRUE(buildGraphMessage(listMessage(10, 24)).ok);
  EXPECT_EQ(buildGraphMessage(listMessage(11)).error, "rows: 11 in all; Meta allows 1 to 10");
  EXPECT_FALSE(buildGraphMessage(listMessage(1, 25)).ok);
  json long_body = buttonsMessage(1);
  long_body["body"] = std::string(1025, 'z');
  EXPECT_EQ(buildGraphMessage(long_body).error, "body is 1025 characters; Meta allows 1024");
  json dup = buttonsMessage(2);
  dup["buttons"][1]["id"] = "b0";
  EXPECT_FALSE(buildGraphMessage(dup).ok);
}

TEST(MessageBuilder, LengthsCountCharactersNotBytes) {
  json m = buttonsMessage(1);
  std::string title;
  for (int i = 0; i < 20; ++i)
    title += "\xF0\x9F\x8E\xB8";  // 20 guitars: 80 bytes
  m["buttons"][0]["title"] = title;
  EXPECT_TRUE(buildGraphMessage(m).ok) << buildGraphMessage(m).error;
}

TEST(MessageBuilder, BadMessagesGetAClearReason) {
  EXPECT_EQ(buildGraphMessage(json::array()).error, "the message must be a JSON object");
  EXPECT_EQ(buildGraphMessage({{"to", "1"}}).error, "kind is required");
  EXPECT_EQ(buildGraphMessage({{"kind", "fax"}, {"to", "1"}}).error, "unknown kind 'fax'");
  EXPECT_EQ(buildGraphMessage({{"kind", "text"}, {"text", "hi"}}).error, "to is required");
  EXPECT_EQ(buildGraphMessage({{"kind", "text"}, {"to", 5}, {"text", "hi"}}).error,
            "to must be a string");
  EXPECT_EQ(
      buildGraphMessage({{"kind", "image"}, {"to", "1"}, {"media", {{"id", "1"}, {"link", "x"}}}})
          .error,
      "media needs exactly one of id and link");
  EXPECT_EQ(buildGraphMessage(
                {{"kind", "audio"}, {"to", "1"}, {"media", {{"id", "1"}, {"caption", "c"}}}})
                .error,
            "audio cannot have a caption");
  EXPECT_FALSE(
      buildGraphMessage({{"kind", "location"}, {"to", "1"}, {"location", {{"latitude", "x"}}}}).ok);
  EXPECT_FALSE(
      buildGraphMessage({{"kind", "template"}, {"to", "1"}, {"template", {{"name", "t"}}}}).ok);
  EXPECT_FALSE(buildGraphMessage(
                   {{"kind", "interactive"}, {"to", "1"}, {"interactive", {{"type", "button"}}}})
                   .ok)
      << "button and list go through their checked kinds";
  EXPECT_FALSE(
      buildGraphMessage({{"kind", "mark_read"}, {"message_id", "w"}, {"typing_indicator", "yes"}})
          .ok);
}

}  // namespace
}  // namespace baraza::whatsapp
