// `fleetpatch emulator ARGS...`: the AWS emulator, the same code as the fleetpatch-emulator binary
// (emulator::RunMain parses ARGS, including --help, and serves until SIGINT/SIGTERM). Its output
// goes to the process's stdout/stderr: the export lines it prints are meant for `eval`.
#include <string>
#include <vector>

#include "cli/commands.h"
#include "emulator/server.h"

namespace fleetpatch::cli {

Result<int> RunEmulatorCommand(const Options& options, Context&) {
  std::vector<std::string> args;
  args.push_back("fleetpatch emulator");
  args.insert(args.end(), options.emulator_args.begin(), options.emulator_args.end());
  // RunMain takes a C argv: pointers into `args`, which outlives the call.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return emulator::RunMain(static_cast<int>(args.size()), argv.data());
}

}  // namespace fleetpatch::cli
