#include "workflow/rollout.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace fleetpatch::workflow {

std::vector<std::vector<std::string>> PlanWaves(const std::vector<std::string>& ids, int canary_size, int wave_size) {
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

Result<ErrorBudget> ErrorBudget::Parse(const std::string& spec, int targets) {
  auto bad = [&] {
    return Error::Config("error budget '" + spec +
                         "' is not valid: use a number of failures (e.g. 3) or a percentage (e.g. 10%)");
  };
  if (spec.empty()) return bad();
  bool percent = spec.back() == '%';
  std::string num = percent ? spec.substr(0, spec.size() - 1) : spec;
  if (num.empty() || num.find_first_not_of("0123456789.") != std::string::npos) return bad();
  char* end = nullptr;
  double v = std::strtod(num.c_str(), &end);
  if (*end != '\0' || v < 0) return bad();
  if (percent) {
    if (v > 100) return bad();
    return ErrorBudget(static_cast<int>(std::floor(v * targets / 100.0 + 1e-9)));
  }
  if (num.find('.') != std::string::npos) return bad();
  return ErrorBudget(static_cast<int>(v));
}

}  // namespace fleetpatch::workflow
