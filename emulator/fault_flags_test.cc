#include "emulator/fault_flags.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "emulator/server.h"
#include "testing/testdata.h"

namespace fleetpatch::emulator {
namespace {

TEST(FaultFlagsTest, ParsesTheDocumentedSpec) {
  auto f = ParseFaultFlag("DescribeInstances:throttle=0.2,5xx=0.05,reset=0.01,latency=20ms,jitter=1.5s");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->first, "DescribeInstances");
  EXPECT_DOUBLE_EQ(f->second.throttle_rate, 0.2);
  EXPECT_DOUBLE_EQ(f->second.error_5xx_rate, 0.05);
  EXPECT_DOUBLE_EQ(f->second.drop_rate, 0.01);
  EXPECT_EQ(f->second.latency, std::chrono::milliseconds(20));
  EXPECT_EQ(f->second.jitter, std::chrono::milliseconds(1500));
  // The older spellings still work.
  f = ParseFaultFlag("*:drop=0.5,latency_ms=50,unavailable=1");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->first, "*");
  EXPECT_DOUBLE_EQ(f->second.drop_rate, 0.5);
  EXPECT_DOUBLE_EQ(f->second.unavailable_rate, 1.0);
  EXPECT_EQ(f->second.latency, std::chrono::milliseconds(50));
}

TEST(FaultFlagsTest, EveryOperationOfEveryServiceCanBeFaulted) {
  for (const char* op : {"DescribeInstances", "SendCommand", "AssumeRole"})
    EXPECT_TRUE(ParseFaultFlag(std::string(op) + ":5xx=1").ok()) << op;
}

TEST(FaultFlagsTest, RejectsBadSpecsNamingThePart) {
  for (const char* bad : {"throttle=0.1", "*:throttle=2", "*:bogus=1", "*:throttle=x", "*:latency=fast",
                          "*:latency=-1ms", "*:", "DescribeInstancez:throttle=0.1", "*:throttle=0.1junk"}) {
    auto f = ParseFaultFlag(bad);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_EQ(f.error().category, ErrorCategory::kConfig);
    EXPECT_NE(f.error().message.find(bad), std::string::npos) << f.error().message;
  }
  EXPECT_NE(ParseFaultFlag("Nope:5xx=1").error().message.find("'Nope' is not an operation"),
            std::string::npos);
}

TEST(FaultFlagsTest, FaultsFileHoldsOneSpecPerLineAndNamesTheBadLine) {
  ::fleetpatch::testing::TempDir dir;
  std::string path = (dir.path() / "faults").string();
  std::ofstream(path) << "# rehearsal\n\n*:throttle=0.2,reset=0.01\n  CreateImage:5xx=0.5,latency=1s  \n";
  auto faults = LoadFaultsFile(path);
  ASSERT_TRUE(faults.ok()) << faults.error().message;
  ASSERT_EQ(faults->size(), 2u);
  EXPECT_EQ((*faults)[0].first, "*");
  EXPECT_EQ((*faults)[1].first, "CreateImage");
  EXPECT_EQ((*faults)[1].second.latency, std::chrono::milliseconds(1000));
  std::ofstream(path) << "*:throttle=0.2\nCreateImage:5xx=7\n";
  auto bad = LoadFaultsFile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(path + ":2:"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(LoadFaultsFile((dir.path() / "missing").string()).ok());
}

// `fleetpatch emulator ARGS` runs RunMain: a bad --fault or --faults-file stops it with exit code 2
// before it serves anything.
int RunMainWith(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return RunMain(static_cast<int>(argv.size()), argv.data());
}

TEST(FaultFlagsTest, TheCommandLineRejectsABadFaultBeforeServing) {
  EXPECT_EQ(RunMainWith({"fleetpatch emulator", "--demo", "--fault", "*:throttle=2"}), 2);
  EXPECT_EQ(RunMainWith({"fleetpatch emulator", "--demo", "--fault", "NoSuchOp:5xx=1"}), 2);
  EXPECT_EQ(RunMainWith({"fleetpatch emulator", "--demo", "--faults-file", "/nonexistent/faults"}), 2);
  EXPECT_EQ(RunMainWith({"fleetpatch emulator", "--help"}), 0);
}

TEST(FaultFlagsTest, ParsesRateLimitFlags) {
  auto r = ParseRateLimitFlag("ec2-describe=100/20");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, "ec2-describe");
  EXPECT_DOUBLE_EQ(r->second.burst, 100);
  EXPECT_DOUBLE_EQ(r->second.per_second, 20);
  EXPECT_FALSE(ParseRateLimitFlag("ec2-describe=100").ok());
}

// Runs `script` with /bin/sh and returns its stdout.
std::string Shell(const std::string& script) {
  FILE* p = popen(("/bin/sh -c " + ShellQuote(script)).c_str(), "r");
  std::string out;
  if (!p) return out;
  std::array<char, 512> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

TEST(FaultFlagsTest, ExportLinesAreShellQuotedSoASecretNeverRunsACommand) {
  ::fleetpatch::testing::TempDir dir;
  std::string marker = (dir.path() / "pwned").string();
  aws::Credentials creds;
  creds.access_key_id = "AKID$(touch " + marker + ")";
  creds.secret_access_key = "s3cr'et; touch " + marker + " `touch " + marker + "` \"$HOME\"";
  std::string lines = ExportLines("http://127.0.0.1:4566", creds, "us-east-1");
  std::string out = Shell(
      lines +
      "printf '%s\\n%s\\n%s\\n' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_ENDPOINT_URL\"");
  EXPECT_FALSE(std::filesystem::exists(marker)) << "eval of the export lines ran a command";
  EXPECT_EQ(out, creds.access_key_id + "\n" + creds.secret_access_key + "\nhttp://127.0.0.1:4566\n");
}

}  // namespace
}  // namespace fleetpatch::emulator
