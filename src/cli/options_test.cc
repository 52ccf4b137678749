#include "cli/options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "common/exit_codes.h"
#include "testing/testdata.h"

namespace fleetpatch::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;

Options Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "fleetpatch");
  auto r = ParseCommandLine(args);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Options{};
}

Error ParseError(std::vector<std::string> args) {
  args.insert(args.begin(), "fleetpatch");
  auto r = ParseCommandLine(args);
  EXPECT_FALSE(r.ok());
  return r.ok() ? Error{} : r.error();
}

TEST(ParseCommandLine, TheDesignInvocationsWorkAsWritten) {
  for (auto [name, w] : std::vector<std::pair<std::string, Workflow>>{{"full", Workflow::kFull},
                                                                      {"scan", Workflow::kScan},
                                                                      {"backup", Workflow::kBackup},
                                                                      {"precheck", Workflow::kPrecheck},
                                                                      {"patch", Workflow::kPatch},
                                                                      {"postcheck", Workflow::kPostcheck}}) {
    Options o = Parse({"--landing-zones", "inventory/prod_landing_zones.yml", "--workflow", name});
    EXPECT_EQ(o.command, Command::kWorkflow);
    EXPECT_EQ(o.landing_zones_path, "inventory/prod_landing_zones.yml");
    EXPECT_EQ(o.workflow, w) << name;
    EXPECT_EQ(o.config_path, "");
  }
  Options o = Parse({"--config", "config/prepatch_config.yml"});
  EXPECT_EQ(o.command, Command::kWorkflow);
  EXPECT_EQ(o.config_path, "config/prepatch_config.yml");
  EXPECT_EQ(o.workflow, Workflow::kFull);
}

TEST(ParseCommandLine, EveryGlobalFlag) {
  Options o = Parse({"--config=c.yml", "--profile",    "prod",        "--region", "eu-west-1",
                     "--dry-run",      "--run",        "R1",          "--resume", "--state",
                     "s.db",           "--output-dir", "out",         "--format", "csv,json",
                     "--format",       "XML",          "--log-level", "debug",    "--log-format",
                     "json",           "--output",     "json",        "--quiet",  "--yes"});
  EXPECT_EQ(o.profile, "prod");
  EXPECT_EQ(o.region, "eu-west-1");
  EXPECT_TRUE(o.dry_run);
  EXPECT_EQ(o.run_id, "R1");
  EXPECT_TRUE(o.resume);
  EXPECT_EQ(o.state_path, "s.db");
  EXPECT_EQ(o.output_dir, "out");
  EXPECT_THAT(o.formats, ElementsAre(config::ReportFormat::kCsv, config::ReportFormat::kJson,
                                     config::ReportFormat::kXml));
  EXPECT_EQ(o.log_level, "debug");
  EXPECT_EQ(o.log_format, LogFormat::kJson);
  EXPECT_EQ(o.output, OutputFormat::kJson);
  EXPECT_TRUE(o.quiet);
  EXPECT_TRUE(o.yes);
}

TEST(ParseCommandLine, Subcommands) {
  EXPECT_EQ(Parse({"runs"}).command, Command::kRuns);
  EXPECT_EQ(Parse({"runs", "--limit", "5"}).runs_limit, 5);
  Options show = Parse({"show", "20261125-194200-a1b2c3", "--output", "json"});
  EXPECT_EQ(show.command, Command::kShow);
  EXPECT_EQ(show.target_run, "20261125-194200-a1b2c3");
  EXPECT_EQ(show.output, OutputFormat::kJson);
  Options report = Parse({"--state", "x.db", "report", "R9", "--format", "html"});
  EXPECT_EQ(report.command, Command::kReport);
  EXPECT_EQ(report.target_run, "R9");
  EXPECT_EQ(report.state_path, "x.db");
  Options validate = Parse({"validate", "--config", "F", "--landing-zones", "Z"});
  EXPECT_EQ(validate.command, Command::kValidate);
  EXPECT_EQ(validate.config_path, "F");
  EXPECT_EQ(validate.landing_zones_path, "Z");
  Options whoami = Parse({"whoami", "--profile", "p", "--region", "us-east-1", "--role-arn",
                          "arn:aws:iam::123456789012:role/R"});
  EXPECT_EQ(whoami.command, Command::kWhoami);
  EXPECT_EQ(whoami.profile, "p");
  EXPECT_EQ(whoami.whoami_role_arn, "arn:aws:iam::123456789012:role/R");
  Options emu = Parse({"emulator", "--demo", "--port", "0"});
  EXPECT_EQ(emu.command, Command::kEmulator);
  EXPECT_THAT(emu.emulator_args, ElementsAre("--demo", "--port", "0"));
  EXPECT_EQ(Parse({"demo"}).command, Command::kDemo);
  Options rollback = Parse({"--config", "c.yml", "rollback", "R7", "--instance", "i-1", "--instance", "i-2",
                            "--zone", "prod", "--dry-run"});
  EXPECT_EQ(rollback.command, Command::kRollback);
  EXPECT_EQ(rollback.target_run, "R7");
  EXPECT_THAT(rollback.instance_ids, ElementsAre("i-1", "i-2"));
  EXPECT_THAT(rollback.zones, ElementsAre("prod"));
  EXPECT_TRUE(rollback.dry_run);
  EXPECT_EQ(ParseError({"rollback"}).category, ErrorCategory::kConfig);  // RUN is required
  // The emulator's own parser answers its --help.
  Options emu_help = Parse({"emulator", "--help"});
  EXPECT_EQ(emu_help.command, Command::kEmulator);
  EXPECT_THAT(emu_help.emulator_args, ElementsAre("--help"));
}

TEST(ParseCommandLine, HelpEverywhereEndsWithTheExitCodeTable) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"-h"},
                                        {"validate", "--help"},
                                        {"show", "--help"},
                                        {"runs", "--help"},
                                        {"report", "-h"},
                                        {"whoami", "--help"},
                                        {"demo", "--help"}}) {
    Options o = Parse(args);
    EXPECT_EQ(o.command, Command::kHelp) << args[0];
    EXPECT_THAT(o.text, EndsWith(std::string(ExitCodeTable()) + "\n")) << args[0];
  }
  EXPECT_THAT(Parse({"--help"}).text, HasSubstr("--landing-zones"));
  EXPECT_THAT(Parse({"show", "--help"}).text, HasSubstr("Usage: fleetpatch show"));
  EXPECT_THAT(HelpText(), HasSubstr("130  interrupted"));
}

TEST(ParseCommandLine, Version) {
  Options o = Parse({"--version"});
  EXPECT_EQ(o.command, Command::kVersion);
  EXPECT_THAT(o.text, ::testing::MatchesRegex("fleetpatch [0-9]+\\.[0-9]+\\.[0-9]+.*\n"));
}

TEST(ParseCommandLine, UsageErrorsAreConfigErrorsThatSayWhatToDo) {
  Error e = ParseError({"--landing-zones", "z.yml", "--workflow", "pacth"});
  EXPECT_EQ(e.category, ErrorCategory::kConfig);
  EXPECT_EQ(ExitCodeFor(e.category), kExitConfig);
  EXPECT_THAT(e.message,
              HasSubstr("--workflow: unknown value \"pacth\" (did you mean \"patch\"?); allowed: full, "
                        "scan, backup, precheck, patch"));
  EXPECT_THAT(ParseError({"--config", "c", "--format", "csv,pdf"}).message,
              HasSubstr("--format: unknown value \"pdf\"; allowed: csv, json, html, xml"));
  EXPECT_THAT(ParseError({"--config", "c", "--log-format", "yaml"}).message,
              HasSubstr("allowed: text, json"));
  EXPECT_THAT(ParseError({"--config", "c", "--log-level", "verbose"}).message,
              HasSubstr("allowed: trace, debug, info, warn, error"));
  EXPECT_THAT(ParseError({"--config", "c", "--output", "xml"}).message, HasSubstr("--output"));
  EXPECT_THAT(ParseError({"--bogus"}).message, HasSubstr("--bogus"));
  EXPECT_THAT(ParseError({"show"}).message, HasSubstr("RUN is required"));
  EXPECT_THAT(ParseError({}).message,
              HasSubstr("nothing to do: give --config FILE and/or --landing-zones FILE"));
  EXPECT_THAT(ParseError({"validate"}).message, HasSubstr("validate: give --config FILE"));
  EXPECT_THAT(ParseError({"--config"}).message, HasSubstr("--config"));
  EXPECT_THAT(ParseError({"--landing-zones", "z", "runs", "show"}).message,
              HasSubstr("invalid command line"));
}

class EffectiveConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    auto p = dir_.path() / name;
    std::ofstream(p) << text;
    return p.string();
  }
  testing::TempDir dir_;
};

TEST_F(EffectiveConfigTest, FlagsOverrideTheFile) {
  std::string cfg =
      Write("c.yml",
            "dry_run: false\nstate: {path: from-file.db}\nreporting: {output_dir: file-out, formats: "
            "[csv]}\naws: {profile: file-profile, region: us-east-1}\n"
            "landing_zones:\n  - {name: a, account_id: \"111111111111\", region: us-east-1}\n");
  Options o = Parse({"--config", cfg});
  auto base = EffectiveConfig(o, MapEnv({}));
  ASSERT_TRUE(base.ok()) << base.error().message;
  EXPECT_EQ(base->state.path, "from-file.db");
  EXPECT_EQ(base->aws.profile, "file-profile");
  EXPECT_FALSE(base->dry_run);

  o = Parse({"--config", cfg, "--state", "flag.db", "--output-dir", "flag-out", "--format", "html,json",
             "--profile", "flag-profile", "--region", "eu-west-1", "--dry-run"});
  auto c = EffectiveConfig(o, MapEnv({}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->state.path, "flag.db");
  EXPECT_EQ(c->reporting.output_dir, "flag-out");
  EXPECT_THAT(c->reporting.formats, ElementsAre(config::ReportFormat::kHtml, config::ReportFormat::kJson));
  EXPECT_EQ(c->aws.profile, "flag-profile");
  EXPECT_EQ(c->aws.region, "eu-west-1");
  EXPECT_TRUE(c->dry_run);
  ASSERT_EQ(c->landing_zones.size(), 1u);
}

TEST_F(EffectiveConfigTest, LandingZonesFlagReplacesTheConfigsZonesAndUsesItsDefaults) {
  std::string cfg =
      Write("c.yml", "landing_zones: missing-but-overridden.yml\nlanding_zone_defaults: {role_name: Cfg}\n");
  std::string inv = Write("z.yml", "- {name: flagzone, account_id: \"222222222222\", region: us-west-2}\n");
  auto c = EffectiveConfig(Parse({"--config", cfg, "--landing-zones", inv}), MapEnv({}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->landing_zones.size(), 1u);
  EXPECT_EQ(c->landing_zones[0].name, "flagzone");
  EXPECT_EQ(c->landing_zones[0].role_arn, "arn:aws:iam::222222222222:role/Cfg");
  EXPECT_EQ(c->landing_zones_file, inv);

  // Without a config: all defaults plus the inventory.
  auto only = EffectiveConfig(Parse({"--landing-zones", inv, "--workflow", "scan"}), MapEnv({}));
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->landing_zones[0].role_arn, "arn:aws:iam::222222222222:role/FleetPatchRole");
  EXPECT_EQ(only->state.path, ".fleetpatch/state.db");
}

TEST_F(EffectiveConfigTest, BadFlagValuesAndBadFilesAreReportedTogether) {
  std::string inv = Write("z.yml", "- {name: a, account_id: \"1\", region: us-west-2}\n");
  auto c = EffectiveConfig(Parse({"--landing-zones", inv, "--region", "mars-1"}), MapEnv({}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(c.error().message, HasSubstr(inv + ":1:25: landing_zones[0].account_id:"));
  EXPECT_THAT(c.error().message,
              HasSubstr("\ncommand line: --region: found \"mars-1\"; a region is lower case"));
}

TEST_F(EffectiveConfigTest, EnvironmentReachesTheLoader) {
  std::string inv = Write("z.yml", "- {name: a, account_id: \"${ACCT}\", region: us-west-2}\n");
  auto c = EffectiveConfig(Parse({"--landing-zones", inv}), MapEnv({{"ACCT", "444444444444"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->landing_zones[0].account_id, "444444444444");
  auto missing = EffectiveConfig(Parse({"--landing-zones", inv}), MapEnv({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("environment variable ACCT is not set"));
}

TEST(PhasesToRun, FullFollowsTheConfigAndANamedPhaseRunsAlone) {
  config::Config c;
  c.workflow.phases.backup = false;
  EXPECT_THAT(PhasesToRun(Parse({"--config", "x"}), c),
              ElementsAre(Phase::kScan, Phase::kPrecheck, Phase::kPatch));
  EXPECT_THAT(PhasesToRun(Parse({"--config", "x", "--workflow", "backup"}), c), ElementsAre(Phase::kBackup));
}

}  // namespace
}  // namespace fleetpatch::cli
