// runs, show and report against a state store written the way a workflow writes it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "common/exit_codes.h"
#include "config/config.h"
#include "state/sqlite_state_store.h"
#include "testing/fake_clock.h"
#include "testing/test_postgres.h"
#include "testing/testdata.h"

namespace fleetpatch::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

class StoreCommandsTest : public ::testing::Test {
 protected:
  StoreCommandsTest() {
    ctx_.out = &out_;
    ctx_.err = &err_;
    ctx_.env = MapEnv({});
    ctx_.terminal = Terminal{[] { return false; }, nullptr, nullptr};
    state_ = (dir_.path() / "state.db").string();
  }
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "fleetpatch");
    out_.str("");
    err_.str("");
    return cli::Run(args, ctx_);
  }

  // Two runs: an older finished scan-only run and a newer run with a failed precheck, an
  // interrupted patch (pending) and a zone whose role could not be assumed.
  void WriteStore() {
    auto store = state::SqliteStateStore::Open(state_, clock_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    config::Config cfg;
    cfg.reporting.output_dir = (dir_.path() / "recorded-reports").string();
    cfg.reporting.formats = {config::ReportFormat::kCsv, config::ReportFormat::kJson};

    RunInfo old;
    old.run_id = "20261120-100000-aaaaaa";
    old.workflow = "scan";
    old.user = "alice";
    old.host = "bastion";
    old.config = config::ConfigToJson(cfg);
    ASSERT_TRUE((*store)->CreateRun(old).ok());
    ASSERT_TRUE(
        (*store)
            ->SaveZones(old.run_id,
                        {{"prod", "111111111111", "us-east-1", "arn:aws:iam::111111111111:role/R", {}}})
            .ok());
    ASSERT_TRUE((*store)->SaveInstances(old.run_id, {Instance("prod", "i-0000000000000000a", true)}).ok());
    ASSERT_TRUE((*store)->MarkPhaseCompleted(old.run_id, Phase::kScan).ok());
    ASSERT_TRUE((*store)->UpdateRunStatus(old.run_id, RunStatus::kSucceeded).ok());

    clock_.Advance(std::chrono::hours(24));
    RunInfo run;
    run.run_id = "20261121-100000-bbbbbb";
    run.workflow = "full";
    run.user = "bob";
    run.host = "ci-runner";
    run.config = config::ConfigToJson(cfg);
    ASSERT_TRUE((*store)->CreateRun(run).ok());
    LandingZoneInfo broken{"dev",
                           "333333333333",
                           "us-west-2",
                           "arn:aws:iam::333333333333:role/R",
                           {"authentication", "AccessDenied", "could not assume the role"}};
    ASSERT_TRUE(
        (*store)
            ->SaveZones(
                run.run_id,
                {{"prod", "111111111111", "us-east-1", "arn:aws:iam::111111111111:role/R", {}}, broken})
            .ok());
    ASSERT_TRUE((*store)
                    ->SaveInstances(run.run_id, {Instance("prod", "i-0000000000000000b", true),
                                                 Instance("prod", "i-0000000000000000c", true),
                                                 Instance("prod", "i-0000000000000000d", false)})
                    .ok());
    PrecheckResult not_ready;
    not_ready.status = PrecheckStatus::kNotReady;
    not_ready.reasons = {"disk_free:/ 3% < 10%"};
    ASSERT_TRUE((*store)->SavePrecheck(run.run_id, "prod", "i-0000000000000000c", not_ready).ok());
    PrecheckResult ready;
    ready.status = PrecheckStatus::kReady;
    ASSERT_TRUE((*store)->SavePrecheck(run.run_id, "prod", "i-0000000000000000b", ready).ok());
    PatchResult pending;
    pending.status = PatchStatus::kInProgress;
    ASSERT_TRUE((*store)->SavePatch(run.run_id, "prod", "i-0000000000000000b", pending).ok());
    ASSERT_TRUE((*store)->MarkPhaseCompleted(run.run_id, Phase::kScan).ok());
    ASSERT_TRUE((*store)->MarkPhaseCompleted(run.run_id, Phase::kPrecheck).ok());
    ASSERT_TRUE((*store)->UpdateRunStatus(run.run_id, RunStatus::kInterrupted).ok());
  }

  static InstanceInfo Instance(const std::string& zone, const std::string& id, bool eligible) {
    InstanceInfo i;
    i.zone = zone;
    i.account_id = "111111111111";
    i.region = "us-east-1";
    i.instance_id = id;
    i.platform = "linux";
    i.state = "running";
    i.eligible = eligible;
    if (!eligible) i.ineligible_reason = "stopped";
    return i;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1795000000))};
  std::string state_;
  std::ostringstream out_, err_;
  Context ctx_;
};

TEST_F(StoreCommandsTest, MissingStoreIsAValidationErrorAndIsNotCreated) {
  for (std::vector<std::string> args : {std::vector<std::string>{"runs", "--state", state_},
                                        {"show", "latest", "--state", state_},
                                        {"report", "latest", "--state", state_}}) {
    EXPECT_EQ(Run(args), kExitValidation) << args[0];
    EXPECT_THAT(err_.str(), HasSubstr("no state store at " + state_)) << args[0];
    EXPECT_EQ(out_.str(), "");
    EXPECT_FALSE(fs::exists(state_));
    EXPECT_FALSE(fs::exists(state_ + "-wal"));
  }
}

TEST_F(StoreCommandsTest, RunsListsNewestFirstWithCountsAndWho) {
  WriteStore();
  ASSERT_EQ(Run({"runs", "--state", state_}), kExitOk) << err_.str();
  std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("RUN"));
  size_t newer = out.find("20261121-100000-bbbbbb"), older = out.find("20261120-100000-aaaaaa");
  ASSERT_NE(newer, std::string::npos);
  ASSERT_NE(older, std::string::npos);
  EXPECT_LT(newer, older);
  EXPECT_THAT(out, HasSubstr("interrupted"));
  EXPECT_THAT(out, HasSubstr("scan,precheck"));
  EXPECT_THAT(out, HasSubstr("bob@ci-runner"));
  EXPECT_THAT(out, HasSubstr("alice@bastion"));

  ASSERT_EQ(Run({"runs", "--state", state_, "--limit", "1", "--output", "json"}), kExitOk) << err_.str();
  auto j = nlohmann::json::parse(out_.str());
  ASSERT_EQ(j["runs"].size(), 1u);
  EXPECT_EQ(j["runs"][0]["run_id"], "20261121-100000-bbbbbb");
  EXPECT_EQ(j["runs"][0]["instances"], 3);
  EXPECT_EQ(j["runs"][0]["status"], "interrupted");
  EXPECT_EQ(j["runs"][0]["user"], "bob");
  EXPECT_EQ(j["runs"][0]["phases_completed"], nlohmann::json::array({"scan", "precheck"}));
}

TEST_F(StoreCommandsTest, RunsOnAnEmptyStoreSaysSo) {
  { ASSERT_TRUE(state::SqliteStateStore::Open(state_, clock_).ok()); }
  ASSERT_EQ(Run({"runs", "--state", state_}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "No runs recorded in " + state_ + ".\n");
  EXPECT_EQ(Run({"show", "latest", "--state", state_}), kExitValidation);
  EXPECT_THAT(err_.str(), HasSubstr("holds no run yet"));
}

TEST_F(StoreCommandsTest, ShowLatestHasCountsZonesErrorsAndLock) {
  WriteStore();
  ASSERT_EQ(Run({"show", "latest", "--state", state_}), kExitOk) << err_.str();
  std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("Run 20261121-100000-bbbbbb (full): interrupted"));
  EXPECT_THAT(out, HasSubstr("3 instance(s) in 2 landing zone(s), 2 eligible"));
  EXPECT_THAT(out, HasSubstr("PrecheckNotReady: disk_free:/ 3% < 10%"));
  EXPECT_THAT(out, HasSubstr("i-0000000000000000c"));
  EXPECT_THAT(out, HasSubstr("AccessDenied"));
  EXPECT_THAT(out, HasSubstr("by bob@ci-runner"));
  EXPECT_THAT(out, HasSubstr("completed scan, precheck"));
  EXPECT_THAT(out, HasSubstr("zone failed: AccessDenied"));
  EXPECT_THAT(out, HasSubstr("Not locked."));

  // A second process working the run: show names it.
  auto store = state::SqliteStateStore::Open(state_, clock_);
  ASSERT_TRUE(store.ok());
  auto lock = (*store)->AcquireRunLock("20261121-100000-bbbbbb");
  ASSERT_TRUE(lock.ok());
  ASSERT_EQ(Run({"show", "20261121-100000-bbbbbb", "--state", state_, "--output", "json"}), kExitOk)
      << err_.str();
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["lock"]["pid"], static_cast<int64_t>(getpid()));
  EXPECT_EQ(j["status"], "interrupted");
  EXPECT_EQ(j["instances"], 3);
  EXPECT_EQ(j["phases"]["precheck"]["failed"], 1);
  EXPECT_EQ(j["phases"]["patch"]["pending"], 1);
  ASSERT_EQ(j["zones"].size(), 2u);
  EXPECT_EQ(j["zones"][1]["error"]["code"], "AccessDenied");
  EXPECT_GE(j["errors"].size(), 2u);
  EXPECT_EQ(j["config"]["reporting"]["formats"], nlohmann::json::array({"csv", "json"}));
}

TEST_F(StoreCommandsTest, ShowUnknownRunPointsToRuns) {
  WriteStore();
  EXPECT_EQ(Run({"show", "nope", "--state", state_}), kExitValidation);
  EXPECT_THAT(err_.str(), HasSubstr("no run \"nope\""));
  EXPECT_THAT(err_.str(), HasSubstr("fleetpatch runs"));
}

TEST_F(StoreCommandsTest, ReportRegeneratesAnInterruptedRunWithRecordedOrGivenFormats) {
  WriteStore();
  // The run's recorded directory and formats (csv, json).
  ASSERT_EQ(Run({"report", "latest", "--state", state_}), kExitOk) << err_.str();
  fs::path recorded = dir_.path() / "recorded-reports";
  EXPECT_THAT(out_.str(), HasSubstr("Reports of run 20261121-100000-bbbbbb (interrupted):"));
  int files = 0;
  for (const auto& e : fs::directory_iterator(recorded)) {
    ++files;
    EXPECT_THAT(out_.str(), HasSubstr(e.path().string()));
    EXPECT_EQ(fs::status(e.path()).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
  }
  EXPECT_EQ(files, 2);

  // Flags win: another directory, xml (with its JUnit companion), the older run.
  fs::path other = dir_.path() / "other";
  ASSERT_EQ(Run({"report", "20261120-100000-aaaaaa", "--state", state_, "--output-dir", other.string(),
                 "--format", "xml", "--output", "json"}),
            kExitOk)
      << err_.str();
  auto j = nlohmann::json::parse(out_.str());
  ASSERT_EQ(j["reports"].size(), 2u);
  for (const auto& p : j["reports"]) EXPECT_TRUE(fs::exists(p.get<std::string>())) << p;
  EXPECT_EQ(j["run_id"], "20261120-100000-aaaaaa");
}

// A team's shared store: `state copy` moves the SQLite runs into PostgreSQL, and runs, show and
// report read them there, chosen by --state or FLEETPATCH_STATE_URL. The URL's password is never
// printed nor written into a report.
TEST_F(StoreCommandsTest, StateCopyIntoPostgresThenRunsShowAndReportReadItThere) {
  std::string url;
  FP_REQUIRE_POSTGRES(url);
  url += "&password=s3cret-pw";  // the test server trusts local connections: libpq never sends it
  WriteStore();
  std::string printed;
  ASSERT_EQ(Run({"state", "copy", "--from", "sqlite:" + state_, "--to", url}), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("Copied 2 run(s)"));
  printed += out_.str() + err_.str();

  ASSERT_EQ(Run({"runs", "--state", url}), kExitOk) << err_.str();
  EXPECT_LT(out_.str().find("20261121-100000-bbbbbb"), out_.str().find("20261120-100000-aaaaaa"));
  EXPECT_THAT(out_.str(), HasSubstr("bob@ci-runner"));
  printed += out_.str() + err_.str();

  ctx_.env = MapEnv({{"FLEETPATCH_STATE_URL", url}});
  ASSERT_EQ(Run({"show", "latest"}), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("Run 20261121-100000-bbbbbb (full): interrupted"));
  EXPECT_THAT(out_.str(), HasSubstr("3 instance(s) in 2 landing zone(s), 2 eligible"));
  printed += out_.str() + err_.str();

  const fs::path reports = dir_.path() / "from-postgres";
  ASSERT_EQ(Run({"report", "latest", "--output-dir", reports.string(), "--format", "json"}), kExitOk)
      << err_.str();
  printed += out_.str() + err_.str();
  EXPECT_THAT(printed, Not(HasSubstr("s3cret-pw")));
  int files = 0;
  for (const auto& e : fs::directory_iterator(reports)) {
    ++files;
    std::ifstream in(e.path());
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_THAT(text.str(), HasSubstr("20261121-100000-bbbbbb"));
    EXPECT_THAT(text.str(), Not(HasSubstr("s3cret-pw"))) << e.path();
  }
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace fleetpatch::cli
