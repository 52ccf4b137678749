// The command-line front end: parses arguments, dispatches to one function per subcommand
// (commands.h), prints errors, and returns the process exit code (exit_codes.h).
// Thread-safety: call from the main thread.
#pragma once

#include <string>
#include <vector>

#include "cli/commands.h"

namespace fleetpatch::cli {

// The process entry point: real stdout/stderr, environment and terminal.
int Main(int argc, char** argv);

// The same with everything injected; args[0] is the program name.
int Run(const std::vector<std::string>& args, Context& ctx);

// The command function for a parsed command (nullptr for kHelp / kVersion).
CommandFn CommandFor(Command command);

}  // namespace fleetpatch::cli
