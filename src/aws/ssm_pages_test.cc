#include "aws/ssm_pages.h"

#include <gtest/gtest.h>

#include "aws/output_fields.h"
#include "aws/protocol/embedded_models.h"
#include "aws/protocol/parser.h"

namespace fleetpatch::aws {
namespace {

using nlohmann::json;

// A page as the generic path reads it: ParseResponse, then the records and NextToken taken the way
// SsmClient and Paginate took them before the typed readers.
template <typename Record>
Status GenericPage(const char* op, const char* list, Record (*from_json)(const json&),
                   const std::string& body, std::vector<Record>* out, std::string* token) {
  HttpResponse response;
  response.status = 200;
  response.body = body;
  FP_ASSIGN_OR_RETURN(json page, protocol::ParseResponse(protocol::SsmModel(), op, response));
  for (const auto& item : fields::Array(page, list)) out->push_back(from_json(item));
  auto it = page.find("NextToken");
  *token = it != page.end() && it->is_string() ? it->get<std::string>() : "";
  return OkStatus();
}

// The typed reader agrees with the generic path on `body`: when the generic path reads it, the
// typed reader gives the same records and token; when it is not JSON, both fail. Returns whether
// the typed reader read it.
template <typename Record>
bool PageAgrees(const char* op, const char* list, Record (*from_json)(const json&),
                Status (*read)(std::string_view, std::vector<Record>*, std::string*),
                const std::string& body) {
  std::vector<Record> generic, typed;
  std::string generic_token, typed_token = "stale";  // the reader must set it, "" included
  Status g = GenericPage(op, list, from_json, body, &generic, &generic_token);
  Status t = read(body, &typed, &typed_token);
  if (g.ok()) {
    EXPECT_TRUE(t.ok()) << body << ": " << t.error().message;
    EXPECT_TRUE(generic == typed) << body;
    EXPECT_EQ(generic_token, typed_token) << body;
  }
  if (!json::accept(body) && body.find_first_not_of(" \t\r\n") != std::string::npos) {
    EXPECT_FALSE(t.ok()) << body;
  }
  return t.ok();
}

bool PatchStatesAgree(const std::string& body) {
  return PageAgrees("DescribeInstancePatchStates", "InstancePatchStates", &PatchStateFromJson,
                    &ReadPatchStatesPage, body);
}

bool InfoAgrees(const std::string& body) {
  return PageAgrees("DescribeInstanceInformation", "InstanceInformationList", &InstanceInformationFromJson,
                    &ReadInstanceInformationPage, body);
}

// As the emulator answers (its keys sorted, as nlohmann dumps them).
const char kPatchPage[] =
    R"({"InstancePatchStates":[{"BaselineId":"pb-0a6b4c3d2e1f09876","CriticalNonCompliantCount":1,)"
    R"("FailedCount":0,"InstallOverrideList":"","InstalledCount":41,"InstalledOtherCount":3,)"
    R"("InstalledPendingRebootCount":2,"InstalledRejectedCount":0,"InstanceId":"i-00000001",)"
    R"("LastNoRebootInstallOperationTime":1764900000.5,"MissingCount":4,"NotApplicableCount":312,)"
    R"("Operation":"Install","OperationEndTime":1764900000.5,"OperationStartTime":1764899000,)"
    R"("OtherNonCompliantCount":2,"PatchGroup":"web","RebootOption":"NoReboot","SecurityNonCompliantCount":2,)"
    R"("UnreportedNotApplicableCount":0},{"InstanceId":"i-00000002","Operation":"Scan",)"
    R"("OperationEndTime":"2026-12-01T10:00:00Z"}],"NextToken":"tok-2"})";

const char kInfoPage[] =
    R"({"InstanceInformationList":[{"AgentVersion":"3.3.987.0","AssociationOverview":{"DetailedStatus":"Success",)"
    R"("InstanceAssociationStatusAggregatedCount":{"Success":1}},"ComputerName":"ip-10-0-0-1.ec2.internal",)"
    R"("IPAddress":"10.0.0.1","InstanceId":"i-00000001","IsLatestVersion":true,"LastPingDateTime":1764900000,)"
    R"("PingStatus":"Online","PlatformName":"Amazon Linux","PlatformType":"Linux","PlatformVersion":"2023",)"
    R"("ResourceType":"EC2Instance","SourceId":"i-00000001"}]})";

TEST(SsmPagesTest, ReadsAPatchStatePageIntoRecords) {
  std::vector<InstancePatchState> out;
  std::string token;
  ASSERT_TRUE(ReadPatchStatesPage(kPatchPage, &out, &token).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(token, "tok-2");
  const InstancePatchState& a = out[0];
  EXPECT_EQ(a.instance_id, "i-00000001");
  EXPECT_EQ(a.patch_group, "web");
  EXPECT_EQ(a.installed, 41);
  EXPECT_EQ(a.installed_pending_reboot, 2);
  EXPECT_EQ(a.missing, 4);
  EXPECT_EQ(a.not_applicable, 312);
  EXPECT_EQ(a.critical_non_compliant, 1);
  EXPECT_EQ(a.reboot_option, "NoReboot");
  ASSERT_TRUE(a.operation_end.has_value());
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::milliseconds>(a.operation_end->time_since_epoch()).count(),
      1764900000500);
  EXPECT_EQ(out[1].operation, "Scan");
  EXPECT_FALSE(out[1].critical_non_compliant.has_value());
  ASSERT_TRUE(out[1].operation_end.has_value());  // an ISO 8601 text timestamp
  EXPECT_TRUE(PatchStatesAgree(kPatchPage));
}

TEST(SsmPagesTest, ReadsAnInstanceInformationPage) {
  std::vector<InstanceInformation> out = {InstanceInformation{"i-kept"}};
  std::string token = "stale";
  ASSERT_TRUE(ReadInstanceInformationPage(kInfoPage, &out, &token).ok());
  ASSERT_EQ(out.size(), 2u);  // appended
  EXPECT_EQ(token, "");
  EXPECT_EQ(out[1].instance_id, "i-00000001");
  EXPECT_EQ(out[1].ping_status, "Online");
  EXPECT_EQ(out[1].platform_type, "Linux");
  EXPECT_EQ(out[1].agent_version, "3.3.987.0");
  EXPECT_EQ(out[1].is_latest_version, true);
  EXPECT_EQ(out[1].ip_address, "10.0.0.1");
  EXPECT_TRUE(out[1].last_ping.has_value());
  EXPECT_TRUE(InfoAgrees(kInfoPage));
}

// Values of odd types read as the generic path reads them (output_fields.h: leniently).
TEST(SsmPagesTest, OddValuesReadAsTheGenericPathReadsThem) {
  const std::vector<std::string> bodies = {
      R"({"InstancePatchStates":[{"InstanceId":7,"InstalledCount":"5","MissingCount":2.9,"PatchGroup":true,)"
      R"("FailedCount":null,"Operation":{"x":[1]},"InstalledOtherCount":[1,2],"OperationEndTime":"not a time",)"
      R"("Unknown":{"a":[{"b":null}]},"SecurityNonCompliantCount":-3}],"NextToken":5})",
      R"({"InstancePatchStates":[null,{"InstanceId":"i-1","InstanceId":"i-2","MissingCount":1,"MissingCount":null}]})",
      R"({"InstancePatchStates":[{"InstanceId":"i-1"}],"InstancePatchStates":[{"InstanceId":"i-2"}],)"
      R"("NextToken":"a","NextToken":{"b":1}})",
      R"({"InstancePatchStates":[{"InstanceId":"i-1"}],"InstancePatchStates":null,"NextToken":"x\u0000y"})",
      R"({"InstancePatchStates":[{"InstanceId":"i-\u00e9\ud83d\ude00","InstalledCount":18446744073709551615,)"
      R"("OperationStartTime":1e300,"OperationEndTime":-5,"InstalledRejectedCount":1e2}]})",
      R"({"NextToken":"only"})",
      "null",
      "{}",
      "  ",
  };
  for (const auto& body : bodies) EXPECT_TRUE(PatchStatesAgree(body)) << body;
  const std::vector<std::string> info = {
      R"({"InstanceInformationList":[{"IsLatestVersion":"true","LastPingDateTime":"2026-12-01T10:00:00.123Z",)"
      R"("PingStatus":1,"AgentVersion":1.5,"IPAddress":null,"Name":{"nested":true}},null]})",
      R"({"InstanceInformationList":[],"NextToken":""})",
  };
  for (const auto& body : info) EXPECT_TRUE(InfoAgrees(body)) << body;
}

TEST(SsmPagesTest, ATimestampPastWhatATimePointHoldsReadsAsNone) {
  std::vector<InstancePatchState> out;
  std::string token;
  ASSERT_TRUE(ReadPatchStatesPage(R"({"InstancePatchStates":[{"OperationStartTime":1e300,)"
                                  R"("OperationEndTime":-9.1e9,"LastNoRebootInstallOperationTime":9e9}]})",
                                  &out, &token)
                  .ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].operation_start.has_value());
  EXPECT_FALSE(out[0].operation_end.has_value());
  EXPECT_TRUE(out[0].last_no_reboot_install.has_value());
}

TEST(SsmPagesTest, RefusesWhatThePageCannotBe) {
  const std::vector<std::string> bodies = {
      R"([])",
      R"("text")",
      R"({"InstancePatchStates":{}})",
      R"({"InstancePatchStates":"x"})",
      R"({"InstancePatchStates":[1]})",
      R"({"InstancePatchStates":[[]]})",
      R"({"InstancePatchStates":[{"OperationEndTime":true}]})",
      R"({"InstancePatchStates":[{"OperationEndTime":{}}]})",
      R"({"InstancePatchStates":[{"InstanceId":"i-1"}],)",  // not JSON
      R"({"InstancePatchStates":[{"InstanceId":"i-1"}]} x)",
  };
  for (const auto& body : bodies) {
    std::vector<InstancePatchState> out = {InstancePatchState{"i-kept"}};
    std::string token;
    Status st = ReadPatchStatesPage(body, &out, &token);
    ASSERT_FALSE(st.ok()) << body;
    EXPECT_EQ(st.error().category, ErrorCategory::kAws);
    EXPECT_EQ(st.error().message.rfind("could not parse the AWS response: ", 0), 0u) << st.error().message;
    EXPECT_EQ(out.size(), 1u) << body;  // unchanged
    PatchStatesAgree(body);             // and the generic path refuses it too (or reads it the same)
  }
  std::vector<InstancePatchState> out;
  std::string token;
  // A syntax error wins over a value of the wrong kind met before it.
  Status st = ReadPatchStatesPage(R"({"InstancePatchStates":{}, x})", &out, &token);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("the body is not JSON"), std::string::npos) << st.error().message;
}

// Every prefix and every one-byte deletion of the two pages: the typed readers never read a body
// differently from the generic path, and never read one that is not JSON.
TEST(SsmPagesTest, AgreesWithTheGenericPathOnTruncationsAndDeletions) {
  for (const std::string& page : {std::string(kPatchPage), std::string(kInfoPage)}) {
    const bool patch = page == kPatchPage;
    for (size_t n = 0; n <= page.size(); ++n) {
      std::string cut = page.substr(0, n);
      std::string deleted = page.substr(0, n) + (n < page.size() ? page.substr(n + 1) : "");
      if (patch) {
        PatchStatesAgree(cut);
        PatchStatesAgree(deleted);
      } else {
        InfoAgrees(cut);
        InfoAgrees(deleted);
      }
    }
  }
}

}  // namespace
}  // namespace fleetpatch::aws
