// The awscli compatibility suite: Debian's /usr/bin/aws (botocore's own parsers and pagination)
// drives the emulator's HTTP server. If awscli cannot parse a response, the command fails and so
// does the test. Skipped, with a message, only when /usr/bin/aws is absent.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "emulator/server.h"
#include "testing/ci.h"
#include "testing/testdata.h"

namespace fleetpatch::emulator {
namespace {

using nlohmann::json;
constexpr char kAws[] = "/usr/bin/aws";

// Real time plus an adjustable offset on the wall clock, so a test can make credentials expire
// without waiting (steady time, which drives the simulation, is untouched).
class ShiftableClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now() + std::chrono::seconds(offset_s_.load());
  }
  std::chrono::steady_clock::time_point SteadyNow() const override { return std::chrono::steady_clock::now(); }
  void SleepFor(std::chrono::nanoseconds d) override { std::this_thread::sleep_for(d); }
  void Shift(std::chrono::seconds s) { offset_s_ += s.count(); }

 private:
  std::atomic<long long> offset_s_{0};
};

struct Creds {
  std::string key, secret, token;
};

struct AwsRun {
  int exit_code = -1;
  std::string out, err;
  json j;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class AwsCliCompatTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kAws)) return;
    dir_ = new ::fleetpatch::testing::TempDir();
    std::ofstream(dir_->path() / "config") << "";
    std::ofstream(dir_->path() / "credentials") << "";
    clock_ = new ShiftableClock();
    EmulatorOptions o;
    o.clock = clock_;
    o.time_scale = 1000;  // a 10-minute AMI is ready in 0.6 s
    emulator_ = new Emulator(DemoFleet(), o);
    server_ = new Server(*emulator_);
    Status st = server_->Start(ServerOptions{});
    ASSERT_TRUE(st.ok()) << st.error().message;
  }
  static void TearDownTestSuite() {
    delete server_;
    delete emulator_;
    delete clock_;
    delete dir_;
    server_ = nullptr;
    emulator_ = nullptr;
  }
  void SetUp() override {
    FP_REQUIRE_OR_SKIP_OUTSIDE_CI(std::filesystem::exists(kAws), "awscli is not installed at /usr/bin/aws (make deps installs it)");
    emulator_->ClearFaults();
  }

  static Creds Base() {
    auto c = emulator_->BaseCredentials();
    return {c.access_key_id, c.secret_access_key, ""};
  }

  // Runs `aws <args>` (shell syntax) with only our credentials and config in its environment.
  static AwsRun Aws(const std::string& args, const Creds& creds, const std::string& region = "us-east-1") {
    std::string err_file = (dir_->path() / "stderr.txt").string();
    std::string cmd = "env -i PATH=/usr/bin:/bin HOME=" + Quote(dir_->path().string()) +
                      " AWS_CONFIG_FILE=" + Quote((dir_->path() / "config").string()) +
                      " AWS_SHARED_CREDENTIALS_FILE=" + Quote((dir_->path() / "credentials").string()) +
                      " AWS_PAGER= AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard AWS_EC2_METADATA_DISABLED=true" +
                      " AWS_ACCESS_KEY_ID=" + Quote(creds.key) + " AWS_SECRET_ACCESS_KEY=" + Quote(creds.secret) +
                      (creds.token.empty() ? "" : " AWS_SESSION_TOKEN=" + Quote(creds.token)) + " " + kAws +
                      " --endpoint-url " + server_->endpoint() + " --region " + region + " --output json " + args +
                      " 2>" + Quote(err_file);
    AwsRun run;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return run;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) run.out.append(buf.data(), n);
    int status = pclose(p);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream ef(err_file);
    std::stringstream ss;
    ss << ef.rdbuf();
    run.err = ss.str();
    if (!run.out.empty()) run.j = json::parse(run.out, nullptr, false);
    return run;
  }

  static Creds Assume(const std::string& account, const std::string& external_id, const std::string& role = "FleetPatchRole") {
    AwsRun r = Aws("sts assume-role --role-arn " + RoleArn(account, role) + " --role-session-name compat --external-id " + external_id,
                   Base());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return {r.j["Credentials"]["AccessKeyId"], r.j["Credentials"]["SecretAccessKey"], r.j["Credentials"]["SessionToken"]};
  }
  static Creds Prod() { return Assume("111111111111", "fp-demo-prod"); }

  // Expects awscli to fail with this AWS error code (it prints "An error occurred (Code) ...").
  static void ExpectError(const AwsRun& r, const std::string& code) {
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.err.find("(" + code + ")"), std::string::npos) << "expected " << code << ", got: " << r.err;
  }

  static int CountOp(const std::string& op) { return emulator_->RequestCounts()[op]; }

  static ::fleetpatch::testing::TempDir* dir_;
  static ShiftableClock* clock_;
  static Emulator* emulator_;
  static Server* server_;
};

::fleetpatch::testing::TempDir* AwsCliCompatTest::dir_ = nullptr;
ShiftableClock* AwsCliCompatTest::clock_ = nullptr;
Emulator* AwsCliCompatTest::emulator_ = nullptr;
Server* AwsCliCompatTest::server_ = nullptr;

TEST_F(AwsCliCompatTest, AssumeRoleAndGetCallerIdentityPerAccount) {
  for (auto [account, ext, region] : {std::tuple{"111111111111", "fp-demo-prod", "us-east-1"},
                                      std::tuple{"222222222222", "fp-demo-staging", "eu-west-1"},
                                      std::tuple{"333333333333", "fp-demo-dev", "us-west-2"}}) {
    Creds c = Assume(account, ext);
    AwsRun who = Aws("sts get-caller-identity", c, region);
    ASSERT_EQ(who.exit_code, 0) << who.err;
    EXPECT_EQ(who.j["Account"], account);
    EXPECT_EQ(who.j["Arn"], std::string("arn:aws:sts::") + account + ":assumed-role/FleetPatchRole/compat");
  }
  AwsRun base = Aws("sts get-caller-identity", Base());
  EXPECT_EQ(base.j["Account"], "000000000000");
}

TEST_F(AwsCliCompatTest, StsErrors) {
  ExpectError(Aws("sts assume-role --role-arn " + RoleArn("111111111111", "FleetPatchRole") +
                  " --role-session-name compat --external-id wrong", Base()), "AccessDenied");
  ExpectError(Aws("sts assume-role --role-arn " + RoleArn("111111111111", "Undefined") + " --role-session-name compat", Base()),
              "AccessDenied");
}

TEST_F(AwsCliCompatTest, DescribeInstancesWithFiltersAndAutoPagination) {
  Creds c = Prod();
  AwsRun r = Aws("ec2 describe-instances --filters Name=tag:Environment,Values=prod Name=instance-state-name,Values=running "
                 "--query 'Reservations[].Instances[].InstanceId'", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j.size(), 11u);
  r = Aws("ec2 describe-instances --filters Name=platform,Values=windows Name=availability-zone,Values=us-east-1b "
          "--query 'Reservations[].Instances[].[InstanceId,Platform,Placement.AvailabilityZone]'", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.j.size(), 1u);
  EXPECT_EQ(r.j[0][1], "windows");
  r = Aws("ec2 describe-instances --filters Name=tag-key,Values=PatchGroup Name=instance-id,Values=i-000100000feed0001 "
          "--query 'Reservations[].Instances[].Tags'", c);
  ASSERT_EQ(r.j.size(), 1u);

  int before = CountOp("DescribeInstances");
  r = Aws("ec2 describe-instances --page-size 5", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j["Reservations"].size(), 12u);
  EXPECT_EQ(CountOp("DescribeInstances") - before, 3);  // 5 + 5 + 2

  r = Aws("ec2 describe-instance-status --include-all-instances --page-size 5", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j["InstanceStatuses"].size(), 12u);

  ExpectError(Aws("ec2 describe-instances --instance-ids i-00000000deadbeef0", c), "InvalidInstanceID.NotFound");
  ExpectError(Aws("ec2 describe-instances --instance-ids foobar", c), "InvalidInstanceID.Malformed");
  ExpectError(Aws("ec2 describe-instances --dry-run", c), "DryRunOperation");
}

TEST_F(AwsCliCompatTest, CreateImageThroughAvailableThenTagDeregisterAndDeleteSnapshots) {
  Creds c = Prod();
  AwsRun r = Aws("ec2 create-image --instance-id i-000100000feed0003 --name compat-backup-1 --description 'fleetpatch backup' "
                 "--tag-specifications 'ResourceType=image,Tags=[{Key=fleetpatch:run,Value=compat}]' "
                 "'ResourceType=snapshot,Tags=[{Key=fleetpatch:run,Value=compat}]'", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string ami = r.j["ImageId"];
  ExpectError(Aws("ec2 create-image --instance-id i-000100000feed0003 --name compat-backup-1", c), "InvalidAMIName.Duplicate");
  ExpectError(Aws("ec2 create-image --instance-id i-000100000feed0003 --name compat-dry --dry-run", c), "DryRunOperation");
  ExpectError(Aws("ec2 create-image --instance-id i-000100000feed0003 --name compat-ro",
                  Assume("111111111111", "fp-demo-prod", "FleetPatchReadOnly")),
              "UnauthorizedOperation");

  std::string state;
  for (int i = 0; i < 40 && state != "available"; ++i) {
    AwsRun d = Aws("ec2 describe-images --image-ids " + ami, c);
    ASSERT_EQ(d.exit_code, 0) << d.err;
    state = d.j["Images"][0]["State"];
    if (state != "available") std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(state, "available");

  r = Aws("ec2 describe-images --owners self --filters Name=tag:fleetpatch:run,Values=compat Name=state,Values=available", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.j["Images"].size(), 1u);
  EXPECT_EQ(r.j["Images"][0]["Name"], "compat-backup-1");
  EXPECT_EQ(r.j["Images"][0]["Description"], "fleetpatch backup");
  std::string snap = r.j["Images"][0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"];

  r = Aws("ec2 create-tags --resources " + ami + " " + snap + " --tags Key=retain,Value=7d", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Aws("ec2 describe-snapshots --owner-ids self --filters Name=tag:retain,Values=7d", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.j["Snapshots"].size(), 1u);
  EXPECT_EQ(r.j["Snapshots"][0]["State"], "completed");
  ExpectError(Aws("ec2 delete-snapshot --snapshot-id " + snap, c), "InvalidSnapshot.InUse");

  r = Aws("ec2 deregister-image --image-id " + ami, c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectError(Aws("ec2 describe-images --image-ids " + ami, c), "InvalidAMIID.NotFound");
  r = Aws("ec2 describe-snapshots --owner-ids self --filters Name=tag:fleetpatch:run,Values=compat --query 'Snapshots[].SnapshotId'", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.j.size(), 2u);
  for (const auto& s : r.j) EXPECT_EQ(Aws("ec2 delete-snapshot --snapshot-id " + s.get<std::string>(), c).exit_code, 0);
  ExpectError(Aws("ec2 delete-snapshot --snapshot-id " + snap, c), "InvalidSnapshot.NotFound");
}

TEST_F(AwsCliCompatTest, DescribeInstanceInformationPages) {
  Creds c = Prod();
  int before = CountOp("DescribeInstanceInformation");
  AwsRun r = Aws("ssm describe-instance-information --page-size 5", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j["InstanceInformationList"].size(), 12u);
  EXPECT_EQ(CountOp("DescribeInstanceInformation") - before, 3);
  r = Aws("ssm describe-instance-information --filters Key=PingStatus,Values=ConnectionLost", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j["InstanceInformationList"].size(), 2u);
  r = Aws("ssm describe-instance-information --max-items 3", c);
  EXPECT_EQ(r.j["InstanceInformationList"].size(), 3u);
  EXPECT_TRUE(r.j.contains("NextToken"));
  ExpectError(Aws("ssm describe-instance-information --filters Key=Bogus,Values=x", c), "InvalidFilterKey");
}

TEST_F(AwsCliCompatTest, SendCommandToTerminalStateWithPrecheckOutput) {
  Creds c = Prod();
  std::string params = R"({"commands":["#!/bin/bash\n# fleetpatch-precheck v1\nFP_SERVICES='sshd chronyd'\n"]})";
  AwsRun r = Aws("ssm send-command --document-name AWS-RunShellScript --instance-ids i-000100000feed0001 i-000100000feed0007 "
                 "--max-concurrency 1 --parameters " + Quote(params), c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string cmd = r.j["Command"]["CommandId"];
  EXPECT_EQ(r.j["Command"]["TargetCount"], 2);
  AwsRun inv;
  for (int i = 0; i < 40; ++i) {
    inv = Aws("ssm get-command-invocation --command-id " + cmd + " --instance-id i-000100000feed0007", c);
    ASSERT_EQ(inv.exit_code, 0) << inv.err;
    if (inv.j["Status"] == "Success") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(inv.j["Status"], "Success");
  EXPECT_EQ(inv.j["ResponseCode"], 0);
  std::string out = inv.j["StandardOutputContent"];
  ASSERT_EQ(out.rfind("FLEETPATCH_PRECHECK_V1 ", 0), 0u) << out;
  EXPECT_EQ(json::parse(out.substr(23))["disks"][0]["avail_kb"], 209408);

  r = Aws("ssm list-command-invocations --command-id " + cmd + " --details --page-size 1", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.j["CommandInvocations"].size(), 2u);
  for (const auto& i : r.j["CommandInvocations"]) {
    EXPECT_EQ(i["Status"], "Success");
    EXPECT_EQ(i["CommandPlugins"][0]["Name"], "aws:runShellScript");
  }
  ExpectError(Aws("ssm get-command-invocation --command-id " + cmd + " --instance-id i-000100000feed0002", c), "InvocationDoesNotExist");
  ExpectError(Aws("ssm send-command --document-name AWS-RunShellScript --instance-ids i-000100000feed0008 "
                  "--parameters commands=uptime", c), "UnsupportedPlatformType");
  ExpectError(Aws("ssm send-command --document-name AWS-RunShellScript --instance-ids i-00000000deadbeef0 "
                  "--parameters commands=uptime", c), "InvalidInstanceId");
}

TEST_F(AwsCliCompatTest, PatchInstallCancelAndPatchStates) {
  Creds c = Prod();
  AwsRun r = Aws("ssm send-command --document-name AWS-RunPatchBaseline --instance-ids i-000100000feed0002 i-000100000feed0004 "
                 "--parameters Operation=Install,RebootOption=NoReboot --timeout-seconds 600 --max-errors 1", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string cmd = r.j["Command"]["CommandId"];
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // 420 simulated s at scale 1000
  r = Aws("ssm list-command-invocations --command-id " + cmd, c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> status;
  for (const auto& i : r.j["CommandInvocations"]) status[i["InstanceId"]] = i["Status"];
  EXPECT_EQ(status["i-000100000feed0002"], "Success");
  EXPECT_EQ(status["i-000100000feed0004"], "Failed");
  r = Aws("ssm describe-instance-patch-states --instance-ids i-000100000feed0002 i-000100000feed0004", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.j["InstancePatchStates"].size(), 2u);
  for (const auto& s : r.j["InstancePatchStates"]) {
    EXPECT_EQ(s["Operation"], "Install");
    if (s["InstanceId"] == "i-000100000feed0002") EXPECT_EQ(s["InstalledPendingRebootCount"], 9);
    else EXPECT_EQ(s["FailedCount"], 2);
  }

  // A hanging install, cancelled.
  r = Aws("ssm send-command --document-name AWS-RunPatchBaseline --instance-ids i-000100000feed0005 "
          "--parameters Operation=Install", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  cmd = r.j["Command"]["CommandId"];
  ASSERT_EQ(Aws("ssm cancel-command --command-id " + cmd, c).exit_code, 0);
  r = Aws("ssm get-command-invocation --command-id " + cmd + " --instance-id i-000100000feed0005", c);
  EXPECT_EQ(r.j["Status"], "Cancelled");
  ExpectError(Aws("ssm cancel-command --command-id 00000000-0000-4000-8000-000000000000", c), "InvalidCommandId");
}

TEST_F(AwsCliCompatTest, AuthenticationErrorsPerProtocol) {
  Creds bad = Base();
  bad.secret = "wrong-secret-key-wrong-secret-key";
  ExpectError(Aws("ec2 describe-instances", bad), "AuthFailure");
  ExpectError(Aws("sts get-caller-identity", bad), "SignatureDoesNotMatch");
  ExpectError(Aws("ssm describe-instance-information", bad), "InvalidSignatureException");
  Creds unknown{"AKIAUNKNOWN000000000", "whatever-secret-key-000000", ""};
  ExpectError(Aws("sts get-caller-identity", unknown), "InvalidClientTokenId");
  ExpectError(Aws("ssm describe-instance-information", unknown), "UnrecognizedClientException");
  ExpectError(Aws("ec2 describe-instances", unknown), "AuthFailure");

  Creds c = Prod();
  clock_->Shift(std::chrono::hours(2));
  ExpectError(Aws("ec2 describe-instances", c), "ExpiredToken");
  ExpectError(Aws("sts get-caller-identity", c), "ExpiredToken");
  ExpectError(Aws("ssm describe-instance-information", c), "ExpiredTokenException");
  clock_->Shift(std::chrono::hours(-2));
}

TEST_F(AwsCliCompatTest, ThrottlingAndServerErrorsPerService) {
  Creds c = Prod();
  FaultSpec throttle;
  throttle.throttle_rate = 1.0;
  emulator_->SetFault("*", throttle);
  ExpectError(Aws("ec2 describe-instances", c), "RequestLimitExceeded");
  ExpectError(Aws("ssm describe-instance-information", c), "ThrottlingException");
  ExpectError(Aws("sts get-caller-identity", c), "Throttling");
  FaultSpec fail;
  fail.error_5xx_rate = 1.0;
  emulator_->SetFault("*", fail);
  ExpectError(Aws("ec2 describe-instances", c), "InternalError");
  ExpectError(Aws("ssm describe-instance-information", c), "InternalServerError");
  emulator_->ClearFaults();
  EXPECT_EQ(Aws("ec2 describe-instances --max-items 1", c).exit_code, 0);
}

}  // namespace
}  // namespace fleetpatch::emulator
