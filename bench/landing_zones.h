// The landing-zones inventory for a generated emulator fleet: one zone per account and region,
// assuming the account's first role. Shared by the workflow benchmark and the chaos drills.
// Thread-safety: pure function.
#pragma once

#include <string>

#include "emulator/fleet.h"

namespace fleetpatch::bench {

inline std::string LandingZonesYaml(const emulator::Fleet& fleet, const std::string& session_name) {
  std::string out =
      "# Generated from the fleet: one zone per account and region.\n"
      "version: 1\nlanding_zones:\n";
  for (const auto& a : fleet.accounts) {
    for (const auto& region : a.regions) {
      out += "  - name: " + a.name + (a.regions.size() > 1 ? "-" + region : "") + "\n";
      out += "    account_id: \"" + a.id + "\"\n";
      out += "    region: " + region + "\n";
      if (!a.roles.empty()) {
        out += "    role_arn: " + emulator::RoleArn(a.id, a.roles[0].name) + "\n";
        if (!a.roles[0].external_id.empty()) out += "    external_id: " + a.roles[0].external_id + "\n";
      }
      out += "    session_name: " + session_name + "\n";
    }
  }
  return out;
}

}  // namespace fleetpatch::bench
