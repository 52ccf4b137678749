#include "report/xml_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <pugixml.hpp>

#include "report/junit_writer.h"
#include "report/report_test_util.h"
#include "testing/ci.h"
#include "testing/testdata.h"

namespace fleetpatch::report {
namespace {

using testutil::RunCommand;

constexpr const char* kXmllint = "/usr/bin/xmllint";

std::string Render(const ReportWriter& w, const RunSnapshot& snap) {
  Result<std::string> out = w.Render(ReportData(snap));
  EXPECT_TRUE(out.ok());
  return out.ok() ? *out : "";
}

// Runs xmllint on `xml`; with a schema path, validates against it.
int Xmllint(const std::string& xml, const std::string& schema, std::string* output) {
  fleetpatch::testing::TempDir dir;
  std::filesystem::path file = dir.path() / "report.xml";
  std::ofstream(file, std::ios::binary) << xml;
  std::string cmd = std::string(kXmllint) + " --noout --nonet";
  if (!schema.empty()) cmd += " --schema '" + schema + "'";
  return RunCommand(cmd + " '" + file.string() + "'", output);
}

std::vector<RunSnapshot> Cases() {
  std::vector<RunSnapshot> cases;
  cases.push_back(testutil::DemoSnapshot());
  RunSnapshot scan_only = testutil::DemoSnapshot();
  for (auto& i : scan_only.instances) i.backup.reset(), i.precheck.reset(), i.patch.reset();
  scan_only.run.status = RunStatus::kInterrupted;
  cases.push_back(scan_only);
  RunSnapshot empty;
  empty.run.run_id = "empty-run";
  cases.push_back(empty);
  cases.push_back(testutil::DemoSnapshotWithStandby());
  return cases;
}

TEST(XmlWriter, SummaryListsWhatIsLeftInStandby) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(Render(XmlWriter(), testutil::DemoSnapshotWithStandby()).c_str()));
  auto left = doc.select_nodes("//*[local-name()='summary']/*[local-name()='autoScalingLeft']");
  ASSERT_EQ(left.size(), 3u);
  EXPECT_STREQ(left[0].node().attribute("status").value(), "in_standby");
  EXPECT_STREQ(left[1].node().attribute("group").value(), "web-asg <b>");
  EXPECT_STREQ(left[2].node().attribute("status").value(), "group_suspended");
}

TEST(XmlWriter, ReportsValidateAgainstTheShippedXsd) {
  FP_REQUIRE_OR_SKIP_OUTSIDE_CI(std::filesystem::exists(kXmllint),
                                "xmllint is not installed (apt-get install libxml2-utils)");
  std::string xsd = testutil::SourcePath("schemas/report.xsd").string();
  for (const RunSnapshot& snap : Cases()) {
    std::string out;
    EXPECT_EQ(Xmllint(Render(XmlWriter(), snap), xsd, &out), 0) << out;
  }
}

TEST(XmlWriter, XsdRejectsAMalformedReport) {
  FP_REQUIRE_OR_SKIP_OUTSIDE_CI(std::filesystem::exists(kXmllint),
                                "xmllint is not installed (apt-get install libxml2-utils)");
  std::string xml = Render(XmlWriter(), testutil::DemoSnapshot());
  size_t at = xml.find("status=\"success\"");
  ASSERT_NE(at, std::string::npos);
  xml.replace(at, 16, "status=\"mostly\"");
  // xmllint exits 3 for a document that fails validation; other codes (a parse error, a schema that
  // does not compile, a crash) are not a rejection by the schema.
  std::string out;
  EXPECT_EQ(Xmllint(xml, testutil::SourcePath("schemas/report.xsd").string(), &out), 3) << out;
  EXPECT_THAT(out, ::testing::HasSubstr("'mostly' is not an element of the set")) << out;
}

TEST(XmlWriter, UntrustedTextRoundTripsAndControlCharactersAreReplaced) {
  RunSnapshot snap = testutil::DemoSnapshot();
  snap.instances[0].info.name = std::string("nul\0 esc\x1b bad\xff <>&\"'", 20);
  pugi::xml_document doc;
  std::string xml = Render(XmlWriter(), snap);
  ASSERT_TRUE(doc.load_string(xml.c_str())) << "not well-formed";
  pugi::xml_node root = doc.child("fleetpatchReport");
  EXPECT_STREQ(root.attribute("xmlns").value(), "urn:fleetpatch:report:1");
  auto instances = root.child("instances").children("instance");
  std::vector<pugi::xml_node> list(instances.begin(), instances.end());
  ASSERT_EQ(list.size(), 9u);
  EXPECT_STREQ(list[0].attribute("name").value(), "nul\xEF\xBF\xBD esc\xEF\xBF\xBD bad\xEF\xBF\xBD <>&\"'");
  EXPECT_STREQ(list[1].attribute("name").value(), testutil::kImgPayload);
  EXPECT_STREQ(list[2].attribute("name").value(), testutil::kScriptPayload);
  EXPECT_STREQ(list[1].child("precheck").child("finding").attribute("measured").value(), "4.2%");
  EXPECT_STREQ(list[1].child("precheck").child("finding").attribute("passed").value(), "false");
  EXPECT_STREQ(list[1].child("precheck").child_value("reason"), "disk_free:/ is 4.2%, needs >= 10%");
  EXPECT_STREQ(list[2].child("backup").child("error").attribute("code").value(), "InvalidParameterValue");
  EXPECT_STREQ(list[0].child("patch").attribute("installedPendingReboot").value(), "2");
  EXPECT_STREQ(root.child("summary").attribute("errors").value(), "8");
  nlohmann::json config = nlohmann::json::parse(root.child("run").child_value("config"));
  EXPECT_EQ(config["backup"]["timeout_s"], 1800);
}

TEST(JunitWriter, OneTestCasePerInstanceAndPhaseGroupedByZone) {
  RunSnapshot snap = testutil::DemoSnapshot();
  std::string xml = Render(JunitWriter(), snap);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  pugi::xml_node suites = doc.child("testsuites");
  // 9 instances x 4 phases + 1 failed zone.
  EXPECT_STREQ(suites.attribute("tests").value(), "37");
  EXPECT_STREQ(suites.attribute("failures").value(), "6");
  EXPECT_STREQ(suites.attribute("errors").value(), "1");
  int suites_seen = 0, cases = 0;
  for (pugi::xml_node suite : suites.children("testsuite")) {
    ++suites_seen;
    int n = 0, failures = 0, skipped = 0;
    for (pugi::xml_node tc : suite.children("testcase")) {
      ++n;
      EXPECT_STREQ(tc.attribute("classname").value(), suite.attribute("name").value());
      failures += tc.child("failure") ? 1 : 0;
      skipped += tc.child("skipped") ? 1 : 0;
    }
    EXPECT_EQ(std::to_string(n), suite.attribute("tests").value());
    EXPECT_EQ(std::to_string(failures), suite.attribute("failures").value());
    EXPECT_EQ(std::to_string(skipped), suite.attribute("skipped").value());
    cases += n;
  }
  EXPECT_EQ(suites_seen, 3);
  EXPECT_EQ(cases, 37);
  pugi::xml_node not_ready = suites.find_node([](pugi::xml_node n) {
    return std::string(n.name()) == "testcase" &&
           std::string(n.attribute("name").value()) == "i-0a1b2c3d4e5f60002 precheck";
  });
  ASSERT_TRUE(not_ready);
  EXPECT_STREQ(not_ready.attribute("classname").value(), "prod-eu");
  EXPECT_STREQ(not_ready.child("failure").attribute("type").value(), "validation");
  EXPECT_THAT(not_ready.child_value("failure"), ::testing::HasSubstr("disk_free:/ = 4.2% (>= 10%) FAIL"));
  pugi::xml_node zone = suites.find_node([](pugi::xml_node n) {
    return std::string(n.name()) == "testcase" &&
           std::string(n.attribute("name").value()) == "legacy landing zone";
  });
  ASSERT_TRUE(zone);
  EXPECT_STREQ(zone.child("error").attribute("type").value(), "authentication");
  pugi::xml_node precheck_time = suites.find_node([](pugi::xml_node n) {
    return std::string(n.name()) == "testcase" &&
           std::string(n.attribute("name").value()) == "i-0a1b2c3d4e5f60001 precheck";
  });
  EXPECT_STREQ(precheck_time.attribute("time").value(), "30");
}

TEST(JunitWriter, ScanOnlyRunHasOnlyScanCases) {
  RunSnapshot snap = Cases()[1];
  pugi::xml_document doc;
  std::string xml = Render(JunitWriter(), snap);
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  EXPECT_STREQ(doc.child("testsuites").attribute("tests").value(), "10");
  EXPECT_STREQ(doc.child("testsuites").attribute("skipped").value(), "2");  // the two ineligible instances
}

TEST(JunitWriter, ValidatesAgainstTheJunitSubsetCiServersRead) {
  FP_REQUIRE_OR_SKIP_OUTSIDE_CI(std::filesystem::exists(kXmllint),
                                "xmllint is not installed (apt-get install libxml2-utils)");
  std::string xsd = testutil::SourcePath("schemas/junit.xsd").string();
  for (const RunSnapshot& snap : Cases()) {
    std::string out;
    EXPECT_EQ(Xmllint(Render(JunitWriter(), snap), xsd, &out), 0) << out;
  }
  // A negative time (the demo run has a backup with a skewed clock) would be rejected.
  std::string xml = Render(JunitWriter(), testutil::DemoSnapshot());
  EXPECT_EQ(xml.find("time=\"-"), std::string::npos);
  size_t at = xml.find("time=\"0\"");
  ASSERT_NE(at, std::string::npos);
  xml.replace(at, 8, "time=\"-1\"");
  std::string out;
  EXPECT_NE(Xmllint(xml, xsd, &out), 0);
}

}  // namespace
}  // namespace fleetpatch::report
