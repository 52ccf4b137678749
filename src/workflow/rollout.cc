#include "workflow/rollout.h"

#include <algorithm>

namespace fleetpatch::workflow {

std::vector<std::vector<std::string>> PlanWaves(const std::vector<std::string>& ids, int canary_size,
                                                int wave_size) {
  std::vector<std::vector<std::string>> waves;
  wave_size = std::max(1, wave_size);
  size_t i = 0;
  if (canary_size > 0 && !ids.empty()) {
    size_t n = std::min(ids.size(), static_cast<size_t>(canary_size));
    waves.emplace_back(ids.begin(), ids.begin() + static_cast<long>(n));
    i = n;
  }
  while (i < ids.size()) {
    size_t n = std::min(ids.size() - i, static_cast<size_t>(wave_size));
    waves.emplace_back(ids.begin() + static_cast<long>(i), ids.begin() + static_cast<long>(i + n));
    i += n;
  }
  return waves;
}

}  // namespace fleetpatch::workflow
