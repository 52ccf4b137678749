// `fleetpatch demo` end to end: emulator on 127.0.0.1, the real HTTP client stack, every phase,
// reports and state in the working directory.
#include "cli/demo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "cli/app.h"
#include "common/exit_codes.h"
#include "testing/testdata.h"

namespace fleetpatch::cli {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// Runs the test body in a fresh working directory and restores the old one.
class InTempDir {
 public:
  InTempDir() : old_(fs::current_path()) { fs::current_path(dir_.path()); }
  ~InTempDir() { fs::current_path(old_); }
  const fs::path& path() const { return dir_.path(); }

 private:
  testing::TempDir dir_;
  fs::path old_;
};

bool IsThrottle(const std::string& code) {
  return code == "Throttling" || code == "ThrottlingException" || code == "RequestLimitExceeded";
}

TEST(DemoTest, RunsTheWholeWorkflowAgainstTheEmulatorWithReportsInTheWorkingDirectory) {
  InTempDir cwd;
  std::ostringstream out, err;
  // The user's AWS settings must not leak into the demo: a bogus endpoint and profile here.
  Context ctx{&out, &err,
              MapEnv({{"AWS_ENDPOINT_URL", "http://127.0.0.1:1"},
                      {"AWS_PROFILE", "does-not-exist"},
                      {"AWS_ACCESS_KEY_ID", "AKIAREALUSERKEY00001"},
                      {"USER", "demo-tester"}}),
              Terminal{[] { return false; }, nullptr, nullptr}};
  // No wall-clock bound (the ctest timeout catches a hang): a busy machine or ASan may be slow.
  int code = cli::Run({"fleetpatch", "demo"}, ctx);
  EXPECT_EQ(code, kExitOk) << out.str() << err.str();

  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("Ran against the built-in AWS emulator at http://127.0.0.1:"));
  EXPECT_THAT(text, HasSubstr("fails some instances on purpose"));
  EXPECT_THAT(text, HasSubstr("scan"));
  EXPECT_THAT(text, HasSubstr("patch"));
  // No throttling answer reached the demo's results: the client's rate budgets keep under the
  // emulator's limits (any throttle would have been retried and counted here).
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"((\d+) requests, (\d+) throttled and retried)")))
      << text;
  EXPECT_GT(std::stoi(m[1].str()), 50);
  EXPECT_EQ(std::stoi(m[2].str()), 0) << text;

  // Reports: absolute paths under ./fleetpatch-demo/reports, owner-only.
  fs::path reports = fs::canonical(cwd.path()) / "fleetpatch-demo" / "reports";
  int listed = 0;
  for (const auto& e : fs::directory_iterator(reports)) {
    ++listed;
    EXPECT_THAT(text, HasSubstr("  " + e.path().string() + "\n"));
    EXPECT_EQ(fs::status(e.path()).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write)
        << e.path();
  }
  EXPECT_GE(listed, 4);  // csv, json, html, xml (+ junit)
  EXPECT_TRUE(fs::exists(cwd.path() / "fleetpatch-demo" / "state.db"));
  EXPECT_EQ(fs::status(cwd.path() / "fleetpatch-demo" / "state.db").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  // The JSON report: every phase ran, the deliberate failures are there, none is a throttle.
  fs::path json_report;
  for (const auto& e : fs::directory_iterator(reports))
    if (e.path().extension() == ".json") json_report = e.path();
  ASSERT_FALSE(json_report.empty());
  std::ifstream in(json_report);
  auto j = nlohmann::json::parse(in);
  std::string dump = j.dump();
  EXPECT_THAT(dump, HasSubstr("timed_out"));  // the hanging patch hit the demo's short timeout
  for (const char* code_name : {"\"Throttling\"", "\"ThrottlingException\"", "\"RequestLimitExceeded\""})
    EXPECT_THAT(dump, ::testing::Not(HasSubstr(code_name)));

  // The run is in the store for runs/show/report.
  out.str("");
  ASSERT_EQ(cli::Run({"fleetpatch", "runs", "--state", "fleetpatch-demo/state.db", "--output", "json"}, ctx),
            kExitOk)
      << err.str();
  auto runs = nlohmann::json::parse(out.str());
  ASSERT_EQ(runs["runs"].size(), 1u);
  EXPECT_EQ(runs["runs"][0]["status"], "completed_with_failures");
  EXPECT_EQ(runs["runs"][0]["user"], "demo-tester");
  EXPECT_EQ(runs["runs"][0]["phases_completed"],
            nlohmann::json::array({"scan", "backup", "precheck", "patch"}));
}

TEST(DemoTest, RequestLogHasNoThrottledFailureAndJsonOutputStaysJson) {
  InTempDir cwd;
  std::ostringstream out, err;
  Context ctx{&out, &err, MapEnv({}), Terminal{[] { return false; }, nullptr, nullptr}};
  auto options = ParseCommandLine(
      {"fleetpatch", "demo", "--output", "json", "--output-dir", "r", "--state", "s.db", "--format", "csv"});
  ASSERT_TRUE(options.ok());
  DemoSettings settings;
  settings.time_scale = 1200;  // tighter than the default: the test only checks the plumbing
  std::vector<emulator::RequestLogEntry> log;
  settings.after_run = [&](const emulator::Emulator& e) { log = e.RequestLog(); };
  auto code = RunDemo(*options, settings, ctx);
  ASSERT_TRUE(code.ok()) << code.error().ToString();
  EXPECT_EQ(*code, kExitOk) << err.str();
  auto j = nlohmann::json::parse(out.str());  // stdout is one JSON document
  EXPECT_EQ(j["status"], "completed_with_failures");
  ASSERT_EQ(j["reports"].size(), 1u);
  EXPECT_EQ(j["reports"][0].get<std::string>(),
            (fs::absolute("r") / fs::path(j["reports"][0].get<std::string>()).filename()).string());
  EXPECT_THAT(err.str(), HasSubstr("Ran against the built-in AWS emulator"));

  ASSERT_FALSE(log.empty());
  std::map<std::string, int> ops;
  for (const auto& e : log) {
    ++ops[e.operation];
    EXPECT_FALSE(IsThrottle(e.error_code)) << e.service << " " << e.operation;
  }
  for (const char* op : {"AssumeRole", "DescribeInstances", "CreateImage", "SendCommand"})
    EXPECT_GT(ops[op], 0) << op;
}

}  // namespace
}  // namespace fleetpatch::cli
