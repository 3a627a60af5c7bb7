#pragma once

#include <string>

namespace baraza {

// A random (version 4) UUID in its text form; ids are made in the engine so both SQL dialects
// behave alike.
std::string newUuid();

}  // namespace baraza
