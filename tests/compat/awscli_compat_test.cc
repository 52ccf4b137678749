// The awscli compatibility suite: Debian's /usr/bin/aws (botocore's own parsers and pagination)
// drives the emulator's HTTP server. If awscli cannot parse a response, the command fails and so
// does the test. Skipped, with a message, only when /usr/bin/aws is absent.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "common/time_format.h"
#include "emulator/server.h"
#include "testing/ci.h"
#include "testing/testdata.h"

namespace fleetpatch::emulator {
namespace {

using nlohmann::json;
constexpr char kAws[] = "/usr/bin/aws";

// Real time plus adjustable offsets: on the wall clock, so a test can make credentials expire
// without waiting, and on the steady clock, which drives the simulation, so a test can jump to a
// point of a state machine instead of sleeping.
class ShiftableClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now() + std::chrono::seconds(offset_s_.load());
  }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(steady_offset_ms_.load());
  }
  void SleepFor(std::chrono::nanoseconds d) override { std::this_thread::sleep_for(d); }
  void Shift(std::chrono::seconds s) { offset_s_ += s.count(); }
  void Advance(std::chrono::milliseconds d) { steady_offset_ms_ += d.count(); }

 private:
  std::atomic<long long> offset_s_{0};
  std::atomic<long long> steady_offset_ms_{0};
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
  static void SetUpTestSuite() { Start(1000); }  // a 10-minute AMI is ready in 0.6 s

  static void Start(double time_scale) {
    if (!std::filesystem::exists(kAws)) return;
    dir_ = new ::fleetpatch::testing::TempDir();
    std::ofstream(dir_->path() / "config") << "";
    std::ofstream(dir_->path() / "credentials") << "";
    clock_ = new ShiftableClock();
    EmulatorOptions o;
    o.clock = clock_;
    o.time_scale = time_scale;
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
    FP_REQUIRE_OR_SKIP_OUTSIDE_CI(std::filesystem::exists(kAws),
                                  "awscli is not installed at /usr/bin/aws (make deps installs it)");
    emulator_->ClearFaults();
  }

  static Creds Base() {
    auto c = emulator_->BaseCredentials();
    return {c.access_key_id, c.secret_access_key, ""};
  }

  // Runs `aws <args>` (shell syntax) with only our credentials and config in its environment.
  static AwsRun Aws(const std::string& args, const Creds& creds, const std::string& region = "us-east-1") {
    std::string err_file = (dir_->path() / "stderr.txt").string();
    std::string cmd =
        "env -i PATH=/usr/bin:/bin HOME=" + Quote(dir_->path().string()) +
        " AWS_CONFIG_FILE=" + Quote((dir_->path() / "config").string()) +
        " AWS_SHARED_CREDENTIALS_FILE=" + Quote((dir_->path() / "credentials").string()) +
        " AWS_PAGER= AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard AWS_EC2_METADATA_DISABLED=true" +
        " AWS_ACCESS_KEY_ID=" + Quote(creds.key) + " AWS_SECRET_ACCESS_KEY=" + Quote(creds.secret) +
        (creds.token.empty() ? "" : " AWS_SESSION_TOKEN=" + Quote(creds.token)) + " " + kAws +
        " --endpoint-url " + server_->endpoint() + " --region " + region + " --output json " + args + " 2>" +
        Quote(err_file);
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

  static Creds Assume(const std::string& account, const std::string& external_id,
                      const std::string& role = "FleetPatchRole") {
    AwsRun r = Aws("sts assume-role --role-arn " + RoleArn(account, role) +
                       " --role-session-name compat --external-id " + external_id,
                   Base());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return {r.j["Credentials"]["AccessKeyId"], r.j["Credentials"]["SecretAccessKey"],
            r.j["Credentials"]["SessionToken"]};
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
                      " --role-session-name compat --external-id wrong",
                  Base()),
              "AccessDenied");
  ExpectError(Aws("sts assume-role --role-arn " + RoleArn("111111111111", "Undefined") +
                      " --role-session-name compat",
                  Base()),
              "AccessDenied");
}

TEST_F(AwsCliCompatTest, DescribeInstancesWithFiltersAndAutoPagination) {
  Creds c = Prod();
  AwsRun r =
      Aws("ec2 describe-instances --filters Name=tag:Environment,Values=prod "
          "Name=instance-state-name,Values=running "
          "--query 'Reservations[].Instances[].InstanceId'",
          c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j.size(), 18u);
  r =
      Aws("ec2 describe-instances --filters Name=platform,Values=windows "
          "Name=availability-zone,Values=us-east-1b "
          "--query 'Reservations[].Instances[].[InstanceId,Platform,Placement.AvailabilityZone]'",
          c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.j.size(), 1u);
  EXPECT_EQ(r.j[0][1], "windows");
  r =
      Aws("ec2 describe-instances --filters Name=tag-key,Values=PatchGroup "
          "Name=instance-id,Values=i-000100000feed0001 "
          "--query 'Reservations[].Instances[].Tags'",
          c);
  ASSERT_EQ(r.j.size(), 1u);

  int before = CountOp("DescribeInstances");
  r = Aws("ec2 describe-instances --page-size 5", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j["Reservations"].size(), 19u);
  EXPECT_EQ(CountOp("DescribeInstances") - before, 4);  // 5 + 5 + 5 + 4

  r = Aws("ec2 describe-instance-status --include-all-instances --page-size 5", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j["InstanceStatuses"].size(), 19u);

  ExpectError(Aws("ec2 describe-instances --instance-ids i-00000000deadbeef0", c),
              "InvalidInstanceID.NotFound");
  ExpectError(Aws("ec2 describe-instances --instance-ids foobar", c), "InvalidInstanceID.Malformed");
  ExpectError(Aws("ec2 describe-instances --dry-run", c), "DryRunOperation");
}

TEST_F(AwsCliCompatTest, CreateImageThroughAvailableThenTagDeregisterAndDeleteSnapshots) {
  Creds c = Prod();
  AwsRun r =
      Aws("ec2 create-image --instance-id i-000100000feed0003 --name compat-backup-1 --description "
          "'fleetpatch backup' "
          "--tag-specifications 'ResourceType=image,Tags=[{Key=fleetpatch:run,Value=compat}]' "
          "'ResourceType=snapshot,Tags=[{Key=fleetpatch:run,Value=compat}]'",
          c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string ami = r.j["ImageId"];
  ExpectError(Aws("ec2 create-image --instance-id i-000100000feed0003 --name compat-backup-1", c),
              "InvalidAMIName.Duplicate");
  ExpectError(Aws("ec2 create-image --instance-id i-000100000feed0003 --name compat-dry --dry-run", c),
              "DryRunOperation");
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

  r =
      Aws("ec2 describe-images --owners self --filters Name=tag:fleetpatch:run,Values=compat "
          "Name=state,Values=available",
          c);
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
  r =
      Aws("ec2 describe-snapshots --owner-ids self --filters Name=tag:fleetpatch:run,Values=compat --query "
          "'Snapshots[].SnapshotId'",
          c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.j.size(), 2u);
  for (const auto& s : r.j)
    EXPECT_EQ(Aws("ec2 delete-snapshot --snapshot-id " + s.get<std::string>(), c).exit_code, 0);
  ExpectError(Aws("ec2 delete-snapshot --snapshot-id " + snap, c), "InvalidSnapshot.NotFound");
}

TEST_F(AwsCliCompatTest, DescribeInstanceInformationPages) {
  Creds c = Prod();
  int before = CountOp("DescribeInstanceInformation");
  AwsRun r = Aws("ssm describe-instance-information --page-size 5", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j["InstanceInformationList"].size(), 19u);
  EXPECT_EQ(CountOp("DescribeInstanceInformation") - before, 4);
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
  std::string params =
      R"({"commands":["#!/bin/bash\n# fleetpatch-precheck v1\nFP_SERVICES='sshd chronyd'\n"]})";
  AwsRun r =
      Aws("ssm send-command --document-name AWS-RunShellScript --instance-ids i-000100000feed0001 "
          "i-000100000feed0007 "
          "--max-concurrency 1 --parameters " +
              Quote(params),
          c);
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
  ExpectError(Aws("ssm get-command-invocation --command-id " + cmd + " --instance-id i-000100000feed0002", c),
              "InvocationDoesNotExist");
  ExpectError(Aws("ssm send-command --document-name AWS-RunShellScript --instance-ids i-000100000feed0008 "
                  "--parameters commands=uptime",
                  c),
              "UnsupportedPlatformType");
  ExpectError(Aws("ssm send-command --document-name AWS-RunShellScript --instance-ids i-00000000deadbeef0 "
                  "--parameters commands=uptime",
                  c),
              "InvalidInstanceId");
}

TEST_F(AwsCliCompatTest, PatchInstallCancelAndPatchStates) {
  Creds c = Prod();
  AwsRun r =
      Aws("ssm send-command --document-name AWS-RunPatchBaseline --instance-ids i-000100000feed0002 "
          "i-000100000feed0004 "
          "--parameters Operation=Install,RebootOption=NoReboot --timeout-seconds 600 --max-errors 1",
          c);
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
    if (s["InstanceId"] == "i-000100000feed0002")
      EXPECT_EQ(s["InstalledPendingRebootCount"], 9);
    else
      EXPECT_EQ(s["FailedCount"], 2);
  }

  // A hanging install, cancelled.
  r =
      Aws("ssm send-command --document-name AWS-RunPatchBaseline --instance-ids i-000100000feed0005 "
          "--parameters Operation=Install",
          c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  cmd = r.j["Command"]["CommandId"];
  ASSERT_EQ(Aws("ssm cancel-command --command-id " + cmd, c).exit_code, 0);
  r = Aws("ssm get-command-invocation --command-id " + cmd + " --instance-id i-000100000feed0005", c);
  EXPECT_EQ(r.j["Status"], "Cancelled");
  ExpectError(Aws("ssm cancel-command --command-id 00000000-0000-4000-8000-000000000000", c),
              "InvalidCommandId");
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

// ---- after the patch, and between runs: on simulated time that only moves when a test moves it ----

// The same awscli runner against an emulator at time scale 1: a test jumps the simulation with
// Advance() to the point of a state machine it asserts, instead of sleeping.
class AwsCliAfterPatchTest : public AwsCliCompatTest {
 protected:
  static void SetUpTestSuite() { Start(1); }
  static void Advance(int simulated_s) { clock_->Advance(std::chrono::milliseconds(simulated_s * 1000LL)); }

  // Sends AWS-RunPatchBaseline Install (RebootIfNeeded) and returns the command id.
  static std::string Install(const Creds& c, const std::string& instance) {
    AwsRun r = Aws("ssm send-command --document-name AWS-RunPatchBaseline --instance-ids " + instance +
                       " --parameters Operation=Install,RebootOption=RebootIfNeeded",
                   c);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.j["Command"]["CommandId"];
  }
  static json Status(const Creds& c, const std::string& instance) {
    AwsRun r = Aws("ec2 describe-instance-status --include-all-instances --instance-ids " + instance, c);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.j["InstanceStatuses"].empty() ? json() : r.j["InstanceStatuses"][0];
  }
  static std::string Ping(const Creds& c, const std::string& instance) {
    AwsRun r = Aws("ssm describe-instance-information --filters Key=InstanceIds,Values=" + instance, c);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.j["InstanceInformationList"].empty()
               ? ""
               : r.j["InstanceInformationList"][0]["PingStatus"].get<std::string>();
  }
  // CreateImage of the instance, advanced until available; returns the AMI id.
  static std::string Backup(const Creds& c, const std::string& instance, const std::string& name) {
    AwsRun r = Aws("ec2 create-image --instance-id " + instance + " --name " + name, c);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Advance(610);
    return r.j["ImageId"];
  }
  // fleetpatch's precheck script on the instance; returns the services it reports.
  static json PrecheckServices(const Creds& c, const std::string& instance) {
    std::string params =
        R"({"commands":["#!/bin/bash\n# fleetpatch-precheck v1\nFP_SERVICES='sshd nginx'\n"]})";
    AwsRun r = Aws("ssm send-command --document-name AWS-RunShellScript --instance-ids " + instance +
                       " --parameters " + Quote(params),
                   c);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Advance(10);
    AwsRun inv = Aws("ssm get-command-invocation --command-id " +
                         r.j["Command"]["CommandId"].get<std::string>() + " --instance-id " + instance,
                     c);
    std::string out = inv.j.value("StandardOutputContent", "");
    if (out.rfind("FLEETPATCH_PRECHECK_V1 ", 0) != 0) return json();
    return json::parse(out.substr(23))["services"];
  }
};

TEST_F(AwsCliAfterPatchTest, RebootAfterPatchLosesTheAgentAndInitialisesStatusChecks) {
  Creds c = Prod();
  const std::string slow = "i-000100000feed0107";  // agent down 300 s, status initializing 480 s
  EXPECT_EQ(Status(c, slow)["InstanceStatus"]["Status"], "ok");
  std::string cmd = Install(c, slow);
  Advance(2 + 420 + 10);  // delivery, the install, then 10 s into the reboot
  json st = Status(c, slow);
  EXPECT_EQ(st["InstanceStatus"]["Status"], "initializing") << st.dump();
  EXPECT_EQ(st["InstanceStatus"]["Details"][0]["Status"], "initializing");
  EXPECT_EQ(st["SystemStatus"]["Status"], "ok");
  EXPECT_EQ(Ping(c, slow), "ConnectionLost");
  AwsRun inv = Aws("ssm get-command-invocation --command-id " + cmd + " --instance-id " + slow, c);
  EXPECT_EQ(inv.j["Status"], "InProgress");
  Advance(330);  // the agent is back and reports; status checks still initializing
  EXPECT_EQ(Ping(c, slow), "Online");
  EXPECT_EQ(Status(c, slow)["InstanceStatus"]["Status"], "initializing");
  inv = Aws("ssm get-command-invocation --command-id " + cmd + " --instance-id " + slow, c);
  EXPECT_EQ(inv.j["Status"], "Success") << inv.out;
  Advance(200);
  EXPECT_EQ(Status(c, slow)["InstanceStatus"]["Status"], "ok");
  AwsRun ps = Aws("ssm describe-instance-patch-states --instance-ids " + slow, c);
  EXPECT_EQ(ps.j["InstancePatchStates"][0]["InstalledPendingRebootCount"], 0);
}

TEST_F(AwsCliAfterPatchTest, InstanceThatNeverComesBackIsRestoredByReplacingItsRootVolume) {
  Creds c = Prod();
  const std::string db = "i-000100000feed0104";
  std::string ami = Backup(c, db, "compat-noreturn-backup");
  std::string cmd = Install(c, db);
  Advance(2 + 420 + 200);
  json st = Status(c, db);
  EXPECT_EQ(st["InstanceStatus"]["Status"], "impaired") << st.dump();
  EXPECT_EQ(st["InstanceStatus"]["Details"][0]["Status"], "failed");
  EXPECT_TRUE(st["InstanceStatus"]["Details"][0].contains("ImpairedSince"));
  EXPECT_EQ(Ping(c, db), "ConnectionLost");
  EXPECT_EQ(Aws("ssm get-command-invocation --command-id " + cmd + " --instance-id " + db, c).j["Status"],
            "InProgress");

  ExpectError(
      Aws("ec2 create-replace-root-volume-task --instance-id " + db + " --image-id " + ami + " --dry-run", c),
      "DryRunOperation");
  ExpectError(
      Aws("ec2 create-replace-root-volume-task --instance-id " + db + " --image-id ami-00000000deadbeef0", c),
      "InvalidAMIID.NotFound");
  AwsRun t = Aws("ec2 create-replace-root-volume-task --instance-id " + db + " --image-id " + ami +
                     " --delete-replaced-root-volume --tag-specifications "
                     "'ResourceType=replace-root-volume-task,Tags=[{Key=fleetpatch:run-id,Value=compat}]'",
                 c);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  std::string task = t.j["ReplaceRootVolumeTask"]["ReplaceRootVolumeTaskId"];
  EXPECT_EQ(task.rfind("replacevol-", 0), 0u) << task;
  EXPECT_EQ(t.j["ReplaceRootVolumeTask"]["TaskState"], "pending");
  EXPECT_EQ(t.j["ReplaceRootVolumeTask"]["ImageId"], ami);
  EXPECT_EQ(t.j["ReplaceRootVolumeTask"]["DeleteReplacedRootVolume"], true);
  ExpectError(Aws("ec2 create-replace-root-volume-task --instance-id " + db + " --image-id " + ami, c),
              "IncorrectState");
  Advance(10);
  AwsRun d = Aws("ec2 describe-replace-root-volume-tasks --replace-root-volume-task-ids " + task, c);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.j["ReplaceRootVolumeTasks"][0]["TaskState"], "in-progress");
  EXPECT_FALSE(d.j["ReplaceRootVolumeTasks"][0].contains("CompleteTime"));
  Advance(300);
  d = Aws("ec2 describe-replace-root-volume-tasks --filters Name=instance-id,Values=" + db, c);
  ASSERT_EQ(d.j["ReplaceRootVolumeTasks"].size(), 1u);
  EXPECT_EQ(d.j["ReplaceRootVolumeTasks"][0]["TaskState"], "succeeded");
  EXPECT_TRUE(d.j["ReplaceRootVolumeTasks"][0].contains("CompleteTime"));
  EXPECT_EQ(d.j["ReplaceRootVolumeTasks"][0]["Tags"][0]["Key"], "fleetpatch:run-id");
  EXPECT_EQ(Ping(c, db), "Online");
  Advance(40);
  EXPECT_EQ(Status(c, db)["InstanceStatus"]["Status"], "ok");
  ExpectError(Aws("ec2 create-replace-root-volume-task --instance-id i-000100000feed0106", c),
              "UnsupportedOperation");
  ExpectError(Aws("ec2 create-replace-root-volume-task --instance-id i-000100000feed000a", c),
              "IncorrectInstanceState");
}

TEST_F(AwsCliAfterPatchTest, ServiceBrokenByThePatchWorksAgainAfterRootVolumeReplacement) {
  Creds c = Prod();
  const std::string api = "i-000100000feed0103";
  EXPECT_EQ(PrecheckServices(c, api)["nginx"], "active");
  std::string ami = Backup(c, api, "compat-broken-backup");
  Install(c, api);
  Advance(2 + 300 + 5);
  EXPECT_EQ(PrecheckServices(c, api)["nginx"], "failed");
  AwsRun t = Aws("ec2 create-replace-root-volume-task --instance-id " + api + " --image-id " + ami, c);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  Advance(5 + 300 + 40);
  EXPECT_EQ(PrecheckServices(c, api)["nginx"], "active");
  // The restored root volume carries the pre-patch state: the next scan finds the patches missing again.
  AwsRun r = Aws("ssm send-command --document-name AWS-RunPatchBaseline --instance-ids " + api +
                     " --parameters Operation=Scan",
                 c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Advance(100);
  AwsRun ps = Aws("ssm describe-instance-patch-states --instance-ids " + api, c);
  EXPECT_EQ(ps.j["InstancePatchStates"][0]["Operation"], "Scan");
  EXPECT_EQ(ps.j["InstancePatchStates"][0]["MissingCount"], 4);
}

TEST_F(AwsCliAfterPatchTest, AutoScalingStandbySuspendAndTheirErrors) {
  Creds c = Prod();
  const std::string g = "prod-app-asg", a = "i-000100000feed0101", b = "i-000100000feed0102";
  AwsRun r = Aws("autoscaling describe-auto-scaling-instances --instance-ids " + a + " " + b, c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.j["AutoScalingInstances"].size(), 2u);
  for (const auto& i : r.j["AutoScalingInstances"]) {
    EXPECT_EQ(i["AutoScalingGroupName"], g);
    EXPECT_EQ(i["LifecycleState"], "InService");
    EXPECT_EQ(i["HealthStatus"], "HEALTHY");
  }
  r = Aws("autoscaling enter-standby --auto-scaling-group-name " + g + " --instance-ids " + a +
              " --should-decrement-desired-capacity",
          c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j["Activities"][0]["StatusCode"], "InProgress");
  EXPECT_NE(
      r.j["Activities"][0]["Description"].get<std::string>().find("Moving EC2 instance to Standby: " + a),
      std::string::npos);
  r = Aws("autoscaling describe-auto-scaling-instances --instance-ids " + a, c);
  EXPECT_EQ(r.j["AutoScalingInstances"][0]["LifecycleState"], "EnteringStandby");
  Advance(40);
  r = Aws("autoscaling describe-auto-scaling-instances --instance-ids " + a, c);
  EXPECT_EQ(r.j["AutoScalingInstances"][0]["LifecycleState"], "Standby");
  r = Aws("autoscaling describe-auto-scaling-groups --auto-scaling-group-names " + g, c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j["AutoScalingGroups"][0]["DesiredCapacity"], 1);
  ExpectError(Aws("autoscaling enter-standby --auto-scaling-group-name " + g + " --instance-ids " + a +
                      " --should-decrement-desired-capacity",
                  c),
              "ValidationError");  // not InService
  ExpectError(Aws("autoscaling enter-standby --auto-scaling-group-name " + g + " --instance-ids " + b +
                      " --should-decrement-desired-capacity",
                  c),
              "ValidationError");  // below min size
  ExpectError(Aws("autoscaling exit-standby --auto-scaling-group-name " + g + " --instance-ids " + b, c),
              "ValidationError");
  ExpectError(Aws("autoscaling exit-standby --auto-scaling-group-name nope --instance-ids " + a, c),
              "ValidationError");
  ExpectError(Aws("autoscaling enter-standby --auto-scaling-group-name " + g + " --instance-ids " + a +
                      " --should-decrement-desired-capacity",
                  Assume("111111111111", "fp-demo-prod", "FleetPatchReadOnly")),
              "AccessDenied");
  r = Aws("autoscaling exit-standby --auto-scaling-group-name " + g + " --instance-ids " + a, c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Aws("autoscaling describe-auto-scaling-instances --instance-ids " + a, c)
                .j["AutoScalingInstances"][0]["LifecycleState"],
            "Pending");
  Advance(45);
  EXPECT_EQ(Aws("autoscaling describe-auto-scaling-instances --instance-ids " + a, c)
                .j["AutoScalingInstances"][0]["LifecycleState"],
            "InService");

  ASSERT_EQ(Aws("autoscaling suspend-processes --auto-scaling-group-name " + g +
                    " --scaling-processes HealthCheck ReplaceUnhealthy AZRebalance",
                c)
                .exit_code,
            0);
  r = Aws("autoscaling describe-auto-scaling-groups --auto-scaling-group-names " + g, c);
  std::set<std::string> suspended;
  for (const auto& p : r.j["AutoScalingGroups"][0]["SuspendedProcesses"]) suspended.insert(p["ProcessName"]);
  EXPECT_EQ(suspended, (std::set<std::string>{"AZRebalance", "HealthCheck", "ReplaceUnhealthy"}));
  ExpectError(
      Aws("autoscaling suspend-processes --auto-scaling-group-name " + g + " --scaling-processes Bogus", c),
      "ValidationError");
  ASSERT_EQ(Aws("autoscaling resume-processes --auto-scaling-group-name " + g +
                    " --scaling-processes HealthCheck ReplaceUnhealthy AZRebalance",
                c)
                .exit_code,
            0);
  r = Aws("autoscaling describe-auto-scaling-groups --auto-scaling-group-names " + g, c);
  EXPECT_TRUE(r.j["AutoScalingGroups"][0]["SuspendedProcesses"].empty());
  EXPECT_EQ(r.j["AutoScalingGroups"][0]["DesiredCapacity"], 2);
}

TEST_F(AwsCliAfterPatchTest, GroupReplacesAnInServiceMemberRebootedWithoutStandby) {
  Creds c = Prod();
  const std::string a = "i-000100000feed0101";
  Install(c, a);
  Advance(2 + 420 + 40);  // 40 s into the reboot: past the group's 30 s
  AwsRun r = Aws("autoscaling describe-auto-scaling-instances --instance-ids " + a, c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.j["AutoScalingInstances"].size(), 1u);
  EXPECT_EQ(r.j["AutoScalingInstances"][0]["LifecycleState"], "Terminating");
  EXPECT_EQ(r.j["AutoScalingInstances"][0]["HealthStatus"], "UNHEALTHY");
  r = Aws("ec2 describe-instances --instance-ids " + a + " --query 'Reservations[0].Instances[0].State.Name'",
          c);
  EXPECT_EQ(r.j, "shutting-down");
  Advance(120);
  EXPECT_TRUE(Aws("autoscaling describe-auto-scaling-instances --instance-ids " + a, c)
                  .j["AutoScalingInstances"]
                  .empty());
  r = Aws("ec2 describe-instances --instance-ids " + a + " --query 'Reservations[0].Instances[0].State.Name'",
          c);
  EXPECT_EQ(r.j, "terminated");
}

TEST_F(AwsCliAfterPatchTest, GetCommandInvocationReturnsTheOutputListCommandInvocationsCuts) {
  Creds c = Prod();
  const std::string files = "i-000100000feed0105";  // 80 mounts
  std::string params = R"({"commands":["#!/bin/bash\n# fleetpatch-precheck v1\nFP_SERVICES='sshd'\n"]})";
  AwsRun r = Aws("ssm send-command --document-name AWS-RunShellScript --instance-ids " + files +
                     " --parameters " + Quote(params),
                 c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string cmd = r.j["Command"]["CommandId"];
  Advance(10);
  r = Aws("ssm list-command-invocations --command-id " + cmd + " --details", c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j["CommandInvocations"][0]["CommandPlugins"][0]["Output"].get<std::string>().size(), 2500u);
  r = Aws("ssm get-command-invocation --command-id " + cmd + " --instance-id " + files, c);
  std::string out = r.j["StandardOutputContent"];
  EXPECT_GT(out.size(), 2500u);
  EXPECT_LE(out.size(), 24000u);
  ASSERT_EQ(out.rfind("FLEETPATCH_PRECHECK_V1 ", 0), 0u);
  EXPECT_EQ(json::parse(out.substr(23))["disks"].size(), 80u);
}

TEST_F(AwsCliAfterPatchTest, SnsPublishIsRecordedWithAwsErrors) {
  Creds c = Prod();
  const std::string topic = "arn:aws:sns:us-east-1:111111111111:fleetpatch-notifications";
  size_t before = emulator_->PublishedMessages().size();
  AwsRun r = Aws(
      "sns publish --topic-arn " + topic + " --subject 'fleetpatch run finished' --message " +
          Quote("{\"text\":\"3 failed\"}") +
          " --message-attributes '{\"event\":{\"DataType\":\"String\",\"StringValue\":\"run_finished\"}}'",
      c);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string id = r.j["MessageId"];
  auto published = emulator_->PublishedMessages();
  ASSERT_EQ(published.size(), before + 1);
  EXPECT_EQ(published.back().message_id, id);
  EXPECT_EQ(published.back().topic_arn, topic);
  EXPECT_EQ(published.back().subject, "fleetpatch run finished");
  EXPECT_EQ(published.back().message, "{\"text\":\"3 failed\"}");
  EXPECT_EQ(published.back().attributes.at("event"), "run_finished");
  ExpectError(Aws("sns publish --topic-arn arn:aws:sns:us-east-1:111111111111:missing --message hi", c),
              "NotFound");
  ExpectError(
      Aws("sns publish --topic-arn arn:aws:sns:us-east-1:222222222222:fleetpatch-notifications --message hi",
          c),
      "AuthorizationError");
  ExpectError(
      Aws("sns publish --topic-arn " + topic + " --subject " + Quote("two\nlines") + " --message hi", c),
      "InvalidParameter");
  emulator_->SetFault("Publish", FaultSpec{.throttle_rate = 1.0});
  ExpectError(Aws("sns publish --topic-arn " + topic + " --message hi", c), "Throttling");
  emulator_->ClearFaults();
  EXPECT_EQ(emulator_->PublishedMessages().size(), before + 1);
}

TEST_F(AwsCliAfterPatchTest, OldBackupsOwnersAndDeletionRulesForPrune) {
  Creds c = Assume("333333333333", "fp-demo-dev");
  const std::string region = "us-west-2";
  AwsRun r =
      Aws("ec2 describe-images --owners self --filters Name=tag:fleetpatch:created-by,Values=fleetpatch "
          "--query 'Images[].ImageId'",
          c, region);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.j.size(), 3u) << r.out;
  r = Aws("ec2 describe-images --query 'Images[].ImageId'", c, region);
  EXPECT_EQ(r.j.size(), 4u) << r.out;  // and the public image another account owns
  r = Aws("ec2 describe-images --owners 999999999999 --query 'Images[].[ImageId,OwnerId,Public]'", c, region);
  ASSERT_EQ(r.j.size(), 1u) << r.out;
  EXPECT_EQ(r.j[0][0], "ami-0de0000000000a004");
  r = Aws("ec2 describe-images --image-ids ami-0de0000000000a001", c, region);
  EXPECT_EQ(r.j["Images"][0]["CreationDate"].get<std::string>().size(), 24u);
  EXPECT_EQ(r.j["Images"][0]["BlockDeviceMappings"].size(), 2u);
  EXPECT_EQ(r.j["Images"][0]["BlockDeviceMappings"][1]["Ebs"]["SnapshotId"], "snap-0de0000000000b002");
  r =
      Aws("ec2 describe-snapshots --owner-ids self --filters "
          "Name=tag:fleetpatch:created-by,Values=fleetpatch --query 'Snapshots[].SnapshotId'",
          c, region);
  std::set<std::string> snaps(r.j.begin(), r.j.end());
  EXPECT_EQ(snaps, (std::set<std::string>{"snap-0de0000000000b001", "snap-0de0000000000b002",
                                          "snap-0de0000000000b003", "snap-0de0000000000b004",
                                          "snap-0de0000000000b006"}));
  ExpectError(Aws("ec2 delete-snapshot --snapshot-id snap-0de0000000000b001", c, region),
              "InvalidSnapshot.InUse");
  ExpectError(Aws("ec2 deregister-image --image-id ami-0de0000000000a004", c, region), "AuthFailure");
  ExpectError(Aws("ec2 delete-snapshot --snapshot-id snap-0de0000000000b005", c, region),
              "InvalidSnapshot.NotFound");
  ASSERT_EQ(Aws("ec2 deregister-image --image-id ami-0de0000000000a001", c, region).exit_code, 0);
  ExpectError(Aws("ec2 describe-images --image-ids ami-0de0000000000a001", c, region),
              "InvalidAMIID.NotFound");
  ExpectError(Aws("ec2 deregister-image --image-id ami-0de0000000000a001", c, region),
              "InvalidAMIID.NotFound");
  EXPECT_EQ(Aws("ec2 delete-snapshot --snapshot-id snap-0de0000000000b001", c, region).exit_code, 0);
  ExpectError(Aws("ec2 delete-snapshot --snapshot-id snap-0de0000000000b001", c, region),
              "InvalidSnapshot.NotFound");
}

TEST_F(AwsCliAfterPatchTest, StaleNeverScannedAndRebootDebtPatchStates) {
  Creds staging = Assume("222222222222", "fp-demo-staging");
  AwsRun r = Aws("ssm describe-instance-patch-states --instance-ids i-000200000feed0108 i-000200000feed0109",
                 staging, "eu-west-1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.j["InstancePatchStates"].size(), 1u) << r.out;  // never scanned: no state
  const json& stale = r.j["InstancePatchStates"][0];
  EXPECT_EQ(stale["InstanceId"], "i-000200000feed0108");
  EXPECT_EQ(stale["Operation"], "Scan");
  EXPECT_EQ(stale["MissingCount"], 21);
  std::chrono::system_clock::time_point ended;  // awscli prints timestamps as ISO 8601
  ASSERT_TRUE(ParseIso8601(stale["OperationEndTime"].get<std::string>(), &ended)) << stale.dump();
  EXPECT_NEAR(std::chrono::duration<double>(std::chrono::system_clock::now() - ended).count() / 86400, 90, 1);
  Creds dev = Assume("333333333333", "fp-demo-dev");
  r = Aws("ssm describe-instance-patch-states --instance-ids i-000300000feed010a", dev, "us-west-2");
  ASSERT_EQ(r.j["InstancePatchStates"].size(), 1u) << r.out;
  EXPECT_EQ(r.j["InstancePatchStates"][0]["Operation"], "Install");
  EXPECT_EQ(r.j["InstancePatchStates"][0]["InstalledPendingRebootCount"], 4);
  EXPECT_EQ(r.j["InstancePatchStates"][0]["RebootOption"], "NoReboot");
  EXPECT_TRUE(r.j["InstancePatchStates"][0].contains("LastNoRebootInstallOperationTime"));
}

}  // namespace
}  // namespace fleetpatch::emulator
