#include "cli/app.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cli/confirm.h"
#include "common/exit_codes.h"
#include "testing/testdata.h"

namespace fleetpatch::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class AppTest : public ::testing::Test {
 protected:
  AppTest() {
    ctx_.out = &out_;
    ctx_.err = &err_;
    ctx_.env = MapEnv({});
    ctx_.terminal = Terminal{[] { return false; }, nullptr, nullptr};
  }
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "fleetpatch");
    out_.str("");
    err_.str("");
    return cli::Run(args, ctx_);
  }
  std::string Write(const std::string& name, const std::string& text) {
    auto p = dir_.path() / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::string Example(const std::string& rel) { return (testing::SourceDir() / "examples" / rel).string(); }

  testing::TempDir dir_;
  std::ostringstream out_, err_;
  Context ctx_;
};

TEST_F(AppTest, ValidatePrintsOkAndTheZones) {
  EXPECT_EQ(Run({"validate", "--config", Example("config/prepatch_config.yml")}), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), StartsWith("OK: "));
  EXPECT_THAT(out_.str(), HasSubstr("landing zones: 4 (3 enabled) from "));
  EXPECT_THAT(out_.str(), HasSubstr("prod-us-east-1         012345678901  us-east-1       "
                                    "arn:aws:iam::012345678901:role/ops/FleetPatchRole\n"));
  EXPECT_THAT(out_.str(), HasSubstr("(disabled)"));
  EXPECT_THAT(out_.str(), HasSubstr("phases (full): scan, backup, precheck, patch\n"));
  EXPECT_EQ(err_.str(), "");

  EXPECT_EQ(Run({"validate", "--landing-zones", Example("inventory/prod_landing_zones.yml")}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("landing zones: 4 (3 enabled)"));
}

TEST_F(AppTest, ErrorsOnStderrAreRedacted) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  EXPECT_EQ(Run({"whoami", "--region", "SecretAccessKey=" + secret}), kExitConfig);
  EXPECT_THAT(err_.str(), HasSubstr("fleetpatch: error: "));
  EXPECT_THAT(err_.str(), HasSubstr("SecretAccessKey=[REDACTED]"));
  EXPECT_THAT(err_.str(), ::testing::Not(HasSubstr(secret)));
}

TEST_F(AppTest, ValidatePrintsEveryProblemAndExitsWithTheConfigCode) {
  std::string cfg = Write("bad.yml", "dry_run: yes please\npatch:\n  canary_size: -1\n  documnet: X\n");
  EXPECT_EQ(Run({"validate", "--config", cfg}), kExitConfig);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(
      err_.str(),
      "fleetpatch: 3 problems found:\n" + cfg +
          ":1:10: dry_run: expected true or false; found 'yes please'\n" + cfg +
          ":3:16: patch.canary_size: out of range: -1; allowed: 0 to 1000\n" + cfg +
          ":4:3: patch.documnet: unknown key \"documnet\" (did you mean \"document\"?); allowed here: "
          "document, operation, reboot_option, baseline_override, canary_size, max_concurrency, "
          "max_errors, require_confirmation, fail_on_pending_reboot, rollback, delete_replaced_root_volume, "
          "auto_scaling, max_unavailable, max_unavailable_tags\n");
}

TEST_F(AppTest, ValidateJsonOutput) {
  std::string cfg = Write("bad.yml", "dry_run: 2\n");
  EXPECT_EQ(Run({"validate", "--config", cfg, "--output", "json"}), kExitConfig);
  EXPECT_THAT(out_.str(), HasSubstr("\"ok\": false"));
  EXPECT_THAT(out_.str(), HasSubstr("\"line\": 1"));
  EXPECT_THAT(out_.str(), HasSubstr("\"column\": 10"));
  EXPECT_EQ(Run({"validate", "--config", Example("config/prepatch_config.yml"), "--output", "json"}),
            kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("\"ok\": true"));
  EXPECT_THAT(out_.str(), HasSubstr("\"prod-eu-west-1\""));
}

TEST_F(AppTest, MissingFileIsAConfigError) {
  EXPECT_EQ(Run({"validate", "--config", (dir_.path() / "nope.yml").string()}), kExitConfig);
  EXPECT_THAT(err_.str(), HasSubstr("nope.yml: does not exist"));
  // The workflow checks its config before anything else.
  EXPECT_EQ(Run({"--landing-zones", (dir_.path() / "nope.yml").string(), "--workflow", "scan"}), kExitConfig);
  EXPECT_THAT(err_.str(), HasSubstr("fleetpatch: error: "));
}

TEST_F(AppTest, HelpAndVersionGoToStdoutWithExitZero) {
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("Exit codes:"));
  EXPECT_EQ(Run({"--version"}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("fleetpatch "));
  EXPECT_EQ(Run({"--workflow", "nope", "--config", "x"}), kExitConfig);
  EXPECT_THAT(err_.str(), HasSubstr("Run 'fleetpatch --help' for usage."));
}

TEST_F(AppTest, EveryCommandHasAHandler) {
  for (Command c :
       {Command::kWorkflow, Command::kRuns, Command::kShow, Command::kReport, Command::kValidate,
        Command::kWhoami, Command::kEmulator, Command::kDemo, Command::kPrune, Command::kCompliance}) {
    EXPECT_NE(CommandFor(c), nullptr) << CommandName(c);
  }
}

// Confirmation ------------------------------------------------------------------------------

Terminal FakeTerminal(bool interactive, std::istringstream* in, std::ostringstream* out) {
  return Terminal{[interactive] { return interactive; }, in, out};
}

TEST(ConfirmProduction, YesSkipsTheQuestion) {
  std::istringstream in("");
  std::ostringstream out;
  EXPECT_TRUE(ConfirmProduction("Patch 3 instances?", true, FakeTerminal(false, &in, &out)).ok());
  EXPECT_EQ(out.str(), "");
}

TEST(ConfirmProduction, NoTerminalAndNoYesRefuses) {
  std::istringstream in("yes\n");  // piped input is not a person
  std::ostringstream out;
  auto s = ConfirmProduction("Patch 3 instances?", false, FakeTerminal(false, &in, &out));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(s.error().message, HasSubstr("no terminal to ask on"));
  EXPECT_THAT(s.error().message, HasSubstr("--yes"));
  EXPECT_EQ(out.str(), "");
}

TEST(ConfirmProduction, TerminalAnswers) {
  for (const char* answer : {"yes\n", "y\n", "  YES \n"}) {
    std::istringstream in(answer);
    std::ostringstream out;
    EXPECT_TRUE(
        ConfirmProduction("Patch 3 instances in prod-us-east-1?", false, FakeTerminal(true, &in, &out)).ok())
        << answer;
    EXPECT_EQ(out.str(), "Patch 3 instances in prod-us-east-1?\nType 'yes' to continue: ");
  }
  for (const char* answer : {"no\n", "\n", "yess\n", ""}) {
    std::istringstream in(answer);
    std::ostringstream out;
    auto s = ConfirmProduction("Patch?", false, FakeTerminal(true, &in, &out));
    ASSERT_FALSE(s.ok()) << answer;
    EXPECT_EQ(s.error().category, ErrorCategory::kInterrupted);
    EXPECT_THAT(s.error().message, HasSubstr("nothing was patched"));
  }
}

TEST(ConfirmProduction, NeededOnlyForRealInstallRunsThatPatch) {
  config::Config c;
  Options full;
  full.config_path = "x";
  EXPECT_TRUE(NeedsPatchConfirmation(full, c));
  Options scan = full;
  scan.workflow = Workflow::kScan;
  EXPECT_FALSE(NeedsPatchConfirmation(scan, c));
  Options dry = full;
  dry.dry_run = true;
  EXPECT_FALSE(NeedsPatchConfirmation(dry, c));
  config::Config scan_only = c;
  scan_only.patch.operation = config::PatchOperation::kScan;
  EXPECT_FALSE(NeedsPatchConfirmation(full, scan_only));
  config::Config no_confirm = c;
  no_confirm.patch.require_confirmation = false;
  EXPECT_FALSE(NeedsPatchConfirmation(full, no_confirm));
}

}  // namespace
}  // namespace fleetpatch::cli
