// The JSON Schemas and the generated blocks of docs/configuration.md must be exactly what the field
// table (fields.cc) generates, defaults included: a hand edit of either side fails here. After a
// change to the table or to a default in config.h, regenerate and review the diff:
//   FP_UPDATE_CONFIG_DOCS=1 ./build/ci/fp_config_tests --gtest_filter='ConfigDocs*'
// (ignored under CI=true, so CI never rewrites what it checks).
#include "config/config_docs.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "config/fields.h"
#include "testing/testdata.h"

namespace fleetpatch::config {
namespace {

namespace fs = std::filesystem;

bool Updating() {
  const char* update = std::getenv("FP_UPDATE_CONFIG_DOCS");
  const char* ci = std::getenv("CI");
  return update && std::string(update) == "1" && !(ci && std::string(ci) == "true");
}

// The first line where a and b differ, for the failure message.
std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t line = 1, i = 0;
  for (; i < a.size() && i < b.size() && a[i] == b[i]; ++i) line += a[i] == '\n';
  auto line_at = [&](const std::string& s) {
    return s.substr(s.rfind('\n', i) + 1, s.find('\n', i) - s.rfind('\n', i) - 1);
  };
  return "line " + std::to_string(line) + ":\n  file:      " + line_at(a) + "\n  generated: " + line_at(b);
}

void ExpectGenerated(const std::string& relative, const std::string& generated) {
  fs::path file = testing::SourceDir() / relative;
  if (Updating()) std::ofstream(file, std::ios::binary) << generated;
  std::string checked_in = testing::ReadFileOrDie(file);
  EXPECT_TRUE(checked_in == generated) << relative << " differs from what src/config/fields.cc generates, at "
                                       << FirstDifference(checked_in, generated)
                                       << "\nEdit the table (or the default in config.h), then: "
                                          "FP_UPDATE_CONFIG_DOCS=1 ./build/ci/fp_config_tests "
                                          "--gtest_filter='ConfigDocs*'";
}

TEST(ConfigDocsTest, SchemasAreTheTablesSchemas) {
  ExpectGenerated("schemas/config.schema.json", ConfigSchemaText());
  ExpectGenerated("schemas/landing_zones.schema.json", InventorySchemaText());
}

TEST(ConfigDocsTest, ReferenceInTheDocsIsTheTablesReference) {
  std::string doc = testing::ReadFileOrDie(testing::SourceDir() / "docs/configuration.md");
  std::string error;
  std::string generated = ReplaceDocBlocks(doc, ConfigDocBlocks(), &error);
  ASSERT_EQ(error, "");
  ExpectGenerated("docs/configuration.md", generated);
}

// Every field the loader accepts is in the table with a reader and a doc line.
TEST(ConfigDocsTest, EveryFieldHasAReaderAndADocLine) {
  for (const FieldSpec& f : ConfigFields()) {
    if (f.type == FieldType::kSection) continue;
    EXPECT_TRUE(static_cast<bool>(f.read)) << f.path;
    EXPECT_FALSE(f.doc.empty()) << f.path;
  }
  for (const FieldSpec& f : ZoneFields())
    EXPECT_FALSE(f.doc.empty() && f.type != FieldType::kSection) << f.path;
}

TEST(ConfigDocsTest, MissingMarkersAreReported) {
  std::string error;
  EXPECT_EQ(ReplaceDocBlocks("no markers\n", ConfigDocBlocks(), &error), "");
  EXPECT_NE(error.find("<!-- BEGIN GENERATED zone-fields"), std::string::npos) << error;
}

}  // namespace
}  // namespace fleetpatch::config
