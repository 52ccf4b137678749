#include "common/count_or_percent.h"

#include <cmath>
#include <cstdio>
#include <regex>

namespace fleetpatch {

int64_t CountOrPercent::Of(int64_t total) const {
  if (!percent) return static_cast<int64_t>(value);
  return static_cast<int64_t>(std::floor(static_cast<double>(total) * value / 100.0 + 1e-9));
}

std::string CountOrPercent::ToString() const {
  char buf[64];
  if (value == std::floor(value)) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(value));
  } else {
    std::snprintf(buf, sizeof buf, "%g", value);
  }
  return std::string(buf) + (percent ? "%" : "");
}

std::string CountOrPercent::Allowed(int64_t max_count) {
  return "a count (0 to " + std::to_string(max_count) + ") or a percentage from 0% to 100% such as \"10%\"";
}

Result<CountOrPercent> CountOrPercent::Parse(std::string_view text, int64_t max_count) {
  static const std::regex kPct(R"(^([0-9]{1,9}(\.[0-9]{1,9})?)\s*%$)");
  static const std::regex kCount("^[0-9]{1,11}$");
  const std::string s(text);
  auto out_of_range = [&] {
    return Error::Config("out of range: " + s + "; allowed: " + Allowed(max_count));
  };
  std::smatch m;
  if (std::regex_match(s, m, kPct)) {
    double v = std::stod(m[1].str());
    if (v > 100) return out_of_range();
    return CountOrPercent{true, v};
  }
  if (std::regex_match(s, kCount)) {
    long long v = std::stoll(s);
    if (v > max_count) return out_of_range();
    return CountOrPercent{false, static_cast<double>(v)};
  }
  return Error::Config("expected " + Allowed(max_count));
}

}  // namespace fleetpatch
