#include "aws/ec2_client.h"

#include <gtest/gtest.h>

#include "aws/fake_api_callers.h"
#include "aws/protocol/embedded_models.h"
#include "testing/testdata.h"

namespace fleetpatch::aws {
namespace {

using nlohmann::json;

json InstanceJson(const std::string& id, const std::string& state = "running") {
  return {{"InstanceId", id},
          {"State", {{"Code", 16}, {"Name", state}}},
          {"InstanceType", "t3.micro"},
          {"Placement", {{"AvailabilityZone", "eu-west-1a"}}},
          {"LaunchTime", 1700000000},
          {"IamInstanceProfile", {{"Arn", "arn:aws:iam::111122223333:instance-profile/ssm"}, {"Id", "AIPA"}}},
          {"Tags", {{{"Key", "Name"}, {"Value", id + "-name"}}, {{"Key", "PatchGroup"}, {"Value", "web"}}}}};
}

TEST(Ec2Client, DescribeInstancesFollowsNextTokenWithFiltersAndPageSize) {
  FakeApiCaller fake;
  fake.Queue("DescribeInstances", json{{"Reservations",
                                        {{{"ReservationId", "r-1"},
                                          {"OwnerId", "111122223333"},
                                          {"Instances", {InstanceJson("i-1"), InstanceJson("i-2")}}}}},
                                       {"NextToken", "page2"}});
  fake.Queue(
      "DescribeInstances",
      json{{"Reservations", {{{"ReservationId", "r-2"}, {"Instances", {InstanceJson("i-3", "stopped")}}}}}});
  Ec2Client ec2(fake);
  auto r = ec2.DescribeInstances({.filters = {{"tag:PatchGroup", {"web", "db"}}}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  const Instance& i1 = (*r)[0];
  EXPECT_EQ(i1.instance_id, "i-1");
  EXPECT_EQ(i1.state, "running");
  EXPECT_EQ(i1.state_code, 16);
  EXPECT_EQ(i1.availability_zone, "eu-west-1a");
  EXPECT_EQ(i1.instance_type, "t3.micro");
  EXPECT_EQ(i1.iam_instance_profile_arn, "arn:aws:iam::111122223333:instance-profile/ssm");
  EXPECT_EQ(i1.tags.at("PatchGroup"), "web");
  EXPECT_EQ(i1.reservation_id, "r-1");
  EXPECT_EQ(i1.owner_id, "111122223333");
  ASSERT_TRUE(i1.launch_time.has_value());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*i1.launch_time), 1700000000);
  EXPECT_EQ((*r)[2].state, "stopped");

  auto calls = fake.calls();
  ASSERT_EQ(calls.size(), 2u);
  json want = {{"Filters", {{{"Name", "tag:PatchGroup"}, {"Values", {"web", "db"}}}}}, {"MaxResults", 1000}};
  EXPECT_EQ(calls[0].params, want);
  want["NextToken"] = "page2";
  EXPECT_EQ(calls[1].params, want);
}

TEST(Ec2Client, DescribeInstancesByIdsSendsNoMaxResults) {
  FakeApiCaller fake;
  fake.Queue("DescribeInstances", json{{"Reservations", json::array()}});
  Ec2Client ec2(fake);
  ASSERT_TRUE(ec2.DescribeInstances({.instance_ids = {"i-1", "i-2"}}).ok());
  EXPECT_EQ(fake.calls()[0].params, (json{{"InstanceIds", {"i-1", "i-2"}}}));
}

TEST(Ec2Client, DescribeInstancesBatchesLongIdLists) {
  FakeApiCaller fake;
  std::vector<std::string> ids;
  for (int i = 0; i < 2500; ++i) ids.push_back("i-" + std::to_string(i));
  for (int b = 0; b < 3; ++b) {
    fake.Queue("DescribeInstances",
               json{{"Reservations", {{{"Instances", {InstanceJson("i-" + std::to_string(b))}}}}}});
  }
  Ec2Client ec2(fake);
  auto r = ec2.DescribeInstances({.instance_ids = ids, .filters = {{"instance-state-name", {"running"}}}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size(), 3u);
  auto calls = fake.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].params["InstanceIds"].size(), 1000u);
  EXPECT_EQ(calls[2].params["InstanceIds"].size(), 500u);
  EXPECT_EQ(calls[2].params["InstanceIds"][0], "i-2000");
  EXPECT_TRUE(calls[1].params.contains("Filters"));
  EXPECT_FALSE(calls[1].params.contains("MaxResults"));
}

TEST(Ec2Client, ForEachInstancePageDeliversPagesAndStopsOnCallbackError) {
  FakeApiCaller fake;
  for (int p = 0; p < 3; ++p) {
    json page = {{"Reservations", {{{"Instances", {InstanceJson("i-" + std::to_string(p))}}}}}};
    page["NextToken"] = "t" + std::to_string(p);
    fake.Queue("DescribeInstances", page);
  }
  Ec2Client ec2(fake);
  int pages = 0;
  Status s = ec2.ForEachInstancePage({}, [&](std::vector<Instance>&& page) -> Status {
    EXPECT_EQ(page.size(), 1u);
    if (++pages == 2) return Error::Interrupted("stop");
    return OkStatus();
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().category, ErrorCategory::kInterrupted);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(fake.calls().size(), 2u);
}

TEST(Ec2Client, RepeatedNextTokenIsAnErrorNotALoop) {
  FakeApiCaller fake;
  for (int p = 0; p < 3; ++p)
    fake.Queue("DescribeInstances", json{{"Reservations", json::array()}, {"NextToken", "same"}});
  Ec2Client ec2(fake);
  auto r = ec2.DescribeInstances({});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("same NextToken"), std::string::npos);
}

TEST(Ec2Client, ErrorsPropagate) {
  FakeApiCaller fake;
  Error denied{ErrorCategory::kPermission, "not authorized"};
  denied.aws_code = "UnauthorizedOperation";
  fake.Queue("DescribeInstances", denied);
  Ec2Client ec2(fake);
  auto r = ec2.DescribeInstances({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().aws_code, "UnauthorizedOperation");
}

TEST(Ec2Client, DescribeInstanceStatusBatchesOneHundredIds) {
  FakeApiCaller fake;
  std::vector<std::string> ids;
  for (int i = 0; i < 250; ++i) ids.push_back("i-" + std::to_string(i));
  for (int b = 0; b < 3; ++b) {
    fake.Queue("DescribeInstanceStatus", json{{"InstanceStatuses",
                                               {{{"InstanceId", "i-x" + std::to_string(b)},
                                                 {"InstanceState", {{"Name", "running"}}},
                                                 {"AvailabilityZone", "az"},
                                                 {"SystemStatus", {{"Status", "ok"}}},
                                                 {"InstanceStatus", {{"Status", "impaired"}}}}}}});
  }
  Ec2Client ec2(fake);
  auto r = ec2.DescribeInstanceStatus(ids);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].instance_status, "impaired");
  EXPECT_EQ((*r)[0].system_status, "ok");
  auto calls = fake.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].params["InstanceIds"].size(), 100u);
  EXPECT_EQ(calls[2].params["InstanceIds"].size(), 50u);
  EXPECT_EQ(calls[0].params["IncludeAllInstances"], true);
}

// ---- end to end through the protocol engine and the embedded EC2 model ----

HttpResponse Xml(const std::string& body) { return HttpResponse{200, {{"Content-Type", "text/xml"}}, body}; }

TEST(Ec2ClientEngine, DescribeInstancesWireFormatAndRealResponse) {
  std::string real =
      fleetpatch::testing::ReadFileOrDie(fleetpatch::testing::AwsTestdataDir() / "response-parsing" / "xml" /
                                         "responses" / "ec2-describe-instances.xml");
  EngineApiCaller caller(protocol::Ec2Model(),
                         [&](const std::string&, const protocol::SerializedRequest&) { return Xml(real); });
  Ec2Client ec2(caller);
  auto r = ec2.DescribeInstances({.filters = {{"instance-state-name", {"running"}}}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_FALSE(r->empty());
  EXPECT_FALSE((*r)[0].instance_id.empty());
  EXPECT_FALSE((*r)[0].state.empty());
  EXPECT_TRUE((*r)[0].launch_time.has_value());
  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].second.body,
            "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name&Filter.1.Value.1="
            "running&"
            "MaxResults=1000");
}

TEST(Ec2ClientEngine, BackupLifecycleOperations) {
  std::map<std::string, std::string> responses = {
      {"CreateImage",
       "<CreateImageResponse><requestId>r1</requestId><imageId>ami-123</imageId></CreateImageResponse>"},
      {"DescribeImages",
       "<DescribeImagesResponse><imagesSet><item><imageId>ami-123</imageId><name>fp-i-1</name>"
       "<imageState>available</imageState><imageOwnerId>111122223333</imageOwnerId>"
       "<creationDate>2024-05-01T10:00:00.000Z</creationDate><blockDeviceMapping><item><deviceName>/dev/xvda"
       "</deviceName><ebs><snapshotId>snap-1</snapshotId></ebs></item><item><deviceName>/dev/sdf</deviceName>"
       "<ebs><snapshotId>snap-2</snapshotId></ebs></item></"
       "blockDeviceMapping><tagSet><item><key>fleetpatch:run"
       "</key><value>run-1</value></item></tagSet></item></imagesSet></DescribeImagesResponse>"},
      {"CreateTags", "<CreateTagsResponse><return>true</return></CreateTagsResponse>"},
      {"DeregisterImage", "<DeregisterImageResponse><return>true</return></DeregisterImageResponse>"},
      {"DescribeSnapshots",
       "<DescribeSnapshotsResponse><snapshotSet><item><snapshotId>snap-1</snapshotId><volumeId>vol-1</"
       "volumeId>"
       "<status>completed</status><startTime>2024-05-01T10:00:00.000Z</startTime><progress>100%</progress>"
       "<volumeSize>8</volumeSize></item></snapshotSet></DescribeSnapshotsResponse>"},
      {"DeleteSnapshot", "<DeleteSnapshotResponse><return>true</return></DeleteSnapshotResponse>"},
  };
  EngineApiCaller caller(
      protocol::Ec2Model(),
      [&](const std::string& op, const protocol::SerializedRequest&) { return Xml(responses.at(op)); });
  Ec2Client ec2(caller);

  auto image = ec2.CreateImage({.instance_id = "i-1",
                                .name = "fp-i-1",
                                .description = "before patch",
                                .image_tags = {{"fleetpatch:run", "run-1"}},
                                .snapshot_tags = {{"fleetpatch:run", "run-1"}}});
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(*image, "ami-123");

  auto images = ec2.DescribeImages({.image_ids = {"ami-123"}});
  ASSERT_TRUE(images.ok()) << images.error().message;
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].state, "available");
  EXPECT_EQ((*images)[0].snapshot_ids, (std::vector<std::string>{"snap-1", "snap-2"}));
  EXPECT_EQ((*images)[0].tags.at("fleetpatch:run"), "run-1");
  EXPECT_EQ((*images)[0].creation_date, "2024-05-01T10:00:00.000Z");

  ASSERT_TRUE(ec2.CreateTags({"ami-123", "snap-1"}, {{"Owner", "ops team"}}).ok());
  ASSERT_TRUE(ec2.DeregisterImage("ami-123").ok());
  auto snaps = ec2.DescribeSnapshots({.filters = {{"tag:fleetpatch:run", {"run-1"}}}});
  ASSERT_TRUE(snaps.ok()) << snaps.error().message;
  ASSERT_EQ(snaps->size(), 1u);
  EXPECT_EQ((*snaps)[0].state, "completed");
  EXPECT_EQ((*snaps)[0].volume_size_gib, 8);
  EXPECT_TRUE((*snaps)[0].start_time.has_value());
  ASSERT_TRUE(ec2.DeleteSnapshot("snap-1").ok());

  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 6u);
  EXPECT_EQ(
      reqs[0].second.body,
      "Action=CreateImage&Version=2016-11-15&TagSpecification.1.ResourceType=image&TagSpecification.1.Tag.1."
      "Key="
      "fleetpatch%3Arun&TagSpecification.1.Tag.1.Value=run-1&TagSpecification.2.ResourceType=snapshot&"
      "TagSpecification.2.Tag.1.Key=fleetpatch%3Arun&TagSpecification.2.Tag.1.Value=run-1&InstanceId=i-1&"
      "Name=fp-i-1&Description=before%20patch&NoReboot=true");
  EXPECT_EQ(reqs[1].second.body, "Action=DescribeImages&Version=2016-11-15&ImageId.1=ami-123&Owner.1=self");
  EXPECT_EQ(reqs[2].second.body,
            "Action=CreateTags&Version=2016-11-15&ResourceId.1=ami-123&ResourceId.2=snap-1&Tag.1.Key=Owner&"
            "Tag.1.Value=ops%20team");
  EXPECT_EQ(reqs[3].second.body, "Action=DeregisterImage&Version=2016-11-15&ImageId=ami-123");
  EXPECT_EQ(reqs[4].second.body,
            "Action=DescribeSnapshots&Version=2016-11-15&MaxResults=1000&Owner.1=self&Filter.1.Name=tag%"
            "3Afleetpatch%3Arun"
            "&Filter.1.Value.1=run-1");
  EXPECT_EQ(reqs[5].second.body, "Action=DeleteSnapshot&Version=2016-11-15&SnapshotId=snap-1");
}

TEST(Ec2ClientEngine, ServiceErrorsCarryCodeAndRequestId) {
  EngineApiCaller caller(protocol::Ec2Model(), [](const std::string&, const protocol::SerializedRequest&) {
    return HttpResponse{400,
                        {},
                        "<Response><Errors><Error><Code>InvalidAMIID.NotFound</Code><Message>The image id "
                        "'[ami-1]' does not exist</Message></Error></Errors><RequestID>req-9</RequestID>"
                        "</Response>"};
  });
  Ec2Client ec2(caller);
  Status s = ec2.DeregisterImage("ami-1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().aws_code, "InvalidAMIID.NotFound");
  EXPECT_EQ(s.error().request_id, "req-9");
  EXPECT_EQ(s.error().http_status, 400);
}

TEST(Ec2ClientEngine, ReplaceRootVolumeTaskWireFormatAndStates) {
  const std::string task_xml =
      "<replaceRootVolumeTask><replaceRootVolumeTaskId>replacevol-0123</replaceRootVolumeTaskId>"
      "<instanceId>i-1</instanceId><taskState>pending</taskState><startTime>2026-12-04T10:00:00Z</startTime>"
      "<imageId>ami-123</imageId><deleteReplacedRootVolume>false</deleteReplacedRootVolume>"
      "<tagSet><item><key>fleetpatch:run</key><value>run-1</value></item></tagSet></replaceRootVolumeTask>";
  std::map<std::string, std::string> responses = {
      {"CreateReplaceRootVolumeTask", "<CreateReplaceRootVolumeTaskResponse><requestId>r1</requestId>" +
                                          task_xml + "</CreateReplaceRootVolumeTaskResponse>"},
      {"DescribeReplaceRootVolumeTasks",
       "<DescribeReplaceRootVolumeTasksResponse><requestId>r2</requestId><replaceRootVolumeTaskSet><item>"
       "<replaceRootVolumeTaskId>replacevol-0123</replaceRootVolumeTaskId><instanceId>i-1</instanceId>"
       "<taskState>succeeded</taskState><startTime>2026-12-04T10:00:00Z</startTime>"
       "<completeTime>2026-12-04T10:03:00Z</completeTime><imageId>ami-123</imageId></item>"
       "</replaceRootVolumeTaskSet></DescribeReplaceRootVolumeTasksResponse>"},
  };
  EngineApiCaller caller(
      protocol::Ec2Model(),
      [&](const std::string& op, const protocol::SerializedRequest&) { return Xml(responses.at(op)); });
  Ec2Client ec2(caller);
  auto task = ec2.CreateReplaceRootVolumeTask({.instance_id = "i-1",
                                               .image_id = "ami-123",
                                               .client_token = "fp-run-1-i-1",
                                               .tags = {{"fleetpatch:run", "run-1"}}});
  ASSERT_TRUE(task.ok()) << task.error().message;
  EXPECT_EQ(task->task_id, "replacevol-0123");
  EXPECT_EQ(task->state, "pending");
  EXPECT_EQ(task->image_id, "ami-123");
  EXPECT_FALSE(task->delete_replaced_root_volume);
  EXPECT_EQ(task->tags.at("fleetpatch:run"), "run-1");
  auto tasks = ec2.DescribeReplaceRootVolumeTasks({.filters = {{"instance-id", {"i-1"}}}});
  ASSERT_TRUE(tasks.ok()) << tasks.error().message;
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].state, "succeeded");
  EXPECT_EQ((*tasks)[0].complete_time, "2026-12-04T10:03:00Z");
  ASSERT_TRUE(ec2.DescribeReplaceRootVolumeTasks({.task_ids = {"replacevol-0123"}}).ok());

  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].second.body,
            "Action=CreateReplaceRootVolumeTask&Version=2016-11-15&InstanceId=i-1&ClientToken=fp-run-1-i-1&"
            "TagSpecification.1.ResourceType=replace-root-volume-task&TagSpecification.1.Tag.1.Key="
            "fleetpatch%3Arun&"
            "TagSpecification.1.Tag.1.Value=run-1&ImageId=ami-123&DeleteReplacedRootVolume=false");
  EXPECT_EQ(reqs[1].second.body,
            "Action=DescribeReplaceRootVolumeTasks&Version=2016-11-15&Filter.1.Name=instance-id&Filter.1."
            "Value.1=i-1&"
            "MaxResults=50");
  EXPECT_EQ(
      reqs[2].second.body,
      "Action=DescribeReplaceRootVolumeTasks&Version=2016-11-15&ReplaceRootVolumeTaskId.1=replacevol-0123");
}

TEST(Ec2Client, ValidatesRequiredIds) {
  FakeApiCaller fake;
  Ec2Client ec2(fake);
  EXPECT_EQ(ec2.DeleteSnapshot("").error().category, ErrorCategory::kValidation);
  EXPECT_EQ(ec2.CreateImage({.instance_id = "i-1"}).error().category, ErrorCategory::kValidation);
  EXPECT_EQ(ec2.CreateReplaceRootVolumeTask({.instance_id = "i-1"}).error().category,
            ErrorCategory::kValidation);
  EXPECT_TRUE(fake.calls().empty());
}

}  // namespace
}  // namespace fleetpatch::aws
