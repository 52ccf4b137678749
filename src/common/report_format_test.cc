#include "common/report_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fleetpatch {
namespace {

using ::testing::ElementsAre;

TEST(ReportFormat, EveryFormatParsesFromItsOwnName) {
  for (ReportFormat f : AllReportFormats()) {
    ReportFormat parsed = ReportFormat::kCsv;
    EXPECT_TRUE(ParseReportFormat(ReportFormatName(f), &parsed)) << ReportFormatName(f);
    EXPECT_EQ(parsed, f);
  }
  ReportFormat f;
  EXPECT_FALSE(ParseReportFormat("pdf", &f));
  EXPECT_FALSE(ParseReportFormat("CSV", &f));
}

TEST(ReportFormat, JunitIsNotChosenButComesWithXml) {
  EXPECT_THAT(ChoosableReportFormatNames(), ElementsAre("csv", "json", "html", "xml"));
  ReportFormat f;
  EXPECT_FALSE(ParseChoosableReportFormat("junit", &f));
  EXPECT_TRUE(ParseChoosableReportFormat("xml", &f));
  EXPECT_EQ(f, ReportFormat::kXml);
  EXPECT_THAT(FormatsToWrite({ReportFormat::kHtml, ReportFormat::kXml}),
              ElementsAre(ReportFormat::kHtml, ReportFormat::kXml, ReportFormat::kJunit));
  EXPECT_THAT(FormatsToWrite({ReportFormat::kCsv}), ElementsAre(ReportFormat::kCsv));
  EXPECT_THAT(FormatsToWrite({ReportFormat::kXml, ReportFormat::kJunit}),
              ElementsAre(ReportFormat::kXml, ReportFormat::kJunit));
}

}  // namespace
}  // namespace fleetpatch
