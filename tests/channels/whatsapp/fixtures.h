#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/test_env.h"

namespace baraza::whatsapp::test {

inline std::string fixtureDir() {
  return baraza::test::sourceDir() + "/tests/fixtures/whatsapp";
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// The raw body of tests/fixtures/whatsapp/own/NAME.json.
inline std::string ownFixture(const std::string& name) {
  return readFile(fixtureDir() + "/own/" + name + ".json");
}

// Meta's examples of one kind ("webhooks" or "sends"): {"name", "value"} each, sorted by file.
inline std::vector<nlohmann::json> metaExamples(const std::string& kind) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(fixtureDir() + "/meta/" + kind)) {
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<nlohmann::json> out;
  for (const auto& f : files)
    out.push_back(nlohmann::json::parse(readFile(f)));
  return out;
}

inline nlohmann::json metaExample(const std::string& kind, const std::string& name) {
  for (auto& e : metaExamples(kind)) {
    if (e["name"] == name)
      return e["value"];
  }
  throw std::runtime_error("no Meta example named " + name);
}

}  // namespace baraza::whatsapp::test
