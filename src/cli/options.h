// The command line: what the user asked for (Options), parsed with CLI11, and the effective
// configuration (the config file and inventory, with flags overriding the file).
//
//   fleetpatch --landing-zones inventory/prod_landing_zones.yml --workflow full|scan|backup|precheck|patch
//   fleetpatch --config config/prepatch_config.yml
//   fleetpatch runs | show RUN | report RUN | validate --config F [--landing-zones F] | whoami |
//              emulator ... | demo
// Every flag is documented in `fleetpatch --help`, which ends with the exit-code table.
// Thread-safety: plain functions and values; no shared state.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/run_model.h"
#include "config/config.h"
#include "config/env_expand.h"
#include "config/loader.h"

namespace CLI {
class App;
}

namespace fleetpatch::cli {

enum class Command {
  kWorkflow,
  kRuns,
  kShow,
  kReport,
  kValidate,
  kWhoami,
  kEmulator,
  kDemo,
  kPrune,
  kCompliance,
  kGenDocs,    // hidden: writes the man pages and shell completions (docgen.h)
  kStateCopy,  // state copy --from --to
  kWorker,     // worker --run ID: one of several processes sharing a run's zones
  kRollback,   // rollback RUN [--instance ID ...] [--zone NAME] [--dry-run]
  kHelp,
  kVersion
};
const char* CommandName(Command c);  // "workflow", "runs", "show", ...

enum class Workflow { kFull, kScan, kBackup, kPrecheck, kPatch, kPostcheck };
const char* WorkflowName(Workflow w);  // "full", "scan", ...

enum class LogFormat { kText, kJson };
enum class OutputFormat { kText, kJson };

struct Options {
  Command command = Command::kWorkflow;
  // For kHelp and kVersion: the text to print on stdout (then exit 0).
  std::string text;

  // Inputs.
  std::string config_path;              // --config; Default: "" (no config file: all defaults)
  std::string landing_zones_path;       // --landing-zones; Default: "" (the config's landing_zones)
  Workflow workflow = Workflow::kFull;  // --workflow; Default: full (the phases the config turns on)

  // Overrides of the config file ("" / empty / false = not given).
  std::string profile;                        // --profile
  std::string region;                         // --region
  bool dry_run = false;                       // --dry-run
  std::string state_path;                     // --state
  std::string output_dir;                     // --output-dir
  std::vector<config::ReportFormat> formats;  // --format csv,json,html,xml

  // Which run.
  std::string run_id;   // --run ID; Default: "" (a new run, or for a single phase the latest run)
  bool resume = false;  // --resume: continue an interrupted run, redoing only unfinished work

  // Output.
  std::string log_level = "info";             // --log-level trace|debug|info|warn|error; Default: info
  LogFormat log_format = LogFormat::kText;    // --log-format text|json; Default: text
  OutputFormat output = OutputFormat::kText;  // --output text|json; Default: text
  bool quiet = false;                         // --quiet: only warnings, errors and the final summary
  bool yes = false;                           // --yes: do not ask for confirmation before patching
  bool allow_insecure_endpoint = false;       // --allow-insecure-endpoint: http:// beyond loopback
  std::string metrics_file;                   // --metrics-file PATH: Prometheus textfile; Default: "" (none)

  // Subcommand arguments.
  std::string target_run;                  // show RUN, report RUN
  int runs_limit = 20;                     // runs --limit N; Default: 20
  std::string whoami_role_arn;             // whoami --role-arn ARN
  std::string whoami_external_id;          // whoami --external-id ID
  std::string whoami_external_id_file;     // whoami --external-id-file FILE
  std::string copy_from;                   // state copy --from PATH|sqlite:PATH|URL
  std::string copy_to;                     // state copy --to URL|PATH
  std::vector<std::string> emulator_args;  // emulator ARGS... (handed to the emulator's own parser)
  std::vector<std::string>
      zones;              // prune/compliance/worker --zone NAME (repeatable); Default: every enabled zone
  std::string worker_id;  // worker --worker-id ID; Default: "" (HOST:PID)
  int lease_ttl_s = 60;   // worker --lease-ttl SECONDS; Default: 60
  std::string fail_on;    // compliance --fail-on missing,failed,reboot,stale; Default: none
  std::string docs_dir;   // gen-docs DIR
  std::vector<std::string> instance_ids;  // rollback --instance ID (repeatable); Default: those that need it
};

// Parses argv (argv[0] is the program name). --help anywhere gives kHelp with that (sub)command's
// help in Options::text; --version gives kVersion. A usage error is a kConfig Error whose message
// says what was wrong and points to --help.
Result<Options> ParseCommandLine(int argc, const char* const* argv);
Result<Options> ParseCommandLine(const std::vector<std::string>& args);  // args[0] is the program name

// The main help text (ends with the exit-code table).
std::string HelpText();

// Calls fn with the CLI11 definition the parser uses (the source of --help), so that the man
// pages and shell completions (docgen.h) are generated from it and cannot drift. Hidden
// subcommands (empty group) are part of the definition; generators skip them.
void VisitCommandLine(const std::function<void(const CLI::App&)>& fn);

// The configuration a command works with: the --config file (or defaults), the --landing-zones
// inventory replacing the config's zones, then the flags. For the workflow and validate commands
// a config or an inventory is required. Problems from flags are reported as "command line: --flag: ...".
Result<config::Config> EffectiveConfig(const Options& options, const config::EnvLookup& env);
// Same, returning every problem (empty on success).
std::vector<config::Problem> CheckEffectiveConfig(const Options& options, const config::EnvLookup& env,
                                                  config::Config* out);

// The phases a workflow invocation performs, in order: for `full` the ones the config turns on,
// else just the named phase.
std::vector<Phase> PhasesToRun(const Options& options, const config::Config& config);

}  // namespace fleetpatch::cli
