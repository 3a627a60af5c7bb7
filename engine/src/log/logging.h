#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace baraza {

enum class LogFormat { kText, kJson };

// Parses "text" or "json"; throws std::invalid_argument naming the value otherwise.
LogFormat parseLogFormat(const std::string& name);
// Parses "debug", "info", "warn", "error"; throws std::invalid_argument otherwise.
spdlog::level::level_enum parseLogLevel(const std::string& name);

// Installs the default logger: one line per event on stderr (or into `sink` when given, for
// tests), as text or JSON, with every registered secret redacted.
void setupLogging(LogFormat format, spdlog::level::level_enum level,
                  std::shared_ptr<spdlog::sinks::sink> sink = nullptr);

}  // namespace baraza
