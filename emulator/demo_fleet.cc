// The built-in demo fleet and its landing-zones inventory: examples/demo/fleet.yml and
// examples/demo/landing_zones.yml, compiled in at build time (cmake/embed.cmake), so there is one copy.
#include <cstddef>
#include <cstdlib>

#include "emulator/fleet.h"

namespace fleetpatch::emulator {
namespace embedded {
extern const unsigned char kDemoFleetYaml[];
extern const unsigned char kDemoLandingZonesYaml[];
}  // namespace embedded

const char* DemoFleetYaml() { return reinterpret_cast<const char*>(embedded::kDemoFleetYaml); }

const char* DemoLandingZonesYaml() { return reinterpret_cast<const char*>(embedded::kDemoLandingZonesYaml); }

Fleet DemoFleet() {
  auto fleet = ParseFleetYaml(DemoFleetYaml(), "examples/demo/fleet.yml (built in)");
  // The text is compiled in and parsed by fleet_test.cc; failing here is a build defect.
  if (!fleet.ok()) std::abort();
  return std::move(fleet).value();
}

}  // namespace fleetpatch::emulator
