#pragma once

#include <lua.hpp>

namespace baraza {

// Puts the allow-listed base functions (assert error ipairs next pairs select tonumber tostring
// type unpack rawequal rawget rawset getmetatable setmetatable) into the table at `env`.
void installBaseFunctions(lua_State* L, int env);

}  // namespace baraza
