// AutoScalingClient against the real protocol engine and the embedded model: the wire format of
// each request (AWS Query: member lists, booleans) and the parsing of AWS-shaped XML responses.
#include "aws/autoscaling_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/fake_api_callers.h"
#include "aws/protocol/embedded_models.h"

namespace fleetpatch::aws {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kNs[] = "xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"";

HttpResponse Xml(const std::string& body) { return HttpResponse{200, {{"Content-Type", "text/xml"}}, body}; }

std::string InstanceXml(const std::string& id, const std::string& state) {
  return "<member><InstanceId>" + id +
         "</InstanceId><AutoScalingGroupName>web-asg</AutoScalingGroupName>"
         "<AvailabilityZone>eu-west-1a</AvailabilityZone><LifecycleState>" +
         state +
         "</LifecycleState>"
         "<HealthStatus>HEALTHY</HealthStatus><ProtectedFromScaleIn>true</ProtectedFromScaleIn>"
         "<InstanceType>t3.micro</InstanceType></member>";
}

std::string ActivitiesXml(const std::string& op, const std::string& id) {
  return "<" + op + "Response " + kNs + "><" + op + "Result><Activities><member><ActivityId>act-" + id +
         "</ActivityId><AutoScalingGroupName>web-asg</AutoScalingGroupName><Description>Moving EC2 instance "
         "to "
         "Standby: " +
         id + "</Description><Cause>At 2026-12-04T10:00:00Z instance " + id +
         " was moved to standby.</Cause><StartTime>2026-12-04T10:00:00Z</StartTime>"
         "<StatusCode>InProgress</StatusCode><Progress>50</Progress></member></Activities></" +
         op + "Result><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></" + op + "Response>";
}

TEST(AutoScalingClient, DescribeInstancesWireFormatPagesAndParsing) {
  int call = 0;
  EngineApiCaller caller(
      protocol::AutoScalingModel(), [&](const std::string&, const protocol::SerializedRequest&) {
        ++call;
        std::string next = call == 1 ? "<NextToken>tok/1</NextToken>" : "";
        return Xml(std::string("<DescribeAutoScalingInstancesResponse ") + kNs +
                   "><DescribeAutoScalingInstancesResult><AutoScalingInstances>" +
                   InstanceXml(call == 1 ? "i-1" : "i-2", call == 1 ? "InService" : "Standby") +
                   "</AutoScalingInstances>" + next +
                   "</DescribeAutoScalingInstancesResult></DescribeAutoScalingInstancesResponse>");
      });
  AutoScalingClient asg(caller);
  auto r = asg.DescribeAutoScalingInstances({"i-1", "i-2"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].instance_id, "i-1");
  EXPECT_EQ((*r)[0].group_name, "web-asg");
  EXPECT_EQ((*r)[0].lifecycle_state, "InService");
  EXPECT_EQ((*r)[0].health_status, "HEALTHY");
  EXPECT_TRUE((*r)[0].protected_from_scale_in);
  EXPECT_EQ((*r)[1].lifecycle_state, "Standby");
  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].second.body,
            "Action=DescribeAutoScalingInstances&Version=2011-01-01&InstanceIds.member.1=i-1&"
            "InstanceIds.member.2=i-2&MaxRecords=50");
  EXPECT_THAT(reqs[1].second.body, HasSubstr("NextToken=tok%2F1"));
}

TEST(AutoScalingClient, DescribeBatchesFiftyIds) {
  FakeApiCaller fake;
  std::vector<std::string> ids;
  for (int i = 0; i < 120; ++i) ids.push_back("i-" + std::to_string(i));
  for (int b = 0; b < 3; ++b) fake.Queue("DescribeAutoScalingInstances", json::object());
  AutoScalingClient asg(fake);
  auto r = asg.DescribeAutoScalingInstances(ids);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->empty());  // instances in no group are absent
  auto calls = fake.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].params["InstanceIds"].size(), 50u);
  EXPECT_EQ(calls[2].params["InstanceIds"].size(), 20u);
  EXPECT_EQ(calls[2].params["InstanceIds"][0], "i-100");
}

TEST(AutoScalingClient, EnterAndExitStandbyWireFormat) {
  EngineApiCaller caller(protocol::AutoScalingModel(),
                         [&](const std::string& op, const protocol::SerializedRequest&) {
                           return Xml(ActivitiesXml(op, "i-1"));
                         });
  AutoScalingClient asg(caller);
  auto entered = asg.EnterStandby("web-asg", {"i-1"});
  ASSERT_TRUE(entered.ok()) << entered.error().message;
  ASSERT_EQ(entered->size(), 1u);
  EXPECT_EQ((*entered)[0].activity_id, "act-i-1");
  EXPECT_EQ((*entered)[0].status_code, "InProgress");
  EXPECT_EQ((*entered)[0].progress, 50);
  auto exited = asg.ExitStandby("web-asg", {"i-1"});
  ASSERT_TRUE(exited.ok()) << exited.error().message;
  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].second.body,
            "Action=EnterStandby&Version=2011-01-01&InstanceIds.member.1=i-1&AutoScalingGroupName=web-asg&"
            "ShouldDecrementDesiredCapacity=true");
  EXPECT_EQ(reqs[1].second.body,
            "Action=ExitStandby&Version=2011-01-01&InstanceIds.member.1=i-1&AutoScalingGroupName=web-asg");
}

TEST(AutoScalingClient, StandbyBatchesTwentyAndStopsAtTheFailingBatch) {
  FakeApiCaller fake;
  std::vector<std::string> ids;
  for (int i = 0; i < 45; ++i) ids.push_back("i-" + std::to_string(i));
  fake.Queue("EnterStandby", json{{"Activities", {{{"ActivityId", "a1"}}}}});
  Error e{ErrorCategory::kAws, "The instance i-20 is not in InService."};
  e.aws_code = "ValidationError";
  fake.Queue("EnterStandby", e);
  AutoScalingClient asg(fake);
  auto r = asg.EnterStandby("web-asg", ids, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().aws_code, "ValidationError");
  auto calls = fake.calls();
  ASSERT_EQ(calls.size(), 2u);  // the third batch is never sent
  EXPECT_EQ(calls[0].params["InstanceIds"].size(), 20u);
  EXPECT_EQ(calls[0].params["ShouldDecrementDesiredCapacity"], false);
}

TEST(AutoScalingClient, SuspendAndResumeProcessesWireFormat) {
  EngineApiCaller caller(
      protocol::AutoScalingModel(), [&](const std::string& op, const protocol::SerializedRequest&) {
        return Xml("<" + op + "Response " + kNs +
                   "><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></" + op + "Response>");
      });
  AutoScalingClient asg(caller);
  ASSERT_TRUE(asg.SuspendProcesses("web-asg", kPatchSuspendedProcesses).ok());
  ASSERT_TRUE(asg.ResumeProcesses("web-asg", kPatchSuspendedProcesses).ok());
  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(
      reqs[0].second.body,
      "Action=SuspendProcesses&Version=2011-01-01&AutoScalingGroupName=web-asg&ScalingProcesses.member.1="
      "HealthCheck&ScalingProcesses.member.2=ReplaceUnhealthy&ScalingProcesses.member.3=AZRebalance");
  EXPECT_THAT(reqs[1].second.body, HasSubstr("Action=ResumeProcesses&"));
}

TEST(AutoScalingClient, ServiceErrorsCarryTheQueryErrorCode) {
  EngineApiCaller caller(protocol::AutoScalingModel(), [](const std::string&,
                                                          const protocol::SerializedRequest&) {
    return HttpResponse{400,
                        {},
                        std::string("<ErrorResponse ") + kNs +
                            "><Error><Type>Sender</Type><Code>ResourceContention</Code><Message>You already "
                            "have a pending update to an Auto Scaling resource.</Message></Error>"
                            "<RequestId>req-7</RequestId></ErrorResponse>"};
  });
  AutoScalingClient asg(caller);
  Status s = asg.SuspendProcesses("web-asg", {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().aws_code, "ResourceContention");
  EXPECT_EQ(s.error().request_id, "req-7");
  EXPECT_EQ(s.error().http_status, 400);
}

TEST(AutoScalingClient, GroupNameIsRequired) {
  FakeApiCaller fake;
  AutoScalingClient asg(fake);
  EXPECT_EQ(asg.EnterStandby("", {"i-1"}).error().category, ErrorCategory::kValidation);
  EXPECT_EQ(asg.ResumeProcesses("", {}).error().category, ErrorCategory::kValidation);
  EXPECT_TRUE(fake.calls().empty());
}

}  // namespace
}  // namespace fleetpatch::aws
