// Commands whose modules are wired in later: each answers with a clear Internal error until its
// own cmd_<name>.cc replaces the function here.
#include "cli/commands.h"

namespace fleetpatch::cli {
namespace {

Error NotBuilt(const char* what) {
  return Error::Internal(
      std::string("fleetpatch ") + what +
      " is not built yet in this version; `fleetpatch validate` checks a config without AWS");
}

}  // namespace

Result<int> RunRunsCommand(const Options&, Context&) { return NotBuilt("runs"); }
Result<int> RunShowCommand(const Options&, Context&) { return NotBuilt("show"); }
Result<int> RunReportCommand(const Options&, Context&) { return NotBuilt("report"); }
Result<int> RunWhoamiCommand(const Options&, Context&) { return NotBuilt("whoami"); }
Result<int> RunEmulatorCommand(const Options&, Context&) { return NotBuilt("emulator"); }
Result<int> RunDemoCommand(const Options&, Context&) { return NotBuilt("demo"); }

}  // namespace fleetpatch::cli
