#include "state/run_id.h"

#include <fmt/format.h>

#include <cctype>
#include <random>

#include "common/time_format.h"

namespace fleetpatch::state {

std::string NewRunId(std::chrono::system_clock::time_point now, uint32_t random) {
  return FormatUtc(now, "%Y%m%d-%H%M%S") + fmt::format("-{:06x}", random & 0xffffffu);
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
