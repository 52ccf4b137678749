// libFuzzer target: the precheck output parser (the FLEETPATCH_PRECHECK_V1 line an instance prints,
// untrusted) and the evaluation of what it parsed. Seeds: outputs of the real script.
#include "fuzz/fuzz_input.h"
#include "workflow/precheck_logic.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetpatch::workflow;
  auto m = ParsePrecheckOutput(fleetpatch::fuzz::All(data, size));
  if (m.ok()) {
    PrecheckThresholds t;
    t.critical_services = {"sshd", "W32Time"};
    t.mounts = {"/", "C:"};
    (void)EvaluatePrecheck(*m, t);
  }
  return 0;
}
