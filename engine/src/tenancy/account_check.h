#pragma once

#include <functional>
#include <string>

#include "tenancy/tenant_file.h"

namespace baraza {

// What a channel's provider said of an account's credentials (plugin ABI 1.6 verify_account).
struct AccountCheck {
  enum class Result {
    kVerified,     // they reach the account
    kRefused,      // they do not (or the plugin will not check, as in a dry run)
    kUnavailable,  // the provider could not say now
    kUnsupported,  // the channel's plugin cannot check accounts
  };
  Result result = Result::kUnsupported;
  std::string detail;                // for the caller: never the token or the provider's words
  std::string display_phone_number;  // digits, when the provider told them
};

// Asks whether the spec's credentials reach its account.
using AccountVerifier = std::function<AccountCheck(const ChannelSpec&)>;

}  // namespace baraza
