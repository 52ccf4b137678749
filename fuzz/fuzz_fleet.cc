// libFuzzer target: the emulator's fleet file loader (YAML -> Fleet, validated). Seeds:
// examples/demo/fleet.yml and the bench fleets.
#include "emulator/fleet.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)fleetpatch::emulator::ParseFleetYaml(std::string(fleetpatch::fuzz::All(data, size)), "fuzz.yml");
  return 0;
}
