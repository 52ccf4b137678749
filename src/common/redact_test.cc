#include "common/redact.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fleetpatch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kToken[] =
    "IQoJb3JpZ2luX2VjEFAaCXVzLWVhc3QtMSJHMEUCIQD+EXAMPLE/TOKEN+abc//////////wEaDDEyMzQ1Njc4OTAxMiIM==";
constexpr char kSignature[] = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

void ExpectScrubbed(const std::string& input, const std::string& secret) {
  std::string out = RedactSecrets(input);
  EXPECT_THAT(out, Not(HasSubstr(secret))) << "input: " << input;
  EXPECT_THAT(out, HasSubstr("[REDACTED]")) << "input: " << input;
}

TEST(Redact, AuthorizationSignatureAndPresignedUrl) {
  std::string authz = std::string(
                          "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/"
                          "aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=") +
                      kSignature;
  std::string out = RedactSecrets(authz);
  EXPECT_EQ(out,
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, Signature=[REDACTED]");
  ExpectScrubbed(std::string("GET /?X-Amz-Credential=AKID%2F20150830&X-Amz-Signature=") + kSignature + "&x=1",
                 kSignature);
  EXPECT_THAT(RedactSecrets("https://h/?X-Amz-Signature=abc123&X-Amz-Date=20150830T123600Z"),
              HasSubstr("&X-Amz-Date=20150830T123600Z"));
}

TEST(Redact, SecurityTokenHeaderAndQuery) {
  ExpectScrubbed(std::string("X-Amz-Security-Token: ") + kToken, kToken);
  ExpectScrubbed(std::string("x-amz-security-token:") + kToken + "\nhost:example.com", kToken);
  EXPECT_THAT(RedactSecrets(std::string("x-amz-security-token:") + kToken + "\nhost:example.com"),
              HasSubstr("\nhost:example.com"));
  ExpectScrubbed(std::string("?Action=X&X-Amz-Security-Token=IQoJ%2Bb3%2F") + "abc&Version=1",
                 "IQoJ%2Bb3%2Fabc");
  ExpectScrubbed("X-aws-ec2-metadata-token: AQAEAExampleImdsToken==", "AQAEAExampleImdsToken");
  ExpectScrubbed("Authorization: Bearer container-token-123", "container-token-123");
}

TEST(Redact, XmlCredentials) {
  std::string xml =
      std::string("<Credentials>\n  <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n  <SecretAccessKey>") + kSecret +
      "</SecretAccessKey>\n  <SessionToken>" + kToken +
      "</SessionToken>\n  <Expiration>2026-01-01T00:00:00Z</Expiration>\n</Credentials>";
  std::string out = RedactSecrets(xml);
  EXPECT_THAT(out, Not(HasSubstr(kSecret)));
  EXPECT_THAT(out, Not(HasSubstr(kToken)));
  EXPECT_THAT(out, HasSubstr("<AccessKeyId>ASIAEXAMPLE</AccessKeyId>"));
  EXPECT_THAT(out, HasSubstr("<SecretAccessKey>[REDACTED]</SecretAccessKey>"));
  EXPECT_THAT(out, HasSubstr("<Expiration>2026-01-01T00:00:00Z</Expiration>"));
  ExpectScrubbed(std::string("<sts:Token>") + kToken + "</sts:Token>", kToken);
  ExpectScrubbed(std::string("<Token>") + kToken + "</Token>", kToken);
}

TEST(Redact, JsonCredentials) {
  std::string json = std::string(R"({"Version": 1, "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": ")") +
                     kSecret + R"(", "SessionToken":")" + kToken +
                     R"(", "Expiration": "2026-01-01T00:00:00Z"})";
  std::string out = RedactSecrets(json);
  EXPECT_THAT(out, Not(HasSubstr(kSecret)));
  EXPECT_THAT(out, Not(HasSubstr(kToken)));
  EXPECT_THAT(out, HasSubstr(R"("SecretAccessKey": "[REDACTED]")"));
  EXPECT_THAT(out, HasSubstr(R"("AccessKeyId": "ASIAEXAMPLE")"));
  // Container credentials use "Token"; an embedded (escaped) JSON string too.
  ExpectScrubbed(std::string(R"({"Token" : ")") + kToken + R"("})", kToken);
  ExpectScrubbed(std::string(R"(body="{\"SecretAccessKey\":\")") + kSecret + R"(\"}")", kSecret);
  EXPECT_EQ(RedactSecrets(R"({"SessionToken": null})"), R"({"SessionToken": null})");
}

TEST(Redact, IniAndEnvironmentLines) {
  std::string ini = std::string("[prod]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = ") +
                    kSecret + "\naws_session_token=" + kToken + "\nregion = eu-west-1\n";
  std::string out = RedactSecrets(ini);
  EXPECT_THAT(out, Not(HasSubstr(kSecret)));
  EXPECT_THAT(out, Not(HasSubstr(kToken)));
  EXPECT_THAT(out, HasSubstr("aws_access_key_id = AKIAEXAMPLE\n"));
  EXPECT_THAT(out, HasSubstr("region = eu-west-1"));
  ExpectScrubbed(std::string("AWS_SECRET_ACCESS_KEY=") + kSecret, kSecret);
  ExpectScrubbed(std::string("export AWS_SESSION_TOKEN='") + kToken + "'", kToken);
  ExpectScrubbed(std::string("aws_security_token: ") + kToken, kToken);
}

TEST(Redact, BareSecretAfterTheWordSecret) {
  ExpectScrubbed(std::string("the secret key is ") + kSecret, kSecret);
  ExpectScrubbed(std::string("SECRET=") + kSecret, kSecret);
  ExpectScrubbed(std::string("secret_key -> '") + kSecret + "'", kSecret);
  // A 40-char run far from the word, or of another length, is left alone.
  std::string far = std::string("secret") + std::string(60, ' ') + kSecret;
  EXPECT_EQ(RedactSecrets(far), far);
  EXPECT_EQ(RedactSecrets("secret i-0123456789abcdef0"), "secret i-0123456789abcdef0");
}

TEST(Redact, LeavesOrdinaryTextAlone) {
  for (const char* s :
       {"", "DescribeInstances page 2 NextToken=eyJ2IjoiMiJ9 (50 items)", "SignatureDoesNotMatch",
        "SignedHeaders=host;x-amz-date", "refreshing the token for role arn:aws:iam::1:role/x",
        "ExpiredToken: The security token included in the request is expired",
        "instance i-0abc in us-east-1 patched"}) {
    EXPECT_EQ(RedactSecrets(s), s);
  }
}

TEST(Redact, IsIdempotentAndMergesOverlaps) {
  std::string once = RedactSecrets(std::string("SecretAccessKey: ") + kSecret + " Token=" + kToken);
  EXPECT_EQ(RedactSecrets(once), once);
  EXPECT_EQ(once, "SecretAccessKey: [REDACTED] Token=[REDACTED]");
}

TEST(Redact, WebIdentityTokenAndExternalId) {
  ExpectScrubbed(
      std::string("Action=AssumeRoleWithWebIdentity&WebIdentityToken=") + kToken + "&Version=2011-06-15",
      kToken);
  ExpectScrubbed("Action=AssumeRole&ExternalId=ext-7f3a9c&RoleArn=arn", "ext-7f3a9c");
  ExpectScrubbed("external_id: ext-7f3a9c", "ext-7f3a9c");
  ExpectScrubbed("{\"external_id\": \"ext-7f3a9c\"}", "ext-7f3a9c");
  ExpectScrubbed("fleetpatch whoami --external-id=ext-7f3a9c", "ext-7f3a9c");
  EXPECT_THAT(RedactSecrets("AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/token"), HasSubstr("/var/run/token"));
}

}  // namespace
}  // namespace fleetpatch
