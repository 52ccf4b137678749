#include "cli/confirm.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "common/strings.h"

namespace fleetpatch::cli {

Terminal ProcessTerminal() {
  return Terminal{[] { return ::isatty(STDIN_FILENO) == 1 && ::isatty(STDERR_FILENO) == 1; }, &std::cin,
                  &std::cerr};
}

bool NeedsPatchConfirmation(const Options& options, const config::Config& config) {
  if (config.dry_run || options.dry_run || !config.patch.require_confirmation) return false;
  if (config.patch.operation != config::PatchOperation::kInstall) return false;
  auto phases = PhasesToRun(options, config);
  return std::find(phases.begin(), phases.end(), Phase::kPatch) != phases.end();
}

Status ConfirmProduction(const std::string& summary, bool yes, const Terminal& terminal,
                         const std::string& action) {
  if (yes) return OkStatus();
  if (!terminal.is_interactive || !terminal.is_interactive() || !terminal.in || !terminal.out) {
    return Error::Config(
        "refusing to " + action +
        " without confirmation: there is no terminal to ask on. Nothing was changed. "
        "Re-run with --yes to confirm non-interactively (for example in CI), or with --dry-run to "
        "see what would be done.");
  }
  *terminal.out << summary << "\nType 'yes' to continue: " << std::flush;
  std::string answer;
  if (!std::getline(*terminal.in, answer)) {
    return Error::Interrupted(action +
                              " not confirmed (input closed); nothing was changed, nothing was patched");
  }
  answer = Lower(Trim(answer));
  if (answer == "y" || answer == "yes") return OkStatus();
  return Error::Interrupted(action + " not confirmed (answered \"" + answer.substr(0, 20) +
                            "\"); nothing was changed, nothing was patched");
}

}  // namespace fleetpatch::cli
