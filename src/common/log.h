// Logging setup: spdlog writing to stderr only (stdout is for command output), as text or as one
// JSON object per line, through a sink that passes every message through RedactSecrets
// (redact.h) so secrets never reach the output even when a caller logs one by mistake.
// Code logs with spdlog's free functions (spdlog::info(...)) after SetupLogging has run in main.
// Thread-safety: SetupLogging replaces the process-wide default logger: call it once at start-up
// (or from a single test thread). The sink itself is thread-safe (it serialises writes).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace spdlog::sinks {
class sink;
}  // namespace spdlog::sinks

namespace fleetpatch {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };
enum class LogFormat { kText, kJson };

struct LogOptions {
  LogLevel level = LogLevel::kInfo;     // Default: info
  LogFormat format = LogFormat::kText;  // Default: text
  bool quiet = false;                   // only warnings and errors, whatever level says. Default: false
};

// "trace", "debug", "info", "warn"/"warning", "error", "off" (any case).
Result<LogLevel> ParseLogLevel(std::string_view text);
// "text" or "json" (any case).
Result<LogFormat> ParseLogFormat(std::string_view text);

// Receives each finished line (without the trailing newline).
using LogWriter = std::function<void(std::string_view line)>;

// A sink that redacts, formats (text: "2026-11-25T19:58:01.123Z info message"; json:
// {"time":...,"level":...,"logger":...,"msg":...}) and hands each line to writer.
std::shared_ptr<spdlog::sinks::sink> MakeRedactingSink(LogFormat format, LogWriter writer);

// Installs the default logger "fleetpatch" writing to stderr.
void SetupLogging(const LogOptions& options);
// Same, writing to writer instead of stderr (tests capture output this way).
void SetupLogging(const LogOptions& options, LogWriter writer);

}  // namespace fleetpatch
