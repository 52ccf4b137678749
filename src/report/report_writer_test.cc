#include "report/report_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "report/report_test_util.h"
#include "testing/testdata.h"

namespace fleetpatch::report {
namespace {

namespace fs = std::filesystem;

mode_t Mode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST(WriteReports, WritesEveryFormatNamedAfterTheRunWithOwnerOnlyPermissions) {
  fleetpatch::testing::TempDir tmp;
  fs::path dir = tmp.path() / "reports" / "nested";
  RunSnapshot snap = testutil::DemoSnapshot();
  auto written = WriteReports(snap, dir, AllReportFormats());
  ASSERT_TRUE(written.ok()) << written.error().message;
  std::vector<std::string> names;
  for (const auto& p : *written) {
    names.push_back(p.filename().string());
    EXPECT_EQ(Mode(p), 0600u) << p;
    EXPECT_GT(fs::file_size(p), 100u);
  }
  EXPECT_THAT(names, ::testing::ElementsAre(
                         "fleetpatch-20261125-194200-a1b2c3.csv", "fleetpatch-20261125-194200-a1b2c3.json",
                         "fleetpatch-20261125-194200-a1b2c3.html", "fleetpatch-20261125-194200-a1b2c3.xml",
                         "fleetpatch-20261125-194200-a1b2c3-junit.xml"));
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(Mode(dir.parent_path()), 0700u);
  // No temporary files left behind.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
  EXPECT_EQ(files, 5u);
}

TEST(WriteReports, AcceptsRelativeAndTrailingSlashDirectories) {
  fleetpatch::testing::TempDir tmp;
  auto r = WriteReports(testutil::DemoSnapshot(), tmp.path().string() + "/a/b/", {ReportFormat::kCsv});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(fs::exists(tmp.path() / "a" / "b" / "fleetpatch-20261125-194200-a1b2c3.csv"));
}

TEST(WriteReports, RegeneratingReplacesTheFilesAndKeepsTheirPermissions) {
  fleetpatch::testing::TempDir tmp;
  RunSnapshot snap = testutil::DemoSnapshot();
  ASSERT_TRUE(WriteReports(snap, tmp.path(), {ReportFormat::kJson}).ok());
  fs::path file = tmp.path() / "fleetpatch-20261125-194200-a1b2c3.json";
  ::chmod(file.c_str(), 0644);
  snap.run.status = RunStatus::kSucceeded;
  ASSERT_TRUE(WriteReports(snap, tmp.path(), {ReportFormat::kJson}).ok());
  EXPECT_EQ(Mode(file), 0600u);
  EXPECT_THAT(fleetpatch::testing::ReadFileOrDie(file), ::testing::HasSubstr("\"status\": \"succeeded\""));
}

TEST(WriteReports, ExistingDirectoryPermissionsAreLeftAlone) {
  fleetpatch::testing::TempDir tmp;
  ::chmod(tmp.path().c_str(), 0750);
  ASSERT_TRUE(WriteReports(testutil::DemoSnapshot(), tmp.path(), {ReportFormat::kCsv}).ok());
  EXPECT_EQ(Mode(tmp.path()), 0750u);
}

TEST(WriteReports, RejectsRunIdsThatCouldEscapeTheDirectory) {
  fleetpatch::testing::TempDir tmp;
  for (const std::string& id :
       std::vector<std::string>{"", "../x", "a/b", ".hidden", "-rf", "a b", std::string(129, 'a')}) {
    RunSnapshot snap = testutil::DemoSnapshot();
    snap.run.run_id = id;
    auto r = WriteReports(snap, tmp.path(), {ReportFormat::kCsv});
    ASSERT_FALSE(r.ok()) << id;
    EXPECT_EQ(r.error().category, ErrorCategory::kValidation);
  }
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(WriteReports, FailsClearlyWhenTheDirectoryCannotBeCreated) {
  fleetpatch::testing::TempDir tmp;
  fs::path blocker = tmp.path() / "file";
  ASSERT_TRUE(WriteFileAtomic(blocker, "x").ok());
  auto r = WriteReports(testutil::DemoSnapshot(), blocker / "sub", {ReportFormat::kCsv});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("is not a directory"));
}

TEST(WriteFileAtomic, FailedRenameLeavesNoTemporaryFile) {
  fleetpatch::testing::TempDir tmp;
  fs::path target = tmp.path() / "r.txt";
  fs::create_directory(target);  // rename(file, non-empty directory) fails, also for root
  ASSERT_TRUE(WriteFileAtomic(target / "inner", "keep").ok());
  Status s = WriteFileAtomic(target, "new");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, ::testing::HasSubstr("cannot rename"));
  EXPECT_EQ(fleetpatch::testing::ReadFileOrDie(target / "inner"), "keep");
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) ++entries, (void)e;
  EXPECT_EQ(entries, 1u);
}

}  // namespace
}  // namespace fleetpatch::report

namespace fleetpatch::report {
namespace {

// Runs as the state store may hand them over: empty, interrupted mid-backup, instances whose zone
// is not in the zone list, a null config. Every format renders them.
TEST(ReportWriters, RenderEdgeCaseRuns) {
  std::vector<RunSnapshot> runs;
  RunSnapshot empty;
  empty.run.run_id = "empty";
  runs.push_back(empty);

  RunSnapshot interrupted = testutil::DemoSnapshot();
  interrupted.run.status = RunStatus::kInterrupted;
  interrupted.run.config = nullptr;
  interrupted.zones.clear();
  for (auto& i : interrupted.instances) {
    i.precheck.reset();
    i.patch.reset();
    if (i.backup) i.backup->status = BackupStatus::kPending;
  }
  runs.push_back(interrupted);

  for (const RunSnapshot& snap : runs) {
    ReportData data(snap);
    for (ReportFormat f : AllReportFormats()) {
      Result<std::string> out = MakeReportWriter(f)->Render(data);
      ASSERT_TRUE(out.ok()) << ReportFormatName(f);
      EXPECT_FALSE(out->empty()) << ReportFormatName(f);
    }
  }
  RunSummary s = Summarize(interrupted);
  EXPECT_EQ(s.zones.size(), 2u);  // zones known only from their instances
  EXPECT_EQ(s.phases[1].counts.pending, 7);
  EXPECT_EQ(s.overall.pending, 7);
  EXPECT_EQ(s.overall.skipped, 2);
}

}  // namespace
}  // namespace fleetpatch::report
