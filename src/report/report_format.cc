#include "report/report_format.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace fleetpatch::report {

std::string FormatNumber(double v) { return fmt::format("{}", v); }
std::string FormatNumber(int64_t v) { return fmt::format("{}", v); }

std::string FormatFinding(const CheckFinding& f) {
  std::string out = f.check + " = " + f.measured;
  if (!f.threshold.empty()) out += " (" + f.threshold + ")";
  out += f.passed ? " ok" : " FAIL";
  return out;
}

std::string FormatFindings(const std::vector<CheckFinding>& findings) {
  std::vector<std::string> parts;
  for (const auto& f : findings) parts.push_back(FormatFinding(f));
  return Join(parts, "; ");
}

std::string FormatTags(const std::map<std::string, std::string>& tags) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : tags) parts.push_back(k + "=" + v);
  return Join(parts, "; ");
}

}  // namespace fleetpatch::report
