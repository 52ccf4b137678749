// What a delivered SSM invocation does on an instance: AWS-RunPatchBaseline's scan or install
// (with the instance's configured outcome and reboot), or a shell/PowerShell script (fleetpatch's
// precheck answered from the instance's host state).
#include <fmt/format.h>

#include <algorithm>

#include "emulator/instance_health.h"
#include "emulator/precheck_answer.h"
#include "emulator/ssm_common.h"

namespace fleetpatch::emulator {
namespace {

std::string PatchOutput(const InstanceSpec& s, const PatchCounts& after, bool install, bool rebooted) {
  std::string out = fmt::format(
      "/usr/bin/python3\nPatch group: {}\nOperation type: {}\nReboot option: {}\nInstalled: "
      "{}\nInstalledOther: {}\n"
      "InstalledPendingReboot: {}\nMissing: {}\nFailed: {}\n",
      s.tags.count("PatchGroup") ? s.tags.at("PatchGroup") : "", after.operation, after.reboot_option,
      after.installed, after.installed_other, after.installed_pending_reboot, after.missing, after.failed);
  if (install && after.failed > 0)
    out += fmt::format("ERROR: {} package(s) failed to install\n", after.failed);
  if (rebooted) out += "Rebooting the instance to finish installing patches.\n";
  return out;
}

// The counts after an Install; sets *rebooted when the instance reboots to finish it.
PatchCounts InstallCounts(const InstanceSpec& s, const PatchCounts& before, const std::string& reboot_option,
                          bool* rebooted) {
  PatchCounts after = before;
  // Patches the repositories do not have stay missing (the run still succeeds); of the rest, the
  // configured number fail to install.
  after.missing = std::min(s.patch.still_missing, before.missing);
  int installable = before.missing - after.missing;
  after.failed = s.patch.outcome == PatchOutcome::kFailed ? std::min(s.patch.failed, installable) : 0;
  int newly = std::max(0, installable - after.failed);
  after.installed = before.installed + newly;
  *rebooted = false;
  if (s.patch.reboot_required && newly > 0) {
    if (reboot_option == "RebootIfNeeded") {
      *rebooted = true;
      after.installed_pending_reboot = 0;
    } else {
      after.installed_pending_reboot = before.installed_pending_reboot + newly;
    }
  } else if (reboot_option == "RebootIfNeeded") {
    after.installed_pending_reboot = 0;
  }
  return after;
}

// The instance never came back from its reboot: the invocation stays InProgress until it times out.
void NeverBack(const SendRunContext& run, Invocation* inv) {
  inv->end = inv->start + run.exec_timeout;
  inv->status = "TimedOut";
  inv->details = "ExecutionTimedOut";
  inv->response_code = -1;
  inv->stdout_text = "Installing patches...\nRebooting the instance to finish installing patches.\n";
  inv->stderr_text = "failed to run commands: execution timed out\n";
}

void SimulatePatch(Zone& z, InstanceState& st, const SendRunContext& run, Invocation* inv) {
  const InstanceSpec& s = *st.spec;
  bool install = run.operation == "Install";
  inv->is_patch = true;
  PatchCounts before = InstalledState(z, st, run.now);
  PatchCounts after = before;
  after.operation = run.operation;
  after.reboot_option = run.reboot_option;
  double duration = install ? s.patch.duration_s : s.patch.duration_s / 5;
  bool rebooted = false;
  if (install) after = InstallCounts(s, before, run.reboot_option, &rebooted);
  after.operation = run.operation;
  after.reboot_option = run.reboot_option;
  after.start = inv->start;
  if (install && s.patch.outcome == PatchOutcome::kHang) {
    inv->end = inv->start + run.exec_timeout;
    inv->status = "TimedOut";
    inv->details = "ExecutionTimedOut";
    inv->response_code = -1;
    inv->stdout_text = "Installing patches...\n";
    inv->stderr_text = "failed to run commands: execution timed out\n";
    return;
  }
  if (rebooted) {
    // The install ends, the instance reboots; the agent reports once it is back.
    RecordReboot(z, st, inv->start + duration, s.reboot.never_returns);
    if (s.reboot.never_returns) return NeverBack(run, inv);
    duration += s.reboot.duration_s + 30;
  }
  inv->end = inv->start + std::min(duration, run.exec_timeout);
  after.end = inv->end;
  if (install && !s.post_patch_failed_services.empty()) st.broken_at = std::min(st.broken_at, inv->end);
  inv->patch_after = after;
  bool failed = install && after.failed > 0;
  inv->status = failed ? "Failed" : "Success";
  inv->details = failed ? "Failed" : "Success";
  inv->response_code = failed ? 1 : 0;
  inv->stdout_text = PatchOutput(s, after, install, rebooted);
  if (failed) inv->stderr_text = fmt::format("{} package(s) failed to install\n", after.failed);
}

void SimulateScript(const Zone& z, const InstanceState& st, const SendRunContext& run, Invocation* inv) {
  const InstanceSpec& s = *st.spec;
  inv->end = inv->start + std::min(s.command_duration_s, run.exec_timeout);
  inv->status = "Success";
  inv->details = "Success";
  inv->response_code = 0;
  if (run.is_precheck) {
    bool pending_reboot = InstalledState(z, st, run.now).installed_pending_reboot > 0;
    inv->stdout_text = PrecheckOutput(s, ServicesAt(st, inv->end), run.precheck_services, pending_reboot);
  }
  if (s.command_duration_s > run.exec_timeout) {
    inv->status = "TimedOut";
    inv->details = "ExecutionTimedOut";
    inv->response_code = -1;
  }
}

}  // namespace

void SimulateRun(Emulator::Impl& im, Zone& z, InstanceState& st, const SendRunContext& run, Invocation* inv) {
  (void)im;
  if (run.document == "AWS-RunPatchBaseline")
    SimulatePatch(z, st, run, inv);
  else
    SimulateScript(z, st, run, inv);
}

}  // namespace fleetpatch::emulator
