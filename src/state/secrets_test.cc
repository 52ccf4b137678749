#include "state/secrets.h"

#include <gtest/gtest.h>

namespace fleetpatch::state {
namespace {

TEST(LooksSecretKey, MatchesCredentialNames) {
  for (const char* k :
       {"secret_access_key", "aws_secret_access_key", "SecretAccessKey", "session_token", "aws-session-token",
        "password", "db_password", "token", "access_token", "client_secret", "private_key", "api_key",
        "Passphrase", "credentials", "external_id", "ExternalId"}) {
    EXPECT_TRUE(LooksSecretKey(k)) << k;
  }
}

TEST(LooksSecretKey, LeavesOrdinaryKeysAlone) {
  for (const char* k : {"access_key_id", "role_arn", "token_bucket", "max_tokens", "session_name", "region",
                        "secrets_manager_arn_prefix", "password_policy", ""}) {
    EXPECT_FALSE(LooksSecretKey(k)) << k;
  }
}

TEST(RedactSecrets, ReplacesSecretValuesAtAnyDepth) {
  nlohmann::json config = {
      {"region", "eu-west-1"},
      {"aws",
       {{"access_key_id", "AKIDEXAMPLE"},
        {"secret_access_key", "wJalrXUtnFEMI/K7MDENG"},
        {"session_token", "FQoGZXIvYXdzE"}}},
      {"landing_zones", nlohmann::json::array({{{"name", "prod"}, {"password", "hunter2"}},
                                               {{"name", "dev"}, {"token", {{"nested", "x"}}}}})},
      {"empty_token", ""},
      {"rate", {{"token_bucket", 20}}}};
  std::vector<std::string> paths;
  nlohmann::json safe = RedactSecrets(config, &paths);

  EXPECT_EQ(safe["aws"]["secret_access_key"], std::string(kRedacted));
  EXPECT_EQ(safe["aws"]["session_token"], std::string(kRedacted));
  EXPECT_EQ(safe["aws"]["access_key_id"], "AKIDEXAMPLE");
  EXPECT_EQ(safe["landing_zones"][0]["password"], std::string(kRedacted));
  EXPECT_EQ(safe["landing_zones"][1]["token"], std::string(kRedacted));  // a structured secret goes whole
  EXPECT_EQ(safe["landing_zones"][0]["name"], "prod");
  EXPECT_EQ(safe["empty_token"], "");  // nothing to hide
  EXPECT_EQ(safe["rate"]["token_bucket"], 20);
  EXPECT_EQ(paths, (std::vector<std::string>{"/aws/secret_access_key", "/aws/session_token",
                                             "/landing_zones/0/password", "/landing_zones/1/token"}));
  const std::string dumped = safe.dump();
  for (const char* secret : {"wJalrXUtnFEMI", "FQoGZXIvYXdzE", "hunter2", "nested"}) {
    EXPECT_EQ(dumped.find(secret), std::string::npos) << secret;
  }
  // The input is not modified, and redacting is idempotent.
  EXPECT_EQ(config["aws"]["secret_access_key"], "wJalrXUtnFEMI/K7MDENG");
  EXPECT_TRUE(FindSecrets(safe).empty());
  EXPECT_EQ(FindSecrets(config).size(), 4u);
}

TEST(RedactSecrets, EscapesPointerTokens) {
  std::vector<std::string> paths;
  (void)RedactSecrets({{"a/b~c", {{"password", "p"}}}}, &paths);
  EXPECT_EQ(paths, std::vector<std::string>{"/a~1b~0c/password"});
}

TEST(RedactSecrets, ExternalIdsAreSecretAndOneMarkerIsUsed) {
  nlohmann::json safe =
      RedactSecrets({{"landing_zones", {{{"external_id", "ext-1234"}, {"ExternalId", "x"}}}}});
  EXPECT_EQ(safe["landing_zones"][0]["external_id"], "[REDACTED]");
  EXPECT_EQ(safe["landing_zones"][0]["ExternalId"], "[REDACTED]");
  EXPECT_EQ(std::string(kRedacted), "[REDACTED]");  // the marker of logs and errors too (common/redact.h)
  // A store written with the earlier marker is still seen as redacted.
  EXPECT_TRUE(FindSecrets({{"password", "<redacted>"}}).empty());
}

// `fleetpatch prune --state postgresql://app:pw@db/x` puts the URL in the run's config
// (state.path): the store keeps it without the password.
TEST(RedactSecrets, StateUrlsLoseTheirPassword) {
  std::vector<std::string> paths;
  nlohmann::json safe = RedactSecrets(
      {{"state", {{"path", "postgresql://app:s3cret@db/fp"}, {"url", "postgres://db/fp?password=s3cret"}}},
       {"reporting", {{"output_dir", "postgresql-reports"}}}},
      &paths);
  EXPECT_EQ(safe["state"]["path"], "postgresql://app:***@db/fp");
  EXPECT_EQ(safe["state"]["url"], "postgres://db/fp?password=***");
  EXPECT_EQ(safe["reporting"]["output_dir"], "postgresql-reports");
  EXPECT_EQ(paths, (std::vector<std::string>{"/state/path", "/state/url"}));
  EXPECT_TRUE(FindSecrets(safe).empty());
  EXPECT_TRUE(FindSecrets({{"state", {{"url", "postgresql://app@db/fp"}}}}).empty());
}

}  // namespace
}  // namespace fleetpatch::state
