#include "plugin_host/account_verifier.h"

#include <cstring>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/metrics.h"

namespace baraza {
namespace {

using json = nlohmann::json;
using Result = AccountCheck::Result;

const char* resultName(Result r) {
  switch (r) {
    case Result::kVerified:
      return "verified";
    case Result::kRefused:
      return "refused";
    case Result::kUnavailable:
      return "unavailable";
    case Result::kUnsupported:
      return "unsupported";
  }
  return "unknown";
}

std::string digitsOf(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9')
      digits += c;
  }
  return digits;
}

// The plugin's answer, read as untrusted JSON: only its verdict, reason and code are kept.
AccountCheck verdict(int rc, const std::string& answer) {
  json r = json::parse(answer, nullptr, false);
  if (!r.is_object())
    return {Result::kUnavailable, "the channel plugin gave no readable answer", ""};
  auto text = [&](const char* key) {
    auto it = r.find(key);
    return it != r.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (rc == 0 && r.contains("ok") && r["ok"].is_boolean() && r["ok"].get<bool>())
    return {Result::kVerified, "", digitsOf(text("display_phone_number"))};
  std::string reason = text("reason").empty() ? "unknown" : text("reason");
  std::string detail = "the provider " +
                       std::string(text("class") == "retry_later" ? "could not be asked"
                                                                  : "refused these credentials") +
                       " (" + reason;
  if (r.contains("code") && r["code"].is_number_integer() && r["code"].get<long long>() != 0)
    detail += ", code " + std::to_string(r["code"].get<long long>());
  detail += ")";
  if (reason == "dry_run" || reason == "invalid_request")
    detail = text("details").empty() ? detail : text("details");
  if (text("class") == "retry_later")
    return {Result::kUnavailable, detail, ""};
  return {Result::kRefused, detail, ""};
}

AccountCheck ask(const LoadedPlugin* plugin, const ChannelSpec& spec) {
  auto hook = plugin ? plugin->verifyAccountHook() : nullptr;
  if (!plugin || !plugin->instance || !hook) {
    return {Result::kUnsupported,
            "the " + spec.type + " channel plugin cannot check an account's credentials", ""};
  }
  std::string request =
      json{{"account",
            {{"phone_number_id", spec.phone_number_id}, {"access_token", spec.access_token}}}}
          .dump();
  std::string out(4096, '\0');
  int rc = hook(plugin->instance, request.data(), request.size(), out.data(), out.size());
  std::fill(request.begin(), request.end(), '\0');  // the token leaves memory with the request
  out.resize(strnlen(out.data(), out.size()));
  return verdict(rc, out);
}

}  // namespace

AccountVerifier accountVerifier(const PluginHost& plugins) {
  MetricsRegistry::global().describe(
      "baraza_channel_verifications_total", "counter",
      "Channel accounts a key asked to register, checked with the provider, by result.");
  return [&plugins](const ChannelSpec& spec) {
    AccountCheck check = ask(plugins.find(spec.type), spec);
    MetricsRegistry::global().counterAdd(
        "baraza_channel_verifications_total",
        {{"type", spec.type}, {"result", resultName(check.result)}});
    if (check.result == Result::kVerified)
      spdlog::info("{} account {}: its credentials reach it", spec.type, spec.phone_number_id);
    else
      spdlog::warn("{} account {} not verified: {}", spec.type, spec.phone_number_id, check.detail);
    return check;
  };
}

}  // namespace baraza
