// libFuzzer target: the YAML config loader (text) and the landing-zone inventory loader (a file,
// as the loader only reads inventories from files). Input: one selector byte (config or
// inventory) and the YAML. Seeds: examples/config, examples/inventory, examples/demo.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/env.h"
#include "config/loader.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetpatch;
  static const EnvLookup env = MapEnv({{"HOME", "/nonexistent"}});
  // Relative paths a config names (landing_zones: file.yml) resolve in a directory that does not exist.
  static const std::filesystem::path base = "/nonexistent/fleetpatch-fuzz";
  const std::string text(fuzz::Rest(data, size));
  if (fuzz::Choice(data, size, 2) == 0) {
    (void)config::LoadConfigString(text, "fuzz.yml", base, env);
    return 0;
  }
  static const std::string path = "/tmp/fleetpatch-fuzz-inventory-" + std::to_string(::getpid()) + ".yml";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    std::vector<config::LandingZone> zones;
    (void)config::CheckLandingZonesFile(path, config::ZoneDefaults{}, env, &zones);
  }
  return 0;
}
