// In-process tests of what comes after a patch: reboots, the Auto Scaling group's health check and
// standby, root volume replacement, SNS Publish, and faults on these operations. Requests are
// signed and verified; time is a FakeClock, so every window is reached by Advance().
#include <gtest/gtest.h>

#include "emulator/emulator.h"
#include "emulator/signed_client.h"
#include "testing/fake_clock.h"

namespace fleetpatch::emulator {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr char kRegion[] = "us-east-1";
constexpr char kAsgMember[] = "i-000100000feed0101";  // in prod-app-asg, patches need a reboot
constexpr char kBroken[] = "i-000100000feed0103";     // nginx fails after patching

class AfterPatchTest : public ::testing::Test {
 protected:
  AfterPatchTest()
      : emulator_(DemoFleet(), Options()), client_(emulator_, clock_, emulator_.BaseCredentials()) {
    RawReply r = client_.Query("sts", kRegion, "AssumeRole",
                               {{"RoleArn", RoleArn("111111111111", "FleetPatchRole")},
                                {"RoleSessionName", "after-patch"},
                                {"ExternalId", "fp-demo-prod"}});
    aws::Credentials c;
    c.access_key_id = r.XmlText("AccessKeyId");
    c.secret_access_key = r.XmlText("SecretAccessKey");
    c.session_token = r.XmlText("SessionToken");
    client_.SetCredentials(c);
  }
  EmulatorOptions Options() {
    EmulatorOptions o;
    o.clock = &clock_;
    return o;
  }
  void Install(const std::string& id) {
    RawReply r =
        client_.Ssm(kRegion, "SendCommand",
                    {{"DocumentName", "AWS-RunPatchBaseline"},
                     {"InstanceIds", {id}},
                     {"Parameters", {{"Operation", {"Install"}}, {"RebootOption", {"RebootIfNeeded"}}}}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string InstanceStatus(const std::string& id) {
    RawReply r = client_.Query("ec2", kRegion, "DescribeInstanceStatus", {{"InstanceId.1", id}});
    return r.xml.select_node("//instanceStatus/status").node().text().as_string();
  }
  RawReply AsgInstance(const std::string& id) {
    return client_.Query("autoscaling", kRegion, "DescribeAutoScalingInstances",
                         {{"InstanceIds.member.1", id}});
  }

  testing::FakeClock clock_;
  Emulator emulator_;
  SignedClient client_;
};

TEST_F(AfterPatchTest, AnInServiceMemberRebootedWithoutStandbyIsReplaced) {
  Install(kAsgMember);
  clock_.Advance(seconds(2 + 420 + 10));
  EXPECT_EQ(InstanceStatus(kAsgMember), "initializing");
  RawReply r = AsgInstance(kAsgMember);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.XmlText("LifecycleState"), "InService");
  clock_.Advance(seconds(25));
  r = AsgInstance(kAsgMember);
  EXPECT_EQ(r.XmlText("LifecycleState"), "Terminating");
  EXPECT_EQ(r.XmlText("HealthStatus"), "UNHEALTHY");
  EXPECT_EQ(
      client_.Query("ec2", kRegion, "DescribeInstances", {{"InstanceId.1", kAsgMember}}).XmlText("name"),
      "shutting-down");
}

TEST_F(AfterPatchTest, StandbyKeepsTheGroupFromReplacingARebootingMember) {
  RawReply r = client_.Query("autoscaling", kRegion, "EnterStandby",
                             {{"AutoScalingGroupName", "prod-app-asg"},
                              {"InstanceIds.member.1", kAsgMember},
                              {"ShouldDecrementDesiredCapacity", "true"}});
  ASSERT_EQ(r.status, 200) << r.body;
  Install(kAsgMember);
  clock_.Advance(seconds(2 + 420 + 60));
  r = AsgInstance(kAsgMember);
  EXPECT_EQ(r.XmlText("LifecycleState"), "Standby");
  EXPECT_EQ(r.XmlText("HealthStatus"), "HEALTHY");
  clock_.Advance(seconds(120));
  EXPECT_EQ(InstanceStatus(kAsgMember), "ok");
  r = client_.Query("autoscaling", kRegion, "ExitStandby",
                    {{"AutoScalingGroupName", "prod-app-asg"}, {"InstanceIds.member.1", kAsgMember}});
  ASSERT_EQ(r.status, 200) << r.body;
  clock_.Advance(seconds(60));
  EXPECT_EQ(AsgInstance(kAsgMember).XmlText("LifecycleState"), "InService");
  // Without standby but with HealthCheck suspended, a second reboot is tolerated too.
  ASSERT_EQ(
      client_
          .Query("autoscaling", kRegion, "SuspendProcesses",
                 {{"AutoScalingGroupName", "prod-app-asg"}, {"ScalingProcesses.member.1", "HealthCheck"}})
          .status,
      200);
  RawReply root = client_.Query("ec2", kRegion, "CreateReplaceRootVolumeTask", {{"InstanceId", kAsgMember}});
  ASSERT_EQ(root.status, 200) << root.body;
  clock_.Advance(seconds(60));
  EXPECT_EQ(AsgInstance(kAsgMember).XmlText("HealthStatus"), "HEALTHY");
}

TEST_F(AfterPatchTest, RootVolumeReplacementStatesAndRestoredServices) {
  RawReply img =
      client_.Query("ec2", kRegion, "CreateImage", {{"InstanceId", kBroken}, {"Name", "pre-patch"}});
  ASSERT_EQ(img.status, 200) << img.body;
  clock_.Advance(seconds(600));
  Install(kBroken);
  clock_.Advance(seconds(400));
  RawReply t = client_.Query("ec2", kRegion, "CreateReplaceRootVolumeTask",
                             {{"InstanceId", kBroken}, {"ImageId", img.XmlText("imageId")}});
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.XmlText("taskState"), "pending");
  std::string id = t.XmlText("replaceRootVolumeTaskId");
  clock_.Advance(seconds(10));
  EXPECT_EQ(
      client_.Query("ec2", kRegion, "DescribeReplaceRootVolumeTasks", {{"ReplaceRootVolumeTaskId.1", id}})
          .XmlText("taskState"),
      "in-progress");
  clock_.Advance(seconds(300));
  RawReply d =
      client_.Query("ec2", kRegion, "DescribeReplaceRootVolumeTasks", {{"ReplaceRootVolumeTaskId.1", id}});
  EXPECT_EQ(d.XmlText("taskState"), "succeeded");
  EXPECT_FALSE(d.XmlText("completeTime").empty());
  EXPECT_EQ(client_
                .Query("ec2", kRegion, "CreateReplaceRootVolumeTask",
                       {{"InstanceId", kBroken}, {"ImageId", "ami-00000000deadbeef0"}})
                .aws_code,
            "InvalidAMIID.NotFound");
}

TEST_F(AfterPatchTest, PublishIsRecordedAndFaultsReachNewOperations) {
  RawReply r = client_.Query("sns", kRegion, "Publish",
                             {{"TopicArn", "arn:aws:sns:us-east-1:111111111111:fleetpatch-notifications"},
                              {"Message", "run finished"}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(emulator_.PublishedMessages().size(), 1u);
  EXPECT_EQ(emulator_.PublishedMessages()[0].message_id, r.XmlText("MessageId"));
  EXPECT_EQ(client_
                .Query("sns", kRegion, "Publish",
                       {{"TopicArn", "arn:aws:sns:us-east-1:111111111111:nope"}, {"Message", "x"}})
                .aws_code,
            "NotFound");
  FaultSpec throttle;
  throttle.throttle_rate = 1;
  emulator_.SetFault("EnterStandby", throttle);
  RawReply t = client_.Query("autoscaling", kRegion, "EnterStandby",
                             {{"AutoScalingGroupName", "prod-app-asg"},
                              {"InstanceIds.member.1", kAsgMember},
                              {"ShouldDecrementDesiredCapacity", "true"}});
  EXPECT_EQ(t.status, 400);
  EXPECT_EQ(t.aws_code, "Throttling");
  FaultSpec fail;
  fail.error_5xx_rate = 1;
  emulator_.SetFault("CreateReplaceRootVolumeTask", fail);
  EXPECT_EQ(client_.Query("ec2", kRegion, "CreateReplaceRootVolumeTask", {{"InstanceId", kBroken}}).aws_code,
            "InternalError");
  emulator_.SetFault("Publish", fail);
  EXPECT_EQ(client_
                .Query("sns", kRegion, "Publish",
                       {{"TopicArn", "arn:aws:sns:us-east-1:111111111111:fleetpatch-notifications"},
                        {"Message", "x"}})
                .aws_code,
            "InternalError");
  EXPECT_EQ(emulator_.PublishedMessages().size(), 1u);
  EXPECT_EQ(emulator_.RequestCounts()["EnterStandby"], 1);
}

}  // namespace
}  // namespace fleetpatch::emulator
