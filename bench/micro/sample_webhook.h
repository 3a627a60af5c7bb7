// A WhatsApp webhook carrying one text message, as Meta sends it, for the micro benchmarks.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace baraza::bench {

inline nlohmann::json textWebhook(const std::string& body) {
  return {
      {"object", "whatsapp_business_account"},
      {"entry",
       {{{"id", "108912345678901"},
         {"changes",
          {{{"field", "messages"},
            {"value",
             {{"messaging_product", "whatsapp"},
              {"metadata",
               {{"display_phone_number", "254700123456"}, {"phone_number_id", "119202345678901"}}},
              {"contacts", {{{"profile", {{"name", "Amina Otieno"}}}, {"wa_id", "254711000111"}}}},
              {"messages",
               {{{"from", "254711000111"},
                 {"id",
                  "wamid.HBgLMjU0NzExMDAwMTExFQIAEhggNUQ0RkI5QjM3QjE0RjU3RTZBQjg4QTE3NjQ5QzM4RTAA"},
                 {"timestamp", "1763800000"},
                 {"type", "text"},
                 {"text", {{"body", body}}}}}}}}}}}}}}};
}

}  // namespace baraza::bench
