#include "common/log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/json_dump.h"
#include "common/redact.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace fleetpatch {
namespace {

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

const char* LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RedactingSink(LogFormat format, LogWriter writer) : format_(format), writer_(std::move(writer)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    // Redaction happens on the final message text, whatever the caller formatted into it.
    std::string text = RedactSecrets(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string line;
    if (format_ == LogFormat::kJson) {
      nlohmann::json j;
      j["time"] = FormatIso8601Millis(msg.time);
      j["level"] = LevelName(msg.level);
      j["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
      j["msg"] = std::move(text);
      // Invalid UTF-8 (e.g. a raw response body) must not make logging throw.
      line = DumpJson(j);
    } else {
      line = FormatIso8601Millis(msg.time) + " " + LevelName(msg.level) + " " + text;
    }
    writer_(line);
  }
  void flush_() override {}

 private:
  LogFormat format_;
  LogWriter writer_;
};

void WriteStderr(std::string_view line) {
  // One fwrite per line keeps lines from different threads whole; stderr is unbuffered.
  std::string with_newline(line);
  with_newline.push_back('\n');
  std::fwrite(with_newline.data(), 1, with_newline.size(), stderr);
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view text) {
  std::string t = Lower(text);
  if (t == "trace") return LogLevel::kTrace;
  if (t == "debug") return LogLevel::kDebug;
  if (t == "info") return LogLevel::kInfo;
  if (t == "warn" || t == "warning") return LogLevel::kWarn;
  if (t == "error") return LogLevel::kError;
  if (t == "off") return LogLevel::kOff;
  return Error::Config("unknown log level '" + std::string(text) +
                       "': use trace, debug, info, warn, error or off");
}

Result<LogFormat> ParseLogFormat(std::string_view text) {
  std::string t = Lower(text);
  if (t == "text") return LogFormat::kText;
  if (t == "json") return LogFormat::kJson;
  return Error::Config("unknown log format '" + std::string(text) + "': use text or json");
}

std::shared_ptr<spdlog::sinks::sink> MakeRedactingSink(LogFormat format, LogWriter writer) {
  return std::make_shared<RedactingSink>(format, std::move(writer));
}

void SetupLogging(const LogOptions& options) { SetupLogging(options, WriteStderr); }

void SetupLogging(const LogOptions& options, LogWriter writer) {
  auto logger = std::make_shared<spdlog::logger>("fleetpatch", MakeRedactingSink(options.format, writer));
  // spdlog's default handler prints to stderr unredacted; route its (rare) errors through ours.
  logger->set_error_handler(
      [writer](const std::string& what) { writer("logging error: " + RedactSecrets(what)); });
  LogLevel level = options.level;
  if (options.quiet && level < LogLevel::kWarn) level = LogLevel::kWarn;
  logger->set_level(ToSpdlog(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace fleetpatch
