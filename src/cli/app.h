// The command-line front end: parses arguments, runs a subcommand, returns the process exit code.
#pragma once

namespace fleetpatch::cli {

int Main(int argc, char** argv);

}  // namespace fleetpatch::cli
