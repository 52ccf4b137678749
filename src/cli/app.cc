#include "cli/app.h"

#include <iostream>

#include "common/exit_codes.h"
#include "common/log.h"
#include "common/redact.h"

namespace fleetpatch::cli {
namespace {

// The dispatch table: add a command here and in commands.h.
struct CommandEntry {
  Command command;
  CommandFn run;
};

constexpr CommandEntry kCommands[] = {
    {Command::kWorkflow, RunWorkflowCommand}, {Command::kRuns, RunRunsCommand},
    {Command::kShow, RunShowCommand},         {Command::kReport, RunReportCommand},
    {Command::kValidate, RunValidateCommand}, {Command::kWhoami, RunWhoamiCommand},
    {Command::kEmulator, RunEmulatorCommand}, {Command::kDemo, RunDemoCommand},
    {Command::kPrune, RunPruneCommand},       {Command::kCompliance, RunComplianceCommand},
    {Command::kGenDocs, RunGenDocsCommand},   {Command::kStateCopy, RunStateCopyCommand},
    {Command::kWorker, RunWorkerCommand},     {Command::kRollback, RunRollbackCommand},
};

int PrintError(const Error& e, Context& ctx) {
  *ctx.err << "fleetpatch: error: " << RedactedErrorText(e) << "\n";
  return ExitCodeFor(e.category);
}

}  // namespace

CommandFn CommandFor(Command command) {
  for (const auto& entry : kCommands) {
    if (entry.command == command) return entry.run;
  }
  return nullptr;
}

int Run(const std::vector<std::string>& args, Context& ctx) {
  auto options = ParseCommandLine(args);
  if (!options.ok()) return PrintError(options.error(), ctx);
  if (options->command == Command::kHelp || options->command == Command::kVersion) {
    *ctx.out << options->text;
    return kExitOk;
  }
  // Logs go to stderr only, redacted, in the chosen format; stdout stays for results.
  LogOptions log;
  if (auto level = ParseLogLevel(options->log_level); level.ok()) log.level = *level;
  log.format =
      options->log_format == LogFormat::kJson ? fleetpatch::LogFormat::kJson : fleetpatch::LogFormat::kText;
  log.quiet = options->quiet;
  SetupLogging(log);

  CommandFn fn = CommandFor(options->command);
  if (!fn)
    return PrintError(Error::Internal("no handler for command " + std::string(CommandName(options->command))),
                      ctx);
  auto result = fn(*options, ctx);
  if (!result.ok()) return PrintError(result.error(), ctx);
  return *result;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  Context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.env = ProcessEnv();
  ctx.terminal = ProcessTerminal();
  return Run(args, ctx);
}

}  // namespace fleetpatch::cli
