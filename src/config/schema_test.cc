// Validates the shipped example files against the shipped JSON Schemas with Debian's python3-jsonschema
// (YAML converted to JSON with PyYAML first), and checks that the schemas do reject a bad file.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "testing/ci.h"
#include "testing/testdata.h"

namespace fleetpatch::config {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

int Shell(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string Q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FP_REQUIRE_OR_SKIP_OUTSIDE_CI(
        std::filesystem::exists(kPython) &&
            Shell(std::string(kPython) + " -c 'import jsonschema, yaml' >/dev/null 2>&1") == 0,
        "/usr/bin/python3 with the jsonschema and yaml modules is missing "
        "(Debian: apt-get install python3-jsonschema python3-yaml)");
  }
  // Converts yaml_file to JSON and validates it against schema; returns the validator's exit code.
  int Validate(const std::filesystem::path& yaml_file, const std::string& schema) {
    auto json_file = dir_.path() / (yaml_file.filename().string() + ".json");
    std::string convert = std::string(kPython) +
                          " -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), "
                          "open(sys.argv[2], \"w\"))' " +
                          Q(yaml_file) + " " + Q(json_file);
    EXPECT_EQ(Shell(convert), 0) << convert;
    auto schema_path = testing::SourceDir() / "schemas" / schema;
    // The validator's findings go to a log so that expected failures do not clutter the test output.
    return Shell(std::string(kPython) + " -W ignore -m jsonschema -i " + Q(json_file) + " " + Q(schema_path) +
                 " >" + Q(dir_.path() / "jsonschema.log") + " 2>&1");
  }
  // What the last Validate's validator printed.
  std::string Log() const { return testing::ReadFileOrDie(dir_.path() / "jsonschema.log"); }
  testing::TempDir dir_;
};

TEST_F(SchemaTest, ExampleConfigMatchesItsSchema) {
  EXPECT_EQ(Validate(testing::SourceDir() / "examples/config/prepatch_config.yml", "config.schema.json"), 0);
}

TEST_F(SchemaTest, ExampleInventoryMatchesItsSchema) {
  EXPECT_EQ(Validate(testing::SourceDir() / "examples/inventory/prod_landing_zones.yml",
                     "landing_zones.schema.json"),
            0);
}

TEST_F(SchemaTest, SchemasRejectWhatTheLoaderRejects) {
  auto bad_config = dir_.path() / "bad_config.yml";
  std::ofstream(bad_config) << "workflow:\n  phasez: {scan: true}\n";
  // A rejection is exit 1 with the validator's finding; a crash (a traceback, also exit 1) is not one.
  EXPECT_EQ(Validate(bad_config, "config.schema.json"), 1) << Log();
  EXPECT_NE(Log().find("'phasez' was unexpected"), std::string::npos) << Log();
  auto bad_zones = dir_.path() / "bad_zones.yml";
  std::ofstream(bad_zones) << "landing_zones:\n  - {name: a, account_id: \"123\", region: us-east-1}\n";
  EXPECT_EQ(Validate(bad_zones, "landing_zones.schema.json"), 1) << Log();
  EXPECT_NE(Log().find("'123'"), std::string::npos) << Log();
  EXPECT_EQ(Log().find("Traceback"), std::string::npos) << Log();
}

}  // namespace
}  // namespace fleetpatch::config
