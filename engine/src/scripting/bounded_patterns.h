#pragma once

#include <lua.hpp>

namespace baraza {

// Lua 5.1 pattern functions whose work is bounded: find, match, gmatch and gsub, with the same
// pattern language as the stock ones (classes, sets, captures, %b, %f, anchors), but every call
// stops with the error "pattern too complex" after `max_steps` matcher steps, and a pattern
// nesting deeper than 200 is refused, so no subject and pattern can hold the CPU or the C stack.
// Installs them into the table at `table_index` (the sandbox's `string`).
void installBoundedPatterns(lua_State* L, int table_index, long max_steps);

}  // namespace baraza
