#include "log/logging.h"

#include <chrono>
#include <mutex>
#include <stdexcept>

#include <spdlog/details/os.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <nlohmann/json.hpp>

#include "log/redactor.h"

namespace baraza {
namespace {

std::string isoTime(spdlog::log_clock::time_point tp) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(tp);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(tp - secs).count();
  std::time_t t = spdlog::log_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(millis));
  return buf;
}

// Formats each record itself (text or JSON), redacting secrets, then hands the line to `inner`.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RedactingSink(LogFormat format, std::shared_ptr<spdlog::sinks::sink> inner)
      : format_(format), inner_(std::move(inner)) {
    inner_->set_pattern("%v");
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text =
        Redactor::instance().redact(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string level(spdlog::level::to_string_view(msg.level).data(),
                      spdlog::level::to_string_view(msg.level).size());
    std::string line;
    if (format_ == LogFormat::kJson) {
      nlohmann::json j{{"ts", isoTime(msg.time)}, {"level", level}, {"msg", text}};
      if (msg.logger_name.size() > 0) {
        j["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
      }
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = isoTime(msg.time) + " " + level + " " + text;
    }
    spdlog::details::log_msg out(msg.time, msg.source, msg.logger_name, msg.level, line);
    inner_->log(out);
  }
  void flush_() override { inner_->flush(); }

 private:
  LogFormat format_;
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

}  // namespace

LogFormat parseLogFormat(const std::string& name) {
  if (name == "text") {
    return LogFormat::kText;
  }
  if (name == "json") {
    return LogFormat::kJson;
  }
  throw std::invalid_argument("log format must be 'text' or 'json', not '" + name + "'");
}

spdlog::level::level_enum parseLogLevel(const std::string& name) {
  if (name == "debug")
    return spdlog::level::debug;
  if (name == "info")
    return spdlog::level::info;
  if (name == "warn")
    return spdlog::level::warn;
  if (name == "error")
    return spdlog::level::err;
  throw std::invalid_argument("log level must be debug, info, warn or error, not '" + name + "'");
}

void setupLogging(LogFormat format, spdlog::level::level_enum level,
                  std::shared_ptr<spdlog::sinks::sink> sink) {
  if (!sink) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  auto redacting = std::make_shared<RedactingSink>(format, std::move(sink));
  auto logger = std::make_shared<spdlog::logger>("", redacting);
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace baraza
