// End-to-end tests: the real `fleetpatch` binary against the emulator over HTTP (in-process server
// on 127.0.0.1, or the real `fleetpatch-emulator` binary), asserting exit codes, the summary text or
// `--output json`, the state store and the reports. Fleets are small and written per test, the
// emulator runs at a high time scale, so no outcome waits out one of fleetpatch's (real-time)
// timeouts; the timeouts themselves are covered on a fake clock in src/workflow/workflow_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/exit_codes.h"
#include "common/time_format.h"
#include "emulator/signed_client.h"
#include "state/postgres_state_store.h"
#include "state/sqlite_state_store.h"
#include "testing/test_postgres.h"
#include "tests/e2e_support.h"

namespace fleetpatch::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using json = nlohmann::json;

constexpr const char* kAcctA = "111111111111";
constexpr const char* kAcctB = "222222222222";

std::string Dump(const ProcResult& r) {
  return "exit " + std::to_string(r.exit_code) + " after " + std::to_string(r.elapsed.count()) +
         " ms\n--- stdout\n" + r.out + "\n--- stderr\n" + r.err;
}

json ParseJson(const ProcResult& r) {
  auto j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << Dump(r);
  return j;
}

// Three healthy prod instances in one zone.
emulator::Fleet SmallFleet(FleetBuilder* b = nullptr) {
  FleetBuilder local;
  FleetBuilder& fb = b ? *b : local;
  fb.Account(kAcctA, "us-east-1");
  fb.Instance("i-0aaa00000000000a1", kAcctA, "us-east-1");
  fb.Instance("i-0aaa00000000000a2", kAcctA, "us-east-1");
  fb.Instance("i-0aaa00000000000a3", kAcctA, "us-east-1");
  return fb.Build();
}

// One patch wave (no canary) so that every eligible instance is in flight at once.
const char* kOneWave = "patch:\n  canary_size: 0\n  max_concurrency: 50\n";

state::SqliteStateStoreOptions ReadOnly() {
  state::SqliteStateStoreOptions o;
  o.read_only = true;
  return o;
}

// Latest run's patch status counts, read-only from another process's store.
std::map<std::string, int64_t> PatchCounts(const fs::path& db, std::string* run_id) {
  auto store = state::SqliteStateStore::Open(db.string(), DefaultClock(), ReadOnly());
  if (!store.ok()) return {};
  auto run = (*store)->LatestRun();
  if (!run.ok()) return {};
  if (run_id) *run_id = run->run_id;
  auto c = (*store)->CountByStatus(run->run_id, Phase::kPatch);
  return c.ok() ? *c : std::map<std::string, int64_t>{};
}

bool WaitFor(const std::function<bool()>& cond, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// The latest run's instances by id, read-only from another process's store.
std::map<std::string, InstanceRun> LatestInstances(const fs::path& db) {
  std::map<std::string, InstanceRun> out;
  auto store = state::SqliteStateStore::Open(db.string(), DefaultClock(), ReadOnly());
  if (!store.ok()) return out;
  auto run = (*store)->LatestRun();
  if (!run.ok()) return out;
  auto all = (*store)->QueryInstances(run->run_id, {});
  if (all.ok())
    for (auto& r : *all) out[r.info.instance_id] = r;
  return out;
}

void ExpectStoreSound(const fs::path& db) {
  auto store = state::SqliteStateStore::Open(db.string(), DefaultClock(), ReadOnly());
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  Status s = (*store)->CheckIntegrity();
  EXPECT_TRUE(s.ok()) << s.error().ToString();
}

std::vector<fs::path> ReportFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  return out;
}

// ---- the design's invocations -------------------------------------------------------------------

TEST(CliE2e, FullWorkflowWithLandingZonesAndYes) {
  Harness h;
  h.StartEmulator(SmallFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  auto r = h.Run({"--landing-zones", "zones.yml", "--workflow", "full", "--yes"});
  ASSERT_EQ(r.exit_code, kExitOk) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("Reports:")) << Dump(r);
  EXPECT_EQ(h.Count("CreateImage"), 3);
  EXPECT_TRUE(fs::exists(h.StatePath()));
  EXPECT_FALSE(ReportFiles(h.ReportsDir()).empty());
  std::string run_id;
  auto counts = PatchCounts(h.StatePath(), &run_id);
  EXPECT_EQ(counts["success"], 3) << Dump(r);
  ExpectStoreSound(h.StatePath());
}

TEST(CliE2e, PhasesOneByOneContinueTheLatestRun) {
  Harness h;
  h.StartEmulator(SmallFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig();
  std::string run_id;
  for (std::string phase : {"scan", "backup", "precheck", "patch"}) {
    std::vector<std::string> args{"--config", "cfg.yml", "--workflow", phase, "--output", "json"};
    if (phase == "patch") args.push_back("--yes");
    auto r = h.Run(args);
    ASSERT_EQ(r.exit_code, kExitOk) << phase << "\n" << Dump(r);
    json j = ParseJson(r);
    if (run_id.empty()) run_id = j.value("run_id", "");
    EXPECT_EQ(j.value("run_id", ""), run_id) << phase << ": a phase alone continues the latest run";
    EXPECT_EQ(j["phases"][phase]["succeeded"], 3) << phase << "\n" << r.out;
  }
  EXPECT_EQ(h.Count("CreateImage"), 3);
  EXPECT_EQ(PatchCounts(h.StatePath(), nullptr)["success"], 3);
}

TEST(CliE2e, PlainConfigRunDoesTheConfiguredPhases) {
  Harness h;
  h.StartEmulator(SmallFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig("patch:\n  require_confirmation: false\n");
  auto r = h.Run({"--config", "cfg.yml", "--output", "json"});
  ASSERT_EQ(r.exit_code, kExitOk) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["status"], "succeeded");
  EXPECT_EQ(j["phases"]["patch"]["succeeded"], 3) << r.out;
  EXPECT_FALSE(j["reports"].empty());
  for (const auto& p : j["reports"])
    EXPECT_TRUE(fs::exists(h.dir() / p.get<std::string>()) || fs::exists(p.get<std::string>())) << p;
}

// ---- exit codes --------------------------------------------------------------------------------

TEST(CliE2e, ConfigErrorExits2WithFileLineAndNoState) {
  Harness h;
  h.StartEmulator(SmallFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteFile("cfg.yml",
              "version: 1\nworkflow:\n  timeouts:\n    ami_creation: 60\nlanding_zones: "
              "zones.yml\nerror_budgett: 3\n");
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "scan"});
  EXPECT_EQ(r.exit_code, kExitConfig) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("cfg.yml:6")) << Dump(r);
  EXPECT_FALSE(fs::exists(h.StatePath()));
  EXPECT_EQ(h.emu().RequestLog().size(), 0u) << "no AWS call on a config error";
}

TEST(CliE2e, PhaseWithoutPrerequisiteExits7) {
  Harness h;
  h.StartEmulator(SmallFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig();
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "patch", "--yes"});
  EXPECT_EQ(r.exit_code, kExitValidation) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("--workflow scan")) << "names the phase to run first\n" << Dump(r);
  EXPECT_EQ(h.Count("SendCommand"), 0);

  // After a scan alone, the patch phase still lacks the precheck (and backup) results.
  auto scan = h.Run({"--config", "cfg.yml", "--workflow", "scan"});
  ASSERT_EQ(scan.exit_code, kExitOk) << Dump(scan);
  auto r2 = h.Run({"--config", "cfg.yml", "--workflow", "patch", "--yes"});
  EXPECT_EQ(r2.exit_code, kExitValidation) << Dump(r2);
  EXPECT_THAT(r2.err, HasSubstr("--workflow precheck")) << Dump(r2);
  EXPECT_EQ(h.Count("SendCommand"), 0);
  EXPECT_EQ(h.emu().CountMutatingRequests(), 0);
}

TEST(CliE2e, ZoneWhoseRoleCannotBeAssumedExits3OthersGoOn) {
  FleetBuilder fb;
  fb.Account(kAcctA, "us-east-1").Account(kAcctB, "eu-west-1");
  fb.Instance("i-0aaa00000000000a1", kAcctA, "us-east-1");
  fb.Instance("i-0aaa00000000000a2", kAcctA, "us-east-1");
  fb.Instance("i-0bbb00000000000b1", kAcctB, "eu-west-1");
  Harness h;
  h.StartEmulator(fb.Build());
  ZoneDef bad{"broken", kAcctB, "eu-west-1"};
  bad.role_name = "NoSuchRole";
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}, bad});
  h.WriteConfig(kOneWave);
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--output", "json"});
  EXPECT_EQ(r.exit_code, kExitAuth) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["zones_failed"], 1) << r.out;
  EXPECT_EQ(j["phases"]["patch"]["succeeded"], 2) << r.out;
  EXPECT_EQ(h.Count("CreateImage"), 2);
  EXPECT_THAT(r.err, HasSubstr("arn:aws:iam::222222222222:role/NoSuchRole")) << "names the role\n" << Dump(r);
}

TEST(CliE2e, InstanceFailuresExit1) {
  FleetBuilder fb;
  fb.Account(kAcctA, "us-east-1");
  fb.Instance("i-0aaa00000000000a1", kAcctA, "us-east-1");
  fb.Instance("i-0aaa00000000000a2", kAcctA, "us-east-1").patch.outcome = emulator::PatchOutcome::kFailed;
  fb.fleet.instances.back().patch.failed = 2;
  fb.Instance("i-0aaa00000000000a3", kAcctA, "us-east-1").ami_fails = true;
  Harness h;
  h.StartEmulator(fb.Build());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(std::string(kOneWave) + "error_budget: 5\n");
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--output", "json"});
  EXPECT_EQ(r.exit_code, kExitInstanceFailures) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["status"], "completed_with_failures");
  EXPECT_EQ(j["phases"]["backup"]["failed"], 1) << r.out;
  EXPECT_EQ(j["phases"]["patch"]["succeeded"], 1) << r.out;
  EXPECT_EQ(j["phases"]["patch"]["failed"], 1) << r.out;
  auto counts = PatchCounts(h.StatePath(), nullptr);
  EXPECT_EQ(counts["success"], 1);
}

// NoReboot chosen on purpose (issue 11): patches waiting for a reboot are installed_pending_reboot,
// an outcome of its own: counted as succeeded, no error, exit 0. With patch.fail_on_pending_reboot
// the same instance is partial_success and the run exits 1, with the error filed under 'instance'
// (an instance outcome), never 'aws'.
emulator::Fleet PendingRebootFleet() {
  FleetBuilder fb;
  fb.Account(kAcctA, "us-east-1");
  fb.Instance("i-0aaa00000000000a1", kAcctA, "us-east-1");
  auto& i = fb.Instance("i-0aaa00000000000a2", kAcctA, "us-east-1");
  i.patch.missing = 4;
  i.patch.reboot_required = true;
  return fb.Build();
}

// The categories of the errors in the run's JSON report.
std::vector<std::string> ReportErrorCategories(const fs::path& reports) {
  std::vector<std::string> out;
  for (const fs::path& f : ReportFiles(reports)) {
    if (f.extension() != ".json") continue;
    std::ifstream in(f);
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.contains("errors")) continue;
    for (const auto& e : j["errors"]) out.push_back(e.value("category", ""));
  }
  return out;
}

TEST(CliE2e, NoRebootPendingRebootIsItsOwnOutcomeAndExits0) {
  Harness h;
  h.StartEmulator(PendingRebootFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(std::string(kOneWave) + "  reboot_option: NoReboot\nerror_budget: 0\n");
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--output", "json"});
  EXPECT_EQ(r.exit_code, kExitOk) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["status"], "succeeded") << r.out;
  EXPECT_EQ(j["phases"]["patch"]["succeeded"], 2) << r.out;
  EXPECT_EQ(j["phases"]["patch"]["failed"], 0) << r.out;
  EXPECT_EQ(j["phases"]["patch"]["installed_pending_reboot"], 1) << r.out;
  auto counts = PatchCounts(h.StatePath(), nullptr);
  EXPECT_EQ(counts["installed_pending_reboot"], 1);
  EXPECT_EQ(counts["success"], 1);
  EXPECT_THAT(ReportErrorCategories(h.ReportsDir()), IsEmpty())
      << "not an error, so nothing in the error list";
}

TEST(CliE2e, NoRebootWithFailOnPendingRebootExits1UnderCategoryInstance) {
  Harness h;
  h.StartEmulator(PendingRebootFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(std::string(kOneWave) + "  reboot_option: NoReboot\n  fail_on_pending_reboot: true\n");
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--output", "json"});
  EXPECT_EQ(r.exit_code, kExitInstanceFailures) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["status"], "completed_with_failures") << r.out;
  EXPECT_EQ(j["phases"]["patch"]["installed_pending_reboot"], 0) << r.out;
  auto counts = PatchCounts(h.StatePath(), nullptr);
  EXPECT_EQ(counts["partial_success"], 1);
  EXPECT_EQ(counts["installed_pending_reboot"], 0);
  auto categories = ReportErrorCategories(h.ReportsDir());
  EXPECT_THAT(categories, Contains("instance")) << Dump(r);
  EXPECT_THAT(categories, Not(Contains("aws"))) << Dump(r);
}

// Issue 11: an instance with 80 mounts has a precheck output past ListCommandInvocations' 2,500
// characters. It is read whole with GetCommandInvocation and the instance is patched, instead of
// being not_ready forever on a cut line.
TEST(CliE2e, InstanceWith80MountsIsPrecheckedFromTheWholeOutputAndPatched) {
  FleetBuilder fb;
  fb.Account(kAcctA, "us-east-1");
  auto& many = fb.Instance("i-0aaa00000000000a1", kAcctA, "us-east-1");
  for (int m = 0; m < 80; ++m)
    many.disks.push_back({"/data/volume-" + std::to_string(m), 20971520, 10485760});
  Harness h;
  h.StartEmulator(fb.Build());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(kOneWave);
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--output", "json"});
  EXPECT_EQ(r.exit_code, kExitOk) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["phases"]["precheck"]["succeeded"], 1) << r.out;
  EXPECT_EQ(PatchCounts(h.StatePath(), nullptr)["success"], 1) << Dump(r);
  EXPECT_EQ(h.Count("GetCommandInvocation"), 2)
      << "the cut output is read again, once for the precheck and once for the postcheck";
  auto all = LatestInstances(h.StatePath());
  ASSERT_TRUE(all["i-0aaa00000000000a1"].postcheck.has_value());
  EXPECT_EQ(all["i-0aaa00000000000a1"].postcheck->status, PostcheckStatus::kHealthy)
      << "80 mounts compared whole: "
      << ::testing::PrintToString(all["i-0aaa00000000000a1"].postcheck->regressions);
}

// A failed canary stops the rollout: no later wave starts, the rest are reported, exit 1.
TEST(CliE2e, FailedCanaryStopsTheRollout) {
  FleetBuilder fb;
  fb.Account(kAcctA, "us-east-1");
  for (const char* id : {"i-0aaa00000000000a1", "i-0aaa00000000000a2", "i-0aaa00000000000a3"}) {
    auto& i = fb.Instance(id, kAcctA, "us-east-1");
    i.patch.outcome = emulator::PatchOutcome::kFailed;  // whichever is the canary fails
    i.patch.failed = 1;
  }
  Harness h;
  h.StartEmulator(fb.Build());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig("patch:\n  canary_size: 1\n  max_concurrency: 50\nerror_budget: 10\n");
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--output", "json"});
  EXPECT_EQ(r.exit_code, kExitInstanceFailures) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["phases"]["patch"]["failed"], 1) << r.out;
  EXPECT_EQ(j["phases"]["patch"]["succeeded"], 0) << r.out;
  EXPECT_EQ(j["phases"]["patch"]["skipped"].get<int>() + j["phases"]["patch"]["failed"].get<int>(), 3)
      << "the instances left out of the rollout are reported, not silently dropped\n"
      << r.out;
  EXPECT_EQ(h.Count("SendCommand"), 3)
      << "one precheck command, the canary's patch command and the canary's postcheck only";
  auto counts = PatchCounts(h.StatePath(), nullptr);
  EXPECT_EQ(counts["failed"], 1);
  EXPECT_EQ(counts["success"], 0);
  EXPECT_EQ(counts["in_progress"], 0);
}

TEST(CliE2e, MissingCredentialsExit3) {
  Harness h;
  h.StartEmulator(SmallFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.env_overrides = {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}};
  auto r = h.Run({"--landing-zones", "zones.yml", "--workflow", "scan"}, std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, kExitAuth) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("no credentials found")) << Dump(r);
  EXPECT_EQ(h.emu().RequestLog().size(), 0u) << "nothing is sent without credentials";
}

TEST(CliE2e, UnreachableEndpointExits4Quickly) {
  Harness h;
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.set_endpoint("http://127.0.0.1:" + std::to_string(ClosedPort()));
  auto r = h.Run({"--landing-zones", "zones.yml", "--workflow", "scan"}, std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, kExitConnectivity) << Dump(r);
  EXPECT_LT(r.elapsed, std::chrono::seconds(20)) << Dump(r);
}

TEST(CliE2e, NoTerminalAndNoYesRefusesToPatch) {
  Harness h;
  h.StartEmulator(SmallFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  auto r = h.Run({"--landing-zones", "zones.yml", "--workflow", "full"});
  EXPECT_EQ(r.exit_code, kExitConfig) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("--yes")) << Dump(r);
  EXPECT_EQ(h.emu().CountMutatingRequests(), 0);
  EXPECT_FALSE(fs::exists(h.StatePath()));
}

// An agent that went offline between the scan and the precheck: the precheck waits
// workflow.timeouts.ssm_connection (10 s, the minimum) for it, then reports it unreachable, and the
// others are ready. (The AMI and patch timeouts, 60 s at least, are covered on a fake clock in
// src/workflow/workflow_test.cc.)
TEST(CliE2e, AgentOfflineAtPrecheckTimesOutAsUnreachable) {
  Harness h;
  h.StartEmulator(SmallFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteFile(
      "cfg.yml",
      "version: 1\nworkflow:\n  phases: {backup: false}\n  timeouts: {ami_creation: 60, patch_execution: 60, "
      "ssm_connection: 10}\nbackup:\n  required: false\nlanding_zones: zones.yml\n");
  auto scan = h.Run({"--config", "cfg.yml", "--workflow", "scan"});
  ASSERT_EQ(scan.exit_code, kExitOk) << Dump(scan);

  FleetBuilder fb;
  SmallFleet(&fb);
  fb.fleet.instances[1].ssm_ping = "ConnectionLost";
  h.StartEmulator(fb.Build());
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "precheck", "--output", "json"});
  EXPECT_EQ(r.exit_code, kExitInstanceFailures) << Dump(r);
  EXPECT_GE(r.elapsed, std::chrono::seconds(10)) << "waited ssm_connection\n" << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["phases"]["precheck"]["succeeded"], 2) << r.out;
  EXPECT_EQ(j["phases"]["precheck"]["failed"], 1) << r.out;
  auto store = state::SqliteStateStore::Open(h.StatePath().string(), DefaultClock(), ReadOnly());
  ASSERT_TRUE(store.ok());
  auto run = (*store)->LatestRun();
  ASSERT_TRUE(run.ok());
  auto counts = (*store)->CountByStatus(run->run_id, Phase::kPrecheck);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)["unreachable"], 1);
  EXPECT_EQ((*counts)["ready"], 2);
}

// ---- dry run -----------------------------------------------------------------------------------

TEST(CliE2e, DryRunMakesNoMutatingCallAndPrintsThePlan) {
  Harness h;
  h.StartEmulator(SmallFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  auto r = h.Run({"--landing-zones", "zones.yml", "--workflow", "full", "--dry-run"});
  EXPECT_EQ(h.emu().CountMutatingRequests(), 0) << Dump(r);
  EXPECT_EQ(h.Count("CreateImage"), 0);
  EXPECT_EQ(h.Count("SendCommand"), 0);
  EXPECT_GT(h.Count("DescribeInstances"), 0) << "the scan is real";
  EXPECT_THAT(r.out, HasSubstr("dry run: backup: would create AMI")) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("dry run: precheck: would run")) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("i-0aaa00000000000a1")) << "the plan names the instances\n" << Dump(r);
  EXPECT_EQ(r.exit_code, kExitOk) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("dry run: patch: would run")) << Dump(r);
}

// README: "A run started as a dry run cannot be continued without --dry-run."
TEST(CliE2e, ADryRunCannotBeContinuedWithoutDryRun) {
  Harness h;
  h.StartEmulator(SmallFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(kOneWave);
  auto dry = h.Run({"--config", "cfg.yml", "--workflow", "scan", "--dry-run"});
  ASSERT_EQ(dry.exit_code, kExitOk) << Dump(dry);
  std::string run_id;
  (void)PatchCounts(h.StatePath(), &run_id);
  ASSERT_FALSE(run_id.empty());

  const std::vector<std::vector<std::string>> continuations{{"--resume"}, {"--run", run_id}};
  for (const auto& how : continuations) {
    std::vector<std::string> args{"--config", "cfg.yml", "--workflow", "full", "--yes"};
    args.insert(args.end(), how.begin(), how.end());
    auto r = h.Run(args);
    EXPECT_EQ(r.exit_code, kExitValidation) << Dump(r);
    EXPECT_THAT(r.err, HasSubstr("run " + run_id + " was a dry run")) << Dump(r);
  }
  EXPECT_EQ(h.emu().CountMutatingRequests(), 0) << "nothing was changed";
  // With --dry-run the same run goes on.
  auto again = h.Run({"--config", "cfg.yml", "--workflow", "full", "--resume", "--dry-run"});
  EXPECT_EQ(again.exit_code, kExitOk) << Dump(again);
  EXPECT_EQ(h.emu().CountMutatingRequests(), 0);
}

// ---- throttling storm --------------------------------------------------------------------------

TEST(CliE2e, ThrottlingStormStillSucceeds) {
  Harness h;
  h.StartEmulator(SmallFleet());
  emulator::FaultSpec storm;
  storm.throttle_rate = 0.4;
  for (const char* op : {"DescribeInstances", "DescribeImages", "ListCommandInvocations",
                         "DescribeInstanceInformation", "GetCommandInvocation"})
    h.emu().SetFault(op, storm);
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  // Default retry settings: the engine must ride out the storm without the user tuning anything.
  h.WriteConfig(kOneWave);
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--output", "json"});
  EXPECT_EQ(r.exit_code, kExitOk) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["phases"]["patch"]["succeeded"], 3) << r.out;
  EXPECT_FALSE(j.contains("error")) << r.out;
  int throttled = 0;
  for (const auto& e : h.emu().RequestLog()) {
    if (e.error_code.find("Throttl") != std::string::npos || e.error_code == "RequestLimitExceeded")
      ++throttled;
  }
  EXPECT_GT(throttled, 0) << "the storm happened";
  // No report mentions a throttling failure.
  for (const auto& f : ReportFiles(h.ReportsDir())) {
    std::string text = ReadAll(f);
    EXPECT_EQ(text.find("RequestLimitExceeded"), std::string::npos) << f;
    EXPECT_EQ(text.find("ThrottlingException"), std::string::npos) << f;
  }
}

// ---- kill and resume, locking ------------------------------------------------------------------

// A fleet whose patches run ~3 real seconds (300 simulated seconds at time scale 100): long enough
// to kill fleetpatch while they are in flight, short enough for the resumed run. AMIs and commands
// take (simulated) milliseconds so the phases before the patch wait only one (2 s) poll each.
constexpr double kSlowScale = 100;
emulator::Fleet SlowPatchFleet(double patch_s = 300) {
  FleetBuilder fb;
  fb.Account(kAcctA, "us-east-1");
  for (const char* id : {"i-0aaa00000000000a1", "i-0aaa00000000000a2", "i-0aaa00000000000a3"}) {
    auto& i = fb.Instance(id, kAcctA, "us-east-1");
    i.patch.duration_s = patch_s;
    i.ami_duration_s = 0.001;
    i.command_duration_s = 0.001;
  }
  return fb.Build();
}

TEST(CliE2e, KillDuringPatchThenResumeMakesNoSecondAmiOrPatch) {
  Harness h;
  // Patches of 15 real seconds: the run stays in flight for several more 2 s polls, so the
  // second process below meets the lock even on a slow machine.
  h.StartEmulator(SlowPatchFleet(1500), kSlowScale);
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(kOneWave);
  auto first = h.Start({"--config", "cfg.yml", "--workflow", "full", "--yes"}, "first");
  std::string run_id;
  bool in_flight = WaitFor([&] { return PatchCounts(h.StatePath(), &run_id)["in_progress"] == 3; },
                           std::chrono::seconds(60));
  ASSERT_TRUE(in_flight) << first->Stderr();
  // While it holds credentials it can leave no core file (soft and hard limit 0).
  std::string limits = ReadAll("/proc/" + std::to_string(first->pid()) + "/limits");
  EXPECT_TRUE(std::regex_search(limits, std::regex("Max core file size +0 +0 +bytes"))) << limits;

  // A second process on the same run is refused, naming the holder.
  auto second = h.Run({"--config", "cfg.yml", "--workflow", "patch", "--run", run_id, "--yes"});
  EXPECT_EQ(second.exit_code, kExitValidation) << Dump(second);
  EXPECT_THAT(second.err, HasSubstr(std::to_string(first->pid()))) << "names the holder's pid\n"
                                                                   << Dump(second);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_THAT(second.err, HasSubstr(host)) << "names the holder's host\n" << Dump(second);
  EXPECT_EQ(PatchCounts(h.StatePath(), nullptr)["in_progress"], 3) << "the refused process changed nothing";

  first->Signal(SIGKILL);
  auto killed = first->Wait(std::chrono::seconds(10));
  EXPECT_TRUE(killed.signaled);
  const int images_before = h.Count("CreateImage");
  const int commands_before = h.Count("SendCommand");
  EXPECT_EQ(images_before, 3);

  auto r = h.Run({"--config", "cfg.yml", "--resume", "--workflow", "full", "--yes", "--output", "json"});
  ASSERT_EQ(r.exit_code, kExitOk) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["run_id"], run_id);
  EXPECT_EQ(j["phases"]["patch"]["succeeded"], 3) << r.out;
  EXPECT_EQ(h.Count("CreateImage"), 3) << "no second AMI";
  EXPECT_EQ(h.Count("SendCommand"), commands_before + 1)
      << "the postcheck's one command; no second SendCommand for a patch in flight";
  EXPECT_EQ(PatchCounts(h.StatePath(), nullptr)["success"], 3);
  ExpectStoreSound(h.StatePath());
}

// ---- Auto Scaling standby and the maintenance window --------------------------------------------

// Two members of Auto Scaling group web-asg in account A whose patches run `patch_s` simulated
// seconds (at kSlowScale), and one instance in no group.
emulator::Fleet AsgFleet(double patch_s) {
  FleetBuilder fb;
  fb.Account(kAcctA, "us-east-1");
  emulator::AutoScalingGroupSpec g;
  g.name = "web-asg";
  g.account_id = kAcctA;
  g.region = "us-east-1";
  g.min_size = 0;
  g.max_size = 4;
  g.desired_capacity = 2;
  fb.fleet.auto_scaling_groups.push_back(g);
  for (const char* id : {"i-0aaa00000000000a1", "i-0aaa00000000000a2", "i-0aaa00000000000a3"}) {
    auto& i = fb.Instance(id, kAcctA, "us-east-1");
    i.patch.duration_s = patch_s;
    i.ami_duration_s = 0.001;
    i.command_duration_s = 0.001;
    if (std::string(id) != "i-0aaa00000000000a3") i.auto_scaling_group = "web-asg";
  }
  return fb.Build();
}

// What EC2 Auto Scaling says of each member of account A's groups (instance id -> lifecycle
// state), asked of the emulator as a client would, with the zone's role.
std::map<std::string, std::string> AsgLifecycles(Harness& h) {
  emulator::SignedClient client(h.emu(), DefaultClock(), h.emu().BaseCredentials());
  emulator::RawReply role = client.Query("sts", "us-east-1", "AssumeRole",
                                         {{"RoleArn", emulator::RoleArn(kAcctA, "FleetPatchRole")},
                                          {"RoleSessionName", "e2e-check"},
                                          {"ExternalId", std::string("ext-") + kAcctA}});
  EXPECT_EQ(role.status, 200) << role.body;
  aws::Credentials c;
  c.access_key_id = role.XmlText("AccessKeyId");
  c.secret_access_key = role.XmlText("SecretAccessKey");
  c.session_token = role.XmlText("SessionToken");
  client.SetCredentials(c);
  emulator::RawReply r = client.Query("autoscaling", "us-east-1", "DescribeAutoScalingInstances");
  EXPECT_EQ(r.status, 200) << r.body;
  std::map<std::string, std::string> out;
  for (const auto& n : r.xml.select_nodes("//AutoScalingInstances/member")) {
    out[n.node().child("InstanceId").text().as_string()] =
        n.node().child("LifecycleState").text().as_string();
  }
  return out;
}

// kill -9 while both members are in Standby and patched: --resume watches the patches to their end
// and puts both back in service; nothing is left in Standby and no member was replaced.
TEST(CliE2e, KillWhileInStandbyThenResumeLeavesNothingInStandby) {
  Harness h;
  h.StartEmulator(AsgFleet(1500), kSlowScale);
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(kOneWave);
  auto first = h.Start({"--config", "cfg.yml", "--workflow", "full", "--yes"}, "first");
  std::string run_id;
  ASSERT_TRUE(WaitFor([&] { return PatchCounts(h.StatePath(), &run_id)["in_progress"] == 3; },
                      std::chrono::seconds(60)))
      << first->Stderr();
  for (const auto& [id, state] : AsgLifecycles(h)) {
    EXPECT_TRUE(state == "Standby" || state == "EnteringStandby") << id << " " << state;
  }
  first->Signal(SIGKILL);
  EXPECT_TRUE(first->Wait(std::chrono::seconds(10)).signaled);
  EXPECT_EQ(h.Count("ExitStandby"), 0);

  auto r = h.Run({"--config", "cfg.yml", "--resume", "--workflow", "full", "--yes", "--output", "json"});
  ASSERT_EQ(r.exit_code, kExitOk) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["run_id"], run_id);
  EXPECT_EQ(j["phases"]["patch"]["succeeded"], 3) << r.out;
  EXPECT_EQ(j["auto_scaling_left"], json::array()) << r.out;
  // ExitStandby goes through Pending (30 simulated seconds) to InService.
  std::map<std::string, std::string> after;
  EXPECT_TRUE(WaitFor(
      [&] {
        after = AsgLifecycles(h);
        return std::all_of(after.begin(), after.end(), [](const auto& m) { return m.second == "InService"; });
      },
      std::chrono::seconds(20)));
  ASSERT_EQ(after.size(), 2u) << "no member was replaced";
  for (const auto& [id, state] : after) EXPECT_EQ(state, "InService") << id;
  EXPECT_EQ(h.Count("EnterStandby"), 1) << "the resumed run did not put them in Standby again";
  ExpectStoreSound(h.StatePath());
}

// kill -9 after the members' patches ended and before their postcheck did: --resume does not put
// them back in service on the patch's word. After its postcheck the healthy member exits Standby
// and the one whose sshd the patch broke is left there, listed, as a live run decides.
TEST(CliE2e, KillBeforeThePostcheckThenResumeDecidesStandbyFromThePostcheck) {
  constexpr const char* kHealthy = "i-0aaa00000000000a1";
  constexpr const char* kBrokenMember = "i-0aaa00000000000a2";
  emulator::Fleet fleet = AsgFleet(100);
  for (auto& i : fleet.instances) {
    i.command_duration_s = 500;  // the precheck script, before and after the patch: 5 s
    if (i.id == kBrokenMember) i.post_patch_failed_services = {"sshd"};
  }
  Harness h;
  h.StartEmulator(std::move(fleet), kSlowScale);
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(kOneWave);
  auto first = h.Start({"--config", "cfg.yml", "--workflow", "full", "--yes"}, "first");
  ASSERT_TRUE(WaitFor(
      [&] {
        auto all = LatestInstances(h.StatePath());
        return all[kBrokenMember].patch && all[kBrokenMember].patch->status == PatchStatus::kSuccess &&
               all[kHealthy].patch && all[kHealthy].patch->status == PatchStatus::kSuccess;
      },
      std::chrono::seconds(60)))
      << first->Stderr();
  first->Signal(SIGKILL);
  EXPECT_TRUE(first->Wait(std::chrono::seconds(10)).signaled);
  ASSERT_FALSE(LatestInstances(h.StatePath())[kBrokenMember].postcheck.has_value())
      << "killed before its postcheck";

  auto r = h.Run({"--config", "cfg.yml", "--resume", "--workflow", "full", "--yes", "--output", "json"});
  EXPECT_EQ(r.exit_code, kExitInstanceFailures) << "the degraded postcheck\n" << Dump(r);
  auto all = LatestInstances(h.StatePath());
  ASSERT_TRUE(all[kBrokenMember].postcheck.has_value()) << Dump(r);
  EXPECT_EQ(all[kBrokenMember].postcheck->status, PostcheckStatus::kDegraded);
  EXPECT_EQ(all[kBrokenMember].standby->status, StandbyStatus::kLeftInStandby)
      << all[kBrokenMember].standby->reason;
  EXPECT_THAT(all[kBrokenMember].standby->reason, HasSubstr("postcheck degraded"));
  EXPECT_EQ(all[kHealthy].postcheck->status, PostcheckStatus::kHealthy);
  EXPECT_EQ(all[kHealthy].standby->status, StandbyStatus::kExitedStandby) << all[kHealthy].standby->reason;
  EXPECT_THAT(ParseJson(r)["auto_scaling_left"].dump(), HasSubstr(kBrokenMember)) << r.out;
  std::map<std::string, std::string> states;
  EXPECT_TRUE(WaitFor(
      [&] {
        states = AsgLifecycles(h);
        return states[kHealthy] == "InService";
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(states[kBrokenMember], "Standby") << "not known good: not put back into service";
  ExpectStoreSound(h.StatePath());
}

// Outside the maintenance window the run prepares (backups, prechecks) but starts no wave, stops
// resumable (exit 130) and says when the window opens next, on the terminal and in the JSON.
TEST(CliE2e, OutsideTheWindowTheRunStopsResumableAndSaysWhenItOpens) {
  Harness h;
  h.StartEmulator(SmallFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  // A one-minute window twelve hours from now (UTC): closed for the whole test.
  const auto now = std::chrono::floor<std::chrono::minutes>(std::chrono::system_clock::now());
  const auto start = now + std::chrono::hours(12);
  const auto minute_of_day = [](std::chrono::system_clock::time_point t) {
    auto m = std::chrono::floor<std::chrono::minutes>(t) - std::chrono::floor<std::chrono::days>(t);
    return static_cast<int>(m.count());
  };
  const auto hhmm = [](int m) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", m / 60 % 24, m % 60);
    return std::string(buf);
  };
  const int s = minute_of_day(start);
  h.WriteFile("win.yml", "version: 1\nworkflow:\n  poll_interval: 2\n  window:\n    start: \"" + hhmm(s) +
                             "\"\n    end: \"" + hhmm(s + 1) +
                             "\"\n    time_zone: UTC\nlanding_zones: zones.yml\n" + kOneWave);
  auto r = h.Run({"--config", "win.yml", "--workflow", "full", "--yes", "--output", "json"});
  EXPECT_EQ(r.exit_code, kExitInterrupted) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["status"], "interrupted") << r.out;
  ASSERT_TRUE(j.contains("window")) << r.out;
  EXPECT_THAT(j["window"]["next_opening"].get<std::string>(),
              HasSubstr("the maintenance window opens next at"));
  EXPECT_EQ(j["phases"]["precheck"]["succeeded"], 3) << r.out;
  EXPECT_EQ(h.Count("SendCommand"), 1) << "the precheck only: no patch wave started";
  EXPECT_THAT(r.err, HasSubstr("maintenance window closed")) << Dump(r);
  EXPECT_EQ(PatchCounts(h.StatePath(), nullptr)["skipped"], 0) << "left queued for --resume, not skipped";
}

// The window closes while waves are in flight (end to end, on the real clock: a window is set in
// minutes, so it ends at the next minute boundary): the wave in flight finishes, no wave starts
// after the end, the run exits 130 saying when the window opens next, and --resume inside a window
// that is open (the config now says so) finishes the run. Waves of one instance take ~8 s each:
// eight of them outlast what is left of the minute (at least 15 s, the test waits for that).
TEST(CliE2e, AWindowClosingMidRunFinishesInFlightWorkAndResumeFinishesTheRun) {
  FleetBuilder fb;
  fb.Account(kAcctA, "us-east-1");
  std::vector<std::string> ids;
  for (int i = 1; i <= 8; ++i) {
    ids.push_back("i-0aaa00000000000b" + std::to_string(i));
    auto& inst = fb.Instance(ids.back(), kAcctA, "us-east-1");
    inst.patch.duration_s = 600;  // 6 s at kSlowScale
    inst.ami_duration_s = 0.001;
    inst.command_duration_s = 0.001;
  }
  Harness h;
  h.StartEmulator(fb.Build(), kSlowScale);
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  using namespace std::chrono;
  auto second_of_minute = [] { return (system_clock::now() - floor<minutes>(system_clock::now())) / 1s; };
  if (second_of_minute() > 45) std::this_thread::sleep_for(seconds(61 - second_of_minute()));
  const auto start = floor<minutes>(system_clock::now());
  const auto end = start + minutes(1);
  const auto hhmm = [](system_clock::time_point t) {
    const int m = static_cast<int>((floor<minutes>(t) - floor<days>(t)) / 1min);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", m / 60 % 24, m % 60);
    return std::string(buf);
  };
  const auto config = [&](const std::string& from, const std::string& to, int wave) {
    return "version: 1\nworkflow:\n  poll_interval: 2\n  window:\n    start: \"" + from + "\"\n    end: \"" +
           to +
           "\"\n    time_zone: UTC\nlanding_zones: zones.yml\npatch:\n  canary_size: 0\n  max_concurrency: " +
           std::to_string(wave) + "\n";
  };
  h.WriteFile("win.yml", config(hhmm(start), hhmm(end), 1));
  auto r = h.Run({"--config", "win.yml", "--workflow", "full", "--yes", "--output", "json"}, seconds(150));
  EXPECT_EQ(r.exit_code, kExitInterrupted) << Dump(r);
  EXPECT_GE(system_clock::now(), end) << "the run ended after the window closed, not before";
  json j = ParseJson(r);
  EXPECT_EQ(j["status"], "interrupted") << r.out;
  ASSERT_TRUE(j.contains("window")) << r.out;
  EXPECT_EQ(j["window"]["closed"], true);
  EXPECT_THAT(j["window"]["next_opening"].get<std::string>(),
              HasSubstr("the maintenance window opens next at " + FormatIso8601(start + hours(24))))
      << r.out;
  auto counts = PatchCounts(h.StatePath(), nullptr);
  EXPECT_EQ(counts["in_progress"], 0) << "in-flight work finished";
  EXPECT_EQ(counts["skipped"], 0) << "what is queued stays for --resume";
  EXPECT_GE(counts["success"], 1) << "waves started inside the window";
  EXPECT_LT(counts["success"], 8) << "no wave after the window closed";
  for (const auto& [id, run] : LatestInstances(h.StatePath())) {
    if (!run.patch) continue;
    system_clock::time_point started;
    ASSERT_TRUE(ParseIso8601(run.patch->started_at, &started)) << run.patch->started_at;
    EXPECT_LT(started, end) << id << ": its wave started inside the window";
  }

  const int sent = h.Count("SendCommand");
  h.WriteFile("open.yml", config(hhmm(system_clock::now()), hhmm(system_clock::now() + hours(2)), 50));
  auto resumed = h.Run(
      {"--config", "open.yml", "--resume", "--workflow", "full", "--yes", "--output", "json"}, seconds(150));
  ASSERT_EQ(resumed.exit_code, kExitOk) << Dump(resumed);
  EXPECT_EQ(ParseJson(resumed)["status"], "succeeded") << resumed.out;
  EXPECT_EQ(PatchCounts(h.StatePath(), nullptr)["success"], 8);
  EXPECT_EQ(h.Count("CreateImage"), 8) << "no second AMI";
  EXPECT_EQ(h.Count("SendCommand"), sent + 2) << "one patch wave and its postcheck";
  ExpectStoreSound(h.StatePath());
}

// --resume finishes run `run_id` (three instances) without a second AMI or SendCommand.
void ExpectResumeFinishes(Harness& h, const std::string& run_id) {
  const int commands_before = h.Count("SendCommand");
  auto r = h.Run({"--config", "cfg.yml", "--resume", "--workflow", "full", "--yes", "--output", "json"});
  ASSERT_EQ(r.exit_code, kExitOk) << Dump(r);
  EXPECT_EQ(ParseJson(r)["run_id"], run_id);
  EXPECT_EQ(h.Count("CreateImage"), 3) << "no second AMI";
  EXPECT_EQ(h.Count("SendCommand"), commands_before + 1)
      << "the postcheck's one command; no second SendCommand for a patch in flight";
  EXPECT_EQ(PatchCounts(h.StatePath(), nullptr)["success"], 3);
  ExpectStoreSound(h.StatePath());
}

// Backup and precheck overlap in a full run: killed (-9) while every AMI is still pending and every
// precheck already passed, the resumed run adopts the AMIs and patches each instance once.
TEST(CliE2e, KillDuringTheOverlapOfBackupAndPrecheckThenResumeMakesNoSecondAmiOrPatch) {
  FleetBuilder fb;
  fb.Account(kAcctA, "us-east-1");
  for (const char* id : {"i-0aaa00000000000a1", "i-0aaa00000000000a2", "i-0aaa00000000000a3"}) {
    auto& i = fb.Instance(id, kAcctA, "us-east-1");
    i.ami_duration_s = 800;  // 8 real seconds: the prechecks pass long before
    i.command_duration_s = 0.001;
    i.patch.duration_s = 0.001;
  }
  Harness h;
  h.StartEmulator(fb.Build(), kSlowScale);
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(kOneWave);
  auto first = h.Start({"--config", "cfg.yml", "--workflow", "full", "--yes"}, "first");
  auto counts = [&](Phase phase) {
    auto store = state::SqliteStateStore::Open(h.StatePath().string(), DefaultClock(), ReadOnly());
    if (!store.ok()) return std::map<std::string, int64_t>{};
    auto run = (*store)->LatestRun();
    auto c = run.ok() ? (*store)->CountByStatus(run->run_id, phase)
                      : Result<std::map<std::string, int64_t>>(run.error());
    return c.ok() ? *c : std::map<std::string, int64_t>{};
  };
  bool overlap = WaitFor(
      [&] { return counts(Phase::kPrecheck)["ready"] == 3 && counts(Phase::kBackup)["pending"] == 3; },
      std::chrono::seconds(60));
  ASSERT_TRUE(overlap) << "the prechecks passed while the AMIs were pending\n" << first->Stderr();
  EXPECT_EQ(h.Count("SendCommand"), 1) << "one precheck command, no patch yet";
  first->Signal(SIGKILL);
  EXPECT_TRUE(first->Wait(std::chrono::seconds(10)).signaled);
  EXPECT_EQ(h.Count("CreateImage"), 3);

  auto r = h.Run({"--config", "cfg.yml", "--resume", "--workflow", "full", "--yes", "--output", "json"});
  ASSERT_EQ(r.exit_code, kExitOk) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["phases"]["patch"]["succeeded"], 3) << r.out;
  EXPECT_EQ(h.Count("CreateImage"), 3) << "no duplicate AMI";
  EXPECT_EQ(h.Count("SendCommand"), 3)
      << "the precheck command, then one patch command and the postcheck's: none sent twice";
  EXPECT_EQ(PatchCounts(h.StatePath(), nullptr)["success"], 3);
  ExpectStoreSound(h.StatePath());
}

// ---- several workers on one run (docs/team.md) -----------------------------------------------

// Three zones (three accounts) of two instances each, whose patches run 6 real seconds.
emulator::Fleet WorkersFleet() {
  FleetBuilder fb;
  const std::vector<std::pair<std::string, std::string>> zones = {
      {kAcctA, "us-east-1"}, {kAcctB, "eu-west-1"}, {"333333333333", "us-east-1"}};
  int n = 0;
  for (const auto& [acct, region] : zones) {
    fb.Account(acct, region);
    for (int i = 0; i < 2; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "i-0%03d00000000000%02d", n, i);
      auto& inst = fb.Instance(id, acct, region);
      inst.patch.duration_s = 600;  // 6 real seconds at time scale 100
      inst.ami_duration_s = 0.001;
      inst.command_duration_s = 0.001;
    }
    ++n;
  }
  return fb.Build();
}

void StartWorkersWorld(Harness& h) {
  h.StartEmulator(WorkersFleet(), kSlowScale);
  h.WriteInventory({{"zone-a", kAcctA, "us-east-1"},
                    {"zone-b", kAcctB, "eu-west-1"},
                    {"zone-c", "333333333333", "us-east-1"}});
  // One zone at a time per worker, so that the three workers share the three zones.
  h.WriteConfig(std::string(kOneWave) + "concurrency:\n  zone_workers: 1\n");
}

// Each instance's backup, precheck and patch statuses.
std::map<std::string, std::string> Outcomes(state::StateStore& store, const std::string& run_id) {
  std::map<std::string, std::string> out;
  auto all = store.QueryInstances(run_id, {});
  EXPECT_TRUE(all.ok());
  if (!all.ok()) return out;
  for (const auto& r : *all) {
    out[r.info.instance_id] = std::string(r.backup ? BackupStatusName(r.backup->status) : "-") + "/" +
                              (r.precheck ? PrecheckStatusName(r.precheck->status) : "-") + "/" +
                              (r.patch ? PatchStatusName(r.patch->status) : "-");
  }
  return out;
}

// Every command the emulator accepted is one the store knows: each instance's precheck, patch and
// postcheck command ids, counted once. A second patch command (or precheck) would be a SendCommand the store
// does not hold.
void ExpectEveryCommandInTheStore(Harness& h, state::StateStore& store, const std::string& run_id) {
  auto all = store.QueryInstances(run_id, {});
  ASSERT_TRUE(all.ok());
  std::set<std::string> ids;
  for (const auto& r : *all) {
    if (r.precheck && !r.precheck->command_id.empty()) ids.insert(r.precheck->command_id);
    if (r.patch && !r.patch->command_id.empty()) ids.insert(r.patch->command_id);
    if (r.postcheck && !r.postcheck->command_id.empty()) ids.insert(r.postcheck->command_id);
  }
  EXPECT_EQ(static_cast<int>(ids.size()), h.Count("SendCommand"));
}

// Workers keep no run-wide record of suspended groups: with two zones in one account and region
// (a group may have members in both) `suspend` is refused, before anything is done.
TEST(CliE2e, WorkersRefuseSuspendWhenTwoZonesShareAnAccountAndRegion) {
  Harness h;
  h.WriteInventory(
      {{"prod-a", kAcctA, "us-east-1"}, {"prod-b", kAcctA, "us-east-1", "FleetPatchRole", "", "staging"}});
  h.WriteConfig("patch:\n  auto_scaling: suspend\n");
  auto r = h.Run({"--config", "cfg.yml", "worker", "--run", "latest", "--yes"});
  EXPECT_EQ(r.exit_code, kExitConfig) << Dump(r);
  EXPECT_THAT(
      r.err,
      HasSubstr("patch.auto_scaling: suspend with two landing zones in account 111111111111 and region "
                "us-east-1 (prod-b)"))
      << Dump(r);
  EXPECT_FALSE(fs::exists(h.StatePath())) << "nothing was done";
}

// Three workers share a three-zone run in PostgreSQL; the one holding the first zone is killed
// (-9) while its patches are in flight. Once its lease expires another worker takes the zone over
// and watches those patches to the end: every instance is patched once, with one AMI, the worker
// that finishes the last zone writes the run's reports, and every instance ends as it does when
// one process runs the same fleet on SQLite.
TEST(CliE2e, ThreeWorkersOnPostgresShareARunAndTakeOverTheZoneOfOneKilled) {
  std::string url;
  FP_REQUIRE_POSTGRES(url);
  auto open = [&] {
    state::PostgresStateStoreOptions o;
    o.read_only = true;
    auto s = state::PostgresStateStore::Open(url, DefaultClock(), o);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  };
  Harness h;
  StartWorkersWorld(h);
  auto scan = h.Run({"--config", "cfg.yml", "--state", url, "--workflow", "scan", "--output", "json"});
  ASSERT_EQ(scan.exit_code, kExitOk) << Dump(scan);
  const std::string run_id = ParseJson(scan)["run_id"];
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto leases = [&] {
    auto l = store->ListZoneLeases(run_id);
    return l.ok() ? *l : std::vector<state::ZoneLeaseInfo>{};
  };
  auto patches = [&] {
    auto c = store->CountByStatus(run_id, Phase::kPatch);
    return c.ok() ? *c : std::map<std::string, int64_t>{};
  };
  auto worker = [&](const std::string& name) {
    return h.Start({"--config", "cfg.yml", "--state", url, "worker", "--run", run_id, "--worker-id", name,
                    "--lease-ttl", "3", "--yes"},
                   name);
  };
  auto w1 = worker("w1");
  // w1 claims zone-a first (zones are claimed in the run's order); the others start once it has.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto l = leases();
        return !l.empty() && l[0].worker_id == "w1";
      },
      std::chrono::seconds(60)))
      << w1->Stderr();
  auto w2 = worker("w2");
  auto w3 = worker("w3");
  ASSERT_TRUE(WaitFor([&] { return patches()["in_progress"] >= 2; }, std::chrono::seconds(60)))
      << w1->Stderr();
  w1->Signal(SIGKILL);
  EXPECT_TRUE(w1->Wait(std::chrono::seconds(10)).signaled);

  auto r2 = w2->Wait(std::chrono::seconds(120));
  auto r3 = w3->Wait(std::chrono::seconds(120));
  EXPECT_EQ(r2.exit_code, kExitOk) << Dump(r2);
  EXPECT_EQ(r3.exit_code, kExitOk) << Dump(r3);
  EXPECT_THAT(r2.err + r3.err, HasSubstr("takes zone zone-a over from w1")) << Dump(r2) << Dump(r3);
  EXPECT_THAT(r2.out + r3.out, HasSubstr("Reports:")) << "the worker that finished the run wrote its reports";
  EXPECT_EQ(patches()["success"], 6);
  EXPECT_EQ(h.Count("CreateImage"), 6) << "one AMI per instance, none made twice";
  ExpectEveryCommandInTheStore(h, *store, run_id);
  for (const auto& l : leases()) EXPECT_TRUE(l.done) << l.zone;
  auto run = store->GetRun(run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kSucceeded);

  // One process on SQLite, the same fleet: the same outcome for every instance.
  Harness one;
  StartWorkersWorld(one);
  auto full = one.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--output", "json"});
  ASSERT_EQ(full.exit_code, kExitOk) << Dump(full);
  auto sqlite = state::SqliteStateStore::Open(one.StatePath().string(), DefaultClock(), ReadOnly());
  ASSERT_TRUE(sqlite.ok());
  EXPECT_EQ(Outcomes(*store, run_id), Outcomes(**sqlite, ParseJson(full)["run_id"]));
}

TEST(CliE2e, SigintExits130WritesReportsAndResumeCompletes) {
  Harness h;
  h.StartEmulator(SlowPatchFleet(), kSlowScale);
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(kOneWave);
  auto first = h.Start({"--config", "cfg.yml", "--workflow", "full", "--yes"}, "first");
  std::string run_id;
  ASSERT_TRUE(WaitFor([&] { return PatchCounts(h.StatePath(), &run_id)["in_progress"] == 3; },
                      std::chrono::seconds(60)))
      << first->Stderr();
  first->Signal(SIGINT);
  auto r1 = first->Wait(std::chrono::seconds(30));
  EXPECT_EQ(r1.exit_code, kExitInterrupted) << Dump(r1);
  EXPECT_FALSE(r1.signaled);
  EXPECT_THAT(r1.out, HasSubstr("--resume")) << Dump(r1);
  EXPECT_FALSE(ReportFiles(h.ReportsDir()).empty());
  ExpectResumeFinishes(h, run_id);
}

TEST(CliE2e, SigtermExits130WithReports) {
  Harness h;
  h.StartEmulator(SlowPatchFleet(), kSlowScale);
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(kOneWave);
  auto first = h.Start({"--config", "cfg.yml", "--workflow", "full", "--yes"}, "first");
  ASSERT_TRUE(WaitFor([&] { return PatchCounts(h.StatePath(), nullptr)["in_progress"] == 3; },
                      std::chrono::seconds(60)))
      << first->Stderr();
  first->Signal(SIGTERM);
  auto r = first->Wait(std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, kExitInterrupted) << Dump(r);
  EXPECT_FALSE(r.signaled);
  EXPECT_FALSE(ReportFiles(h.ReportsDir()).empty());
  ExpectStoreSound(h.StatePath());

  // What the store says after the interrupt: the run is interrupted, and each patch that was in
  // flight is still in progress or finished, never failed or lost.
  std::string run_id;
  auto counts = PatchCounts(h.StatePath(), &run_id);
  EXPECT_EQ(counts["in_progress"] + counts["success"], 3) << "in flight: " << counts["in_progress"];
  EXPECT_EQ(counts["failed"], 0);
  {
    auto store = state::SqliteStateStore::Open(h.StatePath().string(), DefaultClock(), ReadOnly());
    ASSERT_TRUE(store.ok());
    auto run = (*store)->GetRun(run_id);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run->status, RunStatus::kInterrupted);
  }

  ExpectResumeFinishes(h, run_id);
}

// A second Ctrl-C exits at once, the store still consistent, and --resume still finishes the run.
TEST(CliE2e, SecondCtrlCExitsAtOnce) {
  Harness h;
  h.StartEmulator(SlowPatchFleet(), kSlowScale);
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(kOneWave);
  auto first = h.Start({"--config", "cfg.yml", "--workflow", "full", "--yes"}, "first");
  ASSERT_TRUE(WaitFor([&] { return PatchCounts(h.StatePath(), nullptr)["in_progress"] == 3; },
                      std::chrono::seconds(60)))
      << first->Stderr();
  first->Signal(SIGINT);
  // The first interrupt is acknowledged before the second is sent (an event, not a sleep).
  ASSERT_TRUE(WaitFor([&] { return first->Stderr().find("interrupt received") != std::string::npos; },
                      std::chrono::seconds(30)))
      << first->Stderr();
  first->Signal(SIGINT);
  auto r = first->Wait(std::chrono::seconds(30));
  // "At once": the process left through the second-interrupt exit, not by finishing its work.
  EXPECT_THAT(r.err, HasSubstr("second interrupt, exiting now")) << Dump(r);
  EXPECT_EQ(r.exit_code, kExitInterrupted) << Dump(r);
  ExpectStoreSound(h.StatePath());
  std::string run_id;
  (void)PatchCounts(h.StatePath(), &run_id);
  ExpectResumeFinishes(h, run_id);
}

// ---- secrets -----------------------------------------------------------------------------------

TEST(CliE2e, NoSecretInAnyFileWritten) {
  Harness h;
  FleetBuilder fb;
  SmallFleet(&fb);
  h.StartEmulator(fb.Build());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(std::string(kOneWave) + "reporting:\n  formats: [csv, json, html, xml]\n");
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--log-level", "trace"});
  ASSERT_EQ(r.exit_code, kExitOk) << Dump(r);
  const std::string secret = fb.fleet.caller.secret_access_key;
  const std::string external_id = "ext-" + std::string(kAcctA);  // the zone's, as WriteInventory writes it
  ASSERT_NE(ReadAll(h.dir() / "zones.yml").find("external_id: " + external_id), std::string::npos);
  const std::vector<std::string> needles{secret, secret.substr(0, 16), secret.substr(secret.size() - 16),
                                         "FwoGZXIvYXdz",  // every emulator session token starts so
                                         external_id};
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(h.dir())) {
    if (!e.is_regular_file()) continue;
    if (e.path().parent_path() == h.dir() / "home") continue;  // the test's own (empty) AWS files
    if (e.path() == h.dir() / "zones.yml" || e.path() == h.dir() / "cfg.yml") continue;  // the test's inputs
    ++files;
    std::string text = ReadAll(e.path());
    for (const auto& n : needles) EXPECT_EQ(text.find(n), std::string::npos) << n << " found in " << e.path();
  }
  EXPECT_GE(files, 4) << "state db, reports, stdout, stderr";
}

// ---- the real emulator binary ------------------------------------------------------------------

// ---- the safety loop after the patch (docs/safety.md) ---------------------------------------------

constexpr const char* kBroken = "i-0aaa00000000000a2";  // sshd fails after the patch; a rollback mends it
constexpr const char* kInstanceStore = "i-0aaa00000000000a3";  // breaks the same way; cannot be rolled back

// One healthy instance, one whose sshd fails after the patch (until its root volume is replaced,
// which takes `replace_s` simulated seconds), one with an instance-store root that breaks too.
emulator::Fleet BreakingFleet(double replace_s = 300) {
  FleetBuilder fb;
  fb.Account(kAcctA, "us-east-1");
  fb.Instance("i-0aaa00000000000a1", kAcctA, "us-east-1");
  auto& broken = fb.Instance(kBroken, kAcctA, "us-east-1");
  broken.post_patch_failed_services = {"sshd"};
  broken.replace_root_volume_s = replace_s;
  auto& store = fb.Instance(kInstanceStore, kAcctA, "us-east-1");
  store.post_patch_failed_services = {"sshd"};
  store.root_device_type = "instance-store";
  return fb.Build();
}

TEST(CliE2e, AutoRollbackRestoresTheBrokenInstanceAndExits1WithTheReason) {
  Harness h;
  h.StartEmulator(BreakingFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(std::string(kOneWave) + "  rollback: auto\n");
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes"});
  EXPECT_EQ(r.exit_code, kExitInstanceFailures) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("PostcheckDegraded: service:sshd was required active, now failed")) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("RollbackUnsupported")) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("rollback  1 rollback_unsupported, 1 rolled_back")) << Dump(r);
  EXPECT_EQ(h.Count("CreateReplaceRootVolumeTask"), 1) << "only the EBS-rooted broken instance";

  auto all = LatestInstances(h.StatePath());
  ASSERT_TRUE(all[kBroken].rollback.has_value()) << Dump(r);
  const RollbackResult& rb = *all[kBroken].rollback;
  EXPECT_EQ(rb.status, RollbackStatus::kRolledBack);
  EXPECT_TRUE(rb.automatic);
  EXPECT_EQ(rb.ami_id, all[kBroken].backup->ami_id) << "from this run's backup";
  EXPECT_EQ(rb.postcheck, "healthy") << "sshd is active again after the replacement: " << rb.reason;
  ASSERT_TRUE(all[kInstanceStore].rollback.has_value());
  EXPECT_EQ(all[kInstanceStore].rollback->status, RollbackStatus::kUnsupported);
  EXPECT_FALSE(all["i-0aaa00000000000a1"].rollback.has_value());
  ASSERT_TRUE(all["i-0aaa00000000000a1"].postcheck.has_value());
  EXPECT_EQ(all["i-0aaa00000000000a1"].postcheck->status, PostcheckStatus::kHealthy);
  ExpectStoreSound(h.StatePath());
}

TEST(CliE2e, RollbackCommandPlansWithDryRunThenRollsBackTheNamedInstance) {
  Harness h;
  h.StartEmulator(BreakingFleet());
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(kOneWave);  // patch.rollback: manual (the default)
  auto full = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes"});
  ASSERT_EQ(full.exit_code, kExitInstanceFailures) << Dump(full);
  EXPECT_EQ(h.CountAll("CreateReplaceRootVolumeTask"), 0) << "manual: nothing rolled back by the run";

  auto plan = h.Run({"--config", "cfg.yml", "rollback", "latest", "--instance", kBroken, "--dry-run"});
  EXPECT_EQ(plan.exit_code, kExitInstanceFailures) << Dump(plan);
  EXPECT_THAT(plan.out, HasSubstr(std::string("would replace the root volume of ") + kBroken)) << Dump(plan);
  EXPECT_EQ(h.CountAll("CreateReplaceRootVolumeTask"), 0);

  auto refused = h.Run({"--config", "cfg.yml", "rollback", "latest"});
  EXPECT_EQ(refused.exit_code, kExitConfig) << Dump(refused);
  EXPECT_THAT(refused.err, HasSubstr("refusing to roll back without confirmation")) << Dump(refused);

  auto r = h.Run({"--config", "cfg.yml", "rollback", "latest", "--instance", kBroken, "--yes"});
  EXPECT_EQ(r.exit_code, kExitInstanceFailures) << "the degraded postcheck stays an error of the run\n"
                                                << Dump(r);
  EXPECT_EQ(h.Count("CreateReplaceRootVolumeTask"), 1);
  auto all = LatestInstances(h.StatePath());
  ASSERT_TRUE(all[kBroken].rollback.has_value());
  EXPECT_EQ(all[kBroken].rollback->status, RollbackStatus::kRolledBack);
  EXPECT_FALSE(all[kBroken].rollback->automatic);
  EXPECT_FALSE(all[kInstanceStore].rollback.has_value()) << "not named";
}

TEST(CliE2e, KillDuringRollbackThenResumeStartsNoSecondReplacement) {
  Harness h;
  // The replacement takes 20 real seconds: the run is killed while it waits for the task.
  h.StartEmulator(BreakingFleet(2'000'000));
  h.WriteInventory({{"prod", kAcctA, "us-east-1"}});
  h.WriteConfig(std::string(kOneWave) + "  rollback: auto\n");
  auto first = h.Start({"--config", "cfg.yml", "--workflow", "full", "--yes"}, "first");
  bool waiting = WaitFor(
      [&] {
        auto all = LatestInstances(h.StatePath());
        auto it = all.find(kBroken);
        return it != all.end() && it->second.rollback &&
               it->second.rollback->status == RollbackStatus::kInProgress;
      },
      std::chrono::seconds(90));
  ASSERT_TRUE(waiting) << first->Stderr();
  EXPECT_FALSE(LatestInstances(h.StatePath())[kBroken].rollback->task_id.empty())
      << "recorded before the wait";
  first->Signal(SIGKILL);
  EXPECT_TRUE(first->Wait(std::chrono::seconds(10)).signaled);
  EXPECT_EQ(h.CountAll("CreateReplaceRootVolumeTask"), 1);

  auto r = h.Run({"--config", "cfg.yml", "--resume", "--workflow", "full", "--yes"});
  EXPECT_EQ(r.exit_code, kExitInstanceFailures) << Dump(r);
  EXPECT_EQ(h.CountAll("CreateReplaceRootVolumeTask"), 1) << "no second root-volume replacement";
  EXPECT_GE(h.Count("DescribeReplaceRootVolumeTasks"), 2);
  auto all = LatestInstances(h.StatePath());
  ASSERT_TRUE(all[kBroken].rollback.has_value());
  EXPECT_EQ(all[kBroken].rollback->status, RollbackStatus::kRolledBack) << all[kBroken].rollback->reason;
  EXPECT_EQ(all[kBroken].rollback->postcheck, "healthy");
  ExpectStoreSound(h.StatePath());
}

// The test: a full run with patch.rollback: auto on the demo fleet (examples/demo/fleet.yml)
// restores the broken instance from its backup and exits 1 with the reason. prod-api-broken's
// sshd (and nginx) fail after its patch: its postcheck is degraded, its root volume is replaced
// from this run's AMI (CreateReplaceRootVolumeTask, watched to succeeded), and the postcheck after
// the replacement is healthy.
TEST(CliE2e, DemoFleetWithAutoRollbackRestoresTheBrokenInstanceAndExits1WithTheReason) {
  constexpr const char* kDemoBroken = "i-000100000feed0103";
  Harness h;
  h.StartEmulator(emulator::DemoFleet());
  fs::copy_file(fleetpatch::testing::SourceDir() / "examples/demo/landing_zones.yml", h.dir() / "zones.yml");
  // The demo's instance that never comes back from its reboot fails after timeouts.reboot (real
  // seconds): its minimum keeps the test short.
  h.WriteFile("demo.yml",
              "version: 1\nworkflow:\n  poll_interval: 2\n  timeouts:\n    ami_creation: 60\n"
              "    patch_execution: 60\n    ssm_connection: 10\n    reboot: 60\nlanding_zones: zones.yml\n" +
                  std::string(kOneWave) + "  rollback: auto\n");
  auto r = h.Run({"--config", "demo.yml", "--workflow", "full", "--yes"}, std::chrono::seconds(240));
  EXPECT_EQ(r.exit_code, kExitInstanceFailures) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr(kDemoBroken)) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("PostcheckDegraded: service:sshd was required active, now failed")) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("rolled_back")) << Dump(r);
  EXPECT_GE(h.Count("CreateReplaceRootVolumeTask"), 1);
  EXPECT_GE(h.Count("DescribeReplaceRootVolumeTasks"), 1);

  auto all = LatestInstances(h.StatePath());
  const InstanceRun& broken = all[kDemoBroken];
  ASSERT_TRUE(broken.postcheck.has_value()) << Dump(r);
  EXPECT_EQ(broken.postcheck->status, PostcheckStatus::kDegraded);
  ASSERT_TRUE(broken.rollback.has_value()) << Dump(r);
  const RollbackResult& rb = *broken.rollback;
  EXPECT_EQ(rb.status, RollbackStatus::kRolledBack) << rb.reason;
  EXPECT_TRUE(rb.automatic);
  EXPECT_FALSE(rb.task_id.empty()) << "a CreateReplaceRootVolumeTask was done";
  ASSERT_TRUE(broken.backup.has_value());
  EXPECT_EQ(rb.ami_id, broken.backup->ami_id) << "from this run's backup";
  EXPECT_THAT(rb.reason, HasSubstr("postcheck degraded")) << rb.reason;
  EXPECT_THAT(rb.reason, HasSubstr("sshd")) << rb.reason;
  EXPECT_EQ(rb.postcheck, "healthy") << "the postcheck after the replacement";
  ExpectStoreSound(h.StatePath());
}

TEST(CliE2e, DemoFleetThroughTheEmulatorBinary) {
  Harness h;
  Child emu(EmulatorBinary(), {"--demo", "--port", "0", "--time-scale", "100000"},
            {{"PATH", "/usr/bin:/bin"}}, h.dir(), "emulator");
  std::string endpoint;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::smatch m;
        std::string out = emu.Stdout();
        if (std::regex_search(out, m, std::regex("export AWS_ENDPOINT_URL='([^']+)'\n")) &&
            out.find("AWS_DEFAULT_REGION") != std::string::npos) {
          endpoint = m[1];
          return true;
        }
        return false;
      },
      std::chrono::seconds(20)))
      << emu.Stderr();
  h.set_endpoint(endpoint);
  fs::copy_file(fleetpatch::testing::SourceDir() / "examples/demo/landing_zones.yml", h.dir() / "zones.yml");
  h.WriteConfig();
  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--output", "json"},
                 std::chrono::seconds(150));
  emu.Signal(SIGTERM);
  (void)emu.Wait(std::chrono::seconds(10));
  // The demo fleet plays every failure once: the run finishes with instance failures.
  EXPECT_EQ(r.exit_code, kExitInstanceFailures) << Dump(r);
  json j = ParseJson(r);
  EXPECT_EQ(j["status"], "completed_with_failures");
  EXPECT_GT(j["phases"]["patch"]["succeeded"].get<int>(), 0) << r.out;
  EXPECT_GT(j["phases"]["patch"]["failed"].get<int>(), 0) << r.out;

  // Every outcome the demo plays shows up in the JSON report.
  fs::path report;
  for (const auto& f : ReportFiles(h.ReportsDir()))
    if (f.extension() == ".json") report = f;
  ASSERT_FALSE(report.empty());
  json rep = json::parse(ReadAll(report), nullptr, false);
  ASSERT_FALSE(rep.is_discarded());
  std::map<std::string, std::set<std::string>> statuses;
  for (const auto& ph : rep["summary"]["phases"])
    for (const auto& [status, n] : ph["by_status"].items())
      if (n.get<int>() > 0) statuses[ph["phase"].get<std::string>()].insert(status);
  EXPECT_THAT(statuses["scan"], ::testing::IsSupersetOf({"eligible", "ineligible"}));
  EXPECT_THAT(statuses["backup"], ::testing::IsSupersetOf({"available", "failed"}));
  EXPECT_THAT(statuses["precheck"], ::testing::IsSupersetOf({"ready", "not_ready"}));
  EXPECT_THAT(statuses["patch"], ::testing::IsSupersetOf({"success", "failed", "timed_out", "skipped"}));
  std::string reasons;
  for (const auto& i : rep["instances"]) reasons += i.value("ineligible_reason", "") + "\n";
  EXPECT_THAT(reasons, HasSubstr("stopped"));
  EXPECT_THAT(reasons, HasSubstr("offline"));
  EXPECT_THAT(reasons, HasSubstr("not registered"));
}

}  // namespace
}  // namespace fleetpatch::e2e
