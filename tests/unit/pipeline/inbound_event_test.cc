// A claimed event's fields read from its stored payload, and the whole event as a tree only on
// demand.
#include "pipeline/inbound_event.h"

#include <gtest/gtest.h>

namespace baraza {
namespace {

using nlohmann::json;

InboundEvent stored(const json& event) {
  InboundEvent e;
  e.payload = event.dump();
  return e;
}

json textMessage() {
  return {{"channel", "whatsapp"},
          {"app", "partner"},
          {"app_default", false},
          {"kind", "message"},
          {"account", {{"phone_number_id", "119"}, {"display_phone_number", "254700123456"}}},
          {"id", "wamid.A"},
          {"timestamp", "1763800000"},
          {"from", {{"wa_id", "254711000111"}, {"user_id", "US.1"}, {"profile_name", "Amina"}}},
          {"type", "text"},
          {"text", "Habari, bei gani?"}};
}

TEST(InboundEventPayload, AMessagesFieldsAreReadFromItsPayload) {
  InboundEvent e = stored(textMessage());
  ASSERT_FALSE(parsePayload(e));
  EXPECT_EQ(e.channel, "whatsapp");
  EXPECT_EQ(e.app, "partner");
  ASSERT_TRUE(e.app_default.has_value());
  EXPECT_FALSE(*e.app_default);
  EXPECT_EQ(e.kind, "message");
  EXPECT_EQ(e.account_id, "119");
  EXPECT_EQ(e.display_number, "254700123456");
  EXPECT_EQ(e.id, "wamid.A");
  EXPECT_EQ(e.timestamp_s, 1763800000);
  EXPECT_EQ(e.from.wa_id, "254711000111");
  EXPECT_EQ(e.from.key(), "US.1");
  EXPECT_EQ(e.from.profile_name, "Amina");
  EXPECT_EQ(e.type, "text");
  EXPECT_EQ(e.text, "Habari, bei gani?");
  EXPECT_EQ(e.tree(), textMessage()) << "the whole event, parsed when asked for";
  InboundEvent copy = e;
  EXPECT_EQ(&copy.tree(), &e.tree()) << "copies share the one tree";
}

TEST(InboundEventPayload, TheTextIsABodyACaptionOrAReplysTitle) {
  json media = textMessage();
  media.erase("text");
  media["type"] = "image";
  media["media"] = {{"id", "1"}, {"caption", "this one"}};
  json button = textMessage();
  button.erase("text");
  button["type"] = "interactive";
  button["interactive"] = {{"type", "button_reply"}, {"title", "Opening hours"}};
  json quick = textMessage();
  quick.erase("text");
  quick["type"] = "button";
  quick["button"] = {{"text", "Yes"}};
  json none = textMessage();
  none.erase("text");
  none.erase("type");
  for (auto [event, text] : {std::pair{media, "this one"}, std::pair{button, "Opening hours"},
                             std::pair{quick, "Yes"}, std::pair{none, ""}}) {
    InboundEvent e = stored(event);
    ASSERT_FALSE(parsePayload(e));
    EXPECT_EQ(e.text, text);
  }
  InboundEvent untyped = stored(none);
  ASSERT_FALSE(parsePayload(untyped));
  EXPECT_EQ(untyped.type, "unknown");
}

TEST(InboundEventPayload, TimestampsStatusesAndBadPayloads) {
  json numeric = textMessage();
  numeric["timestamp"] = 1763800001;
  InboundEvent n = stored(numeric);
  ASSERT_FALSE(parsePayload(n));
  EXPECT_EQ(n.timestamp_s, 1763800001);
  numeric["timestamp"] = -5;
  InboundEvent negative = stored(numeric);
  ASSERT_FALSE(parsePayload(negative));
  EXPECT_EQ(negative.timestamp_s, 0);

  InboundEvent status = stored({{"channel", "whatsapp"},
                                {"kind", "status"},
                                {"account", {{"phone_number_id", "119"}}},
                                {"id", "wamid.B"},
                                {"status", "read"},
                                {"from", {{"wa_id", "ignored"}}}});
  ASSERT_FALSE(parsePayload(status));
  EXPECT_EQ(status.status, "read");
  EXPECT_EQ(status.from.wa_id, "") << "a status has no sender to read";
  EXPECT_FALSE(status.app_default.has_value());

  // What the inbox row says wins over the payload.
  InboundEvent claimed = stored(textMessage());
  claimed.kind = "status";
  claimed.account_id = "from-the-row";
  ASSERT_FALSE(parsePayload(claimed));
  EXPECT_EQ(claimed.kind, "status");
  EXPECT_EQ(claimed.account_id, "from-the-row");
  EXPECT_EQ(claimed.text, "") << "read as the row's kind";

  for (std::string bad : {"[1]", "{\"kind\": ", "\"text\"", "{\"text\": \"\xff\"}"}) {
    InboundEvent e;
    e.payload = bad;
    EXPECT_TRUE(parsePayload(e)) << bad;
  }
}

}  // namespace
}  // namespace baraza
