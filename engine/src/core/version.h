#pragma once

namespace baraza {

inline constexpr const char* kVersion = BARAZA_VERSION;

}  // namespace baraza
