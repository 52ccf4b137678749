// `fleetpatch rollback RUN [--instance ID ...] [--zone NAME] [--dry-run]`: puts the pre-patch root
// volume back (docs/safety.md) through the run engine, so the run's lock, the journal, the
// reports and the exit code are those of any run. Confirmed like a patch (patch.require_confirmation).
#include "cli/run_engine.h"

namespace fleetpatch::cli {

Result<int> RunRollbackCommand(const Options& options, Context& ctx) {
  FP_ASSIGN_OR_RETURN(config::Config config, EffectiveConfig(options, ctx.env));
  if (config.patch.rollback == config::RollbackMode::kOff) {
    return Error::Config("patch.rollback is off: rollbacks are turned off in the config");
  }
  Options run_options = options;
  run_options.run_id = options.target_run == "latest" ? "" : options.target_run;  // "": the latest run
  const bool dry_run = options.dry_run || config.dry_run;
  if (!dry_run && config.patch.require_confirmation) {
    FP_RETURN_IF_ERROR(
        ConfirmProduction("fleetpatch is about to replace root volumes of run " + options.target_run +
                              "'s instances from their pre-patch AMIs (data volumes are not reverted).",
                          options.yes, ctx.terminal, "roll back"));
  }
  RunRequest req;
  req.workflow = WorkflowOptionsFrom(config);
  req.workflow_name = "rollback";
  req.rollback = workflow::RollbackRequest{options.instance_ids, options.zones, /*automatic=*/false};
  req.config = std::move(config);
  return ExecuteRun(run_options, std::move(req), ctx);
}

}  // namespace fleetpatch::cli
