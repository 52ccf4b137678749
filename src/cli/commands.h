// The subcommands behind the dispatcher in app.cc: one function per command, each in its own file
// (cmd_<name>.cc). A command returns the process exit code on the paths it handles itself
// (0, or 1 when a run finished with failed instances, or 2 when validate found problems) and an
// Error for everything else; the dispatcher prints the error and maps it with ExitCodeFor().
// Thread-safety: commands run on the main thread; Context is not shared.
#pragma once

#include <iosfwd>

#include "cli/confirm.h"
#include "cli/options.h"
#include "common/error.h"
#include "config/env_expand.h"

namespace fleetpatch::cli {

// What a command may touch of the process: injected so that tests capture output and control the
// environment and the terminal.
struct Context {
  std::ostream* out = nullptr;  // results (stdout)
  std::ostream* err = nullptr;  // diagnostics (stderr)
  config::EnvLookup env;
  Terminal terminal;
};

using CommandFn = Result<int> (*)(const Options& options, Context& ctx);

Result<int> RunWorkflowCommand(const Options& options, Context& ctx);  // --workflow / --config runs
Result<int> RunRunsCommand(const Options& options, Context& ctx);      // fleetpatch runs
Result<int> RunShowCommand(const Options& options, Context& ctx);      // fleetpatch show RUN
Result<int> RunReportCommand(const Options& options, Context& ctx);    // fleetpatch report RUN
Result<int> RunValidateCommand(const Options& options, Context& ctx);  // fleetpatch validate
Result<int> RunWhoamiCommand(const Options& options, Context& ctx);    // fleetpatch whoami
Result<int> RunEmulatorCommand(const Options& options, Context& ctx);  // fleetpatch emulator ...
Result<int> RunDemoCommand(const Options& options, Context& ctx);      // fleetpatch demo
Result<int> RunPruneCommand(const Options& options, Context& ctx);     // fleetpatch prune [--zone Z] [--yes]
Result<int> RunComplianceCommand(const Options& options,
                                 Context& ctx);                         // fleetpatch compliance [--fail-on L]
Result<int> RunGenDocsCommand(const Options& options, Context& ctx);    // fleetpatch gen-docs DIR (hidden)
Result<int> RunStateCopyCommand(const Options& options, Context& ctx);  // fleetpatch state copy
Result<int> RunWorkerCommand(const Options& options, Context& ctx);     // fleetpatch worker --run ID
Result<int> RunRollbackCommand(const Options& options, Context& ctx);   // fleetpatch rollback RUN

}  // namespace fleetpatch::cli
