#include "metrics/metrics_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "testing/fake_clock.h"

namespace fleetpatch::metrics {
namespace {

namespace fs = std::filesystem;

class MetricsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fp_metrics_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "fleetpatch.prom").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Read() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // promtool's linter: the file must parse as the text format and follow the naming rules.
  std::string Promtool() const {
    std::string cmd = "promtool check metrics < " + path_ + " 2>&1; echo \"exit=$?\"";
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[4096];
      while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
      pclose(p);
    }
    return out;
  }

  static RunFinished Finished(RunStatus status) {
    RunFinished f;
    f.run_id = "20261204-120000-abcd";
    f.status = status;
    f.exit_code = status == RunStatus::kSucceeded ? 0 : 1;
    f.phases = {{Phase::kScan, {30, 0, 2, 0, 0}}, {Phase::kPatch, {20, 3, 7, 0, 0}}};
    return f;
  }

  fs::path dir_;
  std::string path_;
  fleetpatch::testing::FakeClock clock_;
};

bool HavePromtool() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

TEST_F(MetricsFileTest, AFullRunPassesPromtoolAndHasEveryFamily) {
  if (!HavePromtool()) {
    if (std::getenv("CI"))
      FAIL() << "promtool is missing (Debian package prometheus; scripts/install-deps.sh)";
    GTEST_SKIP() << "promtool not installed";
  }
  MetricsFile m(path_, clock_);
  m.OnRunStarted({"20261204-120000-abcd", {Phase::kScan, Phase::kPatch}, false});
  aws::AttemptRecord a;
  a.action = "ec2:DescribeInstances";
  m.OnAttempt(a);
  a.attempt = 2;
  a.error = "RequestLimitExceeded";
  a.http_status = 503;
  m.OnAttempt(a);
  PhaseEnded p;
  p.phase = Phase::kScan;
  p.counts = {30, 0, 2, 0, 0};
  p.duration = std::chrono::milliseconds(1500);
  m.OnPhaseEnded(p);
  clock_.Advance(std::chrono::seconds(100));
  m.OnRunFinished(Finished(RunStatus::kSucceeded));

  const std::string text = Read();
  EXPECT_EQ(Promtool(), "exit=0\n") << text;
  EXPECT_NE(text.find("fleetpatch_instances{phase=\"patch\",outcome=\"failed\"} 3\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("fleetpatch_phase_duration_seconds{phase=\"scan\"} 1.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fleetpatch_aws_api_calls_total{operation=\"ec2:DescribeInstances\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("fleetpatch_aws_api_attempts_total{operation=\"ec2:DescribeInstances\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("fleetpatch_aws_api_throttles_total{operation=\"ec2:DescribeInstances\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("fleetpatch_run_running 0\n"), std::string::npos);
  EXPECT_NE(text.find("fleetpatch_last_success_timestamp_seconds "), std::string::npos);
}

TEST_F(MetricsFileTest, WrittenDuringTheRunAndNoTemporaryFileLeft) {
  MetricsFile m(path_, clock_);
  m.OnRunStarted({"r1", {Phase::kScan}, false});
  EXPECT_NE(Read().find("fleetpatch_run_running 1\n"), std::string::npos);
  PhaseEnded p;
  p.phase = Phase::kScan;
  p.counts.succeeded = 4;
  m.OnPhaseEnded(p);
  EXPECT_NE(Read().find("fleetpatch_instances{phase=\"scan\",outcome=\"succeeded\"} 4\n"), std::string::npos);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(MetricsFileTest, AttemptsRewriteTheFileAtMostEveryInterval) {
  MetricsFile m(path_, clock_, std::chrono::seconds(15));
  m.OnRunStarted({"r1", {Phase::kScan}, false});
  aws::AttemptRecord a;
  a.action = "ssm:SendCommand";
  m.OnAttempt(a);  // within 15 s of the start: not written yet
  EXPECT_EQ(Read().find("ssm:SendCommand"), std::string::npos);
  clock_.Advance(std::chrono::seconds(15));
  m.OnAttempt(a);
  EXPECT_NE(Read().find("fleetpatch_aws_api_calls_total{operation=\"ssm:SendCommand\"} 2\n"),
            std::string::npos);
}

TEST_F(MetricsFileTest, LastSuccessSurvivesAFailedRun) {
  {
    MetricsFile first(path_, clock_);
    first.OnRunFinished(Finished(RunStatus::kSucceeded));
  }
  const double t = std::chrono::duration<double>(clock_.Now().time_since_epoch()).count();
  clock_.Advance(std::chrono::hours(24));
  MetricsFile second(path_, clock_);
  second.OnRunFinished(Finished(RunStatus::kCompletedWithFailures));
  std::ostringstream want;
  want.precision(17);
  want << "fleetpatch_last_success_timestamp_seconds " << t << "\n";
  EXPECT_NE(Read().find(want.str()), std::string::npos) << Read();
  EXPECT_NE(Read().find("fleetpatch_run_status{status=\"completed_with_failures\"} 1\n"), std::string::npos);
}

TEST_F(MetricsFileTest, DryRunIsNotASuccessAndLabelValuesAreEscaped) {
  MetricsFile m(path_, clock_);
  RunFinished f = Finished(RunStatus::kSucceeded);
  f.run_id = "a\"b\\c\nd";
  f.dry_run = true;
  m.OnRunFinished(f);
  EXPECT_EQ(Read().find("fleetpatch_last_success_timestamp_seconds"), std::string::npos);
  EXPECT_NE(Read().find("run_id=\"a\\\"b\\\\c\\nd\""), std::string::npos);
}

TEST_F(MetricsFileTest, AnUnwritablePathIsAnErrorNotACrash) {
  MetricsFile m((dir_ / "missing" / "x.prom").string(), clock_);
  m.OnRunStarted({"r1", {}, false});  // logs a warning only
  Status s = m.Write();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("missing"), std::string::npos);
}

}  // namespace
}  // namespace fleetpatch::metrics
