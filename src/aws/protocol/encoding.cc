#include "aws/protocol/encoding.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "common/time_format.h"

namespace fleetpatch::aws::protocol {
namespace {

// Splits epoch seconds into whole seconds and milliseconds, rounding to the nearest millisecond.
void Split(double epoch_seconds, std::time_t* whole, int* millis) {
  long long total_ms = std::llround(epoch_seconds * 1000.0);
  long long secs = total_ms / 1000;
  long long ms = total_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  *whole = static_cast<std::time_t>(secs);
  *millis = static_cast<int>(ms);
}

TimePoint ToTimePoint(std::time_t whole, int millis) {
  return std::chrono::system_clock::from_time_t(whole) + std::chrono::milliseconds(millis);
}

double ToEpochSeconds(TimePoint t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

}  // namespace

std::string FormatTimestampIso8601(double epoch_seconds) {
  std::time_t whole;
  int ms;
  Split(epoch_seconds, &whole, &ms);
  TimePoint t = ToTimePoint(whole, ms);
  return ms == 0 ? FormatIso8601(t) : FormatIso8601Millis(t);
}

std::string FormatTimestampRfc822(double epoch_seconds) {
  std::time_t whole;
  int ms;
  Split(epoch_seconds, &whole, &ms);
  return FormatHttpDate(ToTimePoint(whole, 0));
}

std::string FormatTimestampEpoch(double epoch_seconds) {
  std::time_t whole;
  int ms;
  Split(epoch_seconds, &whole, &ms);
  char buf[64];
  if (ms == 0) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(whole));
  } else {
    std::snprintf(buf, sizeof buf, "%lld.%03d", static_cast<long long>(whole), ms);
    std::string s(buf);
    while (s.back() == '0') s.pop_back();
    return s;
  }
  return buf;
}

std::optional<double> ParseTimestamp(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && ptr == text.data() + text.size()) return v;
  TimePoint t;
  bool parsed = text.find(',') != std::string_view::npos ? ParseHttpDate(text, &t) : ParseIso8601(text, &t);
  if (!parsed) return std::nullopt;
  return ToEpochSeconds(t);
}

}  // namespace fleetpatch::aws::protocol
