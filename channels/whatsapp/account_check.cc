// WhatsAppChannel::verifyAccount: does this access token reach this phone number at the Graph
// API? A key that registers a number proves it this way, so no tenant claims another business's
// number first.
#include "graph_result.h"
#include "whatsapp_channel.h"

namespace baraza::whatsapp {

using json = nlohmann::json;

int WhatsAppChannel::verifyAccount(std::string_view request, char* out, size_t cap) {
  auto done = [&](const char* result, const json& answer, int rc) {
    count("baraza_whatsapp_account_checks_total", std::string("result=") + result);
    return finish(answer, out, cap, rc);
  };
  json req = json::parse(request.begin(), request.end(), nullptr, false);
  Account a;
  std::string problem = "the request must be a JSON object";
  if (req.is_discarded() || !req.is_object() || !account(req, a, problem))
    return done("invalid", invalid(problem), 1);
  if (config_.dry_run) {
    return done("dry_run",
                {{"ok", false},
                 {"class", "fatal"},
                 {"reason", "dry_run"},
                 {"details",
                  "channels.whatsapp.dry_run is on: the Graph API is not called, so "
                  "no number can be checked"}},
                1);
  }
  GraphResponse r =
      graph_.get(a.phone_number_id + "?fields=id,display_phone_number,verified_name", a.token);
  if (r.http_status == 200) {
    json body = json::parse(r.body, nullptr, false);
    if (str(body, "id") != a.phone_number_id) {
      return done("refused",
                  {{"ok", false},
                   {"class", "fatal"},
                   {"reason", "another_object"},
                   {"details", "the Graph API answered for another object than this number"}},
                  1);
    }
    return done("verified",
                {{"ok", true},
                 {"display_phone_number", str(body, "display_phone_number")},
                 {"verified_name", str(body, "verified_name")}},
                0);
  }
  json f = graphFailure(r);
  // Graph's own words may quote the token; the host needs only the verdict and the code.
  f.erase("message");
  f.erase("details");
  bool unsure = f.value("class", "") == "retry_later";
  if (!unsure)
    f["class"] = "fatal";  // an answer about these credentials: they do not reach the number
  return done(unsure ? "unavailable" : "refused", f, 1);
}

}  // namespace baraza::whatsapp
