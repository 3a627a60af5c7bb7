#pragma once

#include <string>

namespace baraza {

// A random (version 4) UUID in its text form; ids are made in the engine so both SQL dialects
// behave alike.
std::string newUuid();
// Whether `text` is a UUID as the engine writes them: 36 characters, lower-case hex and dashes
// at 8, 13, 18 and 23. Lets a lookup compare an id column with a parameter instead of casting
// the column (which would read every row).
bool isUuidText(const std::string& text);

}  // namespace baraza
