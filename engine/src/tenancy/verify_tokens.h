#pragma once

#include <string>
#include <string_view>

#include "security/sealer.h"
#include "storage/database.h"

namespace baraza {

// What a verify token's lookup digest is keyed for (Sealer::lookupDigest).
inline constexpr std::string_view kVerifyTokenDigestPurpose = "channel_accounts.verify_token";

// The digest stored beside a sealed verify token, under the current master key.
std::string verifyTokenDigest(const Sealer& sealer, std::string_view token);

// Whether `token` is the verify token of an active `channel` account of an active tenant. Found
// by its keyed digest through an index, one read per key that is not retired, no sealed value
// opened: unauthenticated callers reach this. Reads the database each time: a token changed by
// an import or the admin API counts at once, on every engine process.
bool isTenantVerifyToken(Database& db, const Sealer& sealer, const std::string& channel,
                         std::string_view token);

// Gives every sealed verify token the digest of the current key where it has none or another
// (rows from before migration 0013, or rotated by an older engine). Returns how many it wrote;
// a value that does not open is logged once here, not on every handshake.
int fillVerifyTokenDigests(Database& db, const Sealer& sealer);

}  // namespace baraza
