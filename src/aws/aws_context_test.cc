#include "aws/aws_context.h"

#include <gtest/gtest.h>

#include "aws/credentials_env.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"

namespace fleetpatch::aws {
namespace {

constexpr const char* kAssumedXml =
    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE12</AccessKeyId>"
    "<SecretAccessKey>secretsecretsecretsecretsecretsecret1234</SecretAccessKey>"
    "<SessionToken>tokentoken</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>"
    "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/R/s</Arn><AssumedRoleId>AROA:s</"
    "AssumedRoleId>"
    "</AssumedRoleUser></AssumeRoleWithWebIdentityResult>"
    "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>";

TEST(AwsContextTest, WebIdentityIsSentUnsignedToTheRegionalStsEndpoint) {
  fleetpatch::testing::FakeClock clock;
  fleetpatch::testing::FakeTransport transport;
  transport.QueueResponse(200, kAssumedXml);
  AwsContext ctx(transport, clock, MapEnv({}), {});
  auto creds =
      ctx.AssumeRoleWithWebIdentity("eu-west-1", "arn:aws:iam::123456789012:role/R", "fleetpatch", "jwt");
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  EXPECT_EQ(creds->access_key_id, "ASIAEXAMPLEEXAMPLE12");
  ASSERT_EQ(transport.request_count(), 1u);
  auto req = transport.requests()[0];
  EXPECT_EQ(req.url, "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_EQ(FindHeader(req.headers, "Authorization"), nullptr);
  EXPECT_NE(req.body.find("WebIdentityToken=jwt"), std::string::npos);
}

TEST(AwsContextTest, AssumeRoleIsSignedWithTheSourceAndHonoursTheEndpointOverride) {
  fleetpatch::testing::FakeClock clock;
  fleetpatch::testing::FakeTransport transport;
  transport.QueueResponse(403,
                          "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not "
                          "authorized</Message></Error><RequestId>r-2</RequestId></ErrorResponse>");
  AwsContext ctx(transport, clock, MapEnv({{"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"}}), {});
  Credentials source{"AKIAEXAMPLEEXAMPLE12", "sourcesecretsourcesecretsourcesecret1234", "", std::nullopt,
                     "test"};
  auto r =
      ctx.AssumeRole(source, "us-east-1", {"arn:aws:iam::123456789012:role/R", "fleetpatch", "ext", 900});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kAuth) << r.error().message;
  EXPECT_NE(r.error().message.find("arn:aws:iam::123456789012:role/R"), std::string::npos);
  EXPECT_EQ(r.error().message.find("sourcesecret"), std::string::npos);
  auto req = transport.requests()[0];
  EXPECT_EQ(req.url, "http://127.0.0.1:9/");
  ASSERT_NE(FindHeader(req.headers, "Authorization"), nullptr);
  EXPECT_NE(FindHeader(req.headers, "Authorization")->find("AKIAEXAMPLEEXAMPLE12/"), std::string::npos);
  EXPECT_NE(req.body.find("ExternalId=ext"), std::string::npos);
}

TEST(AwsContextTest, UnknownServiceIsAConfigError) {
  fleetpatch::testing::FakeClock clock;
  fleetpatch::testing::FakeTransport transport;
  AwsContext ctx(transport, clock, MapEnv({}), {});
  auto c = ctx.MakeClient("s3", "us-east-1", nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().category, ErrorCategory::kConfig);
}

}  // namespace
}  // namespace fleetpatch::aws
