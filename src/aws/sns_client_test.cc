#include "aws/sns_client.h"

#include <gtest/gtest.h>

#include "aws/fake_api_callers.h"
#include "aws/protocol/embedded_models.h"

namespace fleetpatch::aws {
namespace {

constexpr const char* kTopic = "arn:aws:sns:eu-west-1:123456789012:fleetpatch-alerts";

std::string PublishXml(const std::string& id) {
  return "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>" +
         id +
         "</MessageId></PublishResult><ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a"
         "</RequestId></ResponseMetadata></PublishResponse>";
}

// The serializer and parser of the embedded (trimmed) model: the request is the AWS Query wire format.
TEST(SnsClient, PublishWireFormatFromTheModel) {
  EngineApiCaller caller(protocol::SnsModel(), [](const std::string&, const protocol::SerializedRequest&) {
    return HttpResponse{200, {}, PublishXml("94f20ce6-13c5-43a0-9a9e-ca52d816e90b")};
  });
  SnsClient sns(caller);
  auto id = sns.Publish({kTopic, "run 1 finished: 3 failed", "fleetpatch: run finished"});
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  EXPECT_EQ(*id, "94f20ce6-13c5-43a0-9a9e-ca52d816e90b");
  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].second.body,
            "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aeu-west-1%3A123456789012%"
            "3Afleetpatch-alerts"
            "&Message=run%201%20finished%3A%203%20failed&Subject=fleetpatch%3A%20run%20finished");
}

TEST(SnsClient, AServiceErrorIsClassified) {
  EngineApiCaller caller(protocol::SnsModel(), [](const std::string&, const protocol::SerializedRequest&) {
    return HttpResponse{
        404,
        {},
        "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not "
        "exist</Message></Error><RequestId>r1</RequestId></ErrorResponse>"};
  });
  SnsClient sns(caller);
  auto id = sns.Publish({kTopic, "m", ""});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().aws_code, "NotFound");
}

TEST(SnsClient, BadRequestsAreRejectedBeforeSending) {
  FakeApiCaller fake;
  SnsClient sns(fake);
  EXPECT_EQ(sns.Publish({"arn:aws:sqs:eu-west-1:123456789012:q", "m", ""}).error().category,
            ErrorCategory::kValidation);
  EXPECT_EQ(sns.Publish({kTopic, "", ""}).error().category, ErrorCategory::kValidation);
  EXPECT_EQ(sns.Publish({kTopic, "m", "two\nlines"}).error().category, ErrorCategory::kValidation);
  EXPECT_EQ(sns.Publish({kTopic, "m", std::string(101, 'x')}).error().category, ErrorCategory::kValidation);
  EXPECT_EQ(sns.Publish({kTopic, std::string(256 * 1024 + 1, 'x'), ""}).error().category,
            ErrorCategory::kValidation);
}

TEST(SnsClient, TopicRegion) {
  EXPECT_EQ(SnsTopicRegion(kTopic), "eu-west-1");
  EXPECT_EQ(SnsTopicRegion("arn:aws-cn:sns:cn-north-1:123456789012:t"), "cn-north-1");
  EXPECT_EQ(SnsTopicRegion("arn:aws:sns:eu-west-1:1234:t"), "");
  EXPECT_EQ(SnsTopicRegion("arn:aws:sns:eu-west-1:123456789012:"), "");
  EXPECT_EQ(SnsTopicRegion("not an arn"), "");
}

}  // namespace
}  // namespace fleetpatch::aws
