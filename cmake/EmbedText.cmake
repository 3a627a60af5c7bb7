# Run as `cmake -DINPUT=... -DOUTPUT=... -DFUNCTION=... -DHEADER=... -P EmbedText.cmake`: writes
# a C++ file whose function `const std::string& FUNCTION()` returns INPUT's text, so the binary
# needs no file at run time.
file(READ ${INPUT} text)
string(FIND "${text}" ")baraza_text\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )baraza_text\"")
endif()
set(body "// Generated from ${INPUT} by cmake/EmbedText.cmake. Do not edit.\n")
string(APPEND body "#include \"${HEADER}\"\n\nnamespace baraza {\n\n")
string(APPEND body "const std::string& ${FUNCTION}() {\n")
string(APPEND body "  static const std::string text = R\"baraza_text(${text})baraza_text\";\n")
string(APPEND body "  return text;\n}\n\n}  // namespace baraza\n")
file(WRITE ${OUTPUT}.tmp "${body}")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
