#include "config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "testing/testdata.h"

namespace fleetpatch::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

class LoaderTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    auto p = dir_.path() / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  // The problems of a config file, each as "name:line:col: path: message" with the directory cut.
  std::vector<std::string> ConfigProblems(const std::string& text, const EnvLookup& env = MapEnv({})) {
    auto path = Write("c.yml", text);
    return Strip(CheckConfigFile(path, env, &config_));
  }
  std::vector<std::string> ZoneProblems(const std::string& text, const EnvLookup& env = MapEnv({})) {
    auto path = Write("z.yml", text);
    return Strip(CheckLandingZonesFile(path, ZoneDefaults{}, env, &zones_));
  }
  std::vector<std::string> Strip(const std::vector<Problem>& problems) {
    std::vector<std::string> out;
    std::string prefix = dir_.path().string() + "/";
    for (const auto& p : problems) {
      std::string s = p.ToString();
      if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
      out.push_back(s);
    }
    return out;
  }

  testing::TempDir dir_;
  Config config_;
  std::vector<LandingZone> zones_;
};

constexpr const char* kZoneHead = "landing_zones:\n";

TEST_F(LoaderTest, EmptyMappingGivesDocumentedDefaults) {
  EXPECT_THAT(ConfigProblems("version: 1\n"), IsEmpty());
  EXPECT_TRUE(config_.workflow.phases.scan && config_.workflow.phases.patch);
  EXPECT_EQ(config_.workflow.timeouts.ami_creation, std::chrono::seconds(1800));
  EXPECT_EQ(config_.workflow.timeouts.patch_execution, std::chrono::seconds(3600));
  EXPECT_EQ(config_.workflow.timeouts.ssm_connection, std::chrono::seconds(300));
  EXPECT_EQ(config_.workflow.poll_interval, std::chrono::seconds(10));
  EXPECT_EQ(config_.state.path, ".fleetpatch/state.db");
  EXPECT_EQ(config_.patch.document, "AWS-RunPatchBaseline");
  EXPECT_EQ(config_.error_budget.ToString(), "10%");
  EXPECT_EQ(config_.reporting.formats.size(), 4u);
  EXPECT_FALSE(config_.dry_run);
}

TEST_F(LoaderTest, UnknownKeysSuggestTheClosestAllowedKey) {
  EXPECT_THAT(
      ConfigProblems("workflow:\n  phases:\n    scna: true\n  timeout:\n    ami_creation: 10\n"),
      ElementsAre(
          "c.yml:3:5: workflow.phases.scna: unknown key \"scna\" (did you mean \"scan\"?); allowed "
          "here: scan, backup, precheck, patch, postcheck",
          "c.yml:4:3: workflow.timeout: unknown key \"timeout\" (did you mean \"timeouts\"?); allowed "
          "here: phases, timeouts, poll_interval, first_poll, window"));
  // No suggestion when nothing is close.
  auto p = ConfigProblems("frobnicate: 1\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_THAT(
      p[0], StartsWith("c.yml:1:1: frobnicate: unknown key \"frobnicate\"; allowed here: version, workflow"));
}

TEST_F(LoaderTest, KeysAtTheWrongLevelSayWhereTheyBelong) {
  EXPECT_THAT(
      ConfigProblems("timeouts:\n  ami_creation: 60\n"),
      ElementsAre(StartsWith("c.yml:1:1: timeouts: unknown key \"timeouts\" (it belongs under workflow:); "
                             "allowed here: version, workflow")));
  EXPECT_THAT(
      ZoneProblems(std::string(kZoneHead) +
                   "  - {name: a, account_id: \"111111111111\", region: us-east-1, tags: {A: b}}\n"),
      ElementsAre(StartsWith("z.yml:2:62: landing_zones[0].tags: unknown key \"tags\" (it belongs under "
                             "filters:); allowed here: name")));
}

TEST_F(LoaderTest, WrongTypesSayWhatWasFoundAndWhatIsAllowed) {
  EXPECT_THAT(
      ConfigProblems("dry_run: maybe\nworkflow:\n  phases: [scan]\nconcurrency:\n  zone_workers: \"4\"\n"),
      ElementsAre("c.yml:1:10: dry_run: expected true or false; found 'maybe'",
                  "c.yml:3:11: workflow.phases: expected a mapping with the keys scan, backup, precheck, "
                  "patch, postcheck; found a list",
                  "c.yml:5:17: concurrency.zone_workers: expected a whole number from 1 to 64; found the "
                  "quoted string \"4\" (write the number without quotes)"));
}

TEST_F(LoaderTest, OutOfRangeNumbers) {
  EXPECT_THAT(
      ConfigProblems("workflow:\n  timeouts:\n    ami_creation: 5\n    ssm_connection: 2h\n"
                     "precheck:\n  min_free_disk_percent: 150\n"),
      ElementsAre("c.yml:3:19: workflow.timeouts.ami_creation: out of range: 5 is 5 s; allowed: a number of "
                  "seconds from 60 to 86400, or a duration such as \"30m\" or \"1h30m\"",
                  "c.yml:4:21: workflow.timeouts.ssm_connection: out of range: 2h is 7200 s; allowed: a "
                  "number of seconds from 10 to 3600, or a duration such as \"30m\" or \"1h30m\"",
                  "c.yml:6:26: precheck.min_free_disk_percent: out of range: 150%; allowed: 0 to 100%"));
}

TEST_F(LoaderTest, DurationsAcceptUnits) {
  EXPECT_THAT(ConfigProblems("workflow:\n  timeouts:\n    ami_creation: 45m\n    patch_execution: 1h30m\n"),
              IsEmpty());
  EXPECT_EQ(config_.workflow.timeouts.ami_creation, std::chrono::seconds(2700));
  EXPECT_EQ(config_.workflow.timeouts.patch_execution, std::chrono::seconds(5400));
}

TEST_F(LoaderTest, FirstPollsAreDurationsPerKindOfWork) {
  EXPECT_EQ(config_.workflow.first_poll.precheck, std::chrono::seconds(3));
  EXPECT_THAT(ConfigProblems("workflow:\n  first_poll:\n    precheck: 1\n    ami: 2m\n"), IsEmpty());
  EXPECT_EQ(config_.workflow.first_poll.precheck, std::chrono::seconds(1));
  EXPECT_EQ(config_.workflow.first_poll.ami, std::chrono::seconds(120));
  EXPECT_EQ(config_.workflow.first_poll.patch, std::chrono::seconds(60));
  EXPECT_EQ(config_.workflow.first_poll.reboot, std::chrono::seconds(30));
  EXPECT_THAT(ConfigProblems("workflow:\n  first_poll:\n    reboot: 5\n"), IsEmpty());
  EXPECT_EQ(config_.workflow.first_poll.reboot, std::chrono::seconds(5));
  EXPECT_THAT(ConfigProblems("workflow:\n  first_poll:\n    patch: 0\n"),
              ElementsAre(::testing::HasSubstr("workflow.first_poll.patch: out of range")));
}

TEST_F(LoaderTest, PollIntervalIsSecondsFromOneTo300) {
  EXPECT_THAT(ConfigProblems("workflow:\n  poll_interval: 30\n"), IsEmpty());
  EXPECT_EQ(config_.workflow.poll_interval, std::chrono::seconds(30));
  EXPECT_THAT(ConfigProblems("workflow:\n  poll_interval: 2m\n"), IsEmpty());
  EXPECT_EQ(config_.workflow.poll_interval, std::chrono::seconds(120));
  EXPECT_THAT(ConfigProblems("workflow:\n  poll_interval: 0\n"),
              ElementsAre("c.yml:2:18: workflow.poll_interval: out of range: 0 is 0 s; allowed: a number of "
                          "seconds from 1 to 300, or a duration such as \"30m\" or \"1h30m\""));
  EXPECT_THAT(ConfigProblems("workflow:\n  poll_interval: 10m\n"),
              ElementsAre(StartsWith("c.yml:2:18: workflow.poll_interval: out of range: 10m is 600 s")));
  // Written one level too deep, it says where it belongs.
  EXPECT_THAT(ConfigProblems("workflow:\n  timeouts:\n    poll_interval: 5\n"),
              ElementsAre(HasSubstr("unknown key \"poll_interval\" (it belongs under workflow:)")));
}

TEST_F(LoaderTest, ErrorBudgetCountOrPercent) {
  EXPECT_THAT(ConfigProblems("error_budget: 5\n"), IsEmpty());
  EXPECT_FALSE(config_.error_budget.percent);
  EXPECT_EQ(config_.error_budget.Of(1000), 5);
  EXPECT_THAT(ConfigProblems("error_budget: \"25%\"\n"), IsEmpty());
  EXPECT_TRUE(config_.error_budget.percent);
  EXPECT_EQ(config_.error_budget.Of(10), 2);
  EXPECT_THAT(
      ConfigProblems("error_budget: 120%\n"),
      ElementsAre("c.yml:1:15: error_budget: out of range: 120%; allowed: a count (0 to 1000000) or a "
                  "percentage from 0% to 100% such as \"10%\""));
  EXPECT_THAT(
      ConfigProblems("error_budget: lots\n"),
      ElementsAre("c.yml:1:15: error_budget: expected a count (0 to 1000000) or a percentage from 0% to "
                  "100% such as \"10%\"; found 'lots'"));
}

TEST_F(LoaderTest, EnumsAreCaseInsensitiveAndSuggest) {
  EXPECT_THAT(ConfigProblems("patch:\n  operation: install\n  reboot_option: noreboot\n"), IsEmpty());
  EXPECT_EQ(config_.patch.operation, PatchOperation::kInstall);
  EXPECT_EQ(config_.patch.reboot_option, RebootOption::kNoReboot);
  EXPECT_THAT(
      ConfigProblems("patch:\n  reboot_option: RebootIfNeded\n"),
      ElementsAre(
          "c.yml:2:18: patch.reboot_option: found 'RebootIfNeded' (did you mean \"RebootIfNeeded\"?); "
          "allowed: RebootIfNeeded, NoReboot"));
  EXPECT_THAT(
      ConfigProblems("reporting:\n  formats: [csv, jsn]\n"),
      ElementsAre("c.yml:2:12: reporting.formats: unknown report format \"jsn\" (did you mean \"json\"?); "
                  "allowed: csv, json, html, xml"));
  EXPECT_THAT(ConfigProblems("reporting:\n  formats: csv,html\n"), IsEmpty());
  ASSERT_EQ(config_.reporting.formats.size(), 2u);
  EXPECT_EQ(config_.reporting.formats[1], ReportFormat::kHtml);
}

TEST_F(LoaderTest, AccountIdsMustBeTwelveDigitsAndRoundTrip) {
  auto p = ZoneProblems(std::string(kZoneHead) +
                        "  - {name: a, account_id: 012345678901, region: us-east-1}\n"
                        "  - {name: b, account_id: \"12345\", region: us-east-1}\n"
                        "  - {name: c, account_id: 1.2345678901e11, region: us-east-1}\n"
                        "  - {name: d, account_id: 123456789012, region: us-east-1}\n"
                        "  - {name: e, account_id: \"000000000001\", region: us-east-1}\n");
  EXPECT_THAT(
      p, ElementsAre("z.yml:2:27: landing_zones[0].account_id: the unquoted number 012345678901 is read by "
                     "YAML as 12345678901 and loses its leading zero; quote it: \"012345678901\"",
                     "z.yml:3:27: landing_zones[1].account_id: found the quoted string \"12345\"; an AWS "
                     "account id is exactly 12 digits, written as a quoted string (e.g. \"012345678901\")",
                     "z.yml:4:27: landing_zones[2].account_id: the unquoted number 1.2345678901e11 does not "
                     "read back as a 12-digit account id; write the 12 digits in quotes"));
  // The valid ones load (inside a failing file they are still checked, but nothing is returned).
  EXPECT_THAT(
      ZoneProblems(std::string(kZoneHead) + "  - {name: d, account_id: 123456789012, region: us-east-1}\n" +
                   "  - {name: e, account_id: \"000000000001\", region: us-east-1}\n"),
      IsEmpty());
  ASSERT_EQ(zones_.size(), 2u);
  EXPECT_EQ(zones_[0].account_id, "123456789012");
  EXPECT_EQ(zones_[1].account_id, "000000000001");
  EXPECT_EQ(zones_[1].role_arn, "arn:aws:iam::000000000001:role/FleetPatchRole");
}

TEST_F(LoaderTest, AllZeroAccountIdAndHugeNumbersDoNotCrash) {
  EXPECT_THAT(
      ZoneProblems(std::string(kZoneHead) + "  - {name: a, account_id: 000000000000, region: us-east-1}\n"),
      ElementsAre(HasSubstr("is read by YAML as 0 and loses its leading zero")));
  EXPECT_THAT(ConfigProblems("workflow:\n  timeouts:\n    ami_creation: 99999999999999999999999h\n"),
              ElementsAre(HasSubstr("expected a number of seconds")));
  EXPECT_THAT(ConfigProblems("error_budget: \"" + std::string(400, '9') + "%\"\n"),
              ElementsAre(HasSubstr("error_budget: expected a count")));
  EXPECT_THAT(ConfigProblems("concurrency:\n  zone_workers: 99999999999999999999999999\n"),
              ElementsAre(HasSubstr("out of range")));
}

// Random byte mutations of the example files: the loader either loads or reports problems, never
// crashes or throws (run under ASan/UBSan in CI).
TEST_F(LoaderTest, SurvivesMutatedFiles) {
  const std::string base =
      testing::ReadFileOrDie(testing::SourceDir() / "examples/config/prepatch_config.yml");
  const std::string inv =
      testing::ReadFileOrDie(testing::SourceDir() / "examples/inventory/prod_landing_zones.yml");
  uint64_t seed = 0x5eed;
  auto next = [&] { return seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, seed >> 33; };
  const char kBytes[] = "{}[]:,-'\"&*!|>%@`#\n \t0a$~?";
  int loaded = 0, rejected = 0;
  for (int i = 0; i < 60; ++i) {
    std::string text = (i % 2 ? base : inv);
    for (int m = 0, n = 1 + static_cast<int>(next() % 4); m < n; ++m) {
      size_t at = next() % text.size();
      switch (next() % 3) {
        case 0:
          text[at] = kBytes[next() % (sizeof kBytes - 1)];
          break;
        case 1:
          text.erase(at, 1 + next() % 8);
          break;
        default:
          text.insert(at, 1, kBytes[next() % (sizeof kBytes - 1)]);
          break;
      }
    }
    Write("inventory/prod_landing_zones.yml", i % 2 ? inv : text);
    Write("config/c.yml", i % 2 ? text : "landing_zones: ../inventory/prod_landing_zones.yml\n");
    Config c;
    auto problems = CheckConfigFile(dir_.path() / "config/c.yml", MapEnv({}), &c);
    (problems.empty() ? loaded : rejected)++;
    for (const auto& p : problems) EXPECT_FALSE(p.message.empty());
  }
  EXPECT_GT(rejected, 0);
  EXPECT_EQ(loaded + rejected, 60);
}

TEST_F(LoaderTest, RoleArnsAreCheckedAgainstTheAccountAndPartition) {
  auto p = ZoneProblems(std::string(kZoneHead) +
                        "  - name: a\n    account_id: \"111111111111\"\n    region: us-east-1\n"
                        "    role_arn: arn:aws:iam::222222222222:role/X\n"
                        "  - name: b\n    account_id: \"111111111111\"\n    region: cn-north-1\n"
                        "    role_arn: arn:aws:iam::111111111111:role/X\n"
                        "  - name: c\n    account_id: \"111111111111\"\n    region: us-east-1\n"
                        "    role_arn: arn:aws:iam::111111111111:user/X\n"
                        "  - name: d\n    account_id: \"111111111111\"\n    region: us-east-1\n"
                        "    role_arn: arn:aws:iam::111111111111:role/X\n    role_name: Y\n");
  EXPECT_THAT(
      p, ElementsAre("z.yml:5:15: landing_zones[0].role_arn: found \"arn:aws:iam::222222222222:role/X\"; the "
                     "role ARN is in account 222222222222 but the landing zone's account_id is 111111111111; "
                     "fleetpatch assumes a role in the zone's own account",
                     "z.yml:9:15: landing_zones[1].role_arn: found \"arn:aws:iam::111111111111:role/X\"; the "
                     "role ARN's partition is aws but region cn-north-1 is in partition aws-cn",
                     "z.yml:13:15: landing_zones[2].role_arn: found \"arn:aws:iam::111111111111:user/X\"; a "
                     "role ARN looks like arn:aws:iam::123456789012:role/NAME or "
                     "arn:aws:iam::123456789012:role/PATH/NAME (partition aws, aws-cn or aws-us-gov)",
                     "z.yml:18:16: landing_zones[3].role_name: give either role_arn or role_name, not both"));
}

TEST_F(LoaderTest, RegionsAndDuplicateNamesAndMissingKeys) {
  auto p = ZoneProblems(std::string(kZoneHead) +
                        "  - {name: a, account_id: \"111111111111\", region: US-East-1}\n"
                        "  - {name: b, account_id: \"111111111111\", region: us-east-1}\n"
                        "  - {name: b, account_id: \"111111111111\", region: us-west-2}\n"
                        "  - {name: c, region: us-west-2, rgion: x}\n");
  EXPECT_THAT(
      p,
      ElementsAre("z.yml:2:51: landing_zones[0].region: found \"US-East-1\"; a region is lower case like "
                  "us-east-1, eu-central-1, us-gov-west-1 or cn-north-1",
                  "z.yml:4:12: landing_zones[2].name: duplicate landing zone name \"b\" (first defined at " +
                      (dir_.path() / "z.yml").string() + ":3); zone names must be unique",
                  "z.yml:5:5: landing_zones[3]: missing required key \"account_id\"",
                  "z.yml:5:34: landing_zones[3].rgion: unknown key \"rgion\" (did you mean \"region\"?); "
                  "allowed here: name, account_id, region, role_arn, role_name, external_id, session_name, "
                  "endpoint_url, enabled, filters"));
}

TEST_F(LoaderTest, DuplicateKeysAreReported) {
  EXPECT_THAT(
      ConfigProblems("dry_run: true\ndry_run: false\n"),
      ElementsAre("c.yml:2:1: dry_run: duplicate key \"dry_run\" (first given on line 1); give it once"));
}

TEST_F(LoaderTest, TagFiltersTakeAValueOrAListAndZonesOverrideDefaults) {
  EXPECT_THAT(
      ZoneProblems("defaults:\n  role_name: Base\n  filters:\n    tags: {PatchGroup: prod, Tier: web}\n"
                   "    exclude_tags: {Skip: \"true\"}\n"
                   "landing_zones:\n"
                   "  - name: a\n    account_id: \"111111111111\"\n    region: us-gov-west-1\n"
                   "    filters:\n      tags:\n        PatchGroup: [prod, prod-eu]\n"
                   "  - name: b\n    account_id: \"222222222222\"\n    region: eu-west-1\n"
                   "    enabled: false\n    role_name: Other\n"),
      IsEmpty());
  ASSERT_EQ(zones_.size(), 2u);
  EXPECT_EQ(zones_[0].role_arn, "arn:aws-us-gov:iam::111111111111:role/Base");
  EXPECT_EQ(zones_[0].filter_tags.at("PatchGroup"), (std::vector<std::string>{"prod", "prod-eu"}));
  EXPECT_EQ(zones_[0].filter_tags.at("Tier"), (std::vector<std::string>{"web"}));
  EXPECT_EQ(zones_[0].exclude_tags.at("Skip"), (std::vector<std::string>{"true"}));
  EXPECT_TRUE(zones_[0].enabled);
  EXPECT_FALSE(zones_[1].enabled);
  EXPECT_EQ(zones_[1].role_name, "Other");
  EXPECT_EQ(zones_[1].role_arn, "arn:aws:iam::222222222222:role/Other");
  EXPECT_EQ(zones_[1].filter_tags.at("PatchGroup"), (std::vector<std::string>{"prod"}));

  EXPECT_THAT(
      ZoneProblems(
          std::string(kZoneHead) +
          "  - {name: a, account_id: \"111111111111\", region: us-east-1, filters: {tags: {K: []}}}\n"),
      ElementsAre("z.yml:2:82: landing_zones[0].filters.tags.K: an empty list matches nothing; give at "
                  "least one value"));
}

TEST_F(LoaderTest, BareListInventoryIsAccepted) {
  EXPECT_THAT(ZoneProblems("- {name: a, account_id: \"111111111111\", region: us-east-1}\n"), IsEmpty());
  ASSERT_EQ(zones_.size(), 1u);
  EXPECT_EQ(zones_[0].session_name, "fleetpatch");
}

TEST_F(LoaderTest, EnvironmentReferencesExpandInStrings) {
  auto env = MapEnv({{"EXT", "secret-ext-id"}, {"ACCT", "333333333333"}});
  EXPECT_THAT(ZoneProblems(std::string(kZoneHead) +
                               "  - name: a\n    account_id: ${ACCT}\n    region: ${REGION:-eu-west-2}\n"
                               "    external_id: ${EXT}\n",
                           env),
              IsEmpty());
  ASSERT_EQ(zones_.size(), 1u);
  EXPECT_EQ(zones_[0].account_id, "333333333333");
  EXPECT_EQ(zones_[0].region, "eu-west-2");
  EXPECT_EQ(zones_[0].external_id, "secret-ext-id");

  EXPECT_THAT(
      ZoneProblems(std::string(kZoneHead) +
                       "  - name: a\n    account_id: \"333333333333\"\n    region: us-east-1\n"
                       "    external_id: \"${MISSING_EXT}\"\n",
                   env),
      ElementsAre("z.yml:5:18: landing_zones[0].external_id: environment variable MISSING_EXT is not set "
                  "(referenced as ${MISSING_EXT}); export it, or give a default with ${MISSING_EXT:-value}"));
}

TEST_F(LoaderTest, InlineZonesAndInventoryPathsRelativeToTheConfig) {
  Write("inv/zones.yml", "landing_zones:\n  - {name: a, account_id: \"111111111111\", region: us-east-1}\n");
  EXPECT_THAT(
      ConfigProblems("landing_zones: inv/zones.yml\nlanding_zone_defaults: {role_name: FromConfig}\n"),
      IsEmpty());
  ASSERT_EQ(config_.landing_zones.size(), 1u);
  EXPECT_EQ(config_.landing_zones[0].role_arn, "arn:aws:iam::111111111111:role/FromConfig");
  EXPECT_EQ(config_.landing_zones_file, (dir_.path() / "inv/zones.yml").string());

  EXPECT_THAT(
      ConfigProblems("landing_zones:\n  - {name: x, account_id: \"111111111111\", region: us-east-1}\n"),
      IsEmpty());
  ASSERT_EQ(config_.landing_zones.size(), 1u);
  EXPECT_EQ(config_.landing_zones_file, "");
}

TEST_F(LoaderTest, ProblemsInTheReferencedInventoryNameThatFile) {
  Write("inv/zones.yml", "landing_zones:\n  - {name: a, account_id: \"111\", region: us-east-1}\n");
  EXPECT_THAT(
      ConfigProblems("dry_run: 3\nlanding_zones: inv/zones.yml\n"),
      ElementsAre("c.yml:1:10: dry_run: expected true or false; found '3'",
                  "inv/zones.yml:2:27: landing_zones[0].account_id: found the quoted string \"111\"; an AWS "
                  "account id is exactly 12 digits, written as a quoted string (e.g. \"012345678901\")"));
}

TEST_F(LoaderTest, MissingInventoryIsReportedWhereItIsReferenced) {
  auto p = ConfigProblems("landing_zones: nowhere.yml\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_THAT(p[0], StartsWith("c.yml:1:16: landing_zones: the file \"" +
                               (dir_.path() / "nowhere.yml").string() + "\" does not exist (looked for "));
}

TEST_F(LoaderTest, AnEndlessOrHugeFileIsRefusedWithoutReadingItAll) {
  // /dev/zero never ends: read whole before the size check, it would take all memory.
  auto endless = CheckConfigFile("/dev/zero", MapEnv({}), nullptr);
  ASSERT_EQ(endless.size(), 1u);
  EXPECT_THAT(endless[0].ToString(),
              HasSubstr("/dev/zero: is larger than 16 MiB; this is not a fleetpatch config"));
  const auto sparse = dir_.path() / "huge.yml";
  std::ofstream(sparse) << "a: 1\n";
  std::filesystem::resize_file(sparse, (16u << 20) + 1);  // sparse: costs no disk
  auto huge = CheckConfigFile(sparse, MapEnv({}), nullptr);
  ASSERT_EQ(huge.size(), 1u);
  EXPECT_THAT(huge[0].ToString(), HasSubstr("is larger than 16 MiB"));
}

TEST_F(LoaderTest, MissingUnreadableEmptyAndDirectoryFiles) {
  auto missing = CheckConfigFile(dir_.path() / "absent.yml", MapEnv({}), nullptr);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].line, 0);
  EXPECT_THAT(missing[0].ToString(), HasSubstr("absent.yml: does not exist (looked for "));

  auto empty = Strip(CheckConfigFile(Write("empty.yml", "# nothing but a comment\n\n"), MapEnv({}), nullptr));
  EXPECT_THAT(empty,
              ElementsAre("empty.yml:1:1: the file is empty (or holds only comments); expected a mapping "
                          "with keys such as workflow, landing_zones, patch"));
  auto empty_zones = Strip(CheckLandingZonesFile(Write("ez.yml", ""), ZoneDefaults{}, MapEnv({}), nullptr));
  EXPECT_THAT(
      empty_zones,
      ElementsAre("ez.yml:1:1: the file is empty (or holds only comments); expected a landing_zones: list"));

  auto dir = Strip(CheckConfigFile(dir_.path(), MapEnv({}), nullptr));
  ASSERT_EQ(dir.size(), 1u);
  EXPECT_THAT(dir[0], HasSubstr("is a directory; give the path of a YAML file"));

  // Unreadable for everyone, root included: a symlink loop.
  std::filesystem::create_symlink(dir_.path() / "loop-b", dir_.path() / "loop-a");
  std::filesystem::create_symlink(dir_.path() / "loop-a", dir_.path() / "loop-b");
  EXPECT_THAT(Strip(CheckConfigFile(dir_.path() / "loop-a", MapEnv({}), nullptr)),
              ElementsAre("loop-a: cannot be read: Too many levels of symbolic links; check the path and its "
                          "permissions"));
  // Referenced from a config, it is reported where it is referenced.
  EXPECT_THAT(
      ConfigProblems("landing_zones: loop-a\n"),
      ElementsAre(
          "c.yml:1:16: landing_zones: the file \"" + (dir_.path() / "loop-a").string() +
          "\" cannot be read: Too many levels of symbolic links; check the path and its permissions"));

  if (geteuid() != 0) {  // root reads anything
    auto path = Write("secret.yml", "dry_run: true\n");
    ::chmod(path.c_str(), 0);
    auto unreadable = Strip(CheckConfigFile(path, MapEnv({}), nullptr));
    EXPECT_THAT(unreadable,
                ElementsAre("secret.yml: cannot be read: Permission denied; check its permissions"));
  }
}

TEST_F(LoaderTest, YamlSyntaxErrorsCarryTheParserPosition) {
  EXPECT_THAT(ConfigProblems("workflow:\n  phases: [scan,\npatch: {}\n"),
              ElementsAre("c.yml:4:1: YAML syntax error: end of sequence flow not found"));
  EXPECT_THAT(ConfigProblems("dry_run: true\naws: b: c\n"),
              ElementsAre("c.yml:2:7: YAML syntax error: illegal map value"));
}

TEST_F(LoaderTest, TopLevelMustBeAMapping) {
  EXPECT_THAT(ConfigProblems("- a\n- b\n"),
              ElementsAre(StartsWith("c.yml:1:1: expected a mapping with the keys version, workflow, "
                                     "landing_zone_defaults, landing_zones")));
}

TEST_F(LoaderTest, BackupNameTemplateIsCheckedForUniquenessAndCharacters) {
  EXPECT_THAT(ConfigProblems("backup:\n  name_template: \"bk-{instance}-{run_id}\"\n"),
              ElementsAre("c.yml:2:18: backup.name_template: unknown placeholder {instance} (did you mean "
                          "{instance_id}?); allowed: {run_id}, {instance_id}, {date}, {zone}"));
  EXPECT_THAT(ConfigProblems("backup:\n  name_template: \"bk-{instance_id}\"\n"),
              ElementsAre(HasSubstr("the name must contain {run_id} and {instance_id}")));
  EXPECT_THAT(ConfigProblems("backup:\n  name_template: \"bk#{instance_id}-{run_id}\"\n"),
              ElementsAre(HasSubstr("an AMI name is 3-128 characters")));
  EXPECT_THAT(
      ConfigProblems("backup:\n  name_template: \"bk-{zone}-{instance_id}-{run_id}\"\n  tags: {aws:x: y}\n"),
      ElementsAre("c.yml:3:17: backup.tags.aws:x: a tag key is 1-128 characters and must not start with "
                  "\"aws:\""));
}

TEST_F(LoaderTest, CriticalServiceNamesCannotBreakTheScriptQuoting) {
  EXPECT_THAT(
      ConfigProblems("precheck:\n  critical_services:\n    linux: [sshd, \"x'; rm -rf /\"]\n"),
      ElementsAre(
          "c.yml:3:19: precheck.critical_services.linux[1]: found \"x'; rm -rf /\"; a service name is "
          "1-128 characters of letters, digits and @._- not starting with '-' (no spaces, quotes, ':' or "
          "'+')"));
}

TEST_F(LoaderTest, ServiceNamesAreCheckedOnceWithThePrechecksRule) {
  // A leading '-' would be an option to systemctl; ':' and '+' would pass here and fail every precheck.
  EXPECT_THAT(
      ConfigProblems("precheck:\n  critical_services:\n    linux: [sshd, --help, a:b, c+d, getty@tty1]\n"),
      ElementsAre(HasSubstr("linux[1]: found \"--help\""), HasSubstr("linux[2]: found \"a:b\""),
                  HasSubstr("linux[3]: found \"c+d\"")));
}

TEST_F(LoaderTest, AllPhasesOffIsAProblem) {
  EXPECT_THAT(
      ConfigProblems("workflow:\n  phases: {scan: false, backup: false, precheck: false, patch: false}\n"),
      ElementsAre(
          "c.yml:2:11: workflow.phases: every phase is turned off, so a run would do nothing; turn at "
          "least one on"));
}

TEST_F(LoaderTest, NullValuesMeanDefault) {
  EXPECT_THAT(ConfigProblems("dry_run:\nstate:\n  path: ~\n"), IsEmpty());
  EXPECT_EQ(config_.state.path, ".fleetpatch/state.db");
}

TEST_F(LoaderTest, LoadResultCarriesEveryProblemInAConfigError) {
  auto path = Write("bad.yml", "dry_run: 1\nerror_budget: x\n");
  auto r = LoadConfigFile(path, MapEnv({}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
  EXPECT_EQ(r.error().message,
            path + ":1:10: dry_run: expected true or false; found '1'\n" + path +
                ":2:15: error_budget: expected a count (0 to 1000000) or a percentage from 0% to "
                "100% such as \"10%\"; found 'x'");
}

TEST_F(LoaderTest, ExampleFilesLoadAsWritten) {
  auto root = testing::SourceDir() / "examples";
  Config c;
  auto problems = CheckConfigFile(root / "config/prepatch_config.yml", MapEnv({}), &c);
  EXPECT_THAT(Strip(problems), IsEmpty());
  ASSERT_EQ(c.landing_zones.size(), 4u);
  EXPECT_EQ(c.landing_zones[0].name, "prod-us-east-1");
  EXPECT_EQ(c.landing_zones[0].role_arn, "arn:aws:iam::012345678901:role/ops/FleetPatchRole");
  EXPECT_EQ(c.landing_zones[1].account_id, "210987654321");
  EXPECT_EQ(c.landing_zones[2].role_arn, "arn:aws:iam::345678901234:role/PatchAutomation");
  EXPECT_FALSE(c.landing_zones[3].enabled);
  EXPECT_EQ(c.backup.tags.at("Owner"), "platform-team");
  EXPECT_EQ(c.workflow.timeouts.precheck_command, std::chrono::seconds(600));

  std::vector<LandingZone> zones;
  EXPECT_THAT(Strip(CheckLandingZonesFile(root / "inventory/prod_landing_zones.yml", ZoneDefaults{},
                                          MapEnv({}), &zones)),
              IsEmpty());
  EXPECT_EQ(zones.size(), 4u);
}

TEST(ConfigJson, RedactsExternalIds) {
  Config c;
  LandingZone z;
  z.name = "a";
  z.external_id = "very-secret";
  c.landing_zones.push_back(z);
  auto j = ConfigToJson(c);
  EXPECT_EQ(j["landing_zones"][0]["external_id"], "[REDACTED]");
  EXPECT_EQ(j.dump().find("very-secret"), std::string::npos);
  EXPECT_EQ(j["workflow"]["timeouts"]["ami_creation"], 1800);
}

TEST(AmiName, RendersEveryPlaceholder) {
  EXPECT_EQ(RenderAmiName("fp-{zone}-{instance_id}-{date}-{run_id}-{other}", "R1", "i-1", "20260101", "z"),
            "fp-z-i-1-20260101-R1-{other}");
}

}  // namespace
}  // namespace fleetpatch::config

namespace fleetpatch::config {
namespace {

// The YAML block that follows `marker` in docs/configuration.md.
std::string DocBlock(const std::string& marker) {
  std::string doc = testing::ReadFileOrDie(testing::SourceDir() / "docs/configuration.md");
  size_t at = doc.find(marker);
  EXPECT_NE(at, std::string::npos) << marker;
  size_t start = doc.find("```yaml\n", at);
  size_t end = doc.find("```\n", start + 8);
  return doc.substr(start + 8, end - start - 8);
}

TEST(Docs, TheDocumentedDefaultsAreTheStructDefaults) {
  auto c = LoadConfigString(DocBlock("The full shape, with every default"), "doc", ".", MapEnv({}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(ConfigToJson(*c).dump(2), ConfigToJson(Config{}).dump(2));
}

TEST(Docs, TheDocumentedInventoryLoads) {
  testing::TempDir dir;
  auto path = dir.path() / "inv.yml";
  std::ofstream(path) << DocBlock("## The landing-zone inventory");
  std::vector<LandingZone> zones;
  auto problems =
      CheckLandingZonesFile(path, ZoneDefaults{}, MapEnv({{"PROD_EXTERNAL_ID", "ext-123"}}), &zones);
  EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0].ToString());
  ASSERT_EQ(zones.size(), 2u);
  EXPECT_EQ(zones[0].external_id, "ext-123");
}

}  // namespace
}  // namespace fleetpatch::config
