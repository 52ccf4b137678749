#include "aws/ssm_client.h"

#include <gtest/gtest.h>

#include "aws/fake_api_callers.h"
#include "aws/protocol/embedded_models.h"

namespace fleetpatch::aws {
namespace {

using nlohmann::json;

std::vector<std::string> Ids(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back("i-" + std::to_string(i));
  return ids;
}

HttpResponse JsonResponse(const json& body) {
  return HttpResponse{
      200, {{"Content-Type", "application/x-amz-json-1.1"}, {"x-amzn-RequestId", "rid"}}, body.dump()};
}

TEST(SsmClient, DescribeInstanceInformationPagesFiftyAtATime) {
  int call = 0;
  EngineApiCaller caller(protocol::SsmModel(), [&](const std::string&, const protocol::SerializedRequest&) {
    ++call;
    json page = {{"InstanceInformationList",
                  {{{"InstanceId", "i-" + std::to_string(call)},
                    {"PingStatus", "Online"},
                    {"LastPingDateTime", 1700000000.5},
                    {"AgentVersion", "3.2.1"},
                    {"IsLatestVersion", false},
                    {"PlatformType", "Linux"},
                    {"PlatformName", "Amazon Linux"},
                    {"PlatformVersion", "2023"},
                    {"ResourceType", "EC2Instance"},
                    {"ComputerName", "ip-10-0-0-1"},
                    {"IPAddress", "10.0.0.1"}}}}};
    if (call == 1) page["NextToken"] = "tok";
    return JsonResponse(page);
  });
  SsmClient ssm(caller);
  auto r = ssm.DescribeInstanceInformation({{"PingStatus", {"Online"}}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  const InstanceInformation& info = (*r)[0];
  EXPECT_EQ(info.instance_id, "i-1");
  EXPECT_EQ(info.ping_status, "Online");
  EXPECT_EQ(info.platform_type, "Linux");
  EXPECT_EQ(info.is_latest_version, false);
  ASSERT_TRUE(info.last_ping.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(info.last_ping->time_since_epoch()).count(),
            1700000000500);

  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(*FindHeader(reqs[0].second.headers, "X-Amz-Target"), "AmazonSSM.DescribeInstanceInformation");
  EXPECT_EQ(json::parse(reqs[0].second.body),
            (json{{"MaxResults", 50}, {"Filters", {{{"Key", "PingStatus"}, {"Values", {"Online"}}}}}}));
  EXPECT_EQ(json::parse(reqs[1].second.body)["NextToken"], "tok");
}

TEST(SsmClient, SendCommandSplitsIntoBatchesOfFifty) {
  int n = 0;
  EngineApiCaller caller(protocol::SsmModel(), [&](const std::string&, const protocol::SerializedRequest&) {
    ++n;
    return JsonResponse({{"Command",
                          {{"CommandId", "cmd-" + std::to_string(n)},
                           {"Status", "Pending"},
                           {"RequestedDateTime", 1700000000}}}});
  });
  SsmClient ssm(caller);
  SendCommandRequest req;
  req.instance_ids = Ids(120);
  req.document_name = "AWS-RunPatchBaseline";
  req.parameters = {{"Operation", {"Install"}}, {"RebootOption", {"NoReboot"}}};
  req.comment = "fleetpatch run-1";
  req.timeout_seconds = 600;
  req.max_concurrency = "50";
  req.max_errors = "100%";
  auto r = ssm.SendCommand(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].command_id, "cmd-1");
  EXPECT_EQ((*r)[0].instance_ids.size(), 50u);
  EXPECT_EQ((*r)[1].instance_ids.front(), "i-50");
  EXPECT_EQ((*r)[2].instance_ids.size(), 20u);
  EXPECT_EQ((*r)[2].instance_ids.back(), "i-119");
  EXPECT_EQ((*r)[2].status, "Pending");

  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 3u);
  json body = json::parse(reqs[0].second.body);
  EXPECT_EQ(body["InstanceIds"].size(), 50u);
  EXPECT_EQ(body["DocumentName"], "AWS-RunPatchBaseline");
  EXPECT_EQ(body["Parameters"], (json{{"Operation", {"Install"}}, {"RebootOption", {"NoReboot"}}}));
  EXPECT_EQ(body["TimeoutSeconds"], 600);
  EXPECT_EQ(body["MaxConcurrency"], "50");
  EXPECT_EQ(body["MaxErrors"], "100%");
  EXPECT_EQ(body["Comment"], "fleetpatch run-1");
}

TEST(SsmClient, SendCommandStopsAtFirstFailedBatch) {
  FakeApiCaller fake;
  fake.Queue("SendCommand", json{{"Command", {{"CommandId", "cmd-1"}}}});
  Error throttled{ErrorCategory::kThrottled, "rate exceeded"};
  fake.Queue("SendCommand", throttled);
  SsmClient ssm(fake);
  auto r = ssm.SendCommand({.instance_ids = Ids(120), .document_name = "AWS-RunShellScript"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kThrottled);
  EXPECT_EQ(fake.calls().size(), 2u);
}

TEST(SsmClient, ListCommandInvocationsWithDetailsSplitsOutput) {
  EngineApiCaller caller(protocol::SsmModel(), [&](const std::string&, const protocol::SerializedRequest&) {
    return JsonResponse({{"CommandInvocations",
                          {{{"CommandId", "cmd-1"},
                            {"InstanceId", "i-1"},
                            {"Status", "Failed"},
                            {"StatusDetails", "Failed"},
                            {"RequestedDateTime", 1700000000},
                            {"CommandPlugins",
                             {{{"Name", "aws:runShellScript"},
                               {"Status", "Failed"},
                               {"ResponseCode", 3},
                               {"Output", "checking disk\n\n----------ERROR-------\nno space left"}}}}}}}});
  });
  SsmClient ssm(caller);
  auto r = ssm.ListCommandInvocations("cmd-1");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const CommandInvocation& inv = (*r)[0];
  EXPECT_EQ(inv.status, "Failed");
  EXPECT_EQ(inv.response_code, 3);
  EXPECT_EQ(inv.standard_output, "checking disk\n");
  EXPECT_EQ(inv.standard_error, "no space left");
  ASSERT_EQ(inv.plugins.size(), 1u);
  EXPECT_EQ(inv.plugins[0].name, "aws:runShellScript");
  EXPECT_EQ(json::parse(caller.requests()[0].second.body),
            (json{{"CommandId", "cmd-1"}, {"Details", true}, {"MaxResults", 50}}));
}

TEST(SsmClient, GetCommandInvocation) {
  EngineApiCaller caller(protocol::SsmModel(), [&](const std::string&, const protocol::SerializedRequest&) {
    return JsonResponse({{"CommandId", "cmd-1"},
                         {"InstanceId", "i-1"},
                         {"Status", "Success"},
                         {"ResponseCode", 0},
                         {"PluginName", "aws:runShellScript"},
                         {"StandardOutputContent", "ok\n"},
                         {"StandardErrorContent", ""}});
  });
  SsmClient ssm(caller);
  auto r = ssm.GetCommandInvocation("cmd-1", "i-1");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, "Success");
  EXPECT_EQ(r->response_code, 0);
  EXPECT_EQ(r->standard_output, "ok\n");
  EXPECT_EQ(json::parse(caller.requests()[0].second.body),
            (json{{"CommandId", "cmd-1"}, {"InstanceId", "i-1"}}));
}

TEST(SsmClient, GetCommandInvocationNotYetKnownIsAnAwsError) {
  EngineApiCaller caller(protocol::SsmModel(), [&](const std::string&, const protocol::SerializedRequest&) {
    return HttpResponse{400,
                        {{"x-amzn-RequestId", "r-7"}},
                        R"({"__type":"com.amazonaws.ssm#InvocationDoesNotExist","message":"not yet"})"};
  });
  SsmClient ssm(caller);
  auto r = ssm.GetCommandInvocation("cmd-1", "i-1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().aws_code, "InvocationDoesNotExist");
  EXPECT_EQ(r.error().request_id, "r-7");
}

TEST(SsmClient, CancelCommandBatches) {
  EngineApiCaller caller(protocol::SsmModel(), [&](const std::string&, const protocol::SerializedRequest&) {
    return JsonResponse(json::object());
  });
  SsmClient ssm(caller);
  ASSERT_TRUE(ssm.CancelCommand("cmd-1", Ids(51)).ok());
  ASSERT_TRUE(ssm.CancelCommand("cmd-2").ok());
  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(json::parse(reqs[0].second.body)["InstanceIds"].size(), 50u);
  EXPECT_EQ(json::parse(reqs[1].second.body)["InstanceIds"], json({"i-50"}));
  EXPECT_EQ(json::parse(reqs[2].second.body), (json{{"CommandId", "cmd-2"}}));
}

TEST(SsmClient, DescribeInstancePatchStatesBatchesAndPages) {
  int call = 0;
  EngineApiCaller caller(protocol::SsmModel(),
                         [&](const std::string&, const protocol::SerializedRequest& req) {
                           ++call;
                           json in = json::parse(req.body);
                           json states = json::array();
                           for (const auto& id : in["InstanceIds"]) {
                             states.push_back({{"InstanceId", id},
                                               {"PatchGroup", "web"},
                                               {"BaselineId", "pb-1"},
                                               {"Operation", "Install"},
                                               {"OperationStartTime", 1700000000},
                                               {"OperationEndTime", 1700000300},
                                               {"InstalledCount", 10},
                                               {"InstalledOtherCount", 2},
                                               {"InstalledPendingRebootCount", 1},
                                               {"InstalledRejectedCount", 0},
                                               {"MissingCount", 3},
                                               {"FailedCount", 1},
                                               {"NotApplicableCount", 40},
                                               {"CriticalNonCompliantCount", 2},
                                               {"RebootOption", "NoReboot"}});
                           }
                           json out = {{"InstancePatchStates", states}};
                           // The first batch answers in two pages: the second page repeats nothing, it just
                           // ends.
                           if (call == 1) {
                             out["NextToken"] = "more";
                           } else if (call == 2) {
                             out["InstancePatchStates"] = json::array();
                           }
                           return JsonResponse(out);
                         });
  SsmClient ssm(caller);
  auto r = ssm.DescribeInstancePatchStates(Ids(120));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size(), 120u);
  const InstancePatchState& s = (*r)[0];
  EXPECT_EQ(s.installed, 10);
  EXPECT_EQ(s.installed_other, 2);
  EXPECT_EQ(s.installed_pending_reboot, 1);
  EXPECT_EQ(s.missing, 3);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.not_applicable, 40);
  EXPECT_EQ(s.critical_non_compliant, 2);
  EXPECT_FALSE(s.security_non_compliant.has_value());
  EXPECT_EQ(s.operation, "Install");
  ASSERT_TRUE(s.operation_end.has_value());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*s.operation_end), 1700000300);

  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 4u);  // batch 1 (2 pages), batch 2, batch 3
  EXPECT_EQ(json::parse(reqs[0].second.body)["InstanceIds"].size(), 50u);
  EXPECT_EQ(json::parse(reqs[1].second.body)["NextToken"], "more");
  EXPECT_EQ(json::parse(reqs[3].second.body)["InstanceIds"].size(), 20u);
}

TEST(SsmClient, SplitPluginOutput) {
  std::string out, err;
  SplitPluginOutput("all good", &out, &err);
  EXPECT_EQ(out, "all good");
  EXPECT_EQ(err, "");
  SplitPluginOutput("a\n----------ERROR-------\nb", &out, &err);
  EXPECT_EQ(out, "a");
  EXPECT_EQ(err, "b");
}

TEST(SsmClient, ValidatesInputs) {
  FakeApiCaller fake;
  SsmClient ssm(fake);
  EXPECT_FALSE(ssm.SendCommand({.instance_ids = {"i-1"}}).ok());
  EXPECT_FALSE(ssm.SendCommand({.document_name = "AWS-RunShellScript"}).ok());
  EXPECT_FALSE(ssm.ListCommandInvocations("").ok());
  EXPECT_TRUE(fake.calls().empty());
}

}  // namespace
}  // namespace fleetpatch::aws
