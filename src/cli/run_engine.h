// The run engine behind `fleetpatch --workflow ...` and `fleetpatch demo`: turns an effective
// config into a run in the state store (new, continued or resumed, locked against a second
// process), builds the AWS stack (credential chain, per-zone roles, rate budgets), runs the
// phases with their gates, writes the reports and prints the summary. The exit code follows the
// worst outcome: a phase that failed as a whole stops the run with its error's code; a zone whose
// role could not be assumed ends the run with the authentication code; per-instance failures end
// it with 1; Ctrl-C with 130.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "cli/commands.h"
#include "config/config.h"
#include "report/report_writer.h"
#include "workflow/workflow.h"

namespace fleetpatch::cli {

struct RunRequest {
  config::Config config;
  std::vector<Phase> phases;
  workflow::WorkflowOptions workflow;  // from WorkflowOptionsFrom(config); callers may tune it
  // When set, used as the base credentials instead of the default chain (the demo's emulator keys).
  std::shared_ptr<aws::CredentialsProvider> base_credentials;
  std::string workflow_name = "full";  // recorded on a new run
  // The safety loop's steps that are not phases (docs/safety.md): `--workflow postcheck`, and
  // `fleetpatch rollback RUN` (both continue an existing run).
  bool postcheck = false;
  std::optional<workflow::RollbackRequest> rollback;
};

// Maps the user's config onto the engine's knobs (one place, so defaults live in config.h).
workflow::WorkflowOptions WorkflowOptionsFrom(const config::Config& config);

// The zones of the config that are enabled, as the workflow needs them.
std::vector<workflow::ZoneSpec> ZoneSpecsFrom(const config::Config& config);

// The report formats of the config (JUnit goes with XML: CI servers read it natively).
std::vector<ReportFormat> ReportFormats(const config::Config& config);

Result<int> ExecuteRun(const Options& options, RunRequest request, Context& ctx);

// What the phases of one invocation came to.
struct PhasesOutcome {
  std::optional<Error> fatal;  // a phase failed as a whole
  bool zone_auth_failed = false;
  bool interrupted = false;
  // The maintenance window closed: when it opens next ("" when it did not close).
  std::string window_closed;
};

class RunHooks;

// The end of a run: its status, the reports (from the store: also after a failure or an
// interruption, what happened so far), the summary on stdout, and the exit code. `lock` (the
// run's lock, when this process holds it) is released once the reports are written.
// The hooks get the RunFinished event before the summary is printed, so that notifications that
// could not be delivered are part of it.
Result<int> ConcludeRun(const PhasesOutcome& outcome, state::StateStore& store, const std::string& run_id,
                        const config::Config& config, state::RunLock* lock, Clock& clock, bool json_output,
                        RunHooks& hooks, Context& ctx);

}  // namespace fleetpatch::cli
