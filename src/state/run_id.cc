#include "state/run_id.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <random>

namespace fleetpatch::state {

std::string NewRunId(std::chrono::system_clock::time_point now, uint32_t random) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}{:02d}{:02d}-{:02d}{:02d}{:02d}-{:06x}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, random & 0xffffffu);
}

std::string NewRunId(const Clock& clock) {
  thread_local std::mt19937 engine{std::random_device{}()};
  return NewRunId(clock.Now(), static_cast<uint32_t>(engine()));
}

bool IsValidRunId(const std::string& id) {
  // DDDDDDDD-DDDDDD-hhhhhh
  if (id.size() != 22 || id[8] != '-' || id[15] != '-') return false;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 15) continue;
    const unsigned char c = static_cast<unsigned char>(id[i]);
    if (i < 15 ? !std::isdigit(c) : !(std::isdigit(c) || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace fleetpatch::state
