#include "aws/credentials_process.h"

#include <gtest/gtest.h>

#include "aws/credentials_testing.h"
#include "common/clock.h"
#include "testing/testdata.h"

namespace fleetpatch::aws {
namespace {

using testing::WriteScript;

std::vector<std::string> Split(const std::string& s) {
  auto r = SplitCommandLine(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? *r : std::vector<std::string>{};
}

TEST(SplitCommandLineTest, ShlexRules) {
  EXPECT_EQ(Split("a b  c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Split("  /usr/bin/helper --profile 'my profile' "),
            (std::vector<std::string>{"/usr/bin/helper", "--profile", "my profile"}));
  EXPECT_EQ(Split(R"(x "a \"quoted\" \\ \n word")"),
            (std::vector<std::string>{"x", R"(a "quoted" \ \n word)"}));
  EXPECT_EQ(Split(R"(a\ b c)"), (std::vector<std::string>{"a b", "c"}));
  EXPECT_EQ(Split("pre'mid'\"post\""), (std::vector<std::string>{"premidpost"}));
  EXPECT_EQ(Split("''"), (std::vector<std::string>{""}));
  EXPECT_EQ(Split("echo $(id); rm -rf x | y"),
            (std::vector<std::string>{"echo", "$(id);", "rm", "-rf", "x", "|", "y"}));
  EXPECT_TRUE(Split("").empty());
  EXPECT_FALSE(SplitCommandLine("a 'b").ok());
  EXPECT_FALSE(SplitCommandLine("a \"b").ok());
  EXPECT_FALSE(SplitCommandLine("a \\").ok());
}

TEST(RunProcessTest, CollectsStdoutStderrAndExitCode) {
  auto r = RunProcess({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, std::chrono::seconds(10));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->stdout_text, "out\n");
  EXPECT_EQ(r->stderr_text, "err\n");
}

TEST(RunProcessTest, MissingProgramIsConfigError) {
  auto r = RunProcess({"/nonexistent/fleetpatch-helper"}, std::chrono::seconds(10));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
}

TEST(RunProcessTest, TimeoutKillsTheProcess) {
  // No wall-clock bound: sleep 10 would succeed, so kTimeout is the event that proves the kill.
  auto r = RunProcess({"/bin/sleep", "10"}, std::chrono::milliseconds(150));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kTimeout);
}

TEST(ProcessProviderTest, ParsesVersion1Output) {
  fleetpatch::testing::TempDir dir;
  std::string script =
      WriteScript(dir.path() / "helper.sh",
                  "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": "
                  "\"procSecret\", \"SessionToken\": \"procToken\", \"Expiration\": "
                  "\"2030-01-02T03:04:05Z\"}'\n");
  ProcessCredentialsProvider p(script, "profile p (credential_process)");
  auto c = p.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKIDPROC");
  EXPECT_EQ(c->secret_access_key, "procSecret");
  EXPECT_EQ(c->session_token, "procToken");
  ASSERT_TRUE(c->expiration.has_value());
  EXPECT_EQ(FormatIso8601(*c->expiration), "2030-01-02T03:04:05Z");
  EXPECT_EQ(c->source, "profile p (credential_process)");
}

TEST(ProcessProviderTest, PassesQuotedArgumentsWithoutAShell) {
  fleetpatch::testing::TempDir dir;
  // The helper prints its arguments into the JSON, proving the split; a shell would expand $(...).
  std::string script =
      WriteScript(dir.path() / "args.sh",
                  "printf '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\"}' "
                  "\"$1\" \"$2\"\n");
  std::string marker = (dir.path() / "pwned").string();
  ProcessCredentialsProvider p(script + " 'key id' '$(touch " + marker + ")'", "profile p");
  auto c = p.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "key id");
  EXPECT_EQ(c->secret_access_key, "$(touch " + marker + ")");
  ProcessCredentialsProvider injected("/bin/echo hi; touch " + marker, "profile p");
  EXPECT_FALSE(injected.GetCredentials().ok());
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(ProcessProviderTest, FailureQuotesNeitherStderrNorStdout) {
  fleetpatch::testing::TempDir dir;
  std::string script =
      WriteScript(dir.path() / "fail.sh",
                  "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDLEAK\",\"SecretAccessKey\":\"STDOUTSECRET\"}'\n"
                  "echo 'token expired, run login; sso token eyJSTDERRTOKEN' >&2\nexit 2\n");
  ProcessCredentialsProvider p(script, "profile p");
  auto c = p.GetCredentials();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().category, ErrorCategory::kAuth);
  EXPECT_NE(c.error().message.find("exited with status 2"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("printed 50 bytes on stderr (not shown"), std::string::npos)
      << c.error().message;
  EXPECT_EQ(c.error().message.find("eyJSTDERRTOKEN"), std::string::npos);
  EXPECT_EQ(c.error().message.find("STDOUTSECRET"), std::string::npos);
  EXPECT_EQ(c.error().message.find("AKIDLEAK"), std::string::npos);
}

TEST(ProcessProviderTest, BadOutputErrorsDoNotQuoteIt) {
  struct Case {
    std::string json;
    std::string expect;
  };
  std::vector<Case> cases = {
      {"not json STDOUTSECRET", "did not print a JSON object"},
      {"{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": STDOUTSECRET}",
       "did not print a JSON object"},
      {"{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"STDOUTSECRET\"}", "Version"},
      {"{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"STDOUTSECRET\"}", "Version"},
      {"{\"Version\": 1, \"SecretAccessKey\": \"STDOUTSECRET\"}", "AccessKeyId"},
      {"{\"Version\": 1, \"AccessKeyId\": \"A\", \"SessionToken\": \"STDOUTSECRET\"}", "SecretAccessKey"},
      {"{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"STDOUTSECRET\", \"Expiration\": "
       "\"soon\"}",
       "Expiration"},
  };
  for (const auto& c : cases) {
    auto r = ParseProcessCredentials(c.json, "profile p");
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().category, ErrorCategory::kAuth);
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("STDOUTSECRET"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace fleetpatch::aws
