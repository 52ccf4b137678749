// ReadJsonOutput: the one-pass reader of JSON protocol success bodies. It must give exactly what
// JsonToShape gives for the parsed document (the DOM path it replaces), on real SSM pages, on the
// protocol suites' bodies and on every truncation and one-byte deletion of them, and fail clearly
// on malformed input.
#include "aws/protocol/json_reader.h"

#include <gtest/gtest.h>

#include "aws/protocol/embedded_models.h"
#include "aws/protocol/parser.h"
#include "testing/testdata.h"

namespace fleetpatch::aws::protocol {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

const ShapeRef& OutputOf(const ServiceModel& model, const std::string& operation) {
  return *model.FindOperation(operation)->output;
}

// ReadJsonOutput against the DOM path: both fail, or both give the same value.
void ExpectSameAsDom(const ServiceModel& model, const ShapeRef& output, const std::string& body) {
  Result<Json> read = ReadJsonOutput(model, output, body);
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    ASSERT_FALSE(read.ok()) << body;
    EXPECT_EQ(read.error().message, "could not parse the AWS response: the body is not JSON") << body;
    return;
  }
  Result<Json> dom = JsonToShape(model, output, doc);
  ASSERT_EQ(read.ok(), dom.ok()) << body << "\n" << (read.ok() ? dom.error() : read.error()).message;
  if (read.ok()) {
    EXPECT_EQ(*read, *dom) << body;
  }
}

const char* const kPatchStates = R"({
  "InstancePatchStates": [
    {"InstanceId": "i-0001", "PatchGroup": "web", "BaselineId": "pb-1", "Operation": "Install",
     "InstalledCount": 12, "MissingCount": 0, "FailedCount": 1, "InstalledPendingRebootCount": 3,
     "OperationStartTime": 1733300000, "OperationEndTime": "2024-12-04T08:13:20.5Z",
     "LastNoRebootInstallOperationTime": 1733300000.25, "RebootOption": "NoReboot",
     "Unmodelled": {"nested": [1, {"deep": null}], "x": "y"}, "CriticalNonCompliantCount": null},
    {"InstanceId": "i-0002", "Operation": "Scan", "OperationEndTime": "not a date"}
  ],
  "NextToken": "tok"
})";

TEST(JsonReader, ReadsAPatchStatesPageAsItsShape) {
  const ServiceModel& m = SsmModel();
  auto r = ReadJsonOutput(m, OutputOf(m, "DescribeInstancePatchStates"), kPatchStates);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Json& first = (*r)["InstancePatchStates"][0];
  EXPECT_EQ(first["InstanceId"], "i-0001");
  EXPECT_EQ(first["InstalledPendingRebootCount"], 3);
  EXPECT_EQ(first["OperationStartTime"], 1733300000);                       // whole seconds: an integer
  EXPECT_DOUBLE_EQ(first["OperationEndTime"].get<double>(), 1733300000.5);  // ISO 8601 text
  EXPECT_DOUBLE_EQ(first["LastNoRebootInstallOperationTime"].get<double>(), 1733300000.25);
  EXPECT_FALSE(first.contains("Unmodelled"));                                   // not in the model: dropped
  EXPECT_FALSE(first.contains("CriticalNonCompliantCount"));                    // null: absent
  EXPECT_EQ((*r)["InstancePatchStates"][1]["OperationEndTime"], "not a date");  // kept raw
  EXPECT_EQ((*r)["NextToken"], "tok");
  ExpectSameAsDom(m, OutputOf(m, "DescribeInstancePatchStates"), kPatchStates);
}

TEST(JsonReader, DecodesEscapesAsTheDomDoes) {
  const ServiceModel& m = SsmModel();
  const std::string body =
      R"({"InstanceInformationList": [{"InstanceId": "i-\"q\"\\\/", "ComputerName": "caf\u00e9 \ud83d\ude00",)"
      R"( "PlatformName": "tab\tnl\n<script>&amp;", "IPAddress": "\u0000x"}]})";
  auto r = ReadJsonOutput(m, OutputOf(m, "DescribeInstanceInformation"), body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Json& i = (*r)["InstanceInformationList"][0];
  EXPECT_EQ(i["InstanceId"], "i-\"q\"\\/");
  EXPECT_EQ(i["ComputerName"], "caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(i["PlatformName"], "tab\tnl\n<script>&amp;");
  EXPECT_EQ(i["IPAddress"], std::string("\0x", 2));
  ExpectSameAsDom(m, OutputOf(m, "DescribeInstanceInformation"), body);
}

TEST(JsonReader, MalformedAndTruncatedBodiesAreNotJson) {
  const ServiceModel& m = SsmModel();
  const ShapeRef& out = OutputOf(m, "DescribeInstancePatchStates");
  for (const char* body :
       {"{", "{\"InstancePatchStates\": [", "{\"NextToken\": \"abc", "{\"a\": 1,}", "{\"a\": 1} trailing",
        "[1, 2", "nul", "{\"a\": \"\\x\"}", "{\"a\": \"\\ud83d\"}", "{\"a\": 01}", "{'a': 1}", "\xFF"}) {
    auto r = ReadJsonOutput(m, out, body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().category, ErrorCategory::kAws);
    EXPECT_EQ(r.error().message, "could not parse the AWS response: the body is not JSON") << body;
  }
  // Every proper prefix of a page is truncated.
  const std::string page = kPatchStates;
  for (size_t n = 0; n < page.size(); ++n) {
    if (page.find_first_not_of(" \n", n) == std::string::npos) break;  // only trailing blanks cut
    EXPECT_FALSE(ReadJsonOutput(m, out, page.substr(0, n)).ok()) << n;
  }
}

TEST(JsonReader, AValueOfTheWrongShapeIsAClearError) {
  const ServiceModel& m = SsmModel();
  const ShapeRef& out = OutputOf(m, "DescribeInstancePatchStates");
  auto list = ReadJsonOutput(m, out, R"({"InstancePatchStates": {"InstanceId": "i-1"}})");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().message,
            "could not parse the AWS response: InstancePatchStateList is not a JSON array");
  auto item = ReadJsonOutput(m, out, R"({"InstancePatchStates": [7]})");
  ASSERT_FALSE(item.ok());
  EXPECT_EQ(item.error().message,
            "could not parse the AWS response: InstancePatchState is not a JSON object");
  auto time = ReadJsonOutput(m, out, R"({"InstancePatchStates": [{"OperationEndTime": {"a": 1}}]})");
  ASSERT_FALSE(time.ok());
  EXPECT_NE(time.error().message.find("is not a timestamp"), std::string::npos) << time.error().message;
  // A body that is not JSON at all says so, even when a shape error comes first.
  auto both = ReadJsonOutput(m, out, R"({"InstancePatchStates": {}, )");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().message, "could not parse the AWS response: the body is not JSON");
}

TEST(JsonReader, KeepsListNullsDropsMemberNullsAndTheLastDuplicateWins) {
  const ServiceModel& m = SsmModel();
  const ShapeRef& out = OutputOf(m, "DescribeInstancePatchStates");
  for (const char* body :
       {R"({"InstancePatchStates": [null, {"InstanceId": "a"}]})", R"({"NextToken": "a", "NextToken": null})",
        R"({"NextToken": null, "NextToken": "b"})",
        R"({"InstancePatchStates": [{"InstanceId": "a"}], "InstancePatchStates": []})",
        R"({"InstancePatchStates": [{"InstanceId": 5, "InstalledCount": "7"}]})", "null", "{}", "[]", "7",
        R"("text")"}) {
    ExpectSameAsDom(m, out, body);
  }
}

// Every body of the JSON protocol suites, each truncation and each one-byte deletion of it: the
// reader agrees with the DOM path on all of them.
TEST(JsonReader, AgreesWithTheDomPathOnTheProtocolSuitesAndTheirMutations) {
  size_t bodies = 0;
  for (const char* file : {"json-output.json", "legacy/json-output.json"}) {
    const OJson suites = OJson::parse(
        fleetpatch::testing::ReadFileOrDie(fleetpatch::testing::AwsTestdataDir() / "protocols" / file));
    for (const auto& suite : suites) {
      for (const auto& c : suite["cases"]) {
        const OJson& given = c["given"];
        if (!given.contains("output") || !c.contains("response")) continue;
        std::string body = c["response"].value("body", "");
        if (body.empty()) continue;
        OJson mj;
        mj["metadata"] = suite["metadata"];
        mj["shapes"] = suite.value("shapes", OJson::object());
        mj["operations"][given["name"].get<std::string>()] = given;
        auto model = ServiceModel::FromJson(mj);
        ASSERT_TRUE(model.ok()) << model.error().message;
        const ShapeRef& out = *model->FindOperation(given["name"].get<std::string>())->output;
        ++bodies;
        ExpectSameAsDom(*model, out, body);
        for (size_t n = 0; n < body.size(); ++n) {
          ExpectSameAsDom(*model, out, body.substr(0, n));
          ExpectSameAsDom(*model, out, body.substr(0, n) + body.substr(n + 1));
        }
      }
    }
  }
  EXPECT_GT(bodies, 30u);
}

}  // namespace
}  // namespace fleetpatch::aws::protocol
