#include "plugin_input.h"

namespace baraza::plugin {

// Iterative, so that a deeply nested payload cannot exhaust the stack. The encoding is not
// checked again: the host writes the input, and the stored event in it, as valid UTF-8
// (bench/micro/strategy_input_bench: the check cost a third of the parse).
Input::Input(std::string_view text) {
  doc_.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
}

}  // namespace baraza::plugin
