// The embedded models load, hold exactly the operations fleetpatch calls, and agree with the full
// botocore models they were trimmed from (same request bytes, same parsed responses).
#include "aws/protocol/embedded_models.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "aws/protocol/parser.h"
#include "aws/protocol/serializer.h"
#include "testing/testdata.h"

namespace fleetpatch::aws::protocol {
namespace {

using Json = nlohmann::json;

TEST(EmbeddedModels, HoldTheOperationsFleetpatchCalls) {
  std::vector<std::string> sts = {"AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity"};
  std::vector<std::string> ec2 = {"CreateImage",
                                  "CreateReplaceRootVolumeTask",
                                  "CreateTags",
                                  "DeleteSnapshot",
                                  "DeregisterImage",
                                  "DescribeImages",
                                  "DescribeInstanceStatus",
                                  "DescribeInstances",
                                  "DescribeReplaceRootVolumeTasks",
                                  "DescribeSnapshots"};
  std::vector<std::string> autoscaling = {"DescribeAutoScalingInstances", "EnterStandby", "ExitStandby",
                                          "ResumeProcesses", "SuspendProcesses"};
  std::vector<std::string> ssm = {
      "CancelCommand",        "DescribeInstanceInformation", "DescribeInstancePatchStates",
      "GetCommandInvocation", "ListCommandInvocations",      "SendCommand"};
  EXPECT_EQ(StsModel().OperationNames(), sts);
  EXPECT_EQ(Ec2Model().OperationNames(), ec2);
  EXPECT_EQ(SsmModel().OperationNames(), ssm);
  EXPECT_EQ(AutoScalingModel().OperationNames(), autoscaling);
  EXPECT_EQ(AutoScalingModel().protocol(), Protocol::kQuery);
  EXPECT_EQ(AutoScalingModel().api_version(), "2011-01-01");
  EXPECT_EQ(AutoScalingModel().FindOperation("EnterStandby")->result_wrapper, "EnterStandbyResult");
  EXPECT_EQ(Ec2Model().protocol(), Protocol::kEc2);
  EXPECT_EQ(Ec2Model().api_version(), "2016-11-15");
  EXPECT_EQ(SsmModel().protocol(), Protocol::kJson);
  EXPECT_EQ(SsmModel().target_prefix(), "AmazonSSM");
  EXPECT_EQ(SsmModel().json_version(), "1.1");
  EXPECT_EQ(StsModel().protocol(), Protocol::kQuery);
  EXPECT_EQ(StsModel().FindOperation("AssumeRole")->result_wrapper, "AssumeRoleResult");
}

TEST(EmbeddedModels, ConcurrentFirstUseIsSafe) {
  std::vector<std::thread> threads;
  std::vector<const ServiceModel*> seen(8);
  for (int i = 0; i < 8; ++i) threads.emplace_back([&, i] { seen[i] = &Ec2Model(); });
  for (auto& t : threads) t.join();
  for (auto* m : seen) EXPECT_EQ(m, &Ec2Model());
}

TEST(EmbeddedModels, SerializeLikeTheFullModel) {
  auto full = ServiceModel::Parse(fleetpatch::testing::ReadFileOrDie(fleetpatch::testing::AwsTestdataDir() /
                                                                     "models" / "ec2-service-2.json"));
  ASSERT_TRUE(full.ok());
  Json params = {{"Filters", {{{"Name", "instance-state-name"}, {"Values", {"running", "stopped"}}}}},
                 {"MaxResults", 1000},
                 {"NextToken", "abc/+="}};
  auto a = SerializeRequest(Ec2Model(), "DescribeInstances", params);
  auto b = SerializeRequest(*full, "DescribeInstances", params);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->body, b->body);
  EXPECT_EQ(a->body,
            "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name&Filter.1.Value.1="
            "running&"
            "Filter.1.Value.2=stopped&NextToken=abc%2F%2B%3D&MaxResults=1000");
}

TEST(EmbeddedModels, ParseRealResponsesLikeTheFullModel) {
  auto dir = fleetpatch::testing::AwsTestdataDir() / "response-parsing" / "xml" / "responses";
  HttpResponse di{200, {}, fleetpatch::testing::ReadFileOrDie(dir / "ec2-describe-instances.xml")};
  auto parsed = ParseResponse(Ec2Model(), "DescribeInstances", di);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_FALSE((*parsed)["Reservations"][0]["Instances"][0]["InstanceId"].get<std::string>().empty());
  HttpResponse st{200, {}, fleetpatch::testing::ReadFileOrDie(dir / "sts-get-session-token.xml")};
  // GetSessionToken is not embedded (fleetpatch never calls it); the parser must say so, not guess.
  EXPECT_FALSE(ParseResponse(StsModel(), "GetSessionToken", st).ok());
}

}  // namespace
}  // namespace fleetpatch::aws::protocol
