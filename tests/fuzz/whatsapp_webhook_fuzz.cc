// libFuzzer harness for the WhatsApp webhook path: signature check and parser over arbitrary
// bytes. Built by tools/test.sh with clang (-DBARAZA_FUZZ=ON); its corpus starts from the
// webhook fixtures in tests/fuzz/corpus/whatsapp_webhook.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "signature.h"
#include "webhook_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first line doubles as a signature header, the rest as the body it claims to sign.
  size_t newline = input.find('\n');
  std::string header(input.substr(0, newline == std::string_view::npos ? 0 : newline));
  baraza::whatsapp::checkSignature(header.c_str(), "fuzz-secret", input);
  auto parsed = baraza::whatsapp::parseWebhook(input, "default");
  for (const auto& event : parsed.events) {
    // What the plugin does with each event: it must serialize, whatever bytes came in.
    event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
