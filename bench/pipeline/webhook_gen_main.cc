// Writes the pipeline benchmark's inputs: N tenant files (one WhatsApp number each) and a file
// of signed webhooks, one per line as "SIGNATURE<TAB>BODY", each a text message with a unique id
// from a unique sender to one of the tenants' numbers.
// Usage: webhook_gen DIR TENANTS WEBHOOKS APP_SECRET
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

#include "support/meta_signature.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: webhook_gen DIR TENANTS WEBHOOKS APP_SECRET\n");
    return 2;
  }
  std::string dir = argv[1], secret = argv[4];
  long tenants = std::atol(argv[2]), webhooks = std::atol(argv[3]);
  for (long t = 0; t < tenants; ++t) {
    std::ofstream f(dir + "/tenant-" + std::to_string(t) + ".yaml");
    f << "slug: bench-" << t << "\nname: Bench " << t << "\nchannels:\n  - phone_number_id: \""
      << 7000000 + t << "\"\n    display_phone_number: \"2547" << 10000000 + t
      << "\"\n    access_token: bench-token-" << t
      << "\nsettings:\n  static_reply: \"Thanks, we got your message.\"\n"
         "  strategies: static_reply\n";
  }
  std::ofstream out(dir + "/webhooks.tsv");
  long long now = std::time(nullptr);
  for (long i = 0; i < webhooks; ++i) {
    long t = i % tenants;
    std::string from = std::to_string(254700000000LL + i);
    std::string body =
        R"({"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"2547)" +
        std::to_string(10000000 + t) + R"(","phone_number_id":")" + std::to_string(7000000 + t) +
        R"("},"contacts":[{"profile":{"name":"Customer"},"wa_id":")" + from +
        R"("}],"messages":[{"from":")" + from + R"(","id":"wamid.BENCH-IN-)" + std::to_string(i) +
        R"(","timestamp":")" + std::to_string(now) +
        R"(","type":"text","text":{"body":"Habari, how much is a guitar?"}}]}}]}]})";
    out << baraza::test::metaSignature(secret, body) << '\t' << body << '\n';
  }
  return 0;
}
