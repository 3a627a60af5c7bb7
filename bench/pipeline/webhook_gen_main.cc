// Writes the pipeline benchmark's inputs, shaped like ../shared/peer-bench's load: N tenant
// files (one WhatsApp number, ten FAQ entries, strategies faq then static_reply) and a file of
// signed webhooks, one per line as "SIGNATURE<TAB>BODY": ~1.2 KB text messages with a unique id
// each, from CUSTOMERS returning customers, spread over the tenants; ten of every twelve ask
// something an FAQ entry answers.
// Usage: webhook_gen DIR TENANTS WEBHOOKS APP_SECRET [CUSTOMERS=5000]
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

#include "support/meta_signature.h"

namespace {

struct Faq {
  const char* keyword;
  const char* question;
  const char* answer;
};

const Faq kFaq[] = {
    {"hours", "What are your opening hours?",
     "We are open Monday to Friday 9:00-18:00 and Saturday 9:00-13:00."},
    {"price", "How much does it cost?", "Running shoes start at 199.90, 10% off paying upfront."},
    {"delivery", "When will the delivery arrive?",
     "Delivery takes 2-5 business days in the metro area."},
    {"refund", "Can I get a refund?", "You can return any item within 30 days for a refund."},
    {"size", "Can I change the size?", "Size changes are free before shipping."},
    {"payment", "Which payment methods do you accept?",
     "We accept M-Pesa, cards in up to 10 instalments and bank transfer."},
    {"location", "Where is your store?", "Our store is at Moi Avenue 123, next to the market."},
    {"warranty", "Is there a warranty?", "All products have a 90-day warranty."},
    {"tracking", "Where is my tracking link?", "Send us your order number for the tracking link."},
    {"agent", "Can I talk to an agent?", "An agent will take over in a few minutes."},
};

const char* kTexts[] = {
    "Hi! What are your opening hours on Saturday?",
    "How much is the price of the blue running shoes in the catalogue?",
    "When will the delivery arrive? I bought them last Monday.",
    "I want a refund, the shoes did not fit well.",
    "Can I still change the size from 42 to 43?",
    "Which payment methods do you accept? Is M-Pesa ok?",
    "What is the location of your physical store downtown?",
    "Is there any warranty if the sole comes off?",
    "Can you send me the tracking link please?",
    "I would like to talk to an agent, please.",
    "Good morning!! Just checking in :)",
    "Thanks a lot for the help yesterday, see you soon.",
};

// The click-to-WhatsApp ad the customer came from: keeps bodies ~1.2 KB like the peer's, while
// the text stays a customer's question (a long text would only dilute the FAQ match).
const char* kReferral =
    R"(,"referral":{"source_url":"https://fb.me/3cr4Wqqkv","source_id":"120208400112345678",)"
    R"("source_type":"ad","headline":"New running shoes, 10% off this week",)"
    R"("body":"Our new collection of running shoes is in store: light, breathable and built for )"
    R"(long distances. Order on WhatsApp and get free delivery within the metro area, size )"
    R"(changes free of charge before shipping, and a 90-day warranty on every pair. Tap to chat )"
    R"(with us and we will help you pick the right size and model for your training plan.",)"
    R"("media_type":"image","image_url":"https://scontent.xx.fbcdn.net/v/t45.1600-4/shoes.png",)"
    R"("ctwa_clid":"ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-)"
    R"(Xk3EGHq0qvQ_E7m2mCjZnNVhtXl0HYoTqWJZHGR14-Gk"})";

void writeTenant(const std::string& dir, long t) {
  std::ofstream f(dir + "/tenant-" + std::to_string(t) + ".yaml");
  f << "slug: bench-" << t << "\nname: Bench " << t << "\nchannels:\n  - phone_number_id: \""
    << 7000000 + t << "\"\n    display_phone_number: \"2547" << 10000000 + t
    << "\"\n    access_token: bench-token-" << t
    << "\nsettings:\n  static_reply: \"Thanks, we got your message.\"\n"
       "  strategies: faq,static_reply\n"
       "  max_messages_per_hour: 0\n  max_messages_per_user_per_day: 0\nfaq:\n";
  for (const auto& q : kFaq) {
    f << "  - { question: \"" << q.question << "\", answer: \"Bench " << t << ": " << q.answer
      << "\", keywords: [" << q.keyword << "] }\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: webhook_gen DIR TENANTS WEBHOOKS APP_SECRET [CUSTOMERS]\n");
    return 2;
  }
  std::string dir = argv[1], secret = argv[4];
  long tenants = std::atol(argv[2]), webhooks = std::atol(argv[3]);
  long customers = argc == 6 ? std::atol(argv[5]) : 5000;
  for (long t = 0; t < tenants; ++t)
    writeTenant(dir, t);
  std::ofstream out(dir + "/webhooks.tsv");
  long long now = std::time(nullptr);
  long texts = sizeof(kTexts) / sizeof(kTexts[0]);
  for (long i = 0; i < webhooks; ++i) {
    long t = i % tenants;
    std::string from = std::to_string(254700000000LL + (i * 31) % customers);
    std::string body =
        R"({"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"2547)" +
        std::to_string(10000000 + t) + R"(","phone_number_id":")" + std::to_string(7000000 + t) +
        R"("},"contacts":[{"profile":{"name":"Customer"},"wa_id":")" + from +
        R"("}],"messages":[{"from":")" + from + R"(","id":"wamid.BENCH-IN-)" + std::to_string(i) +
        R"(","timestamp":")" + std::to_string(now) + R"(","type":"text","text":{"body":")" +
        kTexts[i % texts] + R"("})" + kReferral + R"(}]}}]}]})";
    out << baraza::test::metaSignature(secret, body) << '\t' << body << '\n';
  }
  return 0;
}
