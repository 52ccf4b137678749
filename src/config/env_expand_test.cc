#include "config/env_expand.h"

#include <gtest/gtest.h>

namespace fleetpatch::config {
namespace {

std::string Expand(const std::string& in, const EnvLookup& env, std::string* error = nullptr) {
  std::string out, err;
  bool ok = ExpandEnv(in, env, &out, &err);
  if (error) *error = err;
  return ok ? out : "<error>";
}

TEST(EnvExpand, ReplacesSetVariablesAndKeepsOtherText) {
  auto env = MapEnv({{"A", "one"}, {"B_2", "two"}, {"EMPTY", ""}});
  EXPECT_EQ(Expand("x-${A}-${B_2}-y", env), "x-one-two-y");
  EXPECT_EQ(Expand("no refs $HOME $ {A}", env), "no refs $HOME $ {A}");
  EXPECT_EQ(Expand("${EMPTY}", env), "");
  EXPECT_EQ(Expand("", env), "");
}

TEST(EnvExpand, DefaultsApplyWhenUnsetOrEmpty) {
  auto env = MapEnv({{"A", "one"}, {"EMPTY", ""}});
  EXPECT_EQ(Expand("${A:-dflt}", env), "one");
  EXPECT_EQ(Expand("${NOPE:-dflt}", env), "dflt");
  EXPECT_EQ(Expand("${EMPTY:-dflt}", env), "dflt");
  EXPECT_EQ(Expand("${NOPE:-}", env), "");
}

TEST(EnvExpand, DoubleDollarIsALiteral) { EXPECT_EQ(Expand("$${A}", MapEnv({{"A", "one"}})), "${A}"); }

TEST(EnvExpand, UnsetVariableNamesTheVariable) {
  std::string err;
  EXPECT_EQ(Expand("a${MISSING}b", MapEnv({}), &err), "<error>");
  EXPECT_EQ(
      err,
      "environment variable MISSING is not set (referenced as ${MISSING}); export it, or give a default "
      "with ${MISSING:-value}");
}

TEST(EnvExpand, MalformedReferences) {
  std::string err;
  EXPECT_EQ(Expand("${A", MapEnv({}), &err), "<error>");
  EXPECT_NE(err.find("unterminated environment reference"), std::string::npos);
  EXPECT_EQ(Expand("${1A}", MapEnv({}), &err), "<error>");
  EXPECT_NE(err.find("\"${1A}\" is not a valid environment reference"), std::string::npos);
  EXPECT_EQ(Expand("${}", MapEnv({}), &err), "<error>");
}

TEST(EnvExpand, ProcessEnvironmentReadsGetenv) {
  ::setenv("FP_ENV_EXPAND_TEST", "from-process", 1);
  EXPECT_EQ(Expand("${FP_ENV_EXPAND_TEST}", ProcessEnv()), "from-process");
  ::unsetenv("FP_ENV_EXPAND_TEST");
  EXPECT_EQ(Expand("${FP_ENV_EXPAND_TEST}", ProcessEnv()), "<error>");
}

}  // namespace
}  // namespace fleetpatch::config
