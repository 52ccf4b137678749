// `fleetpatch --workflow scan|backup|precheck|patch|postcheck|full` and `fleetpatch --config F`.
#include "cli/run_engine.h"

namespace fleetpatch::cli {

Result<int> RunWorkflowCommand(const Options& options, Context& ctx) {
  FP_ASSIGN_OR_RETURN(config::Config config, EffectiveConfig(options, ctx.env));
  RunRequest req;
  req.phases = PhasesToRun(options, config);
  req.workflow = WorkflowOptionsFrom(config);
  req.workflow_name = WorkflowName(options.workflow);
  req.postcheck = options.workflow == Workflow::kPostcheck;
  req.config = std::move(config);
  return ExecuteRun(options, std::move(req), ctx);
}

}  // namespace fleetpatch::cli
