#include "report/json_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "report/report_test_util.h"
#include "testing/ci.h"
#include "testing/testdata.h"

namespace fleetpatch::report {
namespace {

using testutil::RunCommand;

constexpr const char* kPython = "/usr/bin/python3";

bool HaveJsonschema() {
  std::string out;
  return std::filesystem::exists(kPython) &&
         RunCommand(std::string(kPython) + " -m jsonschema --version", &out) == 0;
}

// Validates `doc` against schemas/report.schema.json with Debian's python3-jsonschema.
int Validate(const std::string& doc, std::string* output) {
  fleetpatch::testing::TempDir dir;
  std::filesystem::path file = dir.path() / "report.json";
  std::ofstream(file, std::ios::binary) << doc;
  return RunCommand(std::string(kPython) + " -m jsonschema -i '" + file.string() + "' '" +
                        testutil::SourcePath("schemas/report.schema.json").string() + "'",
                    output);
}

std::string Render(const RunSnapshot& snap, std::string generated_at = {}) {
  Result<std::string> out = JsonWriter().Render(ReportData(snap, std::move(generated_at)));
  EXPECT_TRUE(out.ok());
  return out.ok() ? *out : "";
}

TEST(JsonWriter, DocumentCarriesEverything) {
  RunSnapshot snap = testutil::DemoSnapshot();
  nlohmann::json doc = nlohmann::json::parse(Render(snap, "2026-11-25T20:00:00Z"));
  EXPECT_EQ(doc["report_version"], 1);
  EXPECT_EQ(doc["generated_at"], "2026-11-25T20:00:00Z");
  EXPECT_EQ(doc["run"]["run_id"], "20261125-194200-a1b2c3");
  EXPECT_EQ(doc["run"]["config"]["precheck"]["min_disk_free_pct"], 10);
  EXPECT_EQ(doc["summary"]["instances"], 9);
  EXPECT_EQ(doc["summary"]["errors"], 8);
  EXPECT_EQ(doc["instances"][5]["postcheck"]["status"], "degraded");
  EXPECT_EQ(doc["instances"][5]["rollback"]["status"], "rolled_back");
  EXPECT_EQ(doc["instances"][5]["rollback"]["postcheck"], "healthy");
  EXPECT_EQ(doc["summary"]["phases"][3]["failed"], 2);
  EXPECT_EQ(doc["zones"][2]["error"]["code"], "AccessDenied");
  ASSERT_EQ(doc["instances"].size(), 9u);
  const auto& i2 = doc["instances"][1];
  EXPECT_EQ(i2["name"], testutil::kImgPayload);
  EXPECT_EQ(i2["precheck"]["findings"][0]["measured"], "4.2%");
  EXPECT_EQ(i2["precheck"]["findings"][0]["passed"], false);
  EXPECT_EQ(i2["outcomes"]["precheck"], "failed");
  EXPECT_TRUE(doc["instances"][3]["backup"].is_null());
  EXPECT_EQ(doc["instances"][4]["backup"]["duration_s"], -1.5);
  EXPECT_EQ(doc["errors"][0]["phase"], "zone");
  EXPECT_EQ(doc["events"].size(), 4u);
  // Invalid UTF-8 in command output became U+FFFD rather than breaking the document.
  EXPECT_THAT(doc["instances"][7]["precheck"]["output"].get<std::string>(),
              ::testing::HasSubstr("\xEF\xBF\xBD"));
}

TEST(JsonWriter, SummaryListsWhatIsLeftInStandby) {
  nlohmann::json doc = nlohmann::json::parse(Render(testutil::DemoSnapshotWithStandby()));
  const auto& left = doc["summary"]["auto_scaling_left"];
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0]["status"], "in_standby");
  EXPECT_EQ(left[0]["group"], "web-asg <b>");
  EXPECT_EQ(left[2]["status"], "group_suspended");
  EXPECT_EQ(doc["instances"][0]["standby"]["status"], "in_standby");
  EXPECT_EQ(nlohmann::json::parse(Render(testutil::DemoSnapshot()))["summary"]["auto_scaling_left"],
            nlohmann::json::array());
}

TEST(JsonWriter, ReportsValidateAgainstTheShippedSchema) {
  FP_REQUIRE_OR_SKIP_OUTSIDE_CI(HaveJsonschema(),
                                "python3-jsonschema is not installed (apt-get install python3-jsonschema)");
  std::vector<RunSnapshot> cases;
  cases.push_back(testutil::DemoSnapshot());
  RunSnapshot scan_only = testutil::DemoSnapshot();
  for (auto& i : scan_only.instances) i.backup.reset(), i.precheck.reset(), i.patch.reset();
  scan_only.run.config = nullptr;
  cases.push_back(scan_only);
  RunSnapshot empty;
  empty.run.run_id = "empty-run";
  cases.push_back(empty);
  cases.push_back(testutil::DemoSnapshotWithStandby());
  for (size_t k = 0; k < cases.size(); ++k) {
    std::string out;
    EXPECT_EQ(Validate(Render(cases[k], k == 0 ? "2026-11-25T20:00:00Z" : ""), &out), 0)
        << "case " << k << ":\n"
        << out;
  }
}

TEST(JsonWriter, SchemaRejectsAMalformedReport) {
  FP_REQUIRE_OR_SKIP_OUTSIDE_CI(HaveJsonschema(),
                                "python3-jsonschema is not installed (apt-get install python3-jsonschema)");
  nlohmann::json doc = nlohmann::json::parse(Render(testutil::DemoSnapshot()));
  doc["instances"][0]["patch"]["status"] = "mostly_fine";
  // A rejection is exit 1 with the validator's finding; a crash (a traceback, also exit 1) is not one.
  std::string out;
  EXPECT_EQ(Validate(doc.dump(), &out), 1) << out;
  // The patch result is "null or an object", so jsonschema names the whole alternative, not the enum.
  EXPECT_THAT(out, ::testing::HasSubstr("'status': 'mostly_fine'"))
      << "the schema accepted an unknown patch status";
  EXPECT_THAT(out, ::testing::HasSubstr("is not valid under any of the given schemas")) << out;
  EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr("Traceback"))) << out;
  doc = nlohmann::json::parse(Render(testutil::DemoSnapshot()));
  doc.erase("report_version");
  EXPECT_EQ(Validate(doc.dump(), &out), 1) << out;
  EXPECT_THAT(out, ::testing::HasSubstr("'report_version' is a required property"))
      << "the schema accepted a report without report_version";
  EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr("Traceback"))) << out;
}

}  // namespace
}  // namespace fleetpatch::report
