// Golden tests: every format rendered from the fixed demo run must match the files in
// src/report/testdata/ byte for byte. After an intended change, regenerate them with
//   FP_UPDATE_GOLDEN=1 ./build/dev/fp_report_tests --gtest_filter='Golden*'
// and review the diff (git diff src/report/testdata) before committing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "report/report_test_util.h"
#include "report/report_writer.h"
#include "testing/testdata.h"

namespace fleetpatch::report {
namespace {

namespace fs = std::filesystem;

// The first line where two texts differ, for a readable failure message.
std::string FirstDifference(const std::string& want, const std::string& got) {
  size_t line = 1, start = 0;
  for (size_t i = 0; i < std::min(want.size(), got.size()); ++i) {
    if (want[i] != got[i]) {
      auto line_at = [&](const std::string& s) { return s.substr(start, s.find('\n', start) - start); };
      return "line " + std::to_string(line) + ":\n  expected: " + line_at(want).substr(0, 300) +
             "\n  actual:   " + line_at(got).substr(0, 300);
    }
    if (want[i] == '\n') ++line, start = i + 1;
  }
  return "one is a prefix of the other (sizes " + std::to_string(want.size()) + " and " +
         std::to_string(got.size()) + ")";
}

class Golden : public ::testing::TestWithParam<ReportFormat> {};

TEST_P(Golden, MatchesTheCheckedInFile) {
  RunSnapshot snap = testutil::DemoSnapshot();
  std::unique_ptr<ReportWriter> writer = MakeReportWriter(GetParam());
  Result<std::string> got = writer->Render(ReportData(snap, "2026-11-25T20:00:00Z"));
  ASSERT_TRUE(got.ok());
  fs::path golden = testutil::SourcePath("src/report/testdata") / writer->FileName(snap.run.run_id);
  if (testutil::UpdateGolden()) {
    std::ofstream(golden, std::ios::binary) << *got;
    GTEST_SKIP() << "updated " << golden;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with FP_UPDATE_GOLDEN=1 to create it";
  std::string want = fleetpatch::testing::ReadFileOrDie(golden);
  EXPECT_TRUE(want == *got)
      << golden.filename() << " differs at " << FirstDifference(want, *got)
      << "\nIf the change is intended: FP_UPDATE_GOLDEN=1 ./fp_report_tests --gtest_filter='Golden*'";
}

TEST_P(Golden, RenderingIsDeterministic) {
  RunSnapshot snap = testutil::DemoSnapshot();
  std::unique_ptr<ReportWriter> writer = MakeReportWriter(GetParam());
  Result<std::string> a = writer->Render(ReportData(snap));
  Result<std::string> b = writer->Render(ReportData(snap));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

INSTANTIATE_TEST_SUITE_P(Formats, Golden, ::testing::ValuesIn(AllReportFormats()),
                         [](const ::testing::TestParamInfo<ReportFormat>& info) {
                           return std::string(ReportFormatName(info.param));
                         });

}  // namespace
}  // namespace fleetpatch::report
