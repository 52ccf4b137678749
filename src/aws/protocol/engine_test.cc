// Engine behaviour the compliance suites do not pin down: value encodings, parameter validation,
// idempotency tokens and error fallbacks.
#include <gtest/gtest.h>

#include <regex>

#include "aws/protocol/encoding.h"
#include "aws/protocol/event_stream.h"
#include "aws/protocol/parser.h"
#include "aws/protocol/serializer.h"

namespace fleetpatch::aws::protocol {
namespace {

using Json = nlohmann::json;

ServiceModel TestModel(const std::string& protocol) {
  auto m = ServiceModel::Parse(R"({
    "metadata": {"protocol": ")" +
                               protocol +
                               R"(", "apiVersion": "2016-11-15", "targetPrefix": "Svc", "jsonVersion": "1.1"},
    "operations": {
      "Run": {"name": "Run", "http": {"method": "POST", "requestUri": "/"},
              "input": {"shape": "RunRequest"}, "output": {"shape": "RunResult"},
              "errors": [{"shape": "Boom"}]}
    },
    "shapes": {
      "RunRequest": {"type": "structure", "members": {
        "Ids": {"shape": "IdList", "locationName": "InstanceId"},
        "Count": {"shape": "Int"},
        "When": {"shape": "Time"},
        "Token": {"shape": "Str", "idempotencyToken": true}}},
      "RunResult": {"type": "structure", "members": {"When": {"shape": "Time", "locationName": "when"}}},
      "IdList": {"type": "list", "member": {"shape": "Str", "locationName": "item"}},
      "Boom": {"type": "structure", "members": {"Detail": {"shape": "Str"}}, "exception": true},
      "Str": {"type": "string"}, "Int": {"type": "integer"}, "Time": {"type": "timestamp"}
    }})");
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return std::move(m).value();
}

std::string FixedToken() { return "tok-1"; }

TEST(Encoding, Base64RoundTrip) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                       std::string("\0\xff\x10", 3)}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(Base64Decode("Zm9v!").has_value());
}

TEST(Encoding, PercentEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(PercentEncode("a b+c/=~-_."), "a%20b%2Bc%2F%3D~-_.");
  EXPECT_EQ(PercentEncode("\xc3\xa9"), "%C3%A9");
}

TEST(Encoding, Timestamps) {
  EXPECT_EQ(FormatTimestampIso8601(1422172800), "2015-01-25T08:00:00Z");
  EXPECT_EQ(FormatTimestampIso8601(1422172800.5), "2015-01-25T08:00:00.500Z");
  EXPECT_EQ(FormatTimestampRfc822(1398796238), "Tue, 29 Apr 2014 18:30:38 GMT");
  EXPECT_EQ(FormatTimestampEpoch(1422172800.25), "1422172800.25");
  EXPECT_EQ(ParseTimestamp("2015-01-25T08:00:00Z"), 1422172800.0);
  EXPECT_EQ(ParseTimestamp("2015-01-25T09:00:00+01:00"), 1422172800.0);
  EXPECT_EQ(ParseTimestamp("Tue, 29 Apr 2014 18:30:38 GMT"), 1398796238.0);
  EXPECT_EQ(ParseTimestamp("1398796238"), 1398796238.0);
  EXPECT_DOUBLE_EQ(*ParseTimestamp("2011-07-11T19:55:29.611Z"), 1310414129.611);
  EXPECT_FALSE(ParseTimestamp("YYYY-MM-DDTHH:MM:SS.000Z").has_value());
  EXPECT_FALSE(ParseTimestamp("").has_value());
}

TEST(Serializer, Ec2ListsAndIdempotencyToken) {
  ServiceModel m = TestModel("ec2");
  auto r = SerializeRequest(m, "Run", Json{{"Ids", {"i-1", "i-2"}}, {"Count", 3}}, FixedToken);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "Action=Run&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2&Count=3&Token=tok-1");
  auto given = SerializeRequest(m, "Run", Json{{"Token", "mine"}}, FixedToken);
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->body, "Action=Run&Version=2016-11-15&Token=mine");
}

TEST(Serializer, QueryListsUseMemberNames) {
  ServiceModel m = TestModel("query");
  auto r = SerializeRequest(m, "Run", Json{{"Ids", {"i-1"}}, {"When", "2015-01-25T08:00:00Z"}}, FixedToken);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body,
            "Action=Run&Version=2016-11-15&InstanceId.item.1=i-1&When=2015-01-25T08%3A00%3A00Z&Token=tok-1");
}

TEST(Serializer, JsonTargetAndBody) {
  ServiceModel m = TestModel("json");
  auto r = SerializeRequest(m, "Run", Json{{"Ids", {"i-1"}}, {"When", 1422172800}}, FixedToken);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*FindHeader(r->headers, "X-Amz-Target"), "Svc.Run");
  EXPECT_EQ(*FindHeader(r->headers, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(Json::parse(r->body), (Json{{"InstanceId", {"i-1"}}, {"When", 1422172800}, {"Token", "tok-1"}}));
}

TEST(Serializer, RejectsUnknownParametersAndWrongTypes) {
  ServiceModel m = TestModel("ec2");
  auto unknown = SerializeRequest(m, "Run", Json{{"Idz", {"i-1"}}}, FixedToken);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().category, ErrorCategory::kValidation);
  EXPECT_NE(unknown.error().message.find("Idz"), std::string::npos);
  auto wrong = SerializeRequest(m, "Run", Json{{"Count", "three"}}, FixedToken);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("Count"), std::string::npos);
  EXPECT_FALSE(SerializeRequest(m, "Nope", Json::object(), FixedToken).ok());
}

TEST(Serializer, RandomTokensAreUuidV4) {
  std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::string a = RandomIdempotencyToken(), b = RandomIdempotencyToken();
  EXPECT_TRUE(std::regex_match(a, uuid)) << a;
  EXPECT_NE(a, b);
}

TEST(Serializer, ToHttpRequestJoinsEndpointHostPrefixAndPath) {
  SerializedRequest req{"POST", "/", {{"Content-Type", "x"}}, "body", ""};
  EXPECT_EQ(ToHttpRequest(req, "https://ec2.eu-west-1.amazonaws.com").url,
            "https://ec2.eu-west-1.amazonaws.com/");
  EXPECT_EQ(ToHttpRequest(req, "http://127.0.0.1:4566/").url, "http://127.0.0.1:4566/");
  req.host_prefix = "data-";
  req.path = "/custom/";
  HttpRequest h = ToHttpRequest(req, "https://example.com/base");
  EXPECT_EQ(h.url, "https://data-example.com/base/custom/");
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.body, "body");
  EXPECT_EQ(*FindHeader(h.headers, "content-type"), "x");
}

TEST(EventStream, RejectsCorruptFrames) {
  // A frame whose lengths are consistent but whose CRCs are wrong must be rejected, not trusted.
  std::string frame("\x00\x00\x00\x12\x00\x00\x00\x00", 8);
  frame += std::string("\x58\x55\xc0\x21", 4);  // not the CRC-32 of the first 8 bytes
  auto bad = DecodeEventStream(frame + "hi" + std::string(4, '\0'));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().category, ErrorCategory::kAws);
  EXPECT_FALSE(DecodeEventStream("short").ok());
  auto empty = DecodeEventStream("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Parser, JsonResponseRequestIdFromHeader) {
  ServiceModel m = TestModel("json");
  HttpResponse resp{200, {{"x-amzn-RequestId", "rid-1"}}, R"({"when": 1422172800.5})"};
  auto r = ParseResponse(m, "Run", resp);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["When"], 1422172800.5);
  EXPECT_EQ((*r)["ResponseMetadata"]["RequestId"], "rid-1");
}

TEST(Parser, MalformedBodiesAreAwsErrors) {
  ServiceModel m = TestModel("ec2");
  auto r = ParseResponse(m, "Run", HttpResponse{200, {}, "<RunResponse><when>"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kAws);
  EXPECT_EQ(r.error().http_status, 200);
}

TEST(Parser, ErrorFallbackForNonAwsBodies) {
  ServiceModel m = TestModel("ec2");
  ServiceError e = ParseErrorResponse(m, "Run", HttpResponse{503, {}, "<html>Service Unavailable</html>"});
  EXPECT_EQ(e.code, "HttpStatus503");
  EXPECT_EQ(e.http_status, 503);
  EXPECT_NE(e.message.find("Service Unavailable"), std::string::npos);
}

TEST(Parser, ModeledErrorMembersAndJsonCodeCleanup) {
  ServiceModel m = TestModel("json");
  HttpResponse resp{400,
                    {{"X-Amzn-Errortype", "com.example#Boom:http://internal/"}, {"x-amzn-RequestId", "r2"}},
                    R"({"message": "it broke", "Detail": "d"})"};
  ServiceError e = ParseErrorResponse(m, "Run", resp);
  EXPECT_EQ(e.code, "Boom");
  EXPECT_EQ(e.message, "it broke");
  EXPECT_EQ(e.request_id, "r2");
  EXPECT_EQ(e.members, (Json{{"Detail", "d"}}));
}

}  // namespace
}  // namespace fleetpatch::aws::protocol
