// Lead identity and source: phone numbers however written become one E.164 key, and a
// click-to-WhatsApp referral names its platform, kind and ad.
#include "leads/lead_source.h"

#include <gtest/gtest.h>

namespace baraza {
namespace {

TEST(LeadPhone, EveryWritingOfANumberIsOneKey) {
  EXPECT_EQ(normalizePhone("254711000111"), "+254711000111") << "a wa_id";
  EXPECT_EQ(normalizePhone("+254 711 000-111"), "+254711000111");
  EXPECT_EQ(normalizePhone("(+254) 711.000.111"), "+254711000111");
  EXPECT_EQ(normalizePhone("00254711000111"), "+254711000111") << "the 00 prefix";
  EXPECT_EQ(normalizePhone("16505551234"), "+16505551234");
}

TEST(LeadPhone, WhatIsNotAnInternationalNumberIsNoKey) {
  EXPECT_EQ(normalizePhone(""), "");
  EXPECT_EQ(normalizePhone("0711000111"), "") << "a national number has no country";
  EXPECT_EQ(normalizePhone("1234567"), "") << "too short";
  EXPECT_EQ(normalizePhone("1234567890123456"), "") << "longer than E.164's 15 digits";
  EXPECT_EQ(normalizePhone("254-711-abc"), "");
  EXPECT_EQ(normalizePhone("25471+1000111"), "") << "a + inside";
  EXPECT_EQ(normalizePhone("US.13491208655302741918"), "") << "a business-scoped user id";
}

TEST(LeadSourceOf, AMessageWithoutAReferralIsDirect) {
  auto s = leadSourceOf({{"type", "text"}, {"text", "hi"}});
  EXPECT_EQ(s.label, "direct");
  EXPECT_EQ(s.source_id, "");
  EXPECT_TRUE(s.referral.is_null());
  EXPECT_EQ(leadSourceOf({{"referral", "not an object"}}).label, "direct");
}

TEST(LeadSourceOf, AReferralNamesPlatformKindAndAd) {
  // Meta's own example (conformance/meta-openapi, "Referral Message").
  nlohmann::json ad{{"referral",
                     {{"source_url", "https://fb.me/3cr4Wqqkv"},
                      {"source_id", "120226305854810726"},
                      {"source_type", "ad"},
                      {"headline", "Chat with us"},
                      {"ctwa_clid", "Aff-n8ZTODiE79d22KtAwQKj9e"}}}};
  auto s = leadSourceOf(ad);
  EXPECT_EQ(s.label, "facebook_ad");
  EXPECT_EQ(s.source_id, "120226305854810726");
  EXPECT_EQ(s.referral["ctwa_clid"], "Aff-n8ZTODiE79d22KtAwQKj9e");
  ad["referral"]["source_url"] = "https://www.instagram.com/p/C9xyz/";
  EXPECT_EQ(leadSourceOf(ad).label, "instagram_ad");
  ad["referral"]["source_type"] = "post";
  ad["referral"]["source_url"] = "https://m.facebook.com/story.php?id=1";
  EXPECT_EQ(leadSourceOf(ad).label, "facebook_post");
  ad["referral"]["source_url"] = "https://evil-facebook.com.example.org/x";
  EXPECT_EQ(leadSourceOf(ad).label, "other_post") << "a look-alike host is not Facebook";
  ad["referral"]["source_type"] = "unknown";
  EXPECT_EQ(leadSourceOf(ad).label, "other_referral");
}

}  // namespace
}  // namespace baraza
