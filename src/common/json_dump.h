// DumpJson: nlohmann::json::dump that never throws on text that is not valid UTF-8 (tag values,
// command output and error messages are untrusted): invalid bytes become U+FFFD. Use it wherever
// JSON is written to the state store or printed.
// Thread-safety: pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace fleetpatch {

inline std::string DumpJson(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace fleetpatch
