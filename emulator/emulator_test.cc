// In-process tests of the emulator's handlers and state machines: requests are really signed
// (aws::SignRequest) and verified (strict mode); time is a FakeClock so every transition is
// driven explicitly.
#include "emulator/emulator.h"

#include <gtest/gtest.h>

#include <thread>

#include "emulator/signed_client.h"
#include "testing/fake_clock.h"

namespace fleetpatch::emulator {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr char kProd[] = "111111111111";
constexpr char kProdRegion[] = "us-east-1";
// Demo instances (examples/demo/fleet.yml).
constexpr char kWeb1[] = "i-000100000feed0001";       // healthy
constexpr char kWeb2[] = "i-000100000feed0002";       // patches need a reboot
constexpr char kApiFail[] = "i-000100000feed0004";    // some patches fail
constexpr char kApiHang[] = "i-000100000feed0005";    // patching hangs
constexpr char kDbAmiFail[] = "i-000100000feed0006";  // AMI fails
constexpr char kDiskFull[] = "i-000100000feed0007";
constexpr char kBatchLost[] = "i-000100000feed000b";  // ConnectionLost
constexpr char kAgentLost[] = "i-000100000feed000c";  // agent drops when patching

class EmulatorTest : public ::testing::Test {
 protected:
  EmulatorTest()
      : emulator_(DemoFleet(), Options()), client_(emulator_, clock_, emulator_.BaseCredentials()) {}

  EmulatorOptions Options() {
    EmulatorOptions o;
    o.clock = &clock_;
    o.time_scale = 1.0;
    return o;
  }

  aws::Credentials Assume(const std::string& account, const std::string& role, const std::string& external_id,
                          RawReply* reply_out = nullptr) {
    SignedClient base(emulator_, clock_, emulator_.BaseCredentials());
    RawReply r = base.Query("sts", "us-east-1", "AssumeRole",
                            {{"RoleArn", RoleArn(account, role)},
                             {"RoleSessionName", "fleetpatch-test"},
                             {"ExternalId", external_id}});
    aws::Credentials c;
    c.access_key_id = r.XmlText("AccessKeyId");
    c.secret_access_key = r.XmlText("SecretAccessKey");
    c.session_token = r.XmlText("SessionToken");
    if (reply_out) *reply_out = std::move(r);
    return c;
  }

  void UseProd() { client_.SetCredentials(Assume(kProd, "FleetPatchRole", "fp-demo-prod")); }

  std::vector<std::string> InstanceIds(const RawReply& r) {
    std::vector<std::string> ids;
    for (auto n : r.xml.select_nodes("//instancesSet/item/instanceId"))
      ids.push_back(n.node().text().as_string());
    return ids;
  }

  testing::FakeClock clock_;
  Emulator emulator_;
  SignedClient client_;
};

TEST_F(EmulatorTest, GetCallerIdentityOfBaseUser) {
  RawReply r = client_.Query("sts", "us-east-1", "GetCallerIdentity");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.XmlText("Account"), "000000000000");
  EXPECT_EQ(r.XmlText("Arn"), "arn:aws:iam::000000000000:user/fleetpatch-operator");
}

TEST_F(EmulatorTest, AssumeRolePerAccountScopesCallerAndResources) {
  for (auto [account, ext, region, count] : {std::tuple{"111111111111", "fp-demo-prod", "us-east-1", 19},
                                             std::tuple{"222222222222", "fp-demo-staging", "eu-west-1", 12},
                                             std::tuple{"333333333333", "fp-demo-dev", "us-west-2", 9}}) {
    RawReply ar;
    aws::Credentials c = Assume(account, "FleetPatchRole", ext, &ar);
    ASSERT_EQ(ar.status, 200) << ar.body;
    EXPECT_FALSE(ar.XmlText("Expiration").empty());
    client_.SetCredentials(c);
    RawReply who = client_.Query("sts", region, "GetCallerIdentity");
    EXPECT_EQ(who.XmlText("Account"), account);
    EXPECT_EQ(who.XmlText("Arn"),
              std::string("arn:aws:sts::") + account + ":assumed-role/FleetPatchRole/fleetpatch-test");
    RawReply d = client_.Query("ec2", region, "DescribeInstances");
    EXPECT_EQ(static_cast<int>(InstanceIds(d).size()), count) << account;
    // Regions are separate: the same account sees nothing elsewhere.
    RawReply other = client_.Query("ec2", "ap-south-1", "DescribeInstances");
    EXPECT_TRUE(InstanceIds(other).empty());
  }
}

TEST_F(EmulatorTest, AssumeRoleDeniedForWrongExternalIdOrUnknownRole) {
  RawReply r;
  Assume(kProd, "FleetPatchRole", "wrong", &r);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.aws_code, "AccessDenied");
  Assume(kProd, "NoSuchRole", "fp-demo-prod", &r);
  EXPECT_EQ(r.aws_code, "AccessDenied");
  Assume("999999999999", "FleetPatchRole", "fp-demo-prod", &r);
  EXPECT_EQ(r.aws_code, "AccessDenied");
  EXPECT_NE(r.body.find("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
            std::string::npos);
}

TEST_F(EmulatorTest, ExpiredTemporaryCredentialsAnswerExpiredTokenPerProtocol) {
  UseProd();
  clock_.Advance(std::chrono::hours(2));
  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DescribeInstances").aws_code, "ExpiredToken");
  EXPECT_EQ(client_.Query("sts", kProdRegion, "GetCallerIdentity").aws_code, "ExpiredToken");
  RawReply s = client_.Ssm(kProdRegion, "DescribeInstanceInformation", json::object());
  EXPECT_EQ(s.status, 400);
  EXPECT_EQ(s.aws_code, "ExpiredTokenException");
}

TEST_F(EmulatorTest, BadSignaturesAndUnknownKeysAnswerPerProtocol) {
  aws::Credentials bad = emulator_.BaseCredentials();
  bad.secret_access_key = "not-the-right-secret-key";
  client_.SetCredentials(bad);
  RawReply e = client_.Query("ec2", kProdRegion, "DescribeInstances");
  EXPECT_EQ(e.status, 401);
  EXPECT_EQ(e.aws_code, "AuthFailure");
  RawReply s = client_.Query("sts", kProdRegion, "GetCallerIdentity");
  EXPECT_EQ(s.status, 403);
  EXPECT_EQ(s.aws_code, "SignatureDoesNotMatch");
  EXPECT_EQ(client_.Ssm(kProdRegion, "DescribeInstanceInformation", json::object()).aws_code,
            "InvalidSignatureException");
  bad.access_key_id = "AKIAUNKNOWN000000000";
  client_.SetCredentials(bad);
  EXPECT_EQ(client_.Query("sts", kProdRegion, "GetCallerIdentity").aws_code, "InvalidClientTokenId");
  EXPECT_EQ(client_.Ssm(kProdRegion, "DescribeInstanceInformation", json::object()).aws_code,
            "UnrecognizedClientException");
}

TEST_F(EmulatorTest, UnsignedRequestIsRejected) {
  Request req;
  req.body = "Action=DescribeInstances&Version=2016-11-15";
  Response r = emulator_.Handle(req);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("<Code>AuthFailure</Code>"), std::string::npos);
}

TEST_F(EmulatorTest, DescribeInstancesFiltersAndPaging) {
  UseProd();
  RawReply r = client_.Query("ec2", kProdRegion, "DescribeInstances",
                             {{"Filter.1.Name", "tag:PatchGroup"},
                              {"Filter.1.Value.1", "prod-web"},
                              {"Filter.1.Value.2", "prod-db"}});
  EXPECT_EQ(InstanceIds(r).size(), 7u);
  r = client_.Query("ec2", kProdRegion, "DescribeInstances",
                    {{"Filter.1.Name", "platform"}, {"Filter.1.Value.1", "windows"}});
  EXPECT_EQ(InstanceIds(r).size(), 2u);
  r = client_.Query("ec2", kProdRegion, "DescribeInstances",
                    {{"Filter.1.Name", "instance-state-name"}, {"Filter.1.Value.1", "stopped"}});
  EXPECT_EQ(InstanceIds(r).size(), 1u);
  r = client_.Query("ec2", kProdRegion, "DescribeInstances",
                    {{"Filter.1.Name", "availability-zone"},
                     {"Filter.1.Value.1", "us-east-1b"},
                     {"Filter.2.Name", "tag-key"},
                     {"Filter.2.Value.1", "PatchGroup"}});
  EXPECT_EQ(InstanceIds(r).size(), 6u);
  r = client_.Query("ec2", kProdRegion, "DescribeInstances",
                    {{"Filter.1.Name", "tag:Name"}, {"Filter.1.Value.1", "prod-web-*"}});
  EXPECT_EQ(InstanceIds(r).size(), 4u);
  r = client_.Query("ec2", kProdRegion, "DescribeInstances",
                    {{"Filter.1.Name", "bogus"}, {"Filter.1.Value.1", "x"}});
  EXPECT_EQ(r.aws_code, "InvalidParameterValue");

  std::vector<std::string> all;
  std::string token;
  int pages = 0;
  do {
    std::map<std::string, std::string> p = {{"MaxResults", "5"}};
    if (!token.empty()) p["NextToken"] = token;
    RawReply page = client_.Query("ec2", kProdRegion, "DescribeInstances", p);
    ASSERT_EQ(page.status, 200) << page.body;
    auto ids = InstanceIds(page);
    EXPECT_LE(ids.size(), 5u);
    all.insert(all.end(), ids.begin(), ids.end());
    token = page.XmlText("nextToken");
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(all.size(), 19u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));

  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DescribeInstances", {{"MaxResults", "4"}}).aws_code,
            "InvalidParameterValue");
  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DescribeInstances", {{"InstanceId.1", "i-00000000deadbeef0"}})
                .aws_code,
            "InvalidInstanceID.NotFound");
  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DescribeInstances", {{"InstanceId.1", "foobar"}}).aws_code,
            "InvalidInstanceID.Malformed");
  EXPECT_EQ(
      client_.Query("ec2", kProdRegion, "DescribeInstances", {{"InstanceId.1", kWeb1}, {"MaxResults", "5"}})
          .aws_code,
      "InvalidParameterCombination");
}

TEST_F(EmulatorTest, DescribeInstanceStatusOnlyRunningUnlessAll) {
  UseProd();
  RawReply r = client_.Query("ec2", kProdRegion, "DescribeInstanceStatus");
  EXPECT_EQ(r.xml.select_nodes("//instanceStatusSet/item").size(), 18u);
  r = client_.Query("ec2", kProdRegion, "DescribeInstanceStatus", {{"IncludeAllInstances", "true"}});
  EXPECT_EQ(r.xml.select_nodes("//instanceStatusSet/item").size(), 19u);
}

TEST_F(EmulatorTest, CreateImageLifecycleTagsDuplicatesAndSnapshots) {
  UseProd();
  RawReply c = client_.Query("ec2", kProdRegion, "CreateImage",
                             {{"InstanceId", kWeb1},
                              {"Name", "fp-backup-web1"},
                              {"TagSpecification.1.ResourceType", "image"},
                              {"TagSpecification.1.Tag.1.Key", "fleetpatch:run"},
                              {"TagSpecification.1.Tag.1.Value", "r1"},
                              {"TagSpecification.2.ResourceType", "snapshot"},
                              {"TagSpecification.2.Tag.1.Key", "fleetpatch:run"},
                              {"TagSpecification.2.Tag.1.Value", "r1"}});
  ASSERT_EQ(c.status, 200) << c.body;
  std::string ami = c.XmlText("imageId");
  ASSERT_EQ(ami.rfind("ami-", 0), 0u);
  auto state = [&]() {
    RawReply d = client_.Query("ec2", kProdRegion, "DescribeImages", {{"ImageId.1", ami}});
    return d.XmlText("imageState");
  };
  EXPECT_EQ(state(), "pending");
  EXPECT_EQ(
      client_.Query("ec2", kProdRegion, "CreateImage", {{"InstanceId", kWeb2}, {"Name", "fp-backup-web1"}})
          .aws_code,
      "InvalidAMIName.Duplicate");
  clock_.Advance(seconds(599));
  EXPECT_EQ(state(), "pending");
  clock_.Advance(seconds(2));
  EXPECT_EQ(state(), "available");

  RawReply tagged = client_.Query(
      "ec2", kProdRegion, "DescribeImages",
      {{"Owner.1", "self"}, {"Filter.1.Name", "tag:fleetpatch:run"}, {"Filter.1.Value.1", "r1"}});
  EXPECT_EQ(tagged.xml.select_nodes("//imagesSet/item").size(), 1u);
  RawReply snaps = client_.Query("ec2", kProdRegion, "DescribeSnapshots", {{"Owner.1", "self"}});
  auto snap_nodes = snaps.xml.select_nodes("//snapshotSet/item");
  ASSERT_EQ(snap_nodes.size(), 2u);  // two disks
  std::string snap = snap_nodes.first().node().child("snapshotId").text().as_string();
  EXPECT_STREQ(snap_nodes.first().node().child("status").text().as_string(), "completed");
  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DeleteSnapshot", {{"SnapshotId", snap}}).aws_code,
            "InvalidSnapshot.InUse");

  EXPECT_EQ(
      client_
          .Query(
              "ec2", kProdRegion, "CreateTags",
              {{"ResourceId.1", ami}, {"ResourceId.2", snap}, {"Tag.1.Key", "keep"}, {"Tag.1.Value", "yes"}})
          .status,
      200);
  RawReply kept = client_.Query("ec2", kProdRegion, "DescribeImages",
                                {{"Filter.1.Name", "tag:keep"}, {"Filter.1.Value.1", "yes"}});
  EXPECT_EQ(kept.xml.select_nodes("//imagesSet/item").size(), 1u);

  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DeregisterImage", {{"ImageId", ami}}).status, 200);
  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DescribeImages", {{"ImageId.1", ami}}).aws_code,
            "InvalidAMIID.NotFound");
  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DeleteSnapshot", {{"SnapshotId", snap}}).status, 200);
  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DeleteSnapshot", {{"SnapshotId", snap}}).aws_code,
            "InvalidSnapshot.NotFound");
  // The name is free again once the AMI is deregistered.
  EXPECT_EQ(
      client_.Query("ec2", kProdRegion, "CreateImage", {{"InstanceId", kWeb2}, {"Name", "fp-backup-web1"}})
          .status,
      200);
}

TEST_F(EmulatorTest, CreateImageFailsForConfiguredInstance) {
  UseProd();
  RawReply c =
      client_.Query("ec2", kProdRegion, "CreateImage", {{"InstanceId", kDbAmiFail}, {"Name", "db-backup"}});
  std::string ami = c.XmlText("imageId");
  clock_.Advance(seconds(901));
  RawReply d = client_.Query("ec2", kProdRegion, "DescribeImages", {{"ImageId.1", ami}});
  EXPECT_EQ(d.XmlText("imageState"), "failed");
  EXPECT_EQ(d.XmlText("stateReason/code"), "Client.InternalError");
}

TEST_F(EmulatorTest, DryRunAndReadOnlyRoles) {
  UseProd();
  std::map<std::string, std::string> p = {{"InstanceId", kWeb1}, {"Name", "dry"}, {"DryRun", "true"}};
  RawReply r = client_.Query("ec2", kProdRegion, "CreateImage", p);
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(r.aws_code, "DryRunOperation");
  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DescribeInstances", {{"DryRun", "true"}}).aws_code,
            "DryRunOperation");
  client_.SetCredentials(Assume(kProd, "FleetPatchReadOnly", "fp-demo-prod"));
  r = client_.Query("ec2", kProdRegion, "CreateImage", p);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.aws_code, "UnauthorizedOperation");
  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DescribeInstances").status, 200);
  auto log = emulator_.RequestLog();
  bool saw_dry = false;
  for (const auto& e : log) saw_dry = saw_dry || (e.operation == "CreateImage" && e.dry_run && e.mutating);
  EXPECT_TRUE(saw_dry);
  EXPECT_EQ(emulator_.CountMutatingRequests(), 0);
}

json SendShell(SignedClient& c, std::vector<std::string> ids, json extra = json::object()) {
  json body = {{"DocumentName", "AWS-RunShellScript"},
               {"InstanceIds", ids},
               {"Parameters", {{"commands", {"uptime"}}}}};
  body.update(extra);
  RawReply r = c.Ssm(kProdRegion, "SendCommand", body);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json;
}

std::string InvocationStatus(SignedClient& c, const std::string& cmd, const std::string& instance,
                             json* out = nullptr) {
  RawReply r = c.Ssm(kProdRegion, "GetCommandInvocation", {{"CommandId", cmd}, {"InstanceId", instance}});
  if (out) *out = r.json;
  return r.json.value("Status", "?") + "/" + r.json.value("StatusDetails", "?");
}

TEST_F(EmulatorTest, SendCommandInvocationGoesPendingInProgressSuccess) {
  UseProd();
  json sent = SendShell(client_, {kWeb1});
  std::string cmd = sent["Command"]["CommandId"];
  EXPECT_EQ(sent["Command"]["Status"], "Pending");
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb1), "Pending/Pending");
  clock_.Advance(seconds(2));
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb1), "InProgress/InProgress");
  clock_.Advance(seconds(3));
  json inv;
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb1, &inv), "Success/Success");
  EXPECT_EQ(inv["ResponseCode"], 0);
  EXPECT_EQ(
      client_.Ssm(kProdRegion, "GetCommandInvocation", {{"CommandId", cmd}, {"InstanceId", kWeb2}}).aws_code,
      "InvocationDoesNotExist");
  EXPECT_EQ(client_
                .Ssm(kProdRegion, "GetCommandInvocation",
                     {{"CommandId", "00000000-0000-4000-8000-000000000000"}, {"InstanceId", kWeb1}})
                .aws_code,
            "InvalidCommandId");
}

TEST_F(EmulatorTest, MaxConcurrencyRunsTargetsInTurn) {
  UseProd();
  json sent = SendShell(client_, {kWeb1, kWeb2, kDiskFull}, {{"MaxConcurrency", "1"}});
  std::string cmd = sent["Command"]["CommandId"];
  clock_.Advance(seconds(3));
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb1), "InProgress/InProgress");
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb2), "Pending/Pending");
  clock_.Advance(seconds(4));  // web1 ended at 5, web2 delivered at 7
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb1), "Success/Success");
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb2), "InProgress/InProgress");
  EXPECT_EQ(InvocationStatus(client_, cmd, kDiskFull), "Pending/Pending");
  clock_.Advance(seconds(20));
  EXPECT_EQ(InvocationStatus(client_, cmd, kDiskFull), "Success/Success");
}

TEST_F(EmulatorTest, DeliveryTimeoutForLostAgentAndMaxErrorsStopsTheRest) {
  UseProd();
  json sent = SendShell(client_, {kBatchLost, kWeb1, kWeb2},
                        {{"MaxConcurrency", "1"}, {"MaxErrors", "0"}, {"TimeoutSeconds", 60}});
  std::string cmd = sent["Command"]["CommandId"];
  clock_.Advance(seconds(30));
  EXPECT_EQ(InvocationStatus(client_, cmd, kBatchLost), "Pending/Pending");
  clock_.Advance(seconds(31));
  EXPECT_EQ(InvocationStatus(client_, cmd, kBatchLost), "TimedOut/DeliveryTimedOut");
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb1), "Cancelled/Cancelled");
  RawReply list = client_.Ssm(kProdRegion, "ListCommandInvocations", {{"CommandId", cmd}, {"Details", true}});
  ASSERT_EQ(list.json["CommandInvocations"].size(), 3u);
  EXPECT_EQ(list.json["CommandInvocations"][0]["CommandPlugins"][0]["Name"], "aws:runShellScript");
}

TEST_F(EmulatorTest, CancelCommandCancelsUnfinishedInvocations) {
  UseProd();
  std::string cmd = SendShell(client_, {kWeb1, kWeb2}, {{"MaxConcurrency", "1"}})["Command"]["CommandId"];
  clock_.Advance(seconds(3));
  EXPECT_EQ(client_.Ssm(kProdRegion, "CancelCommand", {{"CommandId", cmd}}).status, 200);
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb1), "Cancelled/Cancelled");
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb2), "Cancelled/Cancelled");
  clock_.Advance(seconds(60));
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb2), "Cancelled/Cancelled");
}

TEST_F(EmulatorTest, PrecheckScriptIsAnsweredFromInstanceState) {
  UseProd();
  json body = {{"DocumentName", "AWS-RunShellScript"},
               {"InstanceIds", {kDiskFull}},
               {"Parameters",
                {{"commands", {"#!/bin/bash\n# fleetpatch-precheck v1\nFP_SERVICES='sshd nosuch'\n..."}}}}};
  std::string cmd = client_.Ssm(kProdRegion, "SendCommand", body).json["Command"]["CommandId"];
  clock_.Advance(seconds(10));
  json inv;
  InvocationStatus(client_, cmd, kDiskFull, &inv);
  std::string out = inv["StandardOutputContent"];
  ASSERT_EQ(out.rfind("FLEETPATCH_PRECHECK_V1 ", 0), 0u) << out;
  json j = json::parse(out.substr(23));
  EXPECT_EQ(j["disks"][0]["avail_kb"], 209408);
  EXPECT_EQ(j["services"]["sshd"], "active");
  EXPECT_EQ(j["services"]["nosuch"], "not-found");
}

TEST_F(EmulatorTest, PatchInstallOutcomesAndPatchStates) {
  UseProd();
  json body = {{"DocumentName", "AWS-RunPatchBaseline"},
               {"InstanceIds", {kWeb1, kWeb2, kApiFail, kApiHang, kAgentLost}},
               {"Parameters", {{"Operation", {"Install"}}, {"RebootOption", {"NoReboot"}}}},
               {"TimeoutSeconds", 600}};
  RawReply sent = client_.Ssm(kProdRegion, "SendCommand", body);
  ASSERT_EQ(sent.status, 200) << sent.body;
  std::string cmd = sent.json["Command"]["CommandId"];
  auto states = [&]() {
    RawReply r =
        client_.Ssm(kProdRegion, "DescribeInstancePatchStates", {{"InstanceIds", {kWeb1, kWeb2, kApiFail}}});
    EXPECT_EQ(r.body, r.json.dump());  // written directly, as the DOM of the same answer dumps
    std::map<std::string, json> m;
    for (const auto& s : r.json["InstancePatchStates"]) m[s["InstanceId"]] = s;
    return m;
  };
  auto before = states();
  EXPECT_EQ(before[kWeb1]["Operation"], "Scan");
  EXPECT_EQ(before[kWeb1]["MissingCount"], 6);
  clock_.Advance(seconds(700));
  EXPECT_EQ(InvocationStatus(client_, cmd, kWeb1), "Success/Success");
  EXPECT_EQ(InvocationStatus(client_, cmd, kApiFail), "Failed/Failed");
  EXPECT_EQ(InvocationStatus(client_, cmd, kAgentLost), "TimedOut/DeliveryTimedOut");
  EXPECT_EQ(InvocationStatus(client_, cmd, kApiHang), "InProgress/InProgress");
  auto after = states();
  EXPECT_EQ(after[kWeb1]["Operation"], "Install");
  EXPECT_EQ(after[kWeb1]["MissingCount"], 0);
  EXPECT_EQ(after[kWeb1]["InstalledCount"], 146);
  EXPECT_EQ(after[kWeb2]["InstalledPendingRebootCount"], 9);
  EXPECT_EQ(after[kApiFail]["FailedCount"], 2);
  clock_.Advance(seconds(7200));
  UseProd();  // the first session expired after an hour
  EXPECT_EQ(InvocationStatus(client_, cmd, kApiHang), "TimedOut/ExecutionTimedOut");
  RawReply info = client_.Ssm(kProdRegion, "DescribeInstanceInformation",
                              {{"Filters", {{{"Key", "InstanceIds"}, {"Values", {kAgentLost}}}}}});
  EXPECT_EQ(info.json["InstanceInformationList"][0]["PingStatus"], "ConnectionLost");
}

TEST_F(EmulatorTest, DescribeInstanceInformationPagesAndFilters) {
  UseProd();
  std::vector<std::string> ids;
  std::string token;
  do {
    json body = {{"MaxResults", 5}};
    if (!token.empty()) body["NextToken"] = token;
    RawReply r = client_.Ssm(kProdRegion, "DescribeInstanceInformation", body);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, r.json.dump());  // written directly, as the DOM of the same answer dumps
    EXPECT_LE(r.json["InstanceInformationList"].size(), 5u);
    for (const auto& i : r.json["InstanceInformationList"]) ids.push_back(i["InstanceId"]);
    token = r.json.value("NextToken", "");
  } while (!token.empty());
  EXPECT_EQ(ids.size(), 19u);
  RawReply online = client_.Ssm(kProdRegion, "DescribeInstanceInformation",
                                {{"Filters",
                                  {{{"Key", "PingStatus"}, {"Values", {"Online"}}},
                                   {{"Key", "PlatformTypes"}, {"Values", {"Windows"}}}}}});
  EXPECT_EQ(online.json["InstanceInformationList"].size(), 2u);
  EXPECT_EQ(client_.Ssm(kProdRegion, "DescribeInstanceInformation", {{"MaxResults", 51}}).aws_code,
            "ValidationException");
  EXPECT_EQ(client_
                .Ssm(kProdRegion, "DescribeInstanceInformation",
                     {{"Filters", {{{"Key", "Bogus"}, {"Values", {"x"}}}}}})
                .aws_code,
            "InvalidFilterKey");
}

TEST_F(EmulatorTest, ThrottlingFaultsAndRateLimitsUseEachServicesError) {
  UseProd();
  FaultSpec throttle;
  throttle.throttle_rate = 1.0;
  emulator_.SetFault("*", throttle);
  RawReply e = client_.Query("ec2", kProdRegion, "DescribeInstances");
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.aws_code, "RequestLimitExceeded");
  RawReply s = client_.Ssm(kProdRegion, "DescribeInstanceInformation", json::object());
  EXPECT_EQ(s.status, 400);
  EXPECT_EQ(s.aws_code, "ThrottlingException");
  RawReply t = client_.Query("sts", kProdRegion, "GetCallerIdentity");
  EXPECT_EQ(t.aws_code, "Throttling");
  emulator_.ClearFaults();

  FaultSpec drop;
  drop.drop_rate = 1.0;
  drop.latency = std::chrono::milliseconds(250);
  emulator_.SetFault("DescribeImages", drop);
  auto before = clock_.Now();
  RawReply d = client_.Query("ec2", kProdRegion, "DescribeImages");
  EXPECT_EQ(d.status, 0);
  EXPECT_FALSE(d.error.empty());
  EXPECT_GE(clock_.Now() - before, std::chrono::milliseconds(250));
  emulator_.ClearFaults();

  ASSERT_TRUE(emulator_.SetRateLimit("ec2-describe", {3, 1}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client_.Query("ec2", kProdRegion, "DescribeInstances").status, 200);
  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DescribeInstances").aws_code, "RequestLimitExceeded");
  // Another account/region has its own bucket.
  EXPECT_EQ(client_.Query("ec2", "eu-west-1", "DescribeInstances").status, 200);
  clock_.Advance(seconds(1));
  EXPECT_EQ(client_.Query("ec2", kProdRegion, "DescribeInstances").status, 200);
  EXPECT_FALSE(emulator_.SetRateLimit("nope", {1, 1}));
}

TEST_F(EmulatorTest, RequestLogCountsOperations) {
  UseProd();
  emulator_.ClearRequestLog();
  client_.Query("ec2", kProdRegion, "DescribeInstances");
  client_.Query("ec2", kProdRegion, "DescribeInstances");
  client_.Query("ec2", kProdRegion, "CreateTags",
                {{"ResourceId.1", kWeb1}, {"Tag.1.Key", "k"}, {"Tag.1.Value", "v"}});
  auto counts = emulator_.RequestCounts();
  EXPECT_EQ(counts["DescribeInstances"], 2);
  EXPECT_EQ(counts["CreateTags"], 1);
  EXPECT_EQ(emulator_.CountMutatingRequests(), 1);
  auto log = emulator_.RequestLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].account_id, kProd);
  EXPECT_EQ(log[0].region, kProdRegion);
  EXPECT_EQ(log[0].caller_arn, "arn:aws:sts::111111111111:assumed-role/FleetPatchRole/fleetpatch-test");
  EXPECT_EQ(log[0].http_status, 200);
}

// The behaviours the per-outcome workflow test needs: an unsupported platform (macOS), an agent that
// is Online when scanned and lost later, and an Install that succeeds with patches still missing.
TEST(EmulatorOutcomeTest, MacOsLateAgentLossAndPatchesStillMissing) {
  const char* yaml =
      "accounts:\n"
      "  - {id: \"111111111111\", regions: [us-east-1], roles: [{name: FleetPatchRole, external_id: x}]}\n"
      "instances:\n"
      "  - {id: i-00000001, account: \"111111111111\", region: us-east-1, platform: macos}\n"
      "  - {id: i-00000002, account: \"111111111111\", region: us-east-1, ssm: {lost_after_s: 60}}\n"
      "  - {id: i-00000003, account: \"111111111111\", region: us-east-1,\n"
      "     patch: {installed: 10, missing: 5, still_missing: 2, duration_s: 100}}\n";
  auto fleet = ParseFleetYaml(yaml, "outcomes.yml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  testing::FakeClock clock;
  EmulatorOptions o;
  o.clock = &clock;
  Emulator emulator(*fleet, o);
  SignedClient base(emulator, clock, emulator.BaseCredentials());
  RawReply assumed = base.Query("sts", "us-east-1", "AssumeRole",
                                {{"RoleArn", RoleArn("111111111111", "FleetPatchRole")},
                                 {"RoleSessionName", "outcome-test"},
                                 {"ExternalId", "x"}});
  ASSERT_EQ(assumed.status, 200) << assumed.body << assumed.error;
  aws::Credentials c;
  c.access_key_id = assumed.XmlText("AccessKeyId");
  c.secret_access_key = assumed.XmlText("SecretAccessKey");
  c.session_token = assumed.XmlText("SessionToken");
  SignedClient client(emulator, clock, c);

  auto info = [&]() {
    std::map<std::string, json> m;
    RawReply r = client.Ssm(kProdRegion, "DescribeInstanceInformation", json::object());
    EXPECT_EQ(r.status, 200) << r.body << r.error;
    for (const auto& i : r.json["InstanceInformationList"]) m[i["InstanceId"]] = i;
    return m;
  };
  auto before = info();
  EXPECT_EQ(before["i-00000001"]["PlatformType"], "MacOS");
  EXPECT_EQ(before["i-00000001"]["PlatformName"], "macOS");
  EXPECT_EQ(before["i-00000002"]["PingStatus"], "Online");
  clock.Advance(seconds(61));
  EXPECT_EQ(info()["i-00000002"]["PingStatus"], "ConnectionLost");
  // Commands sent after the loss are never delivered.
  std::string lost_cmd = SendShell(client, {"i-00000002"}, {{"TimeoutSeconds", 30}})["Command"]["CommandId"];
  clock.Advance(seconds(31));
  EXPECT_EQ(InvocationStatus(client, lost_cmd, "i-00000002"), "TimedOut/DeliveryTimedOut");

  json body = {{"DocumentName", "AWS-RunPatchBaseline"},
               {"InstanceIds", {"i-00000003"}},
               {"Parameters", {{"Operation", {"Install"}}, {"RebootOption", {"RebootIfNeeded"}}}}};
  std::string cmd = client.Ssm(kProdRegion, "SendCommand", body).json["Command"]["CommandId"];
  clock.Advance(seconds(110));
  EXPECT_EQ(InvocationStatus(client, cmd, "i-00000003"), "Success/Success");
  RawReply states = client.Ssm(kProdRegion, "DescribeInstancePatchStates", {{"InstanceIds", {"i-00000003"}}});
  ASSERT_EQ(states.json["InstancePatchStates"].size(), 1u) << states.body;
  const json& st = states.json["InstancePatchStates"][0];
  EXPECT_EQ(st["Operation"], "Install");
  EXPECT_EQ(st["MissingCount"], 2);
  EXPECT_EQ(st["FailedCount"], 0);
  EXPECT_EQ(st["InstalledCount"], 13);
}

TEST(EmulatorLogTest, KeepsCountsExactWhenOldEntriesAreDropped) {
  testing::FakeClock clock;
  EmulatorOptions o;
  o.clock = &clock;
  o.max_log_entries = 4;
  o.rate_limits = false;
  Emulator emulator(DemoFleet(), o);
  SignedClient c(emulator, clock, emulator.BaseCredentials());
  for (int i = 0; i < 10; ++i) c.Query("sts", "us-east-1", "GetCallerIdentity");
  EXPECT_LE(emulator.RequestLog().size(), 4u);
  EXPECT_EQ(emulator.RequestCounts()["GetCallerIdentity"], 10);
  emulator.ClearRequestLog();
  EXPECT_TRUE(emulator.RequestCounts().empty());
}

TEST(EmulatorScaleTest, ConcurrentClientsOnALargeFleet) {
  GeneratorOptions g;
  g.instances = 20000;
  g.zones = 4;
  Fleet fleet = GenerateFleet(g);
  testing::FakeClock clock;
  EmulatorOptions o;
  o.clock = &clock;
  o.rate_limits = false;
  Emulator emulator(fleet, o);
  SignedClient base(emulator, clock, emulator.BaseCredentials());
  std::vector<aws::Credentials> creds;
  for (int z = 0; z < 4; ++z) {
    const auto& a = fleet.accounts[z];
    RawReply r = base.Query("sts", a.regions[0], "AssumeRole",
                            {{"RoleArn", RoleArn(a.id, g.role_name)},
                             {"RoleSessionName", "scale"},
                             {"ExternalId", g.external_id}});
    ASSERT_EQ(r.status, 200) << r.body;
    creds.push_back({r.XmlText("AccessKeyId"), r.XmlText("SecretAccessKey"), r.XmlText("SessionToken")});
  }
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const auto& a = fleet.accounts[t % 4];
      SignedClient c(emulator, clock, creds[t % 4]);
      for (int i = 0; i < 5; ++i) {
        RawReply d = c.Query(
            "ec2", a.regions[0], "DescribeInstances",
            {{"MaxResults", "200"}, {"Filter.1.Name", "tag:Environment"}, {"Filter.1.Value.1", "prod"}});
        ok += d.status == 200 ? 1 : 0;
        std::string id = d.xml.select_node("//instancesSet/item/instanceId").node().text().as_string();
        ok += c.Query("ec2", a.regions[0], "CreateTags",
                      {{"ResourceId.1", id}, {"Tag.1.Key", "t"}, {"Tag.1.Value", std::to_string(i)}})
                  .status == 200;
        json body = {{"DocumentName", "AWS-RunShellScript"},
                     {"InstanceIds", {id}},
                     {"Parameters", {{"commands", {"true"}}}}};
        RawReply s = c.Ssm(a.regions[0], "SendCommand", body);
        ok += s.status == 200 || s.aws_code == "UnsupportedPlatformType" || s.aws_code == "InvalidInstanceId";
        ok += c.Ssm(a.regions[0], "ListCommandInvocations", {{"MaxResults", 10}}).status == 200;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 8 * 5 * 4);
  EXPECT_EQ(emulator.RequestLog().size(), 4u + 8 * 5 * 4);
}

TEST(EmulatorScaleTest, HoldsOneHundredThousandInstances) {
  GeneratorOptions g;
  g.instances = 100000;
  g.zones = 20;
  Fleet fleet = GenerateFleet(g);
  testing::FakeClock clock;
  EmulatorOptions o;
  o.clock = &clock;
  Emulator emulator(fleet, o);
  SignedClient c(emulator, clock, emulator.BaseCredentials());
  const auto& a = fleet.accounts[7];
  RawReply r = c.Query(
      "sts", a.regions[0], "AssumeRole",
      {{"RoleArn", RoleArn(a.id, g.role_name)}, {"RoleSessionName", "scale"}, {"ExternalId", g.external_id}});
  ASSERT_EQ(r.status, 200) << r.body;
  c.SetCredentials({r.XmlText("AccessKeyId"), r.XmlText("SecretAccessKey"), r.XmlText("SessionToken")});
  size_t total = 0;
  std::string token;
  do {
    std::map<std::string, std::string> p = {
        {"MaxResults", "1000"}, {"Filter.1.Name", "tag:Environment"}, {"Filter.1.Value.1", "prod"}};
    if (!token.empty()) p["NextToken"] = token;
    RawReply page = c.Query("ec2", a.regions[0], "DescribeInstances", p);
    ASSERT_EQ(page.status, 200);
    total += page.xml.select_nodes("//instancesSet/item").size();
    token = page.XmlText("nextToken");
  } while (!token.empty());
  size_t expected = 0;
  for (const auto& in : fleet.instances)
    expected += in.account_id == a.id && in.tags.at("Environment") == "prod";
  EXPECT_EQ(total, expected);
  EXPECT_GT(total, 1000u);
}

}  // namespace
}  // namespace fleetpatch::emulator
