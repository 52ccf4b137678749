// The precheck's pure core: builds the per-platform script, parses what it prints
// (docs/precheck-protocol.md) and decides ready / not ready from the configured thresholds.
// No I/O; thread-safe (pure functions).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/run_model.h"

namespace fleetpatch::workflow {

struct PrecheckThresholds {
  double min_free_disk_percent = 10.0;         // Default: 10 (% free on every checked mount)
  double min_free_disk_gib = 1.0;              // Default: 1 GiB free on every checked mount
  std::vector<std::string> mounts;             // Default: [] = every local mount the script reports
  double max_load_per_cpu = 2.0;               // Default: 2.0 (1-minute load average / CPUs)
  double min_free_memory_percent = 5.0;        // Default: 5 (% of memory available)
  double min_free_memory_mib = 128;            // Default: 128 MiB available
  std::vector<std::string> critical_services;  // must be active; Default: per platform, from config
  bool fail_on_pending_reboot = false;         // Default: false (a pending reboot is a risk, not a blocker)
  bool fail_on_package_lock = true;            // Default: true (another package manager is running)
};

struct DiskMeasurement {
  std::string mount;
  int64_t size_kb = 0;
  int64_t avail_kb = 0;
};

struct PrecheckMeasurements {
  std::vector<DiskMeasurement> disks;
  int cpus = 1;
  double load1 = -1;  // -1: not measured
  int64_t mem_total_kb = 0;
  int64_t mem_available_kb = 0;
  std::map<std::string, std::string> services;  // name -> active | inactive | failed | not-found
  bool reboot_required = false;
  bool pkg_lock = false;
};

// Service names are embedded in the script: config::CheckServiceName's rule (the loader's too).
Status ValidateServiceName(const std::string& name);

// The script for "linux" (bash, for AWS-RunShellScript) or "windows" (PowerShell, for
// AWS-RunPowerShellScript), checking `services`. Fails on an unknown platform or a bad service name.
Result<std::string> BuildPrecheckScript(const std::string& platform,
                                        const std::vector<std::string>& services);

// Finds the FLEETPATCH_PRECHECK_V1 line in a command's standard output and parses it.
// kValidation when the line is missing or malformed (the message quotes no more than 200 bytes).
Result<PrecheckMeasurements> ParsePrecheckOutput(std::string_view output);

// Ready when every check passes; otherwise not ready, each failed check named with its measured value.
// Fills status, reasons and findings; leaves command ids, times and risks to the caller.
PrecheckResult EvaluatePrecheck(const PrecheckMeasurements& m, const PrecheckThresholds& t);

// Risks listed even for ready instances: no backup, Auto Scaling group member, reboot already
// pending, SSM agent older than `min_agent_version` ("" disables that check).
std::vector<std::string> PrecheckRisks(const InstanceInfo& info, const BackupResult* backup,
                                       const PrecheckMeasurements* m, const std::string& min_agent_version);

// Compares dotted version strings numerically ("3.1.1004.0" < "3.2.0"). Returns <0, 0, >0.
int CompareVersions(const std::string& a, const std::string& b);

}  // namespace fleetpatch::workflow
