#include "workflow/precheck_logic.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "testing/testdata.h"

namespace fleetpatch::workflow {
namespace {

PrecheckMeasurements Healthy() {
  PrecheckMeasurements m;
  m.disks = {{"/", 8 * 1024 * 1024, 4 * 1024 * 1024}, {"/data", 4000000, 2000000}};
  m.cpus = 2;
  m.load1 = 0.5;
  m.mem_total_kb = 4000000;
  m.mem_available_kb = 2000000;
  m.services = {{"sshd", "active"}};
  return m;
}

PrecheckThresholds Thresholds() {
  PrecheckThresholds t;
  t.critical_services = {"sshd"};
  return t;
}

TEST(PrecheckEvalTest, HealthyInstanceIsReady) {
  auto r = EvaluatePrecheck(Healthy(), Thresholds());
  EXPECT_EQ(r.status, PrecheckStatus::kReady);
  EXPECT_TRUE(r.reasons.empty());
  EXPECT_FALSE(r.findings.empty());
}

TEST(PrecheckEvalTest, EveryFailedThresholdIsNamedWithItsMeasuredValue) {
  auto m = Healthy();
  m.disks[0].avail_kb = 300 * 1024;  // 0.3 GiB of 8 GiB: 3.7%
  m.load1 = 9.0;                     // 4.5 per CPU
  m.mem_available_kb = 40000;        // 1%
  m.services["sshd"] = "failed";
  m.pkg_lock = true;
  auto r = EvaluatePrecheck(m, Thresholds());
  EXPECT_EQ(r.status, PrecheckStatus::kNotReady);
  ASSERT_EQ(r.reasons.size(), 7u);
  EXPECT_EQ(r.reasons[0], "disk_free_percent:/ is 3.7% (required >= 10.0%)");
  EXPECT_EQ(r.reasons[1], "disk_free_gib:/ is 0.3 GiB (required >= 1.0 GiB)");
  EXPECT_EQ(r.reasons[2], "load_per_cpu is 4.50 (required <= 2.00)");
  EXPECT_EQ(r.reasons[3], "memory_free_percent is 1.0% (required >= 5.0%)");
  EXPECT_EQ(r.reasons[4], "memory_free_mib is 39 MiB (required >= 128 MiB)");
  EXPECT_EQ(r.reasons[5], "service:sshd is failed (required active)");
  EXPECT_EQ(r.reasons[6], "package_manager_lock is held by another process (required free)");
}

TEST(PrecheckEvalTest, OnlyTheConfiguredMountsAreChecked) {
  auto m = Healthy();
  m.disks.push_back({"/boot", 500000, 10000});  // small and nearly full
  auto t = Thresholds();
  t.mounts = {"/", "/var"};
  auto r = EvaluatePrecheck(m, t);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0], "disk:/var is not mounted (required mounted)");
}

TEST(PrecheckEvalTest, MissingServiceAndPendingRebootWhenConfigured) {
  auto m = Healthy();
  m.services.clear();
  m.reboot_required = true;
  auto t = Thresholds();
  t.fail_on_pending_reboot = true;
  auto r = EvaluatePrecheck(m, t);
  ASSERT_EQ(r.reasons.size(), 2u);
  EXPECT_EQ(r.reasons[0], "service:sshd is not reported (required active)");
  EXPECT_EQ(r.reasons[1], "pending_reboot is yes (required no)");
  t.fail_on_pending_reboot = false;
  EXPECT_EQ(EvaluatePrecheck(m, t).reasons.size(), 1u);
}

TEST(PrecheckParseTest, FindsTheMarkerLineAmongOthers) {
  auto m = ParsePrecheckOutput(
      "noise\nFLEETPATCH_PRECHECK_V1 "
      "{\"disks\":[{\"mount\":\"/\",\"size_kb\":100,\"avail_kb\":50}],\"cpus\":4,"
      "\"load1\":1.5,\"mem_total_kb\":10,\"mem_available_kb\":5,\"services\":{\"a\":\"active\"},"
      "\"reboot_required\":true,\"pkg_lock\":false}\nmore\n");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->disks.size(), 1u);
  EXPECT_EQ(m->cpus, 4);
  EXPECT_DOUBLE_EQ(m->load1, 1.5);
  EXPECT_EQ(m->services.at("a"), "active");
  EXPECT_TRUE(m->reboot_required);
}

// Found by fuzz_precheck: a size of 2e65 (an instance's output is untrusted) went through
// nlohmann's get<int64_t>(), a float-to-integer conversion out of range (UBSan). Counts out of
// range are refused; in-range floats are truncated as before.
TEST(PrecheckParseTest, RefusesCountsOutOfRange) {
  auto line = [](const std::string& disk, const std::string& rest) {
    return "FLEETPATCH_PRECHECK_V1 {\"disks\":[{\"mount\":\"/\"," + disk + "}]" + rest + "}\n";
  };
  EXPECT_FALSE(ParsePrecheckOutput(line("\"size_kb\":2.08888e+65,\"avail_kb\":1", "")).ok());
  EXPECT_FALSE(ParsePrecheckOutput(line("\"size_kb\":1,\"avail_kb\":-1e300", "")).ok());
  EXPECT_FALSE(ParsePrecheckOutput(line("\"size_kb\":18446744073709551615,\"avail_kb\":1", "")).ok());
  EXPECT_FALSE(ParsePrecheckOutput(line("\"size_kb\":1,\"avail_kb\":1", ",\"cpus\":1e20")).ok());
  EXPECT_FALSE(ParsePrecheckOutput(line("\"size_kb\":1,\"avail_kb\":1", ",\"mem_total_kb\":9.3e18")).ok());
  auto m =
      ParsePrecheckOutput(line("\"size_kb\":100.7,\"avail_kb\":9223372036854775807", ",\"cpus\":4294967296"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->disks[0].size_kb, 100);
  EXPECT_EQ(m->disks[0].avail_kb, INT64_MAX);
  EXPECT_EQ(m->cpus, 1 << 20);
}

TEST(PrecheckParseTest, RejectsMissingOrBrokenOutput) {
  EXPECT_FALSE(ParsePrecheckOutput("bash: df: command not found\n").ok());
  EXPECT_FALSE(ParsePrecheckOutput("FLEETPATCH_PRECHECK_V1 {not json").ok());
  EXPECT_FALSE(ParsePrecheckOutput("FLEETPATCH_PRECHECK_V1 {\"disks\":[{\"mount\":1}]}").ok());
  // The marker must start a line.
  EXPECT_FALSE(ParsePrecheckOutput("echo FLEETPATCH_PRECHECK_V1 {}").ok());
}

TEST(PrecheckScriptTest, ServicesAreValidatedAndEmbedded) {
  auto sh = BuildPrecheckScript("linux", {"sshd", "amazon-ssm-agent"});
  ASSERT_TRUE(sh.ok());
  EXPECT_NE(sh->find("# fleetpatch-precheck v1"), std::string::npos);
  EXPECT_NE(sh->find("FP_SERVICES='sshd amazon-ssm-agent'"), std::string::npos);
  auto ps = BuildPrecheckScript("windows", {"W32Time", "WinRM"});
  ASSERT_TRUE(ps.ok());
  EXPECT_NE(ps->find("$FpServices = @('W32Time','WinRM')"), std::string::npos);
  EXPECT_FALSE(BuildPrecheckScript("linux", {"sshd'; rm -rf /; '"}).ok());
  EXPECT_FALSE(BuildPrecheckScript("linux", {"--version"}).ok());  // an option to systemctl
  EXPECT_FALSE(BuildPrecheckScript("linux", {"-H"}).ok());
  EXPECT_NE(sh->find("systemctl is-active -- \"$s\""), std::string::npos);
  EXPECT_FALSE(BuildPrecheckScript("aix", {}).ok());
}

TEST(PrecheckRiskTest, ListsRisksEvenWhenReady) {
  InstanceInfo info;
  info.in_auto_scaling_group = true;
  info.ssm_agent_version = "3.0.100.0";
  BackupResult failed;
  failed.status = BackupStatus::kFailed;
  auto m = Healthy();
  m.reboot_required = true;
  auto risks = PrecheckRisks(info, &failed, &m, "3.1.0.0");
  ASSERT_EQ(risks.size(), 4u);
  EXPECT_EQ(risks[0], "no backup: backup is failed");
  EXPECT_EQ(risks[3], "old SSM agent 3.0.100.0 (older than 3.1.0.0)");
  BackupResult ok;
  ok.status = BackupStatus::kAvailable;
  info = {};
  EXPECT_TRUE(PrecheckRisks(info, &ok, nullptr, "3.1.0.0").empty());
  EXPECT_EQ(CompareVersions("3.10.0", "3.9.9"), 1);
  EXPECT_EQ(CompareVersions("3.1", "3.1.0"), 0);
  // A part too long for a long long (it overflowed, UB) still compares as a number.
  EXPECT_EQ(CompareVersions("3.99999999999999999999999", "3.100"), 1);
  EXPECT_EQ(CompareVersions("3.0099999999999999999999", "3.99999999999999999999999"), -1);
  EXPECT_EQ(CompareVersions("3.00099999999999999999999", "3.0099999999999999999999"), 0);
  EXPECT_EQ(CompareVersions("1a", "10"), 0);  // a non-digit counts as 0, as before
}

// Runs the real bash script with stand-in commands (df, nproc, systemctl, flock) on PATH and a fake
// /proc, so the script's own parsing and JSON are tested, not just ours.
class PrecheckBashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = dir_.path() / "bin";
    proc_ = dir_.path() / "proc";
    root_ = dir_.path() / "root";
    std::filesystem::create_directories(bin_);
    std::filesystem::create_directories(proc_);
    std::filesystem::create_directories(root_ / "var/run");
    Write(proc_ / "loadavg", "3.00 2.00 1.00 1/100 12345\n");
    Write(proc_ / "meminfo", "MemTotal:        4000000 kB\nMemFree:  100 kB\nMemAvailable:    1000000 kB\n");
    Tool("df",
         "echo 'Filesystem 1024-blocks Used Available Capacity Mounted on'\n"
         "echo '/dev/xvda1 8000000 7600000 400000 95% /'\n"
         "echo '/dev/xvdb1 1000000 100000 900000 10% /data dir'\n");
    Tool("nproc", "echo 2\n");
    Tool("systemctl",
         "if [ \"$1\" = show ]; then case \"$5 $6\" in '-- ghost') echo not-found;; *) echo loaded;; esac; "
         "exit 0; fi\n"
         "case \"$2 $3\" in '-- sshd') echo active;; '-- crond') echo failed; exit 3;; *) echo inactive; "
         "exit 3;; esac\n");
  }
  void Write(const std::filesystem::path& p, const std::string& s) { std::ofstream(p) << s; }
  void Tool(const std::string& name, const std::string& body) {
    auto p = bin_ / name;
    Write(p, "#!/bin/bash\n" + body);
    chmod(p.c_str(), 0755);
  }
  std::string Run(const std::string& script) {
    auto path = dir_.path() / "precheck.sh";
    Write(path, script);
    std::string cmd = "env -i PATH='" + bin_.string() + ":/usr/bin:/bin' FP_PROC_ROOT='" + proc_.string() +
                      "' FP_FS_ROOT='" + root_.string() + "' /bin/bash '" + path.string() + "' 2>&1";
    std::string out;
    FILE* f = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    status_ = pclose(f);
    return out;
  }
  testing::TempDir dir_;
  std::filesystem::path bin_, proc_, root_;
  int status_ = 0;
};

TEST_F(PrecheckBashTest, ReportsWhatTheMachineShows) {
  auto script = BuildPrecheckScript("linux", {"sshd", "crond", "ghost", "chronyd"});
  ASSERT_TRUE(script.ok());
  std::string out = Run(*script);
  ASSERT_EQ(WEXITSTATUS(status_), 0) << out;
  auto m = ParsePrecheckOutput(out);
  ASSERT_TRUE(m.ok()) << m.error().message << "\n" << out;
  ASSERT_EQ(m->disks.size(), 2u);
  EXPECT_EQ(m->disks[0].mount, "/");
  EXPECT_EQ(m->disks[0].avail_kb, 400000);
  EXPECT_EQ(m->disks[1].mount, "/data dir");
  EXPECT_EQ(m->cpus, 2);
  EXPECT_DOUBLE_EQ(m->load1, 3.0);
  EXPECT_EQ(m->mem_total_kb, 4000000);
  EXPECT_EQ(m->mem_available_kb, 1000000);
  EXPECT_EQ(m->services.at("sshd"), "active");
  EXPECT_EQ(m->services.at("crond"), "failed");
  EXPECT_EQ(m->services.at("ghost"), "not-found");
  EXPECT_EQ(m->services.at("chronyd"), "inactive");
  EXPECT_FALSE(m->reboot_required);
  EXPECT_FALSE(m->pkg_lock);

  auto t = Thresholds();
  t.critical_services = {"sshd", "crond"};
  auto r = EvaluatePrecheck(*m, t);
  EXPECT_EQ(r.status, PrecheckStatus::kNotReady);
  EXPECT_EQ(r.reasons.size(), 4u);  // / at 5% and below 1 GiB, /data dir below 1 GiB, crond failed
}

TEST_F(PrecheckBashTest, SeesPendingRebootAndSurvivesMissingTools) {
  Write(root_ / "var/run/reboot-required", "");
  std::filesystem::remove(bin_ / "nproc");
  std::filesystem::remove(bin_ / "systemctl");
  auto script = BuildPrecheckScript("linux", {"sshd"});
  std::string out = Run(*script);
  auto m = ParsePrecheckOutput(out);
  ASSERT_TRUE(m.ok()) << out;
  EXPECT_TRUE(m->reboot_required);
  EXPECT_GE(m->cpus, 1);
  EXPECT_EQ(m->services.size(), 1u);
}

}  // namespace
}  // namespace fleetpatch::workflow
