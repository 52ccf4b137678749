#include "aws/sts_client.h"

#include <gtest/gtest.h>

#include "aws/fake_api_callers.h"
#include "aws/protocol/embedded_models.h"

namespace fleetpatch::aws {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
constexpr const char* kToken = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW";

std::string AssumeRoleXml() {
  return std::string(
             "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
             "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/patcher/fp</Arn>"
             "<AssumedRoleId>ARO123EXAMPLE123:fp</AssumedRoleId></AssumedRoleUser><Credentials>"
             "<AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId><SecretAccessKey>") +
         kSecret + "</SecretAccessKey><SessionToken>" + kToken +
         "</SessionToken><Expiration>2019-11-09T13:34:41Z</Expiration></Credentials><PackedPolicySize>6"
         "</PackedPolicySize></"
         "AssumeRoleResult><ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7"
         "</RequestId></ResponseMetadata></AssumeRoleResponse>";
}

TEST(StsClient, AssumeRoleWireFormatAndCredentials) {
  EngineApiCaller caller(protocol::StsModel(), [](const std::string&, const protocol::SerializedRequest&) {
    return HttpResponse{200, {}, AssumeRoleXml()};
  });
  StsClient sts(caller);
  auto r = sts.AssumeRole({.role_arn = "arn:aws:iam::123456789012:role/patcher",
                           .session_name = "fp",
                           .external_id = "ext-1",
                           .duration_seconds = 900});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(r->credentials.secret_access_key, kSecret);
  EXPECT_EQ(r->credentials.session_token, kToken);
  ASSERT_TRUE(r->credentials.expiration.has_value());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*r->credentials.expiration), 1573306481);
  EXPECT_EQ(r->assumed_role_arn, "arn:aws:sts::123456789012:assumed-role/patcher/fp");
  EXPECT_EQ(r->credentials.source, "assume-role arn:aws:iam::123456789012:role/patcher");
  auto reqs = caller.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].second.body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fpatcher&"
            "RoleSessionName=fp&DurationSeconds=900&ExternalId=ext-1");
}

TEST(StsClient, IncompleteCredentialsAreAnAuthErrorWithoutSecrets) {
  FakeApiCaller fake;
  fake.Queue("AssumeRole", json{{"Credentials", {{"AccessKeyId", "ASIA"}, {"SecretAccessKey", kSecret}}}});
  StsClient sts(fake);
  auto r = sts.AssumeRole({.role_arn = "arn:aws:iam::1:role/r", .session_name = "fp"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kAuth);
  EXPECT_EQ(r.error().ToString().find(kSecret), std::string::npos);
}

TEST(StsClient, AssumeRoleValidatesInputs) {
  FakeApiCaller fake;
  StsClient sts(fake);
  EXPECT_EQ(sts.AssumeRole({.role_arn = "", .session_name = "fp"}).error().category, ErrorCategory::kConfig);
  EXPECT_EQ(sts.AssumeRole({.role_arn = "arn:aws:iam::1:role/r", .session_name = "x"}).error().category,
            ErrorCategory::kConfig);
  EXPECT_TRUE(fake.calls().empty());
}

TEST(StsClient, AssumeRoleWithWebIdentity) {
  EngineApiCaller caller(protocol::StsModel(), [](const std::string&, const protocol::SerializedRequest&) {
    return HttpResponse{
        200,
        {},
        std::string("<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
                    "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>") +
            kSecret + "</SecretAccessKey><SessionToken>" + kToken +
            "</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>"
            "arn:aws:sts::1:assumed-role/r/s</Arn><AssumedRoleId>ARO:s</AssumedRoleId></AssumedRoleUser>"
            "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"};
  });
  StsClient sts(caller);
  auto r = sts.AssumeRoleWithWebIdentity("arn:aws:iam::1:role/r", "session", "eyJ.token");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->credentials.access_key_id, "ASIAWEB");
  EXPECT_EQ(r->assumed_role_id, "ARO:s");
  EXPECT_EQ(caller.requests()[0].second.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&"
            "RoleSessionName=session&WebIdentityToken=eyJ.token");
  EXPECT_FALSE(sts.AssumeRoleWithWebIdentity("arn:aws:iam::1:role/r", "session", "").ok());
}

TEST(StsClient, GetCallerIdentity) {
  EngineApiCaller caller(protocol::StsModel(), [](const std::string&, const protocol::SerializedRequest&) {
    return HttpResponse{
        200,
        {},
        "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/Alice"
        "</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
        "<ResponseMetadata><RequestId>01234567-89ab</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"};
  });
  StsClient sts(caller);
  auto r = sts.GetCallerIdentity();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->account, "123456789012");
  EXPECT_EQ(r->arn, "arn:aws:iam::123456789012:user/Alice");
  EXPECT_EQ(r->user_id, "AIDAEXAMPLE");
  EXPECT_EQ(caller.requests()[0].second.body, "Action=GetCallerIdentity&Version=2011-06-15");
}

TEST(StsClient, ServiceErrorsPropagate) {
  EngineApiCaller caller(protocol::StsModel(), [](const std::string&, const protocol::SerializedRequest&) {
    return HttpResponse{
        403,
        {},
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not "
        "authorized to perform: sts:AssumeRole</Message></Error><RequestId>rid-1</RequestId>"
        "</ErrorResponse>"};
  });
  StsClient sts(caller);
  auto r = sts.AssumeRole({.role_arn = "arn:aws:iam::1:role/r", .session_name = "fp"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().aws_code, "AccessDenied");
  EXPECT_EQ(r.error().http_status, 403);
  EXPECT_EQ(r.error().request_id, "rid-1");
}

}  // namespace
}  // namespace fleetpatch::aws
