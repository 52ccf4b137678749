// Small formatting helpers shared by the report writers (numbers, lists, findings), so every format
// spells a value the same way.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/run_model.h"

namespace fleetpatch::report {

// Shortest text that reads back as the same double ("12.5", "0", "3600").
std::string FormatNumber(double v);
std::string FormatNumber(int64_t v);
// "disk_free:/ = 4.2% (>= 10%) FAIL" - one precheck measurement.
std::string FormatFinding(const CheckFinding& f);
std::string FormatFindings(const std::vector<CheckFinding>& findings);   // joined with "; "
std::string FormatTags(const std::map<std::string, std::string>& tags);  // "k=v; k=v"

}  // namespace fleetpatch::report
