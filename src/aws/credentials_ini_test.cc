#include "aws/credentials_ini.h"

#include <gtest/gtest.h>

#include "aws/credentials_testing.h"
#include "testing/testdata.h"

namespace fleetpatch::aws {
namespace {

TEST(IniTest, SectionsKeysCommentsAndWhitespace) {
  auto r = ParseIni(
      "# leading comment\n"
      "; another comment\n"
      "\n"
      "[default]\n"
      "aws_access_key_id=AKIDEXAMPLE\n"
      "AWS_Secret_Access_Key \t =   secret value with spaces \t \n"
      "region: eu-west-1\n"
      "\t# indented comment\n"
      "[profile dev]   # comment after header\n"
      "role_arn = arn:aws:iam::123456789012:role/x=y\n"
      "empty =\n",
      "cfg");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& def = r->sections.at("default");
  EXPECT_EQ(*def.Find("aws_access_key_id"), "AKIDEXAMPLE");
  EXPECT_EQ(*def.Find("aws_secret_access_key"), "secret value with spaces");
  EXPECT_EQ(*def.Find("AWS_SECRET_ACCESS_KEY"), "secret value with spaces");  // keys are case-insensitive
  EXPECT_EQ(*def.Find("region"), "eu-west-1");
  const auto& dev = r->sections.at("profile dev");
  EXPECT_EQ(*dev.Find("role_arn"), "arn:aws:iam::123456789012:role/x=y");  // only the first '=' splits
  EXPECT_EQ(*dev.Find("empty"), "");
  EXPECT_EQ(r->sections.size(), 2u);
}

TEST(IniTest, NoInlineCommentsInValues) {
  auto r = ParseIni("[a]\nk = v # not a comment\n", "f");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->sections.at("a").Find("k"), "v # not a comment");
}

TEST(IniTest, NestedSubsections) {
  auto r = ParseIni(
      "[profile dev]\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "  Addressing_Style = path\n"
      "region = us-west-2\n"
      "ec2 =\n"
      "    endpoint_url = http://localhost:5000\n",
      "f");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& s = r->sections.at("profile dev");
  EXPECT_EQ(s.subsections.at("s3").at("max_concurrent_requests"), "20");
  EXPECT_EQ(s.subsections.at("s3").at("addressing_style"), "path");
  EXPECT_EQ(s.subsections.at("ec2").at("endpoint_url"), "http://localhost:5000");
  EXPECT_EQ(*s.Find("region"), "us-west-2");
}

TEST(IniTest, ContinuationOfNonEmptyValueIsMultiline) {
  auto r = ParseIni("[a]\nk = first\n  second\nj = x\n", "f");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->sections.at("a").Find("k"), "first\nsecond");
  EXPECT_EQ(*r->sections.at("a").Find("j"), "x");
}

TEST(IniTest, CrlfLineEndings) {
  auto r = ParseIni("[a]\r\nk = v\r\n", "f");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->sections.at("a").Find("k"), "v");
}

TEST(IniTest, ErrorsNameFileAndLineButNotTheText) {
  struct Case {
    std::string text;
    std::string expect;
  };
  std::vector<Case> cases = {
      {"[a]\nk = v\naws_secret_access_key SECRETSECRET\n", "creds line 3"},
      {"k = SECRETSECRET\n[a]\n", "creds line 1"},
      {"[a]\n[a]\n", "creds line 2"},
      {"[a]\nk = 1\nK = SECRETSECRET\n", "creds line 3"},
      {"[a\nk = SECRETSECRET\n", "creds line 1"},
      {"[a]\ns3 =\n  SECRETSECRET\n", "creds line 3"},
      {"[a]\n= SECRETSECRET\n", "creds line 2"},
  };
  for (const auto& c : cases) {
    auto r = ParseIni(c.text, "creds");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("SECRETSECRET"), std::string::npos) << r.error().message;
  }
}

TEST(IniTest, LoadMissingFileIsEmptyAndRealFileParses) {
  fleetpatch::testing::TempDir dir;
  auto missing = LoadIniFile(dir.path() / "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->sections.empty());
  testing::WriteFile(dir.path() / "config", "[default]\nregion = eu-north-1\nbad line\n");
  auto bad = LoadIniFile(dir.path() / "config");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find((dir.path() / "config").string() + " line 3"), std::string::npos);
  auto directory = LoadIniFile(dir.path());
  EXPECT_FALSE(directory.ok());
}

}  // namespace
}  // namespace fleetpatch::aws
