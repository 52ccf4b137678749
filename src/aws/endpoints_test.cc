// Endpoint resolution against AWS's endpoint rule tests (every case that uses only the options
// fleetpatch supports), plus the override precedence and region validation.
#include "aws/endpoints.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "testing/testdata.h"

namespace fleetpatch::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct RuleCase {
  std::string service;
  int index = 0;
  nlohmann::json json;
};

void PrintTo(const RuleCase& c, std::ostream* os) {
  *os << c.service << " case " << c.index << ": " << c.json.value("params", nlohmann::json::object()).dump();
}

struct Enumerated {
  std::vector<RuleCase> supported;
  std::map<std::string, int> filtered;  // reason -> count
  int total = 0;
};

// Keeps the cases whose parameters are all ones we support; counts the rest by reason.
Enumerated EnumerateRuleCases(const std::string& service) {
  Enumerated out;
  auto path = fleetpatch::testing::AwsTestdataDir() / "endpoints" / (service + "-endpoint-tests-1.json");
  if (!std::filesystem::exists(path)) return out;
  auto doc = nlohmann::json::parse(fleetpatch::testing::ReadFileOrDie(path));
  int index = 0;
  for (const auto& c : doc["testCases"]) {
    ++out.total;
    const auto params = c.value("params", nlohmann::json::object());
    std::string reason;
    for (const auto& [key, value] : params.items()) {
      if (key == "UseDualStack") {
        if (value.get<bool>()) reason = "UseDualStack=true (dual-stack endpoints not supported)";
      } else if (key == "UseGlobalEndpoint") {
        if (service != "sts") reason = "UseGlobalEndpoint outside sts";
      } else if (key != "Region" && key != "UseFIPS" && key != "Endpoint") {
        reason = "unsupported parameter " + key;
      }
    }
    if (reason.empty()) {
      out.supported.push_back({service, index, c});
    } else {
      ++out.filtered[reason];
    }
    ++index;
  }
  return out;
}

std::vector<RuleCase> AllSupportedCases() {
  std::vector<RuleCase> all;
  for (const char* s : {"ec2", "ssm", "sts", "autoscaling"}) {
    auto e = EnumerateRuleCases(s);
    all.insert(all.end(), e.supported.begin(), e.supported.end());
  }
  return all;
}

TEST(EndpointRuleTests, CountsRunAndFiltered) {
  // Totals in the vendored files; a changed file shows here.
  const std::map<std::string, int> expected_total = {
      {"ec2", 54}, {"ssm", 49}, {"sts", 69}, {"autoscaling", 45}};
  int ran = 0, filtered = 0;
  for (const auto& [service, total] : expected_total) {
    Enumerated e = EnumerateRuleCases(service);
    EXPECT_EQ(e.total, total) << service;
    int f = 0;
    for (const auto& [reason, n] : e.filtered) {
      std::cout << "[ endpoints ] " << service << ": filtered " << n << " (" << reason << ")\n";
      f += n;
    }
    std::cout << "[ endpoints ] " << service << ": " << e.supported.size() << " of " << e.total
              << " cases run\n";
    EXPECT_EQ(static_cast<int>(e.supported.size()) + f, e.total);
    ran += static_cast<int>(e.supported.size());
    filtered += f;
  }
  std::cout << "[ endpoints ] total: " << ran << " run, " << filtered << " filtered\n";
  // Every filtered case is a dual-stack one: nothing else is skipped.
  EXPECT_EQ(ran, 184);
  EXPECT_EQ(filtered, 33);
}

class EndpointRuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(EndpointRuleTest, MatchesExpectation) {
  const auto& c = GetParam().json;
  const auto params = c.value("params", nlohmann::json::object());
  EndpointParams p;
  p.service = GetParam().service;
  p.region = params.value("Region", "");
  p.use_fips = params.value("UseFIPS", false);
  p.use_global_endpoint = params.value("UseGlobalEndpoint", false);
  p.endpoint = params.value("Endpoint", "");
  auto r = ResolveEndpoint(p);
  SCOPED_TRACE(c.value("documentation", ""));
  if (c["expect"].contains("error")) {
    ASSERT_FALSE(r.ok()) << "resolved to " << r->url;
    EXPECT_THAT(r.error().message, HasSubstr(c["expect"]["error"].get<std::string>()));
    EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
    return;
  }
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& endpoint = c["expect"]["endpoint"];
  EXPECT_EQ(r->url, endpoint["url"].get<std::string>());
  if (endpoint.contains("properties") && endpoint["properties"].contains("authSchemes")) {
    const auto& scheme = endpoint["properties"]["authSchemes"][0];
    EXPECT_EQ(r->signing_region, scheme["signingRegion"].get<std::string>());
    EXPECT_EQ(r->signing_name, scheme["signingName"].get<std::string>());
  } else if (!p.region.empty()) {
    EXPECT_EQ(r->signing_region, p.region);
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, EndpointRuleTest, ::testing::ValuesIn(AllSupportedCases()),
                         [](const auto& info) {
                           return info.param.service + "_" + std::to_string(info.param.index);
                         });

TEST(Endpoints, PartitionsAndRegionValidation) {
  EXPECT_EQ(PartitionForRegion("eu-west-1"), "aws");
  EXPECT_EQ(PartitionForRegion("cn-northwest-1"), "aws-cn");
  EXPECT_EQ(PartitionForRegion("us-gov-west-1"), "aws-us-gov");
  EXPECT_EQ(PartitionForRegion("us-iso-east-1"), "aws-iso");
  EXPECT_EQ(PartitionForRegion("us-isob-east-1"), "aws-iso-b");
  EXPECT_EQ(PartitionForRegion("aws-us-gov-global"), "aws-us-gov");
  EXPECT_EQ(PartitionForRegion("xx-new-1"), "aws");
  for (const char* ok : {"us-east-1", "ap-southeast-7", "aws-global", "local"})
    EXPECT_TRUE(IsValidRegionName(ok)) << ok;
  for (const char* bad : {"", "US-EAST-1", "us_east_1", "us-east-1 ", "-us-east-1", "us-east-", "us--east-1",
                          "1us-east", "us.east.1", "us-east-1/../x"}) {
    EXPECT_FALSE(IsValidRegionName(bad)) << bad;
    auto r = ResolveEndpoint({"ec2", bad});
    if (std::string(bad).empty()) continue;
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
    EXPECT_THAT(r.error().message, HasSubstr("invalid region"));
    EXPECT_THAT(r.error().message, HasSubstr("us-east-1"));
  }
}

TEST(Endpoints, UnsupportedServiceIsAnInternalError) {
  auto r = ResolveEndpoint({"s3", "us-east-1"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kInternal);
}

TEST(Endpoints, StsIsRegionalByDefault) {
  for (const char* region : {"us-east-1", "eu-west-1", "ap-southeast-2"}) {
    auto r = ResolveEndpoint({"sts", region});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->url, std::string("https://sts.") + region + ".amazonaws.com");
    EXPECT_EQ(r->signing_region, region);
  }
}

TEST(ServiceEndpoints, OverridePrecedence) {
  auto env = MapEnv(
      {{"AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:5001"}, {"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}});
  // 1. explicit override wins.
  auto r = ResolveServiceEndpoint({"ec2", "eu-west-1", false, "https://emulator:9000"}, env);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->url, "https://emulator:9000");
  EXPECT_EQ(r->signing_region, "eu-west-1");
  EXPECT_EQ(r->signing_name, "ec2");
  r = ResolveServiceEndpoint({"ec2", "eu-west-1", false, "https://emulator:9000/"}, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "https://emulator:9000");
  r = ResolveServiceEndpoint({"ec2", "eu-west-1", false, "https://gateway/aws/"}, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "https://gateway/aws");
  // 2. the service variable.
  r = ResolveServiceEndpoint({"ec2", "eu-west-1"}, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "http://127.0.0.1:5001");
  EXPECT_EQ(r->source, "AWS_ENDPOINT_URL_EC2");
  // 3. the global variable for services without their own.
  r = ResolveServiceEndpoint({"ssm", "eu-west-1"}, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "http://127.0.0.1:5000");
  EXPECT_EQ(r->source, "AWS_ENDPOINT_URL");
  r = ResolveServiceEndpoint({"sts", "eu-west-1"}, MapEnv({{"AWS_ENDPOINT_URL_STS", "https://sts.internal"},
                                                           {"AWS_ENDPOINT_URL", "x"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "https://sts.internal");
  // 4. the rules when nothing is set (empty values count as unset).
  r = ResolveServiceEndpoint({"ssm", "cn-north-1"}, MapEnv({{"AWS_ENDPOINT_URL", ""}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "https://ssm.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(r->source, "partition aws-cn");
  r = ResolveServiceEndpoint({"ec2", "us-gov-west-1", true}, MapEnv({}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "https://ec2.us-gov-west-1.amazonaws.com");
  r = ResolveServiceEndpoint({"ssm", "us-east-2", true}, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "https://ssm-fips.us-east-2.amazonaws.com");
}

TEST(ServiceEndpoints, AutoScalingReadsItsServiceIdVariable) {
  // The SDKs name the variable after the serviceId "Auto Scaling", not the endpoint prefix.
  auto env = MapEnv({{"AWS_ENDPOINT_URL_AUTOSCALING", "http://wrong:1"},
                     {"AWS_ENDPOINT_URL_AUTO_SCALING", "http://127.0.0.1:5002"}});
  auto r = ResolveServiceEndpoint({"autoscaling", "eu-west-1"}, env);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->url, "http://127.0.0.1:5002");
  EXPECT_EQ(r->source, "AWS_ENDPOINT_URL_AUTO_SCALING");
  EXPECT_EQ(r->signing_name, "autoscaling");
  r = ResolveServiceEndpoint({"autoscaling", "eu-west-1"}, MapEnv({{"AWS_ENDPOINT_URL_AUTOSCALING", "x"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "https://autoscaling.eu-west-1.amazonaws.com");
}

TEST(ServiceEndpoints, IgnoreConfiguredEndpointUrls) {
  auto env = MapEnv(
      {{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"}});
  auto r = ResolveServiceEndpoint({"ec2", "eu-west-1"}, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "https://ec2.eu-west-1.amazonaws.com");
  // The explicit configuration override is not an environment setting: it still applies.
  r = ResolveServiceEndpoint({"ec2", "eu-west-1", false, "http://127.0.0.1:1"}, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "http://127.0.0.1:1");
}

TEST(ServiceEndpoints, ErrorsSayWhatToFix) {
  auto r = ResolveServiceEndpoint({"ec2", ""}, MapEnv({}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("--region"));
  r = ResolveServiceEndpoint({"ec2", "Ireland"}, MapEnv({}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("invalid region 'Ireland'"));
  r = ResolveServiceEndpoint({"ec2", "eu-west-1"}, MapEnv({{"AWS_ENDPOINT_URL_EC2", "localhost:4566"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(r.error().message, HasSubstr("AWS_ENDPOINT_URL_EC2"));
  EXPECT_THAT(r.error().message, HasSubstr("scheme"));
  r = ResolveServiceEndpoint({"ec2", "eu-west-1", false, "http://user:hunter2@proxy/"}, MapEnv({}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, Not(HasSubstr("hunter2")));
  EXPECT_THAT(r.error().message, HasSubstr("http://***@proxy/"));
  r = ResolveServiceEndpoint({"ec2", "eu-west-1", false, "ftp://x"}, MapEnv({}));
  ASSERT_FALSE(r.ok());
  r = ResolveServiceEndpoint({"ec2", "eu-west-1", false, "http:///path"}, MapEnv({}));
  ASSERT_FALSE(r.ok());
  r = ResolveServiceEndpoint({"ec2", "eu-west-1", true, "http://127.0.0.1:1"}, MapEnv({}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("FIPS and custom endpoint"));
}

TEST(ServiceEndpoints, PlainHttpOnlyForLoopbackUnlessAllowed) {
  for (const char* url : {"http://127.0.0.1:4566", "http://localhost:4566/", "http://[::1]:4566",
                          "http://127.9.9.9", "HTTP://localhost"}) {
    auto r = ResolveServiceEndpoint({"ec2", "eu-west-1", false, url}, MapEnv({}));
    ASSERT_TRUE(r.ok()) << url << ": " << r.error().message;
    EXPECT_FALSE(r->insecure) << url;
  }
  for (const char* url : {"http://ec2.example.com", "http://10.0.0.1:4566", "http://127.0.0.1.evil.com",
                          "http://localhost.evil.com", "http://[::2]:1", "http://128.0.0.1"}) {
    auto r = ResolveServiceEndpoint({"ec2", "eu-west-1", false, url}, MapEnv({}));
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
    EXPECT_THAT(r.error().message, HasSubstr("--allow-insecure-endpoint"));
    EXPECT_THAT(r.error().message, HasSubstr("endpoint override (configuration)"));
  }
  auto r = ResolveServiceEndpoint({"sts", "eu-west-1"}, MapEnv({{"AWS_ENDPOINT_URL", "http://sts.corp:80"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("AWS_ENDPOINT_URL"));
  r = ResolveServiceEndpoint({"ec2", "eu-west-1", false, "http://ec2.example.com", true}, MapEnv({}));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->insecure);
  r = ResolveServiceEndpoint({"ec2", "eu-west-1", false, "https://ec2.example.com"}, MapEnv({}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->insecure);
}

}  // namespace
}  // namespace fleetpatch::aws
